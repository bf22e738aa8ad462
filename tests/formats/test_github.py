"""GitHub workflow commands: exact annotations, and escaping that stops command injection."""

from __future__ import annotations

import pytest

from policygate.formats import render
from policygate.formats.github import escape_data, escape_property
from policygate.report import ModelReport, PolicyUse, Report, Result, Status, WaiverUse

NOW = "2026-11-26T00:00:00Z"
RESULTS = (
    Result(policy="p", rule="ok", status=Status.PASS),
    Result(policy="p", rule="auc", status=Status.FAIL, message="AUC 0.7 < 0.8", item=0,
           remediation="Retrain.", line=12),
    Result(policy="p", rule="owner", status=Status.ERROR, severity="warning",
           message="no such key: owner"),
    Result(policy="p", rule="doc", status=Status.FAIL, severity="info", title="Docs linked"),
    Result(policy="p", rule="gap", status=Status.WAIVED, message="gap 0.18", line=30,
           waiver=WaiverUse("w1", "w.yaml", "Retraining planned.", "carol@example.com",
                            "2027-01-01T00:00:00Z", False)),
    Result(policy="p", rule="later", status=Status.SKIP, message="when is false"),
)  # fmt: skip

EXPECTED = """\
::warning file=models/m.yaml,line=1,title=m@2%3A p/owner could not evaluate::no such key: owner
::error file=models/m.yaml,line=12,title=m@2%3A p/auc[0] failed::AUC 0.7 < 0.8%0AFix: Retrain.
::notice file=models/m.yaml,line=1,title=m@2%3A p/doc failed::Docs linked
::notice file=models/m.yaml,line=30,title=m@2%3A p/gap waived::gap 0.18%0AWaived by w1 until \
2027-01-01T00:00:00Z (carol@example.com): Retraining planned.
1 model, 0 passed, 1 failed · 1 pass, 2 fail, 1 error, 1 skip, 1 waived
"""


def test_exact_annotations():
    model = ModelReport("m", "2", "models/m.yaml", False, (PolicyUse("p", True),), RESULTS)
    assert render(Report(now=NOW, fail_on="error", models=(model,)), "github") == EXPECTED


def test_nothing_evaluated_is_an_error_annotation():
    text = render(Report(now=NOW, fail_on="error", models=()), "github")
    assert text == (
        "::error title=policygate::nothing evaluated: no model found\n"
        "0 models, 0 passed, 0 failed · 0 pass, 0 fail, 0 error, 0 skip, 0 waived\n"
    )


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("100%", "100%25", "100%25"),
        ("x: y, z", "x: y, z", "x%3A y%2C z"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_escaping(raw, data, prop):
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_hostile_text_cannot_start_a_command(hostile_report):
    text = render(hostile_report, "github")
    lines = text.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == 3  # fail, error, waived: one line each, nothing forged
    assert len(lines) == 4
    for line in commands:
        head, _, _ = line.partition("::")[2].partition("::")
        assert head.split(" ", 1)[0] in {"error", "warning", "notice"}
        properties = head.split(" ", 1)[1]
        assert [p.split("=")[0] for p in properties.split(",")] == ["file", "line", "title"]


def test_examples_render(example_report):
    text = render(example_report, "github")
    assert text.count("::error ") == 2 and text.count("::notice ") == 1
    assert "line=56" in text  # credit-limit's approvals
