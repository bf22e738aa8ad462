"""Control catalogs: the shipped content, user catalogs, and their references
(maps_to targets, cycles, duplicate ids) as load errors with file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from policygate.errors import ErrorGroup, PolicyError
from policygate.graph.catalogs import (
    Control,
    ControlCatalog,
    check_catalogs,
    load_catalogs,
    shipped_catalogs,
    verify_control_ids,
)
from policygate.policy import load_policies

ROOT = Path(__file__).parent.parent.parent


def by_framework() -> dict[str, ControlCatalog]:
    return {c.framework: c for c in shipped_catalogs()}


def test_shipped_catalogs_have_the_published_number_of_controls():
    catalogs = by_framework()
    assert {f: len(c.controls) for f, c in catalogs.items()} == {
        "eu-ai-act": 20,
        "iso-42001": 38,
        "nist-ai-rmf": 91,  # 19 categories, 72 subcategories
    }


def test_shipped_catalogs_are_free_of_reference_errors():
    assert check_catalogs(list(shipped_catalogs())) == []


def test_control_framework_and_location():
    art10 = next(c for c in by_framework()["eu-ai-act"].controls if c.id == "eu-ai-act:art-10")
    assert art10.framework == "eu-ai-act"
    assert art10.title == "Data and data governance"
    assert art10.location is not None
    assert art10.location.path == "policygate:catalogs/eu-ai-act.yaml"
    assert art10.location.line is not None and art10.location.column == 5


ISO_42001_ANNEX_A = (
    "A.2.2",
    "A.2.3",
    "A.2.4",
    "A.3.2",
    "A.3.3",
    "A.4.2",
    "A.4.3",
    "A.4.4",
    "A.4.5",
    "A.4.6",
    "A.5.2",
    "A.5.3",
    "A.5.4",
    "A.5.5",
    "A.6.1.2",
    "A.6.1.3",
    "A.6.2.2",
    "A.6.2.3",
    "A.6.2.4",
    "A.6.2.5",
    "A.6.2.6",
    "A.6.2.7",
    "A.6.2.8",
    "A.7.2",
    "A.7.3",
    "A.7.4",
    "A.7.5",
    "A.7.6",
    "A.8.2",
    "A.8.3",
    "A.8.4",
    "A.8.5",
    "A.9.2",
    "A.9.3",
    "A.9.4",
    "A.10.2",
    "A.10.3",
    "A.10.4",
)


def test_iso_catalog_holds_every_annex_a_control_in_order():
    shipped = [c.id for c in by_framework()["iso-42001"].controls]
    assert shipped == [f"iso-42001:{i}" for i in ISO_42001_ANNEX_A]


CATALOG = """\
apiVersion: policygate/v1
kind: ControlCatalog
metadata: {name: acme, title: ACME AI standard, version: "3"}
spec:
  framework: acme
  controls:
    - id: OVERSIGHT-1
      title: A reviewer confirms every decision
      maps_to: [eu-ai-act:art-14, iso-42001:A.9.2]
    - id: DATA-1
      title: Data is versioned
      maps_to: [eu-ai-act:art-10]
"""


def test_load_user_catalog(write):
    [catalog] = load_catalogs([write("acme.yaml", CATALOG)])
    assert catalog.framework == "acme"
    assert [c.id for c in catalog.controls] == ["acme:OVERSIGHT-1", "acme:DATA-1"]
    assert catalog.controls[0].maps_to == ("eu-ai-act:art-14", "iso-42001:A.9.2")
    assert [str(loc).rsplit(":", 2)[1:] for loc in catalog.controls[0].maps_to_locations] == [
        ["9", "17"],
        ["9", "35"],
    ]
    assert check_catalogs([*shipped_catalogs(), catalog]) == []


def test_unknown_maps_to_target_points_at_the_entry(write):
    path = write("acme.yaml", CATALOG.replace("eu-ai-act:art-10]", "eu-ai-act:art-100]"))
    catalogs = [*shipped_catalogs(), *load_catalogs([path])]
    [error] = check_catalogs(catalogs)
    assert str(error) == (
        f"{path}:12:17: unknown control id 'eu-ai-act:art-100' in maps_to of 'acme:DATA-1'; "
        "did you mean 'eu-ai-act:art-10'?"
    )


def test_maps_to_cycle_is_an_error_at_the_closing_reference(write):
    path = write(
        "loop.yaml",
        """\
        apiVersion: policygate/v1
        kind: ControlCatalog
        metadata: {name: loop}
        spec:
          framework: loop
          controls:
            - {id: A, title: a, maps_to: ["loop:B"]}
            - {id: B, title: b, maps_to: ["loop:C"]}
            - {id: C, title: c, maps_to: ["loop:A"]}
            - {id: D, title: d, maps_to: ["loop:D"]}
        """,
    )
    errors = check_catalogs(load_catalogs([path]))
    assert [str(e) for e in errors] == [
        f"{path}:9:35: maps_to cycle: loop:A -> loop:B -> loop:C -> loop:A",
        f"{path}:10:35: maps_to cycle: loop:D -> loop:D",
    ]


def test_duplicate_control_id_across_catalogs(write):
    path = write(
        "dup.yaml",
        """\
        apiVersion: policygate/v1
        kind: ControlCatalog
        metadata: {name: dup}
        spec:
          framework: eu-ai-act
          controls:
            - {id: art-10, title: again}
            - {id: art-50, title: new, maps_to: ["eu-ai-act:art-13"]}
        """,
    )
    [error] = check_catalogs([*shipped_catalogs(), *load_catalogs([path])])
    assert str(error).startswith(f"{path}:7:7: duplicate control id 'eu-ai-act:art-10' (first")


def test_controls_built_in_code_report_at_the_control():
    catalog = ControlCatalog(
        "x", "x", "", "", (Control("x:1", "one", maps_to=("x:2",)),), source="memory"
    )
    [error] = check_catalogs([catalog])
    assert isinstance(error, PolicyError)
    assert "unknown control id 'x:2' in maps_to of 'x:1'" in str(error)


def test_verify_control_ids_reports_catalog_and_policy_errors_together(write):
    catalog = write("acme.yaml", CATALOG.replace("iso-42001:A.9.2", "iso-42001:A.9.9"))
    policy = write(
        "p.yaml",
        """\
        apiVersion: policygate/v1
        kind: Policy
        metadata: {name: p}
        spec:
          rules:
            - {id: r, check: "true", controls: ["acme:NOPE"]}
        """,
    )
    with pytest.raises(ErrorGroup) as caught:
        verify_control_ids(load_policies([policy]), load_catalogs([catalog]))
    messages = [e.message for e in caught.value.errors]
    assert messages == [
        "unknown control id 'iso-42001:A.9.9' in maps_to of 'acme:OVERSIGHT-1'; "
        "did you mean 'iso-42001:A.9.4'?",
        "unknown control id 'acme:NOPE' in rule 'r'",
    ]


def test_shipped_policies_name_only_shipped_controls():
    verify_control_ids(load_policies([ROOT / "policies"]))
