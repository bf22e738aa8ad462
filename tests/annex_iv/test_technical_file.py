"""The Annex IV technical file: the sections and points of Annex IV, their
status from the record (and the shipped pack agreeing with it), the gate
results and risks it adds, the drafts' escaping, and ``policygate docs annex-iv``."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import evaluate, load_policies
from policygate.annex_iv import render_html, render_markdown, technical_file
from policygate.annex_iv.sections import DATASHEETS, SECTIONS
from policygate.cli import main
from policygate.cli.docs_cmd import file_stem
from policygate.models import model_from_data

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies" / "eu-ai-act-classification.yaml"
NOW = "2026-11-26T00:00:00Z"

FULL: dict[str, Any] = {
    "apiVersion": "policygate/v1",
    "kind": "ModelRecord",
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
        "robustness": [{"test": "typos", "metric": "auc", "value": 0.88, "baseline": 0.9}],
        "fairness": {"metrics": [{"attribute": "sex", "metric": "dpd", "value": 0.02}]},
        "approvals": [{"role": "mro", "approver": "bob@example.com", "decision": "approved"}],
        "risks": ["R-DISCRIMINATION"],
        "monitoring": {"dashboard": "https://monitoring.example.com/cv"},
        "documentation": {
            key: f"docs/{key}.md"
            for key in (
                "software_versions",
                "distribution",
                "hardware",
                "user_interface",
                "instructions_for_use",
                "development_process",
                "design_specification",
                "model_card",
                "architecture",
                "compute_resources",
                "human_oversight",
                "explainability_report",
                "cybersecurity",
                "input_specification",
                "performance_metrics",
                "risk_management",
                "changelog",
                "standards",
                "declaration_of_conformity",
                "post_market_monitoring_plan",
            )
        },  # fmt: skip
    },
}
SOURCES = sorted(
    {(s.path, s.kind) for sec in SECTIONS for p in sec.parts if not p.optional for s in p.sources}
)


def record(data: dict[str, Any]):
    return model_from_data(data, "cv.yaml")


def without(data: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return data
    if isinstance(node, dict):
        node.pop(path[-1], None)
    return data


def test_annex_iv_has_its_nine_sections_and_their_points():
    assert [s.number for s in SECTIONS] == list(range(1, 10))
    refs = [p.ref for s in SECTIONS for p in s.parts]
    assert [r for r in refs if r.startswith("1(")] == [f"1({c})" for c in "abcdefgh"]
    assert [r for r in refs if r.startswith("2(")] == [f"2({c})" for c in "abcdefgh"]
    optional = [p.ref for s in SECTIONS for p in s.parts if p.optional]
    assert optional == ["1(b)", "1(f)", "2(f)"]  # "where applicable" in the text
    assert "Art. 72(3)" in SECTIONS[8].title and "Art. 47" in SECTIONS[7].title
    assert "Art. 9" in SECTIONS[4].title


def test_a_full_record_is_complete():
    tf = technical_file(record(FULL))
    assert tf.counts() == {"complete": 9, "partial": 0, "missing": 0}
    assert all(not s.missing for s in tf.sections)


def test_an_empty_record_is_missing_every_section_but_what_metadata_gives():
    tf = technical_file(record({"metadata": {"name": "m", "version": "1"}}))
    statuses = [s.status for s in tf.sections]
    assert statuses == ["partial"] + ["missing"] * 8  # 1(a): the version is there


def test_a_missing_part_names_its_field():
    data = without(FULL, ("spec", "documentation", "hardware"))
    section = technical_file(record(data)).sections[0]
    assert section.status == "partial"
    assert [m.dotted for m in section.missing] == ["spec.documentation.hardware"]


def test_a_dataset_without_datasheet_leaves_2d_partial():
    data = copy.deepcopy(FULL)
    data["spec"]["lineage"]["training_data"].append({"name": "extra"})
    (part,) = [p for p in technical_file(record(data)).sections[1].parts if p.part.ref == "2(d)"]
    assert part.status == "partial" and part.missing[0].kind == DATASHEETS


def test_an_optional_part_never_makes_a_section_partial():
    tf = technical_file(record(FULL))
    (part,) = [p for p in tf.sections[0].parts if p.part.ref == "1(b)"]
    assert part.status == "not declared" and tf.sections[0].status == "complete"
    text = render_markdown(tf)
    assert "- not declared: interactions with other hardware or software" in text
    assert "**missing**" not in text


# ── the pack judges the same sources as the file ───────────────────────────────


@settings(max_examples=30, deadline=None)
@given(removed=st.sets(st.sampled_from(SOURCES)))
def test_the_pack_and_the_file_agree_on_every_section(removed):
    data = FULL
    for path, kind in removed:
        if kind == DATASHEETS:
            data = copy.deepcopy(data)
            data["spec"]["lineage"]["training_data"] = [{"name": "no-datasheet"}]
        else:
            data = without(data, path)
    tf = technical_file(record(data))
    report = evaluate([record(data)], load_policies([PACK]), now=NOW)
    results = {(r.rule, r.item): r.status.value for r in report.models[0].results}
    for index, section in enumerate(tf.sections):
        assert results[("annex-iv.sections", index)] == (
            "fail" if section.status == "missing" else "pass"
        ), section.section.number
        assert results[("annex-iv.complete", index)] == (
            "pass" if section.status == "complete" else "fail"
        ), section.section.number


# ── what the evaluation adds, and the drafts ───────────────────────────────────


def test_gate_results_and_risks_go_to_sections_2_and_5():
    register = ROOT / "examples" / "risk-register.yaml"
    from policygate.graph.build import load_risk_graph

    policies = load_policies([PACK])
    data = copy.deepcopy(FULL)
    del data["spec"]["documentation"]["hardware"]
    graph = load_risk_graph([register], policies, records=[record(data)])
    report = evaluate([record(data)], policies, now=NOW, risk_graph=graph)
    tf = technical_file(record(data), report.models[0])
    assert tf.gate == "passed"  # a partial section is a warning
    assert tf.sections[1].notes[0].startswith("Gate results for cv@2: passed (")
    (note,) = [n for n in tf.sections[4].notes if n.startswith("Risk R-DISCRIMINATION (")]
    assert "likelihood likely, impact major, rated critical, residual critical;" in note


HOSTILE = "<script>alert(1)</script> [x](javascript:alert(1)) @team \u202e <img src=x>"


def test_the_drafts_escape_everything_from_the_record():
    data = copy.deepcopy(FULL)
    data["metadata"]["name"] = "<b>cv</b>"
    data["spec"]["intended_use"] = HOSTILE
    data["spec"]["documentation"]["hardware"] = 'x" onmouseover="alert(1)'
    tf = technical_file(record(data))
    html = render_html(tf)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "\\u202e" in html
    assert 'onmouseover="' not in html
    # self-contained: nothing is fetched, nothing runs
    assert "default-src 'none'" in html
    assert not re.search(r"<[^>]*\s(src|href|on\w+)=", html) and "<link" not in html
    markdown = render_markdown(tf)
    assert "<script" not in markdown and "\\[x\\](javascript" in markdown  # a literal, no link
    assert "&lt;script&gt;" in markdown and "@\u200bteam" in markdown


@pytest.mark.parametrize(("ref", "stem"), [
    ("cv@2.0.0", "cv-2.0.0-annex-iv"),
    ("../../etc/passwd@1", "_.._etc_passwd-1-annex-iv"),
    ("..@..", "-..-annex-iv"),
    ("a/b\\c d@1", "a_b_c_d-1-annex-iv"),
])  # fmt: skip
def test_file_names_stay_in_the_directory(ref, stem):
    assert file_stem(ref) == stem
    assert "/" not in stem and "\\" not in stem and not stem.startswith(".")


def write(path: Path, data: dict[str, Any]) -> Path:
    import json

    path.write_text(json.dumps(data))
    return path


def test_docs_annex_iv_writes_both_drafts(tmp_path):
    model = write(tmp_path / "cv.json", FULL)
    out = tmp_path / "out"
    args = ["docs", "annex-iv", str(model), "-p", str(PACK), "-o", str(out), "--now", NOW]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["cv-2-annex-iv.html", "cv-2-annex-iv.md"]
    assert result.stdout.startswith("cv@2: 9 complete, 0 partial, 0 missing: ")
    text = (out / "cv-2-annex-iv.md").read_text()
    assert text.startswith("# Technical documentation (Annex IV): cv@2\n")
    assert "## 9. The post-market monitoring system (Art. 72)" in text


def test_docs_annex_iv_exits_1_when_a_section_is_missing(tmp_path):
    data = without(FULL, ("spec", "documentation", "declaration_of_conformity"))
    model = write(tmp_path / "cv.json", data)
    args = ["docs", "annex-iv", str(model), "-p", str(PACK), "-o", str(tmp_path), "--now", NOW]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "8 complete, 0 partial, 1 missing" in result.stdout
    text = (tmp_path / "cv-2-annex-iv.md").read_text()
    assert "## 8. A copy of the EU declaration of conformity (Art. 47) — ❌ missing" in text
    field = "spec.documentation.declaration\\_of\\_conformity"
    assert f"- **missing**: EU declaration of conformity ({field})" in text


def test_docs_annex_iv_takes_set_and_an_unknown_control_is_a_load_error(tmp_path):
    data = without(FULL, ("spec", "documentation", "declaration_of_conformity"))
    model = write(tmp_path / "cv.json", data)
    args = ["docs", "annex-iv", str(model), "-p", str(PACK), "-o", str(tmp_path), "--now", NOW,
            "--set", "spec.documentation.declaration_of_conformity=docs/doc.pdf"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  rules:\n"
        "    - {id: r, check: 'true', controls: ['eu-ai-act:art-999']}\n"
    )
    result = CliRunner().invoke(main, ["docs", "annex-iv", str(model), "-p", str(bad)])
    assert result.exit_code == 2 and "unknown control id 'eu-ai-act:art-999'" in result.stderr


def test_the_pack_on_a_full_record_and_a_wide_use_stays_far_below_the_budget():
    """Counted in cost units, not timed: each rule of the pack costs under a tenth
    of the default budget on a record that fills every part and declares a use
    in every area of Annex III, every Art. 5 practice and Art. 50 obligations."""
    from policygate.cel.budget import Budget, Meter

    data = copy.deepcopy(FULL)
    data["spec"]["use"] = {
        "annex_iii": [{"area": a, "point": "a"} for a in (1, 3, 4, 5, 6, 7, 8)] + [{"area": 2}],
        "prohibited_practices": [{"point": p} for p in "abcdefgh"],
        "transparency": ["interaction", "deep-fake"],
        "annex_i": {"role": "product", "third_party_conformity_assessment": True},
    }
    spent: list[int] = []
    original = Meter.begin

    def recording(self: Meter) -> None:
        spent.append(self.spent)
        original(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Meter, "begin", recording)
        evaluate([record(data), record(data)], load_policies([PACK]), now=NOW)
    assert max(spent) > 0 and max(spent) < Budget().cost // 10


RANK = {"missing": 0, "partial": 1, "complete": 2}


@settings(max_examples=30, deadline=None)
@given(removed=st.sets(st.sampled_from(SOURCES)), restored=st.sets(st.sampled_from(SOURCES)))
def test_filling_a_field_never_lowers_a_section(removed, restored):
    def strip(paths):
        data = FULL
        for path, kind in paths:
            if kind != DATASHEETS:
                data = without(data, path)
        return technical_file(record(data))

    fewer, more = strip(removed), strip(removed - restored)
    for a, b in zip(fewer.sections, more.sections, strict=True):
        assert RANK[b.status] >= RANK[a.status], a.section.number


def test_two_models_whose_names_give_one_file_name_get_two_drafts(tmp_path):
    """``a/b`` and ``a:b`` (or one record twice in the directory) were written to
    the same file: the second draft replaced the first, and both lines named it."""
    models = tmp_path / "models"
    models.mkdir()
    complete = copy.deepcopy(FULL)
    complete["metadata"]["name"] = "a/b"
    partial = without(FULL, ("spec", "documentation", "declaration_of_conformity"))
    partial["metadata"]["name"] = "a:b"
    write(models / "1.json", complete)
    write(models / "2.json", partial)
    out = tmp_path / "out"
    args = ["docs", "annex-iv", str(models), "-p", str(PACK), "-o", str(out), "--now", NOW]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    drafts = sorted(p.name for p in out.iterdir() if p.suffix == ".md")
    assert len(drafts) == 2, drafts
    titles = sorted((out / d).read_text().splitlines()[0] for d in drafts)
    assert titles == ["# Technical documentation (Annex IV): a/b@2",
                      "# Technical documentation (Annex IV): a:b@2"]  # fmt: skip


def test_the_summary_line_of_a_model_name_holding_a_newline_is_one_line(tmp_path):
    data = copy.deepcopy(FULL)
    data["metadata"]["name"] = "cv@2: 9 complete, 0 partial, 0 missing: ok.md\nforged"
    model = write(tmp_path / "cv.json", data)
    args = ["docs", "annex-iv", str(model), "-p", str(PACK), "-o", str(tmp_path), "--now", NOW]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1, result.stdout
    assert "\\x0a" in result.stdout
