"""``policygate catalog soa``: the ISO/IEC 42001 Statement of Applicability from
the graph: every Annex A control, applicable or not and why, its status from
the evidence, in markdown, JSON and CSV, with model text kept inert."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main
from policygate.graph.build import evaluated_graph
from policygate.graph.catalogs import shipped_catalogs
from policygate.graph.register import load_risk_registers
from policygate.graph.soa import (
    EXCLUSION,
    render_csv,
    render_markdown,
    statement_of_applicability,
)
from policygate.models import model_from_data
from policygate.policy import load_policies

NOW = "2026-11-26T00:00:00Z"
POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate}
spec:
  rules:
    - id: auc
      check: 'model.auc >= 0.8'
      controls: [iso-42001:A.6.2.4]
    - id: card
      check: 'has(model.card)'
      controls: [iso-42001:A.6.2.7]
---
apiVersion: policygate/v1
kind: Policy
metadata: {name: never}
spec:
  applies_to: 'false'
  rules:
    - id: data
      check: 'true'
      controls: [iso-42001:A.7.4]
"""
REGISTER = """\
apiVersion: policygate/v1
kind: RiskRegister
metadata: {name: r}
spec:
  risks:
    - {id: R-PERF, title: Poor performance, likelihood: likely, impact: major,
       controls: [iso-42001:A.6.2.4]}
    - {id: R-NOBODY, title: Carried by no model, likelihood: rare, impact: minor,
       controls: [iso-42001:A.3.3]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "policies.yaml").write_text(POLICY)
    (tmp_path / "register.yaml").write_text(REGISTER)
    (tmp_path / "good.yaml").write_text("name: good\nversion: '1'\nauc: 0.9\ncard: c.md\n"
                                        "spec: {risks: [R-PERF]}\n")  # fmt: skip
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nversion: '1'\nauc: 0.7\nspec: {risks: [R-PERF]}\n"
    )
    return tmp_path


def soa_of(project: Path, names=("good", "bad")):
    records = [
        model_from_data(
            {"name": n, "version": "1", "auc": 0.9 if n != "bad" else 0.7, "card": "c.md",
             "spec": {"risks": ["R-PERF"]}},
            f"{n}.yaml",
        )
        for n in names
    ]  # fmt: skip
    policies = load_policies([project / "policies.yaml"])
    register = load_risk_registers([project / "register.yaml"])
    risk_graph, report = evaluated_graph(records, policies, register, now=NOW)
    return statement_of_applicability(risk_graph, report)


def by_id(soa):
    return {c.id.removeprefix("iso-42001:"): c for c in soa.controls}


def test_every_annex_a_control_once_in_catalog_order(project):
    soa = soa_of(project)
    (iso,) = [c for c in shipped_catalogs() if c.framework == "iso-42001"]
    assert [c.id for c in soa.controls] == [c.id for c in iso.controls]
    assert len(soa.controls) == 38


def test_applicability_justification_and_status(project):
    controls = by_id(soa_of(project))
    perf = controls["A.6.2.4"]
    assert (perf.applicable, perf.status) == (True, "violated")  # bad fails, good passes
    assert perf.justification == (
        "called for by risk R-PERF; evidenced by 1 rule; 1 model(s) violated; 1 model(s) satisfied"
    )
    assert perf.rules == ("gate/auc",)
    card = controls["A.6.2.7"]
    assert (card.applicable, card.status, card.risks) == (True, "satisfied", ())
    # called for by a risk that no model carries: applicable, and nothing proves it
    nobody = controls["A.3.3"]
    assert (nobody.applicable, nobody.status) == (True, "unverified")
    assert nobody.justification == (
        "called for by risk R-NOBODY; no rule gives evidence for it; no model in scope has it"
    )
    # a rule of a policy that applied to no model is no evidence
    data = controls["A.7.4"]
    assert (data.applicable, data.status, data.rules) == (False, "not applicable", ())
    assert data.justification == EXCLUSION


def test_csv_has_a_row_per_control_and_no_formula(project):
    soa = soa_of(project, names=("=HYPERLINK(1)", "bad"))
    rows = list(csv.reader(io.StringIO(render_csv(soa))))
    assert rows[0] == ["control", "title", "applicable", "justification", "status", "risks",
                       "rules", "models"]  # fmt: skip
    assert len(rows) == 39
    perf = next(r for r in rows if r[0] == "A.6.2.4")
    assert perf[7] == "satisfied: =HYPERLINK(1)@1; violated: bad@1"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_csv_cell_that_would_be_a_formula_is_marked_as_text():
    from policygate.graph.soa import _inert_cell

    assert [_inert_cell(v) for v in ("=1+1", "+1", "-1", "@SUM", "A.2.2")] == [
        "'=1+1", "'+1", "'-1", "'@SUM", "A.2.2",
    ]  # fmt: skip


def test_markdown_keeps_model_text_inert(project):
    soa = soa_of(project, names=("<img src=x onerror=alert(1)>|x", "bad"))
    text = render_markdown(soa)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;\\|x@1" in text
    assert text.startswith("# Statement of Applicability: ISO/IEC 42001:2023 Annex A\n")
    assert "\n3 of 38 Annex A controls apply to 2 models (" in text


@pytest.mark.parametrize("fmt", ["markdown", "json", "csv"])
def test_the_command(project, fmt):
    args = ["catalog", "soa", str(project / "good.yaml"), str(project / "bad.yaml"),
            "-p", str(project / "policies.yaml"), "--risk-register",
            str(project / "register.yaml"), "--now", NOW, "-f", fmt]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        document = json.loads(result.stdout)
        assert document["framework"] == "iso-42001" and document["applicable"] == 3
        assert len(document["controls"]) == 38


def test_an_unknown_format_is_a_usage_error(project):
    result = CliRunner().invoke(main, ["catalog", "soa", "-f", "xlsx"])
    assert result.exit_code == 2 and "xlsx" in result.stderr


def test_the_command_writes_to_a_file(project):
    out = project / "soa.csv"
    args = ["catalog", "soa", str(project / "good.yaml"), "-p", str(project / "policies.yaml"),
            "-f", "csv", "-o", str(out), "--now", NOW]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text().startswith("control,title,applicable,")


def test_a_control_is_as_bad_as_its_worst_model(project):
    """Adding a model never makes a control's status better."""
    order = ["satisfied", "unverified", "waived", "violated"]
    one = by_id(soa_of(project, names=("good",)))
    both = by_id(soa_of(project, names=("good", "bad")))
    for control, entry in one.items():
        if entry.applicable:
            assert order.index(both[control].status) >= order.index(entry.status)
    assert (one["A.6.2.4"].status, both["A.6.2.4"].status) == ("satisfied", "violated")
