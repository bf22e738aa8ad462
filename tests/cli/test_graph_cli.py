"""The command line of issue 3: ``check --risk-register [--require-evidence]``,
``graph gaps|impact|coverage|export`` and ``catalog list``: exit codes and
exact output, on a small project and on the shipped content."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from policygate.cli import COMMANDS, main
from policygate.validation import shipped_validator

ROOT = Path(__file__).parent.parent.parent
NOW = "2026-11-26T00:00:00Z"

FILES = {
    "policies/p.yaml": """\
        apiVersion: policygate/v1
        kind: Policy
        metadata: {name: p}
        spec:
          rules:
            - id: fair
              check: model.gap <= 0.1
              message: 'gap {model.gap}'
              controls: [eu-ai-act:art-10]
            - {id: doc, check: has(model.card), controls: [eu-ai-act:art-13]}
        """,
    "reg.yaml": """\
        apiVersion: policygate/v1
        kind: RiskRegister
        metadata: {name: reg}
        spec:
          risks:
            - {id: R-BIAS, title: Bias, controls: [eu-ai-act:art-10]}
            - id: R-OPAQUE
              title: Opaque
              controls: [eu-ai-act:art-13, eu-ai-act:art-14]
              applies_to: model.tier == "high"
            - {id: R-OPEN, title: Open}
        """,
    "models/good.yaml": """\
        name: good
        version: "1"
        tier: high
        gap: 0.05
        card: x
        risks: [R-BIAS]
        spec: {risk_tier: high}
        lineage: none
        """,
    "models/bad.yaml": """\
        name: bad
        version: "2"
        tier: low
        gap: 0.3
        card: x
        risks: [R-BIAS]
        """,
    "waivers/w.yaml": """\
        apiVersion: policygate/v1
        kind: Waiver
        metadata: {name: w}
        spec:
          rule: p/fair
          models: [bad]
          justification: j
          approved_by: carol
          expires_at: "2027-01-01T00:00:00Z"
        """,
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


INPUTS = ("models/", "-p", "policies/", "--risk-register", "reg.yaml", "--now", NOW)


def test_commands_are_registered():
    assert COMMANDS["graph"] == "policygate.cli.graph:graph"
    assert COMMANDS["catalog"] == "policygate.cli.catalog:catalog"
    assert run("graph", "--help").exit_code == 0
    assert "coverage" in run("graph", "--help").stdout


# --------------------------------------------------------------------------- check


def test_check_with_a_register_shows_risks_and_control_states(project):
    result = run("check", *INPUTS)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout == (
        "FAILED  bad@2  models/bad.yaml\n"
        "  FAIL   p/fair (error)\n"
        "         gap 0.3\n"
        "  1 pass, 1 fail, 0 error, 0 skip, 0 waived\n"
        "  risks: 1 (inherent → residual)\n"
        "    unrated  R-BIAS  Bias\n"
        "  controls called for: 1 violated, 0 waived, 0 unverified, 0 satisfied\n"
        "    violated   eu-ai-act:art-10  Data and data governance  (R-BIAS)\n"
        "\n"
        "PASSED  good@1  models/good.yaml\n"
        "  2 pass, 0 fail, 0 error, 0 skip, 0 waived\n"
        "  risks: 2 (inherent → residual)\n"
        "    unrated  R-BIAS    Bias\n"
        "    unrated  R-OPAQUE  Opaque\n"
        "  controls called for: 0 violated, 0 waived, 1 unverified, 2 satisfied\n"
        "    unverified eu-ai-act:art-14  Human oversight  (R-OPAQUE)\n"
        "    satisfied  eu-ai-act:art-10  Data and data governance  (R-BIAS)\n"
        "    satisfied  eu-ai-act:art-13  Transparency and provision of information to deployers"
        "  (R-OPAQUE)\n"
        "\n"
        "2 models, 1 passed, 1 failed · 3 pass, 1 fail, 0 error, 0 skip, 0 waived\n"
    )


def test_check_require_evidence_fails_the_high_risk_model(project):
    result = run("check", *INPUTS, "--waivers", "waivers/", "--require-evidence")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "FAILED  good@1  models/good.yaml",
        "  FAIL   policygate/evidence.required[eu-ai-act:art-14] (error)",
        "         no evaluated rule gives evidence for eu-ai-act:art-14 (Human oversight), "
        "which the model's risks call for (R-OPAQUE)",
        "         fix: Add a rule that names eu-ai-act:art-14 in its controls and applies to the "
        "model, or map an evidenced control to it in a catalog (maps_to).",
        "  2 pass, 1 fail, 0 error, 0 skip, 0 waived",
    ]
    assert "PASSED  bad@2  models/bad.yaml" in lines
    assert "    waived     eu-ai-act:art-10  Data and data governance  (R-BIAS)" in lines


def test_check_json_with_a_register_is_valid(project):
    result = run("check", *INPUTS, "-f", "json")
    report = json.loads(result.stdout)
    shipped_validator("Report").validate(report)
    assert report["risk_registers"][0]["name"] == "reg"
    assert [r["id"] for r in report["models"][1]["risks"]] == ["R-BIAS", "R-OPAQUE"]


def test_require_evidence_without_a_register_is_a_usage_error(project):
    result = run("check", "models/", "-p", "policies/", "--require-evidence")
    assert result.exit_code == 2
    assert result.stderr == "policygate: error: --require-evidence needs --risk-register\n"
    assert result.stdout == ""


def test_unknown_risk_on_a_model_is_a_load_error(project):
    (project / "models" / "odd.yaml").write_text("name: odd\nrisks: [R-BIAZ]\n")
    result = run("check", *INPUTS)
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: models/odd.yaml:2:9: unknown risk id 'R-BIAZ' in model odd: "
        "no risk register defines it; did you mean 'R-BIAS'?\n"
    )


def test_unknown_control_in_the_register_is_a_load_error(project):
    (project / "reg.yaml").write_text(
        (project / "reg.yaml").read_text().replace("eu-ai-act:art-10]", "eu-ai-act:art-100]")
    )
    result = run("check", *INPUTS)
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: reg.yaml:6:44: unknown control id 'eu-ai-act:art-100' in risk "
        "'R-BIAS'; did you mean 'eu-ai-act:art-10'?\n"
    )


def test_maps_to_cycle_in_a_catalog_is_a_load_error(project):
    (project / "mine.yaml").write_text(
        "apiVersion: policygate/v1\nkind: ControlCatalog\nmetadata: {name: mine}\n"
        "spec:\n  framework: mine\n  controls:\n"
        "    - {id: A, title: a, maps_to: ['mine:B']}\n"
        "    - {id: B, title: b, maps_to: ['mine:A']}\n"
    )
    result = run("check", "models/", "-p", "policies/", "--catalog", "mine.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: mine.yaml:8:35: maps_to cycle: mine:A -> mine:B -> mine:A\n"
    )


# --------------------------------------------------------------------------- graph


def test_graph_gaps(project):
    result = run("graph", "gaps", *INPUTS)
    assert result.exit_code == 1
    assert result.stdout == (
        "risks with no control (1)\n"
        "  R-OPEN  Open  reg.yaml:11:7\n"
        "controls called for that no rule gives evidence for (1)\n"
        "  eu-ai-act:art-14  Human oversight  (called for by R-OPAQUE)\n"
        "models with risks outside the register (0)\n"
    )


def test_graph_gaps_exits_0_without_gaps(project):
    (project / "reg.yaml").write_text(
        "apiVersion: policygate/v1\nkind: RiskRegister\nmetadata: {name: reg}\n"
        "spec:\n  risks:\n    - {id: R-BIAS, title: Bias, controls: [eu-ai-act:art-10]}\n"
    )
    result = run("graph", "gaps", *INPUTS, "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "risks_without_controls": [],
        "controls_without_evidence": [],
        "models_with_unknown_risks": [],
    }


def test_graph_gaps_lists_models_with_risks_outside_the_register(project):
    (project / "models" / "odd.yaml").write_text("name: odd\nrisks: [R-BIAZ]\n")
    result = run("graph", "gaps", *INPUTS)
    assert result.exit_code == 1
    assert result.stdout.endswith(
        "models with risks outside the register (1)\n  odd  R-BIAZ  models/odd.yaml\n"
    )


def test_graph_commands_that_need_a_register(project):
    for command in (["gaps"], ["coverage", "--framework", "eu-ai-act"]):
        result = run("graph", *command, "models/", "-p", "policies/")
        assert result.exit_code == 2
        assert result.stderr == f"policygate: error: graph {command[0]} needs --risk-register\n"


def test_graph_impact(project):
    result = run("graph", "impact", "rule:p/fair", *INPUTS)
    assert result.exit_code == 0
    assert result.stdout == (
        "rule:p/fair reaches 4 nodes\n"
        "  models (2): bad@2, good@1\n"
        "  risks (1): R-BIAS\n"
        "  controls (1): eu-ai-act:art-10\n"
    )
    as_json = run("graph", "impact", "R-OPAQUE", *INPUTS, "-f", "json")
    assert json.loads(as_json.stdout) == {
        "node": "risk:R-OPAQUE",
        "affected": {
            "model": ["good@1"],
            "risk": [],
            "control": ["eu-ai-act:art-13", "eu-ai-act:art-14"],
        },
    }


def test_graph_impact_of_an_unknown_node(project):
    result = run("graph", "impact", "R-BIAZ", *INPUTS)
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: no node 'R-BIAZ' in the graph; did you mean 'risk:R-BIAS'?\n"
    )


def test_graph_coverage(project):
    result = run("graph", "coverage", "--framework", "eu-ai-act", *INPUTS, "--waivers", "waivers/")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "eu-ai-act: EU AI Act (Regulation (EU) 2024/1689), Chapter III: high-risk AI systems",
        "20 controls · 3 called for by a risk · 2 evidenced by a rule · 0 violated · 1 unverified",
        "",
        "CONTROL   RULES  SATISFIED  VIOLATED  WAIVED  UNVERIFIED  CALLED FOR BY  TITLE",
    ]
    assert (
        "art-10        1          1         0       1           0  R-BIAS         "
        "Data and data governance"
    ) in lines
    assert lines[-2:] == [
        "unverified (no evaluated rule gives evidence):",
        "  art-14  Human oversight: good@1",
    ]
    as_json = json.loads(
        run("graph", "coverage", "--framework", "eu-ai-act", *INPUTS, "-f", "json").stdout
    )
    assert as_json["summary"]["violated"] == 1  # without the waiver


def test_graph_coverage_unknown_framework(project):
    result = run("graph", "coverage", "--framework", "gdpr", *INPUTS)
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: unknown framework 'gdpr' (known: eu-ai-act, iso-42001, nist-ai-rmf)\n"
    )


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "graphml", "json"])
def test_graph_export_to_stdout_and_file(project, fmt):
    result = run("graph", "export", "--format", fmt, *INPUTS)
    assert result.exit_code == 0 and result.stdout
    written = run("graph", "export", "--format", fmt, *INPUTS, "-o", f"graph.{fmt}")
    assert written.exit_code == 0 and written.stdout == ""
    assert (project / f"graph.{fmt}").read_text(encoding="utf-8") == result.stdout


def test_graph_export_graphml_is_readable(project):
    graph = nx.parse_graphml(run("graph", "export", "--format", "graphml", *INPUTS).stdout)
    assert graph.has_edge("model:good@1", "risk:R-OPAQUE")


def test_graph_export_unknown_format(project):
    result = run("graph", "export", "--format", "png", *INPUTS)
    assert result.exit_code == 2
    assert "'png' is not one of 'dot', 'mermaid', 'graphml', 'json'" in result.stderr


# --------------------------------------------------------------------------- catalog


def test_catalog_list_one_framework():
    result = run("catalog", "list", "--framework", "eu-ai-act")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "eu-ai-act: EU AI Act (Regulation (EU) 2024/1689), Chapter III: high-risk AI systems "
        "(2024/1689), 20 controls"
    )
    assert lines[1] == "  eu-ai-act:art-6     Classification rules for high-risk AI systems"
    assert len(lines) == 21


def test_catalog_list_everything_and_a_user_catalog():
    result = run("catalog", "list", "--catalog", str(ROOT / "examples" / "catalogs"))
    assert result.exit_code == 0
    assert result.stdout.count(" controls\n") == 4
    assert (
        "  acme-ai:OVERSIGHT-1  A named reviewer confirms every decision the model supports"
        "  -> eu-ai-act:art-14, iso-42001:A.9.2"
    ) in result.stdout.splitlines()


def test_catalog_list_json():
    data = json.loads(run("catalog", "list", "--framework", "iso-42001", "-f", "json").stdout)
    assert [c["framework"] for c in data] == ["iso-42001"]
    assert len(data[0]["controls"]) == 38
    assert data[0]["controls"][0] == {
        "id": "iso-42001:A.2.2",
        "title": "AI policy",
        "description": "",
        "maps_to": [],
    }


def test_catalog_list_unknown_framework():
    result = run("catalog", "list", "--framework", "sox")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: unknown framework 'sox' (known: eu-ai-act, iso-42001, nist-ai-rmf)\n"
    )


# --------------------------------------------------------------------------- shipped content

SHIPPED = ("examples/", "-p", "policies/", "--risk-register", "examples/risk-register.yaml",
           "--now", NOW)  # fmt: skip


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_shipped_examples_show_risks_and_every_control_state(at_root):
    result = run("check", *SHIPPED, "--waivers", "examples/waivers/", "-f", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    shipped_validator("Report").validate(report)
    states = {c["status"] for m in report["models"] for c in m["controls"] if c["risks"]}
    assert states == {"satisfied", "violated", "waived", "unverified"}
    assert all(m["risks"] for m in report["models"])
    text = run("check", *SHIPPED).stdout
    assert text.count("  risks: ") == 4 and "    unverified eu-ai-act:art-14" in text


def test_shipped_gaps_and_coverage(at_root):
    gaps = run("graph", "gaps", *SHIPPED)
    assert gaps.exit_code == 1
    assert "  R-MISUSE  The model is used outside its intended use" in gaps.stdout
    assert "  eu-ai-act:art-14  Human oversight  (called for by R-AUTOMATION-BIAS)" in gaps.stdout
    coverage = run("graph", "coverage", "--framework", "eu-ai-act", *SHIPPED)
    assert coverage.exit_code == 0
    assert "unverified (no evaluated rule gives evidence):" in coverage.stdout
    assert (
        "  art-14  Human oversight: credit-default@3.1.0, credit-limit@2.4.0, "
        "skin-lesion-triage@2.0.0"
    ) in coverage.stdout.splitlines()


def test_shipped_impact_of_a_dataset(at_root):
    result = run("graph", "impact", "dataset:ham10000", *SHIPPED)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "  models (1): skin-lesion-triage@2.0.0"
    assert "eu-ai-act:art-14" in result.stdout.splitlines()[3]
