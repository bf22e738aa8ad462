"""``promote``, ``check`` and ``audit`` against a real MLflow store (tests/conftest.py)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from policygate.cli import main

NOW = "2026-11-26T00:00:00Z"


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


def test_promote_exit_codes_and_alias(mlflow_registry):
    policy = str(mlflow_registry.policy)
    failed = run(
        "promote",
        "mlflow:models:/credit-default/2",
        "--alias",
        "champion",
        "-p",
        policy,
        "--now",
        NOW,
    )
    assert failed.exit_code == 1
    assert "FAILED  credit-default@2" in failed.stdout
    assert "not promoted" in failed.stderr and "alias champion unchanged" in failed.stderr
    assert "champion" not in mlflow_registry.client.get_registered_model("credit-default").aliases

    passed = run(
        "promote",
        "mlflow:models:/credit-default/1",
        "--alias",
        "champion",
        "-p",
        policy,
        "--now",
        NOW,
        "-f",
        "json",
    )
    assert passed.exit_code == 0
    assert json.loads(passed.stdout)["passed"] is True
    assert "promoted credit-default@1 to alias champion" in passed.stderr
    aliases = mlflow_registry.client.get_registered_model("credit-default").aliases
    assert str(aliases["champion"]) == "1"
    tags = mlflow_registry.client.get_model_version("credit-default", "1").tags
    assert tags["policygate.passed"] == "true"


def test_promote_errors_exit_2(mlflow_registry):
    policy = str(mlflow_registry.policy)
    missing = run("promote", "mlflow:models:/credit-default/42", "-p", policy)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("policygate: error: mlflow:models:/credit-default/42: ")
    assert run("promote", "mlflow:models:/churn", "-p", policy).exit_code == 2


def test_check_a_registry_version(mlflow_registry):
    result = run(
        "check", "mlflow:models:/churn@champion", "-p", str(mlflow_registry.policy), "--now", NOW
    )
    assert result.exit_code == 0, result.stderr
    assert "PASSED  churn@1  mlflow:models:/churn/1" in result.stdout


def test_audit_a_whole_registry_serial_and_parallel(mlflow_registry):
    args = [
        "audit",
        "mlflow:models:/",
        "-p",
        str(mlflow_registry.policy),
        "--now",
        NOW,
        "-f",
        "json",
    ]
    serial = run(*args)
    parallel = run(*args, "--jobs", "2")
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout, [
        (r["rule"], r["message"])
        for m in json.loads(serial.stdout)["models"]
        for r in m["results"]
        if r["status"] == "error"
    ][:3]
    report = json.loads(serial.stdout)
    assert [(m["name"], m["version"]) for m in report["models"]] == [
        ("churn", "1"),
        ("churn", "2"),
        ("credit-default", "1"),
        ("credit-default", "2"),
        ("credit-default", "3"),
    ]
    assert "audit: 5 models" in serial.stderr


def test_audit_by_alias_and_a_registry_that_does_not_answer(mlflow_registry, monkeypatch):
    result = run(
        "audit",
        "mlflow:models:/",
        "--alias",
        "champion",
        "-p",
        str(mlflow_registry.policy),
        "--now",
        NOW,
    )
    assert result.stdout.startswith("audit: ")
    names = run(
        "audit",
        "mlflow:models:/churn",
        "--alias",
        "champion",
        "-p",
        str(mlflow_registry.policy),
        "--now",
        NOW,
        "-f",
        "json",
    )
    assert [m["version"] for m in json.loads(names.stdout)["models"]] == ["1"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # discard port: refused
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    down = run(
        "audit",
        "mlflow:models:/",
        str(mlflow_registry.policy),
        "-p",
        str(mlflow_registry.policy),
        "--now",
        NOW,
    )
    assert down.exit_code == 1
    assert "(1 could not be read)" in down.stdout
    assert "mlflow:models:/" in down.stdout


def test_legacy_stages_in_uris_and_audit_filters(mlflow_registry):
    import warnings

    with warnings.catch_warnings():  # stages are deprecated in MLflow, still in use
        warnings.simplefilter("ignore")
        mlflow_registry.client.transition_model_version_stage("churn", "2", "Staging")
    checked = run(
        "check", "mlflow:models:/churn/Staging", "-p", str(mlflow_registry.policy), "--now", NOW
    )
    assert checked.exit_code == 1 and "FAILED  churn@2  mlflow:models:/churn/2" in checked.stdout
    audited = run(
        "audit",
        "mlflow:models:/",
        "--stage",
        "staging",
        "-p",
        str(mlflow_registry.policy),
        "--now",
        NOW,
        "-f",
        "json",
    )
    report = json.loads(audited.stdout)
    assert [(m["name"], m["version"]) for m in report["models"]] == [("churn", "2")]
