"""explain and diff on access policies: the request they judge is given with --request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from access_support import CREDIT_DEFAULT, NOW, POLICIES, record, request
from click.testing import CliRunner

from policygate import UsageError, load_access_policies, load_models
from policygate.cli import main
from policygate.diff import diff
from policygate.explain import explain
from policygate.report import Status

PACK = POLICIES / "access"
SAM = {**request(actor="sam@example.com", roles=("ml-engineer",), version="3.1.0"),
       "protected": {"aliases": ["champion"]}}  # fmt: skip


@pytest.fixture(scope="module")
def pack():
    return load_access_policies([PACK])


def test_explain_traces_an_access_rule_on_its_request(pack):
    [model] = load_models([CREDIT_DEFAULT])
    explanation = explain(model, pack, "protected-alias.role", now=NOW, request=SAM)
    assert explanation.status is Status.FAIL
    parts = {p.text: p.value for p in explanation.items[0].check.parts}
    assert parts["request.actor.roles"] == ["ml-engineer"]


def test_explain_needs_the_request_of_an_access_rule(pack):
    [model] = load_models([CREDIT_DEFAULT])
    with pytest.raises(UsageError, match="is an access policy: its rules judge a request"):
        explain(model, pack, "protected-alias.role", now=NOW)


def test_explain_refuses_a_rule_that_does_not_judge_the_action(pack):
    [model] = load_models([CREDIT_DEFAULT])
    with pytest.raises(UsageError, match="does not judge set-alias"):
        explain(model, pack, "tags.gate-only", now=NOW, request=SAM)


def test_diff_compares_access_policies_on_a_request(pack, tmp_path):
    text = (PACK / "registry-access.yaml").read_text("utf-8")
    head_file = tmp_path / "head.yaml"
    head_file.write_text(text.replace("release_role: release-manager",
                                      "release_role: ml-engineer"), encoding="utf-8")
    head = load_access_policies([head_file])
    impact = diff([record()], pack, head, now=NOW, request=SAM)
    assert [(c.rule, c.base, c.head) for c in impact.changes] == [
        ("registry-access/protected-alias.role", "fail", "pass")]


def _write_request(tmp_path: Path) -> str:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(SAM), encoding="utf-8")
    return str(path)


def test_explain_cli_takes_request(tmp_path):
    result = CliRunner().invoke(main, ["explain", str(CREDIT_DEFAULT), "-p", str(PACK),
                                       "--rule", "protected-alias.role", "--now", NOW,
                                       "--request", _write_request(tmp_path)])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "request.actor.roles  [\"ml-engineer\"]" in result.stdout


def test_diff_cli_takes_request(tmp_path):
    result = CliRunner().invoke(main, ["diff", str(CREDIT_DEFAULT), "--base", str(PACK),
                                       "--head", str(PACK), "--now", NOW,
                                       "--request", _write_request(tmp_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("no change\n")
