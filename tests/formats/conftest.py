"""Reports shared by the format tests: the shipped examples, and one full of hostile text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from policygate import evaluate, load_models, load_policies, load_waivers
from policygate.report import (
    ModelReport,
    PolicyRef,
    PolicyUse,
    Report,
    Result,
    Status,
    WaiverUse,
    control_statuses,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-26T00:00:00Z"

# Text a model record could carry, aimed at each format's syntax.
HOSTILE = (
    '<script>alert("x")</script> & <img src=http://evil.example/x.png> '
    "| pipe ::error::forged %0A\nsecond line\r\n@octo-org/security #12 `code` *bold* "
    "[link](http://evil.example) \x00\x1b[31m\ufffe end"
)


@pytest.fixture(scope="session")
def example_report() -> Report:
    """The shipped examples, policies and waiver, with paths relative to the repository."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        policies = load_policies(["policies/"])
        waivers = load_waivers(["examples/waivers/"])
        records = load_models(["examples/models/"])
    finally:
        os.chdir(cwd)
    return evaluate(records, policies, waivers=waivers, now=NOW)


def _result(status: str, rule: str, **kwargs) -> Result:
    return Result(policy="prod", rule=rule, status=Status(status), **kwargs)


@pytest.fixture(scope="session")
def hostile_report() -> Report:
    results = (
        _result(
            "fail",
            "gap",
            item=0,
            message=HOSTILE,
            remediation="Fix " + HOSTILE,
            controls=("eu-ai-act:art-10",),
            title="Gap <b>title</b>",
            line=7,
        ),
        _result("error", "missing", severity="warning", message="no such key: " + HOSTILE),
        _result(
            "waived",
            "ratio",
            message="ratio " + HOSTILE,
            waiver=WaiverUse(
                "w<1>", "w.yaml", "because " + HOSTILE, "carol@example.com", "2027-01-01T00:00:00Z",
                False,
            ),
        ),  # fmt: skip
        _result("pass", "ok", title=HOSTILE),
        _result("skip", "later", message="when is false"),
    )
    model = ModelReport(
        name=HOSTILE,
        version="1.0 <v>",
        source="models/evil <x>.yaml",
        passed=False,
        policies=(PolicyUse("prod", True),),
        results=results,
        controls=control_statuses(results),
    )
    return Report(
        now=NOW,
        fail_on="error",
        models=(model,),
        policies=(PolicyRef("prod", "1", "p.yaml", "sha256:" + "a" * 64),),
    )
