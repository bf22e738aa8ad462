"""policygate authorize: exit 0 allowed, 1 denied, 2 usage (SPEC §8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from access_support import CREDIT_DEFAULT, CREDIT_LIMIT, NOW, POLICIES, directory_text
from click.testing import CliRunner

from policygate.cli import main

PACK = [str(POLICIES / "access"), str(POLICIES / "production-high-risk.yaml")]


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    policies = [x for p in PACK for x in ("-p", p)]
    result = CliRunner().invoke(main, ["authorize", "--now", NOW, *policies, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def directory(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("directory") / "approvers.yaml"
    path.write_text(directory_text(), encoding="utf-8")
    return str(path)


def test_a_release_manager_promotes_a_passing_model(directory):
    code, out, _ = run("--action", "set-alias", "--actor", "rita@example.com",
                       "--model", str(CREDIT_DEFAULT), "--alias", "champion",
                       "--protected-alias", "champion", "--approvers", directory)  # fmt: skip
    assert code == 0, out
    assert out.splitlines()[:3] == [
        "allowed: set-alias credit-default@3.1.0 alias champion by rita@example.com (promotion)",
        "  roles: release-manager",
        "  pass   registry-access/actor.authenticated",
    ]
    assert "  promotion policies: passed" in out


def test_roles_come_from_the_directory_only(directory):
    code, out, _ = run("--action", "set-alias", "--actor", "eve@example.com",
                       "--model", str(CREDIT_DEFAULT), "--alias", "champion",
                       "--protected-alias", "champion", "--approvers", directory)  # fmt: skip
    assert code == 1
    assert "  roles: none" in out
    assert ("  FAIL   registry-access/protected-alias.role: eve@example.com may not set-alias "
            "champion on credit-default: the release-manager role is required") in out


def test_a_failing_model_is_not_promoted_and_json_says_why(directory):
    code, out, _ = run("--action", "set-alias", "--actor", "rita@example.com",
                       "--model", str(CREDIT_LIMIT), "--alias", "champion",
                       "--protected-alias", "champion", "--approvers", directory,
                       "-f", "json")  # fmt: skip
    assert code == 1
    body = json.loads(out)
    assert body["allowed"] is False and body["is_promotion"] is True
    assert body["promotion"]["passed"] is False
    assert all(not f["rule"].startswith("registry-access/") for f in body["failing"])


def test_a_gate_tag_is_refused_to_anyone_on_the_command_line():
    code, out, _ = run("--action", "set-tag", "--actor", "rita@example.com",
                       "--name", "credit-default", "--version", "3",
                       "--tag", "policygate.decision=allowed")  # fmt: skip
    assert code == 1
    assert "registry-access/tags.gate-only" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--action", "set-alias", "--actor", "a", "--name", "m", "--version", "1"],
     "policygate: error: request.target.alias is required for set-alias\n"),
    (["--action", "delete-model", "--actor", "a"],
     "policygate: error: request.target.model is required (the registered model)\n"),
    (["--action", "set-tag", "--actor", "a", "--name", "m", "--tag", "=v"],
     "policygate: error: --tag '=v': expected KEY=VALUE\n"),
])
def test_a_request_that_cannot_be_read_is_exit_2(args, message):
    code, _, err = run(*args)
    assert code == 2
    assert err == message


def test_an_unknown_action_is_exit_2():
    code, _, err = run("--action", "promote", "--actor", "a", "--name", "m")
    assert code == 2 and "'promote' is not one of" in err


def test_without_access_policies_is_exit_2():
    result = CliRunner().invoke(main, ["authorize", "--action", "delete-model", "--actor", "a",
                                       "--name", "m", "-p", str(POLICIES / "baseline.yaml")])
    assert result.exit_code == 2
    assert "no access policy (kind: AccessPolicy) found" in result.stderr


def test_protected_aliases_come_from_the_configuration(tmp_path, monkeypatch, directory):
    (tmp_path / "policygate.yaml").write_text(
        f"approvers: [{directory}]\nregistry:\n  protected_aliases: [gold]\n"
        f"  access_policies: [{POLICIES / 'access'}]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["authorize", "--now", NOW, "--action", "set-alias",
                                       "--actor", "ron@example.com", "--name", "m",
                                       "--version", "1", "--alias", "gold"])  # fmt: skip
    assert result.exit_code == 1
    assert "(promotion)" in result.stdout
    assert "registry-access/protected-alias.role" in result.stdout
    assert "registry-access/no-self-promotion.creator" in result.stdout  # no model: an error
    assert "policygate/promotion.model" in result.stdout


def test_set_fills_what_the_record_does_not_say(tmp_path, directory):
    data = (CREDIT_DEFAULT).read_text("utf-8").replace("  created_by: alice.moreau@example.com\n",
                                                       "")
    model = tmp_path / "model.yaml"
    model.write_text(data, encoding="utf-8")
    args = ["--action", "set-alias", "--actor", "rita@example.com", "--model", str(model),
            "--alias", "champion", "--protected-alias", "champion", "--approvers", directory]
    code, out, _ = run(*args)
    assert code == 1 and "FAIL   registry-access/no-self-promotion.creator" not in out
    assert "ERROR  registry-access/no-self-promotion.creator: cannot evaluate check" in out
    code, out, _ = run(*args, "--set", "metadata.created_by=alice.moreau@example.com")
    assert code == 0, out


def test_fail_on_never_in_the_configuration_does_not_open_authorize(tmp_path, monkeypatch):
    (tmp_path / "policygate.yaml").write_text("fail_on: never\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("--action", "set-tag", "--actor", "rita@example.com", "--name", "m",
                         "--tag", "policygate.decision=allowed")  # fmt: skip
    assert code == 1, err
    assert "registry-access/tags.gate-only" in out


def test_a_risk_register_gives_the_promotion_its_risks(directory):
    code, out, _ = run("--action", "set-alias", "--actor", "rita@example.com",
                       "--model", str(CREDIT_DEFAULT), "--alias", "champion",
                       "--protected-alias", "champion", "--approvers", directory,
                       "--risk-register", str(POLICIES.parent / "examples" / "risk-register.yaml"),
                       "-f", "json")  # fmt: skip
    promoted = json.loads(out)["promotion"]["models"][0]
    assert {risk["id"] for risk in promoted["risks"]} >= {"R-DISCRIMINATION"}
    assert code == 0 and json.loads(out)["allowed"] is True
