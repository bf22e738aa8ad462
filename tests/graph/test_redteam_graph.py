"""Records the graph is built from are written by the teams being judged: a
second record of a failing model's name@version, one that passes, must not
make the graph say the model passed."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import load_policies
from policygate.cli import main
from policygate.documents import load_file, to_yaml
from policygate.evaluate import evaluate
from policygate.graph.build import MODEL, load_risk_graph
from policygate.models import load_models, model_from_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "models"
FAILING = EXAMPLES / "credit-limit-fails-fairness-and-expired-approval.yaml"
PASSING = EXAMPLES / "credit-default-passes.yaml"
REGISTER = ROOT / "examples" / "risk-register.yaml"
NOW = "2026-11-26T00:00:00Z"


def impostor(folder: Path, name: str) -> Path:
    """The passing example, renamed to the failing example's name and version."""
    failing = load_file(FAILING)[0].data["metadata"]
    data = load_file(PASSING)[0].data
    data["metadata"]["name"], data["metadata"]["version"] = failing["name"], failing["version"]
    path = folder / name
    path.write_text(to_yaml(data), encoding="utf-8")
    return path


def model_nodes(records):
    policies = load_policies([ROOT / "policies"])
    risk_graph = load_risk_graph([REGISTER], policies)
    report = evaluate(records, policies, now=NOW, risk_graph=risk_graph)
    graph = risk_graph.with_models(report, records).graph
    return report, [d for _, d in graph.nodes(data=True) if d["kind"] == MODEL]


@pytest.mark.parametrize("copies", [1, 2])
def test_a_passing_record_of_a_failing_models_name_leaves_it_failed(tmp_path, copies):
    records = load_models([FAILING, *(impostor(tmp_path, f"same-{i}.yaml") for i in range(copies))])
    for order in itertools.permutations(records):
        report, nodes = model_nodes(list(order))
        assert len(nodes) == 1
        (node,) = nodes
        assert [m.passed for m in report.models].count(False) == 1
        assert node["passed"] is False
        assert set(node["source"].split(", ")) == {r.source for r in records}


def test_graph_export_says_the_model_failed(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "a.yaml").write_text(FAILING.read_text(encoding="utf-8"), encoding="utf-8")
    impostor(folder, "b.yaml")
    result = CliRunner().invoke(
        main,
        ["graph", "export", "--format", "json", str(folder), "-p", str(ROOT / "policies"),
         "--risk-register", str(REGISTER), "--now", NOW],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (node,) = [n for n in json.loads(result.output)["nodes"] if n["kind"] == MODEL]
    assert node["passed"] is False
    assert "a.yaml" in node["source"] and "b.yaml" in node["source"]


def test_one_record_keeps_its_own_verdict_and_source():
    records = load_models([PASSING])
    _, (node,) = model_nodes(records)
    assert node["passed"] is True and node["source"] == records[0].source


def kindless_example(tier: object) -> dict:
    """The passing example without apiVersion/kind (not schema-checked), at ``tier``."""
    data = load_file(PASSING)[0].data
    del data["apiVersion"], data["kind"]
    if tier is None:
        del data["spec"]["risk_tier"]
    else:
        data["spec"]["risk_tier"] = tier
    return data


def required(tier: object) -> tuple[list[str], list[str]]:
    """The controls --require-evidence fails, and the unverified ones risks call for."""
    records = [model_from_data(kindless_example(tier), "credit-default.yaml")]
    policies = load_policies([ROOT / "policies"])
    risk_graph = load_risk_graph([REGISTER], policies)
    report = evaluate(records, policies, now=NOW, risk_graph=risk_graph, require_evidence=True)
    (model,) = report.models
    failed = [r.item for r in model.results if r.rule == "evidence.required"]
    unverified = [c.id for c in model.controls if c.risks and c.status.value == "unverified"]
    return failed, unverified


@pytest.mark.parametrize("tier", ["high", "High", "HIGH", " high", "high\u200b", ["high"], 3,
                                  None, ""])  # fmt: skip
def test_require_evidence_judges_a_tier_it_cannot_read_as_high(tier):
    failed, unverified = required(tier)
    assert failed == unverified != []
    assert not model_passes(tier)


def model_passes(tier: object) -> bool:
    records = [model_from_data(kindless_example(tier), "credit-default.yaml")]
    policies = load_policies([ROOT / "policies"])
    risk_graph = load_risk_graph([REGISTER], policies)
    report = evaluate(records, policies, now=NOW, risk_graph=risk_graph, require_evidence=True)
    return report.models[0].passed


@pytest.mark.parametrize("tier", ["minimal", "limited"])
def test_require_evidence_spares_the_lower_tiers(tier):
    failed, unverified = required(tier)
    assert failed == [] and unverified != []


def mermaid_of(names: list[str]) -> str:
    from policygate.graph.export import to_mermaid

    data = kindless_example("high")
    data["spec"]["lineage"]["training_data"] = [{"name": n} for n in names]
    records = [model_from_data(data, "credit-default.yaml")]
    policies = load_policies([ROOT / "policies"])
    risk_graph = load_risk_graph([REGISTER], policies)
    report = evaluate(records, policies, now=NOW, risk_graph=risk_graph)
    return to_mermaid(risk_graph.with_models(report, records))


def statements_stay_inert(text: str, names: list[str]) -> None:
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    for line in lines[1:]:
        # a node, its quoted label holding no tag; or an edge between two nodes
        assert re.fullmatch(r'  n\d+(\[\("[^"<>]*"\)\]|[\[({]+"[^"<>]*"[\])}]+)', line) or (
            re.fullmatch(r"  n\d+ -->\|[a-z_]+\| n\d+", line)
        ), line
    assert len([line for line in lines if line.startswith("  n") and "dataset: " in line]) == len(
        set(names)
    )


HOSTILE = ['<img src=x onerror="alert(1)">', '<a href="https://evil.example">x</a>',
           "a\r  click n0 href \"https://evil.example\"", "b\u2028style n0 fill:red",
           "c\x85d", "e\x0bf\x0cg", 'h"]; n0 --> n1']  # fmt: skip


def test_mermaid_export_keeps_record_text_out_of_the_markup():
    statements_stay_inert(mermaid_of(HOSTILE), HOSTILE)


@settings(max_examples=40, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4, unique=True))
def test_every_dataset_name_is_one_inert_mermaid_statement(names):
    statements_stay_inert(mermaid_of(names), names)


FORGING = ["R-X\nmodels with risks outside the register (0)", "R-Y\x1b[2J\x1b[H", "R-Z\u202eKO"]


DATASET = "dataset:consumer-applications-2019-2025"


@pytest.mark.parametrize(
    "command", [["gaps"], ["coverage", "--framework", "eu-ai-act"], ["impact", DATASET]]
)
def test_graph_text_outputs_keep_record_text_on_its_line(tmp_path, command):
    data = kindless_example("high")
    data["metadata"]["name"] = "credit\ndefault\x1b[31m"
    data["spec"]["risks"] = [*data["spec"]["risks"], *FORGING]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    args = ["graph", *command, str(path), "-p", str(ROOT / "policies"),
            "--risk-register", str(REGISTER), "--now", NOW]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    assert not re.search("[\x1b\u202e\r]", result.output)
    assert "credit\\x0adefault\\x1b[31m" in result.output
    if command == ["gaps"]:
        headings = [line for line in result.output.splitlines() if line.startswith("models ")]
        assert headings == ["models with risks outside the register (1)"]
        assert "R-X\\x0amodels with risks outside the register (0)" in result.output
