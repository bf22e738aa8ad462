"""NIST AI RMF 1.0 at control level: the 19 categories and 72 subcategories of
NIST AI 100-1, identifiers and text as published (tests/compliance/data/
nist-ai-100-1.tsv lists them all), each subcategory under its category, and
every control id that the shipped policies, examples and registers name still
resolves."""

from __future__ import annotations

from pathlib import Path

from policygate.graph.build import build_risk_graph
from policygate.graph.catalogs import (
    all_catalogs,
    check_catalogs,
    load_catalogs,
    shipped_catalogs,
    verify_control_ids,
)
from policygate.graph.register import load_risk_registers
from policygate.policy import load_policies

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED_FILE = Path(__file__).parent / "data" / "nist-ai-100-1.tsv"


def published() -> dict[str, str]:
    """``GOVERN 1.1`` (as NIST writes it): its text."""
    rows = {}
    for line in PUBLISHED_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            ident, _, text = line.partition("\t")
            rows[ident] = text
    return rows


def nist():
    (catalog,) = [c for c in shipped_catalogs() if c.framework == "nist-ai-rmf"]
    return catalog


def as_published(control_id: str) -> str:
    """``nist-ai-rmf:GOVERN-1.1`` -> ``GOVERN 1.1``."""
    return control_id.removeprefix("nist-ai-rmf:").replace("-", " ", 1)


def test_the_catalog_holds_every_category_and_subcategory_as_published():
    rows = published()
    shipped = {as_published(c.id): c.title for c in nist().controls}
    assert shipped == rows
    subcategories = [i for i in rows if "." in i]
    assert len(rows) - len(subcategories) == 19 and len(subcategories) == 72
    by_function = {f: sum(i.startswith(f + " ") for i in subcategories)
                   for f in ("GOVERN", "MAP", "MEASURE", "MANAGE")}  # fmt: skip
    assert by_function == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}
    assert subcategories[0] == "GOVERN 1.1" and subcategories[-1] == "MANAGE 4.3"


def test_each_subcategory_has_its_category_as_parent():
    for control in nist().controls:
        ident = control.id.removeprefix("nist-ai-rmf:")
        expected = "nist-ai-rmf:" + ident.rsplit(".", 1)[0] if "." in ident else None
        assert (control.parent, control.maps_to) == (expected, ())
    assert check_catalogs(list(shipped_catalogs())) == []


def test_an_unknown_parent_is_a_load_error_at_the_control(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: ControlCatalog\nmetadata: {name: c}\n"
        "spec:\n  framework: acme\n  controls:\n"
        "    - {id: X-1.1, title: t, parent: 'acme:X-9'}\n"
    )
    (catalog,) = load_catalogs([path])
    (error,) = check_catalogs(all_catalogs([catalog]))
    assert str(error) == f"{path}:7:7: unknown control id 'acme:X-9' as parent of 'acme:X-1.1'"


def test_a_parent_is_no_edge_of_the_graph():
    graph = build_risk_graph(None, [])
    assert not any(
        u.startswith("control:nist-ai-rmf:") and v.startswith("control:nist-ai-rmf:")
        for u, v in graph.graph.edges
    )


def test_every_mapping_of_the_shipped_policies_examples_and_registers_still_resolves():
    policies = load_policies([ROOT / "policies"])
    extra = load_catalogs([ROOT / "examples" / "catalogs"])
    verify_control_ids(policies, extra)  # raises on an unknown id
    register = load_risk_registers([ROOT / "examples" / "risk-register.yaml"])
    build_risk_graph(register, policies, extra_catalogs=extra)  # raises on an unknown id
    named = {c for p in policies for r in p.rules for c in r.controls}
    named |= {c for risk in register.risks for c in risk.controls}
    named |= {m for catalog in extra for control in catalog.controls for m in control.maps_to}
    known = {c.id for catalog in all_catalogs(extra) for c in catalog.controls}
    assert {c for c in named if c.startswith("nist-ai-rmf:")} <= known
    assert "nist-ai-rmf:MEASURE-2" in named  # a category id, as before


def test_evidence_for_a_subcategory_counts_for_its_category():
    graph = build_risk_graph(None, [])
    sources = graph.evidence_sources("nist-ai-rmf:MEASURE-2")
    assert {"nist-ai-rmf:MEASURE-2", "nist-ai-rmf:MEASURE-2.11"} <= sources
    assert len([s for s in sources if s.startswith("nist-ai-rmf:MEASURE-2.")]) == 13
    assert graph.evidence_sources("nist-ai-rmf:MEASURE-2.11") == {"nist-ai-rmf:MEASURE-2.11"}


def test_catalog_list_json_gives_each_subcategory_its_parent():
    import json

    from click.testing import CliRunner

    from policygate.cli import main

    args = ["catalog", "list", "--framework", "nist-ai-rmf", "-f", "json"]
    result = CliRunner().invoke(main, args)
    (catalog,) = json.loads(result.stdout)
    controls = {c["id"]: c for c in catalog["controls"]}
    assert len(controls) == 91
    assert controls["nist-ai-rmf:MANAGE-4.3"]["parent"] == "nist-ai-rmf:MANAGE-4"
    assert "parent" not in controls["nist-ai-rmf:MANAGE-4"]
