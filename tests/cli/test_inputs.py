"""Every command that evaluates models takes the same evaluation inputs (SPEC §5,
issue 18): its options are RunSpec's, with the same names, flags and meaning, and
what it leaves out is listed with a reason. Run with ``--approvers``, each of them
judges signed approvals verified, as ``check`` does."""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import policygate
from policygate.cli import main
from policygate.run import RunSpec

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "models" / "credit-default-passes.yaml"
NOW = "2026-11-26T00:00:00Z"
BOB = "bob.lindqvist@example.com"

# Each evaluating command, the module holding it, and how to reach it from main.
COMMANDS = {
    "check": ("policygate.cli.check", ("check",)),
    "explain": ("policygate.cli.explain", ("explain",)),
    "diff": ("policygate.cli.diff", ("diff",)),
    "audit": ("policygate.cli.audit", ("audit",)),
    "promote": ("policygate.cli.promote", ("promote",)),
    "authorize": ("policygate.cli.authorize", ("authorize",)),
    "serve": ("policygate.cli.serve", ("serve",)),
    "test": ("policygate.cli.test", ("test",)),
    "docs annex-iv": ("policygate.cli.docs_cmd", ("docs", "annex-iv")),
}
SIGNED = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: signed}
spec:
  params: {min_auc: 0.5}
  rules:
    - id: signed
      check: >-
        model.spec.approvals.exists(a, a.verified) && model.spec.metrics.auc >= params.min_auc
"""
PLAIN = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: signed}
spec:
  params: {min_auc: 0.5}
  rules:
    - {id: auc, check: 'model.spec.metrics.auc >= params.min_auc'}
"""
OPEN_ACCESS = """\
apiVersion: policygate/v1
kind: AccessPolicy
metadata: {name: open}
spec:
  rules:
    - {id: anyone, actions: [set-alias], check: 'true'}
"""


def _command(name: str) -> click.Command:
    command: click.Command = main
    for part in COMMANDS[name][1]:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), part)
        assert found is not None, part
        command = found
    return command


def _excluded(name: str) -> dict[str, str]:
    module = importlib.import_module(COMMANDS[name][0])
    return dict(getattr(module, "EXCLUDED", {}))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_evaluating_command_takes_every_evaluation_input_but_those_it_names(name):
    command = _command(name)
    options = {p.name: p for p in command.params if isinstance(p, click.Option)}
    excluded = _excluded(name)
    assert set(excluded) <= {field for field, _ in RunSpec.options()}, "an unknown field"
    for field, option in RunSpec.options():
        dest = option.dest or field
        if field in excluded:
            assert excluded[field].strip(), f"{name}: {field} is left out without a reason"
            assert dest not in options, f"{name} takes {field} yet lists it as left out"
            continue
        assert dest in options, f"{name} lacks {option.flags[-1]} and does not say why"
        given = options[dest]
        assert tuple(given.opts) == option.flags, (name, field)  # same spelling everywhere
        assert given.multiple == option.multiple, (name, field)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_says_in_its_help_which_inputs_it_leaves_out_and_why(name):
    excluded = _excluded(name)
    shown = " ".join(run(*COMMANDS[name][1], "--help").stdout.split())
    flags = {field: option.flags[-1] for field, option in RunSpec.options()}
    for field, reason in excluded.items():
        assert f"{flags[field]}: " in shown or f"{flags[field]}, " in shown, (name, field)
        assert " ".join(reason.split()) in shown, (name, field)


def test_the_commands_leave_out_only_what_cannot_apply():
    """The exclusions are few: every command but test takes the approvers, the risk
    registers, the params, --set and the limits."""
    everywhere = {"approvers", "risk_registers", "params", "set", "limits", "waivers", "inputs"}
    for name in COMMANDS:
        if name != "test":
            assert not everywhere & set(_excluded(name)), name
    assert set(_excluded("test")) == {f for f, _ in RunSpec.options()} - {"limits"}


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def signed(tmp_path, monkeypatch):
    """A record signed by Bob, his approvers directory, and two policies: one whose
    rule needs a verified approval, one that does not look at approvals."""
    monkeypatch.chdir(tmp_path)
    key = run("keygen", "bob.pem")
    assert key.exit_code == 0, key.stderr
    Path("approvers.yaml").write_text(
        "apiVersion: policygate/v1\nkind: Approvers\nmetadata: {name: acme}\nspec:\n"
        f"  approvers:\n    - {{id: {BOB}, roles: [model-risk-officer], "
        f"keys: [{{public_key: '{key.stdout.strip()}'}}]}}\n",
        encoding="utf-8",
    )
    shutil.copy(EXAMPLE, "model.yaml")
    approved = run("approve", "model.yaml", "--role", "model-risk-officer", "--key", "bob.pem",
                   "--approvers", "approvers.yaml", "--risk-assessment", "RA-2026-044",
                   "--now", "2026-11-20T00:00:00Z")  # fmt: skip
    assert approved.exit_code == 0, approved.stderr
    Path("signed.yaml").write_text(SIGNED, encoding="utf-8")
    Path("plain.yaml").write_text(PLAIN, encoding="utf-8")
    Path("access.yaml").write_text(OPEN_ACCESS, encoding="utf-8")
    return tmp_path


VERIFIED = ("--approvers", "approvers.yaml")


def test_check_verifies_approvals_with_approvers(signed):
    assert run("check", "model.yaml", "-p", "signed.yaml", "--now", NOW, *VERIFIED).exit_code == 0
    assert run("check", "model.yaml", "-p", "signed.yaml", "--now", NOW).exit_code == 1


def test_explain_verifies_approvals_with_approvers_as_check_does(signed):
    args = ("explain", "model.yaml", "-p", "signed.yaml", "--rule", "signed", "--now", NOW)
    verified = run(*args, *VERIFIED)
    assert verified.exit_code == 0, verified.output
    assert "\nstatus: pass\n" in verified.stdout
    unverified = run(*args)
    assert unverified.exit_code == 1
    assert "\nstatus: fail\n" in unverified.stdout


def test_diff_evaluates_both_sides_with_the_approvers(signed):
    args = ("diff", "model.yaml", "--base", "plain.yaml", "--head", "signed.yaml", "--now", NOW)
    verified = run(*args, *VERIFIED)
    assert verified.exit_code == 0, verified.stdout
    unverified = run(*args)
    assert unverified.exit_code == 1
    assert "signed/signed" in unverified.stdout


@pytest.mark.parametrize("name", ["explain", "diff"])
def test_explain_and_diff_also_write_reports(signed, name):
    args = {"explain": ("explain", "model.yaml", "-p", "signed.yaml", "--rule", "signed"),
            "diff": ("diff", "model.yaml", "--base", "plain.yaml", "--head", "signed.yaml")}[name]
    result = run(*args, "--now", NOW, *VERIFIED, "--report", "json=out.json")
    assert result.exit_code == 0, result.output
    assert json.loads(Path("out.json").read_text(encoding="utf-8"))  # the JSON, besides
    assert result.stdout == run(*args, "--now", NOW, *VERIFIED).stdout  # the text on stdout
    assert run(*args, "--report", "xml=out.xml").exit_code == 2


def test_audit_verifies_approvals_with_approvers(signed):
    args = ("audit", "model.yaml", "-p", "signed.yaml", "--now", NOW, "-q")
    assert run(*args, *VERIFIED).exit_code == 0
    assert run(*args).exit_code == 1


def test_audit_in_worker_processes_loads_the_same_run(signed):
    args = ("audit", "model.yaml", "model.yaml", "-p", "signed.yaml", "--now", NOW, "-j", "2",
            "-f", "json")  # fmt: skip
    serial = run(*args[:-4], "-f", "json", *VERIFIED)
    parallel = run(*args, *VERIFIED)
    assert parallel.exit_code == serial.exit_code == 0
    assert parallel.stdout == serial.stdout


def test_authorize_judges_a_promotion_with_verified_approvals(signed):
    args = ("authorize", "--action", "set-alias", "--actor", BOB, "--model", "model.yaml",
            "--alias", "champion", "--protected-alias", "champion", "-p", "access.yaml",
            "-p", "signed.yaml", "--now", NOW)  # fmt: skip
    allowed = run(*args, *VERIFIED)
    assert allowed.exit_code == 0, allowed.stdout
    denied = run(*args)
    assert denied.exit_code == 1
    assert "signed/signed" in denied.stdout


def test_promote_gates_the_version_with_the_run_it_was_given(signed, monkeypatch):
    """promote hands the registry version to the gate with its run: the approvers
    (and every other input) reach the evaluation."""
    seen: list[Any] = []

    def fake_promote(source: str, policies: Any, *, run: Any, **_: Any) -> Any:
        seen.append(run)
        return policygate.gate(run.with_records(policygate.load_models(["model.yaml"])))

    monkeypatch.setattr("policygate.integrations.mlflow.promote", fake_promote)
    args = ("promote", "mlflow:models:/credit-default/3", "-p", "signed.yaml", "--now", NOW,
            "-f", "json")  # fmt: skip
    promoted = run(*args, *VERIFIED)
    assert promoted.exit_code == 0, promoted.output
    assert json.loads(promoted.stdout)["passed"] is True
    assert seen[0].approvers is not None and seen[0].policies[0].name == "signed"
    refused = run(*args)
    assert refused.exit_code == 1
    assert "not promoted: policy gate failed: failed: credit-default@3.1.0" in refused.stderr


def _post(app: Any, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    sent: list[dict[str, Any]] = []
    chunks = [json.dumps(body).encode()]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0) if chunks else b"",
                "more_body": False}  # fmt: skip

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]  # serve reads JSON bodies only
    asyncio.run(app({"type": "http", "method": "POST", "path": path, "headers": headers},
                    receive, send))  # fmt: skip
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_serve_judges_requests_with_the_approvers(signed):
    from policygate.serve import ServeSettings, build_app

    record = policygate.load_models(["model.yaml"])[0].data
    for approvers, passed in ((("approvers.yaml",), True), ((), False)):
        app = build_app(ServeSettings(policies=("signed.yaml",), approvers=approvers))
        status, answer = _post(app, "/v1/check", {"models": [record], "now": NOW})
        assert (status, answer["passed"]) == (200, passed)


def test_serve_judges_a_request_that_gives_no_now_at_its_now(signed):
    from policygate.serve import ServeSettings, build_app

    record = policygate.load_models(["model.yaml"])[0].data
    app = build_app(ServeSettings(policies=("plain.yaml",), now=NOW))
    assert _post(app, "/v1/check", {"models": [record]})[1]["now"] == NOW
    given = "2026-12-01T00:00:00Z"
    assert _post(app, "/v1/check", {"models": [record], "now": given})[1]["now"] == given


def test_docs_annex_iv_evaluates_with_the_approvers(signed):
    args = ("docs", "annex-iv", "model.yaml", "-p", "signed.yaml", "--now", NOW, "-o", "out")
    run(*args, *VERIFIED)
    verified = next(Path("out").glob("*.md")).read_text(encoding="utf-8")
    run(*args)
    unverified = next(Path("out").glob("*.md")).read_text(encoding="utf-8")
    assert verified != unverified


@pytest.mark.parametrize("name", ["check", "explain", "diff", "audit", "authorize", "serve",
                                  "promote"])
def test_a_param_of_the_wrong_kind_is_exit_2_in_every_command(signed, name, monkeypatch):
    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("it went on past loading")

    monkeypatch.setattr("uvicorn.run", never)  # serve: nothing listens
    monkeypatch.setattr("policygate.integrations.mlflow.promote", never)
    common = ("--now", NOW, "--param", "min_auc=high")
    args = {
        "check": ("check", "model.yaml", "-p", "signed.yaml"),
        "explain": ("explain", "model.yaml", "-p", "signed.yaml", "--rule", "signed"),
        "diff": ("diff", "model.yaml", "--base", "plain.yaml", "--head", "signed.yaml"),
        "audit": ("audit", "model.yaml", "-p", "signed.yaml"),
        "authorize": ("authorize", "--action", "set-alias", "--actor", BOB, "-p", "access.yaml",
                      "-p", "signed.yaml"),
        "serve": ("serve", "-p", "signed.yaml", "--port", "0"),
        "promote": ("promote", "mlflow:models:/credit-default/3", "-p", "signed.yaml"),
    }[name]  # fmt: skip
    result = run(*args, *common)
    assert result.exit_code == 2
    assert result.stderr.startswith("policygate: error: ")
    assert "--param min_auc='high' is not a number" in result.stderr, result.stderr


def test_the_mlflow_gate_loads_its_settings_as_runs(tmp_path, monkeypatch):
    from policygate import run as run_module
    from policygate.config import load_config_file
    from policygate.integrations.mlflow_gate.settings import settings_from_config

    (tmp_path / "access.yaml").write_text(OPEN_ACCESS, encoding="utf-8")
    (tmp_path / "signed.yaml").write_text(SIGNED, encoding="utf-8")
    (tmp_path / "data.yaml").write_text("threshold: 3\n", encoding="utf-8")
    config = tmp_path / "policygate.yaml"
    config.write_text("policies: [signed.yaml]\nset: {spec.risk_tier: high}\n"
                      "inputs: {limits: data.yaml}\n"
                      "registry: {access_policies: [access.yaml]}\n", encoding="utf-8")  # fmt: skip
    specs: list[RunSpec] = []
    loader = run_module.load_run

    def counted(spec: RunSpec, **options: Any) -> Any:
        specs.append(spec)
        return loader(spec, **options)

    monkeypatch.setattr(run_module, "load_run", counted)
    settings = settings_from_config(load_config_file(config))
    assert [s.policies for s in specs] == [(str(tmp_path / "access.yaml"),),
                                           (str(tmp_path / "signed.yaml"),)]  # fmt: skip
    assert all(s.set == ('spec.risk_tier="high"',) for s in specs)
    assert settings.policies[0].name == "signed" and settings.access_policies[0].name == "open"
    assert settings.inputs == {"limits": {"threshold": 3}}  # the configuration's inputs reach it
