"""A field the record fills with nothing must not make an Annex IV part complete:
``false``, blank text (typed records too: the schema asks only for a string),
``[""]`` or a map of blanks. The technical file and the pack's annex-iv rules
agree on every value."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import evaluate, load_policies
from policygate.annex_iv import technical_file
from policygate.annex_iv.build import present
from policygate.cli import main
from policygate.models import model_from_data

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies" / "eu-ai-act-classification.yaml"
NOW = "2026-11-26T00:00:00Z"
DOCUMENTS = (
    "software_versions", "distribution", "hardware", "user_interface", "instructions_for_use",
    "development_process", "design_specification", "model_card", "architecture",
    "compute_resources", "human_oversight", "explainability_report", "cybersecurity",
    "input_specification", "performance_metrics", "risk_management", "changelog", "standards",
    "declaration_of_conformity", "post_market_monitoring_plan",
)  # fmt: skip
FULL: dict[str, Any] = {
    "metadata": {"name": "cv", "version": "2", "owner": "hr-ml", "target_stage": "production"},
    "spec": {
        "risk_tier": "high",
        "intended_use": "Ranks job applications",
        "use": {"annex_iii": [{"area": 4, "point": "a"}]},
        "lineage": {
            "code": {"commit": "1a2b3c4d"},
            "training_data": [{"name": "apps", "version": "3", "datasheet": "ds.md"}],
        },
        "metrics": {"auc": 0.9},
        "evaluations": [{"dataset": "holdout", "metrics": {"auc": 0.9}}],
        "robustness": [{"test": "noise", "metric": "auc", "value": 0.88}],
        "fairness": {"metrics": [{"attribute": "sex", "metric": "dpd", "value": 0.02}]},
        "approvals": [{"role": "mro", "decision": "approved"}],
        "risks": ["R-DISCRIMINATION"],
        "monitoring": {"dashboard": "https://monitoring.example.com/cv"},
        "documentation": {key: f"docs/{key}.md" for key in DOCUMENTS},
    },
}
HOLLOW = [False, "", " ", "\t\n", "\u00a0\u3000", [""], [None, False, "  "], {"text": " "},
          {"a": None}, [[]], [{}]]  # fmt: skip


def record(data: dict[str, Any]):
    return model_from_data(data, "cv.yaml")


def with_value(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(FULL)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def pack_sections(data: dict[str, Any]) -> dict[int, tuple[str, str]]:
    report = evaluate([record(data)], load_policies([PACK]), now=NOW)
    results = {(r.rule, r.item): r.status.value for r in report.models[0].results}
    return {
        i + 1: (results[("annex-iv.sections", i)], results[("annex-iv.complete", i)])
        for i in range(9)
    }


def test_the_full_record_is_complete_in_both():
    assert {s.status for s in technical_file(record(FULL)).sections} == {"complete"}
    assert set(pack_sections(FULL).values()) == {("pass", "pass")}


@pytest.mark.parametrize("value", HOLLOW, ids=repr)
def test_a_hollow_declaration_of_conformity_leaves_section_8_missing(value):
    data = with_value(("spec", "documentation", "declaration_of_conformity"), value)
    section = technical_file(record(data)).sections[7]
    assert section.section.number == 8 and section.status == "missing"
    assert pack_sections(data)[8] == ("fail", "fail")


@pytest.mark.parametrize("value", HOLLOW, ids=repr)
def test_a_hollow_datasheet_leaves_2d_partial(value):
    data = with_value(("spec", "lineage", "training_data"), [{"name": "apps", "datasheet": value}])
    section = technical_file(record(data)).sections[1]
    (part,) = [p for p in section.parts if p.part.ref == "2(d)"]
    assert part.status == "partial" and section.status == "partial"
    assert pack_sections(data)[2] == ("pass", "fail")


def test_a_typed_record_with_a_blank_document_is_not_complete(tmp_path):
    data = with_value(("spec", "documentation", "declaration_of_conformity"), "   ")
    data = {"apiVersion": "policygate/v1", "kind": "ModelRecord", **data}
    path = tmp_path / "cv.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    args = ["docs", "annex-iv", str(path), "-p", str(PACK), "-o", str(tmp_path), "--now", NOW]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "8 complete, 0 partial, 1 missing" in result.stdout


@pytest.mark.parametrize("value", ["x", 0, 0.0, True, ["x"], [" ", "x"], {"a": "x"}, [[""]]],
                         ids=repr)  # fmt: skip
def test_a_value_that_says_something_fills_its_part(value):
    assert present(value)
    data = with_value(("spec", "documentation", "declaration_of_conformity"), value)
    assert technical_file(record(data)).sections[7].status == "complete"
    assert pack_sections(data)[8] == ("pass", "pass")


blank = st.sampled_from(["", " ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\u200b", "x"])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.lists(blank, max_size=3).map("".join)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("ab"), inner, max_size=2)
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(value=values, field=st.sampled_from(["declaration_of_conformity", "changelog"]))
def test_the_pack_and_the_file_agree_on_any_value(value, field):
    data = with_value(("spec", "documentation", field), value)
    number = 8 if field == "declaration_of_conformity" else 6
    status = technical_file(record(data)).sections[number - 1].status
    expected = ("pass", "pass") if status == "complete" else ("fail", "fail")
    assert pack_sections(data)[number] == expected
    assert (status == "complete") == present(value)
