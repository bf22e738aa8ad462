"""``promote`` against a model team that writes the registry before and while it runs.

A real SQLite-backed MLflow store (tests/conftest.py); the team's writes go through
a second real ``MlflowClient`` at the moment the gate has judged the version and
before anything is written back, the window a slow evaluation or a busy registry
leaves open. A misbehaving server is a real HTTP server on a loopback port.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import policygate
from policygate.cli import main
from policygate.errors import GateFailed, UsageError
from policygate.integrations import mlflow as integration
from policygate.integrations.mlflow import OUTCOME_TAGS, promote

NOW = "2026-11-26T00:00:00Z"
MLMODEL = "artifact_path: model\nflavors:\n  sklearn: {sklearn_version: 1.5.2}\n"


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def policies(mlflow_registry: Any) -> list[Any]:
    return policygate.load_policies([str(mlflow_registry.policy)])


def register(registry: Any, model: str, auc: float, tmp_path: Path) -> tuple[str, str]:
    """A version of ``model`` (created if need be) with a run of this AUC: (version, run id)."""
    client = registry.client
    if not client.search_registered_models(filter_string=f"name='{model}'"):
        client.create_registered_model(model, tags={"owner": "credit-risk-ml"})
    experiment = client.get_experiment_by_name("seed").experiment_id
    run_id = client.create_run(
        experiment, tags={"mlflow.source.git.commit": "9f1c2ab4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0"}
    ).info.run_id
    client.log_metric(run_id, "auc", auc, step=0)
    staging = tmp_path / f"staging-{run_id}"
    (staging / "model").mkdir(parents=True)
    (staging / "model" / "MLmodel").write_text(MLMODEL)
    client.log_artifacts(run_id, str(staging))
    client.set_terminated(run_id)
    version = client.create_model_version(model, f"runs:/{run_id}/model", run_id=run_id)
    return str(version.version), run_id


def during_the_gate(monkeypatch: pytest.MonkeyPatch, write: Callable[[], None]) -> None:
    """Make ``write`` happen once the real gate has judged the version."""
    real = integration.gate

    def gate(*args: Any, **kwargs: Any) -> Any:
        try:
            return real(*args, **kwargs)
        finally:
            write()

    monkeypatch.setattr(integration, "gate", gate)


def aliases(registry: Any, model: str) -> dict[str, str]:
    return {k: str(v) for k, v in registry.client.get_registered_model(model).aliases.items()}


def outcome_tags(registry: Any, model: str, version: str) -> dict[str, str]:
    tags = registry.client.get_model_version(model, version).tags
    return {k: v for k, v in tags.items() if k in OUTCOME_TAGS}


# ------------------------------------------------------------- time of check, time of use

WRITES: dict[str, Callable[[Any, str, str, str], None]] = {
    # (client, model, version, run id): what the team writes while the gate runs
    "a run metric lowered": lambda c, m, v, r: c.log_metric(r, "auc", 0.5, step=1),
    "a version tag": lambda c, m, v, r: c.set_model_version_tag(m, v, "task", "regression"),
    "an overlay tag": lambda c, m, v, r: c.set_model_version_tag(
        m, v, "policygate.spec.risk_tier", "minimal"
    ),
    "the description": lambda c, m, v, r: c.update_model_version(m, v, description="swapped"),
    "a registered-model tag": lambda c, m, v, r: c.set_registered_model_tag(m, "owner", "nobody"),
    "a run param": lambda c, m, v, r: c.log_param(r, "max_depth", "60"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_version_written_while_the_gate_runs_is_not_promoted(
    mlflow_registry, policies, monkeypatch, tmp_path, write
):
    model = "toctou-" + write.replace(" ", "-")
    version, run_id = register(mlflow_registry, model, 0.95, tmp_path)
    team = type(mlflow_registry.client)(mlflow_registry.uri, mlflow_registry.uri)
    during_the_gate(monkeypatch, lambda: WRITES[write](team, model, version, run_id))
    with pytest.raises(UsageError, match="changed in the registry while it was judged"):
        promote(f"models:/{model}/{version}", policies, alias="champion", now=NOW)
    assert "champion" not in aliases(mlflow_registry, model)
    assert outcome_tags(mlflow_registry, model, version) == {}  # no pass claimed on it


def test_the_command_line_says_what_changed_and_exits_2(mlflow_registry, monkeypatch, tmp_path):
    version, run_id = register(mlflow_registry, "toctou-cli", 0.95, tmp_path)
    team = type(mlflow_registry.client)(mlflow_registry.uri, mlflow_registry.uri)
    during_the_gate(monkeypatch, lambda: team.log_metric(run_id, "auc", 0.5, step=1))
    result = run("promote", f"mlflow:models:/toctou-cli/{version}", "--alias", "champion",
                 "-p", str(mlflow_registry.policy), "--now", NOW)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "changed in the registry while it was judged ($.spec.extra.mlflow.run.data" in (
        result.stderr
    )
    assert "$.spec.metrics.auc" in result.stderr
    assert "champion" not in aliases(mlflow_registry, "toctou-cli")


def test_an_artifact_rewritten_while_the_gate_runs_is_not_promoted(
    mlflow_registry, policies, monkeypatch, tmp_path
):
    version, run_id = register(mlflow_registry, "toctou-artifact", 0.95, tmp_path)
    other = tmp_path / "rewritten" / "model"
    other.mkdir(parents=True)
    (other / "MLmodel").write_text("artifact_path: model\nflavors: {python_function: {}}\n")
    team = type(mlflow_registry.client)(mlflow_registry.uri, mlflow_registry.uri)
    during_the_gate(monkeypatch, lambda: team.log_artifacts(run_id, str(other.parent)))
    with pytest.raises(UsageError, match=r"\$\.spec\.extra\.mlflow\.mlmodel\.flavors"):
        promote(f"models:/toctou-artifact/{version}", policies, alias="champion", now=NOW)
    assert "champion" not in aliases(mlflow_registry, "toctou-artifact")


def test_a_model_swapped_in_under_the_name_while_the_gate_runs_gets_no_alias(
    mlflow_registry, policies, monkeypatch, tmp_path
):
    """Renaming the judged model away and another to its name: the alias went to the other."""
    register(mlflow_registry, "swap-judged", 0.95, tmp_path)
    register(mlflow_registry, "swap-unjudged", 0.40, tmp_path)
    team = type(mlflow_registry.client)(mlflow_registry.uri, mlflow_registry.uri)

    def swap() -> None:
        team.rename_registered_model("swap-judged", "swap-judged-old")
        team.rename_registered_model("swap-unjudged", "swap-judged")

    during_the_gate(monkeypatch, swap)
    with pytest.raises(UsageError, match="changed in the registry while it was judged"):
        promote("models:/swap-judged/1", policies, alias="champion", now=NOW)
    assert "champion" not in aliases(mlflow_registry, "swap-judged")  # the unjudged one
    assert "champion" not in aliases(mlflow_registry, "swap-judged-old")


def test_a_failing_outcome_is_not_written_on_a_model_swapped_in_while_the_gate_runs(
    mlflow_registry, policies, monkeypatch, tmp_path
):
    register(mlflow_registry, "swapfail-judged", 0.40, tmp_path)
    register(mlflow_registry, "swapfail-other", 0.95, tmp_path)
    team = type(mlflow_registry.client)(mlflow_registry.uri, mlflow_registry.uri)

    def swap() -> None:
        team.rename_registered_model("swapfail-judged", "swapfail-judged-old")
        team.rename_registered_model("swapfail-other", "swapfail-judged")

    during_the_gate(monkeypatch, swap)
    with pytest.raises(UsageError, match="changed in the registry while it was judged"):
        promote("models:/swapfail-judged/1", policies, alias="champion", now=NOW)
    # the other model's version was tagged with the judged one's failing report
    assert outcome_tags(mlflow_registry, "swapfail-judged", "1") == {}


def test_a_version_deleted_while_the_gate_runs_is_an_error_and_no_alias(
    mlflow_registry, policies, monkeypatch, tmp_path
):
    version, _ = register(mlflow_registry, "toctou-deleted", 0.95, tmp_path)
    team = type(mlflow_registry.client)(mlflow_registry.uri, mlflow_registry.uri)
    during_the_gate(monkeypatch, lambda: team.delete_model_version("toctou-deleted", version))
    result = run("promote", f"mlflow:models:/toctou-deleted/{version}", "--alias", "champion",
                 "-p", str(mlflow_registry.policy), "--now", NOW)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "not found in the MLflow registry" in result.stderr
    assert "champion" not in aliases(mlflow_registry, "toctou-deleted")


def test_a_version_left_alone_is_promoted_and_a_failing_one_leaves_the_alias(
    mlflow_registry, policies, monkeypatch, tmp_path
):
    version, run_id = register(mlflow_registry, "toctou-quiet", 0.95, tmp_path)
    report = promote(f"models:/toctou-quiet/{version}", policies, alias="champion", now=NOW)
    assert report.passed and aliases(mlflow_registry, "toctou-quiet") == {"champion": version}
    # the alias now points here and the gate's tags are on it: a second promote still passes
    report = promote(f"models:/toctou-quiet/{version}", policies, alias="stable", now=NOW)
    assert aliases(mlflow_registry, "toctou-quiet") == {"champion": version, "stable": version}
    failing, _ = register(mlflow_registry, "toctou-quiet", 0.5, tmp_path)
    with pytest.raises(GateFailed):
        promote(f"models:/toctou-quiet/{failing}", policies, alias="champion", now=NOW)
    assert aliases(mlflow_registry, "toctou-quiet")["champion"] == version
    assert outcome_tags(mlflow_registry, "toctou-quiet", failing)["policygate.passed"] == "false"


# --------------------------------------------------------------------------- what is promoted


def test_an_empty_alias_is_a_usage_error_not_a_promotion(mlflow_registry, tmp_path):
    """``--alias "$ALIAS"`` with ALIAS unset exited 0 ("passed") and set nothing."""
    version, _ = register(mlflow_registry, "empty-alias", 0.95, tmp_path)
    for alias in ("", "  "):
        result = run("promote", f"mlflow:models:/empty-alias/{version}", "--alias", alias,
                     "-p", str(mlflow_registry.policy), "--now", NOW)  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "the alias to set is empty" in result.stderr
    assert aliases(mlflow_registry, "empty-alias") == {}
    assert outcome_tags(mlflow_registry, "empty-alias", version) == {}


def test_a_version_spelt_with_leading_zeros_is_that_version(mlflow_registry, policies, tmp_path):
    version, _ = register(mlflow_registry, "zeros", 0.95, tmp_path)
    report = promote(f"mlflow:models:/zeros/00{version}", policies, alias="champion", now=NOW)
    model = report.models[0]
    assert (model.name, model.version, model.source) == (
        "zeros",
        version,
        f"mlflow:models:/zeros/{version}",
    )
    assert aliases(mlflow_registry, "zeros") == {"champion": version}


@pytest.mark.parametrize(
    "spelt", [" 1", "1 ", "1.0", "-1", "+1", "1e0", "١", "99999999999999999999"]
)
def test_a_version_that_is_no_version_number_is_an_error_and_no_alias(mlflow_registry, spelt):
    result = run("promote", f"mlflow:models:/credit-default/{spelt}", "--alias", "spelt",
                 "-p", str(mlflow_registry.policy), "--now", NOW)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "spelt" not in aliases(mlflow_registry, "credit-default")


def test_an_infinite_metric_meets_no_threshold(mlflow_registry, policies, tmp_path):
    """MLflow's database stores inf as the largest float, which passed ``auc >= 0.8``."""
    for sign, model in ((1, "infinite"), (-1, "minus-infinite")):
        version, run_id = register(mlflow_registry, model, 0.5, tmp_path)
        mlflow_registry.client.log_metric(run_id, "auc", sign * float("inf"), step=1)
        with pytest.raises(GateFailed) as failed:
            promote(f"models:/{model}/{version}", policies, alias="champion", now=NOW)
        (result,) = [
            r for r in failed.value.report.models[0].results if r.rule == "performance.auc"
        ]
        assert result.status.value == "error"  # no number: the rule cannot be evaluated
        assert "champion" not in aliases(mlflow_registry, model)


# --------------------------------------------------------------------------- a misbehaving server


class Registry(BaseHTTPRequestHandler):
    """An HTTP server in front of nothing: answers every request as ``mode`` says."""

    mode = "html-500"
    writes: list[str] = []
    answers: dict[str, Any] = {}

    def log_message(self, *_: Any) -> None:
        pass

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        if self.command != "GET":
            type(self).writes.append(path)
        if self.mode == "html-500":
            self._send(500, b"<html><head><title>500 Internal Server Error</title></head>\n"
                       + b"<body>" + b"x" * 100_000 + b"</body></html>", "text/html")  # fmt: skip
        elif self.mode == "html-200":
            self._send(200, b"<html><body>Sign in</body></html>", "text/html")
        elif self.mode == "redirect":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.mode == "answers":
            body = next((v for k, v in self.answers.items() if path.endswith(k)), {})
            self._send(200, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Registry]]:
    Registry.writes = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    try:
        yield Registry
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.mark.parametrize("mode", ["html-500", "html-200", "redirect"])
def test_a_server_answering_html_errors_or_redirects_fails_closed(mlflow_registry, server, mode):
    server.mode = mode
    result = run("promote", "mlflow:models:/credit-default/1", "--alias", "champion",
                 "-p", str(mlflow_registry.policy), "--now", NOW)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("policygate: error: mlflow:models:/credit-default/1: ")
    assert len(result.stderr.splitlines()) == 1 and len(result.stderr) < 1000
    assert server.writes == []


def test_a_registry_answering_for_another_version_is_refused(mlflow_registry, server):
    """Asked for credit-default/1, the server (a proxy, a database comparing names without
    case) answers with another model's version that passes: the alias was set on the one
    asked for, which nobody judged."""
    run_id = "0123456789abcdef0123456789abcdef"
    server.mode = "answers"
    server.answers = {
        "/model-versions/get": {"model_version": {"name": "Credit-Default", "version": "7",
                                                  "run_id": run_id, "status": "READY"}},
        "/registered-models/get": {"registered_model": {
            "name": "Credit-Default", "tags": [{"key": "owner", "value": "credit-risk-ml"}]}},
        "/runs/get": {"run": {
            "info": {"run_id": run_id, "experiment_id": "0", "status": "FINISHED",
                     "artifact_uri": "mlflow-artifacts:/0/" + run_id + "/artifacts",
                     "lifecycle_stage": "active"},
            "data": {"metrics": [{"key": "auc", "value": 0.99, "step": 0, "timestamp": 1}],
                     "tags": [{"key": "mlflow.source.git.commit", "value": "9f1c2ab"}]}}},
    }  # fmt: skip
    result = run("promote", "mlflow:models:/credit-default/1", "--alias", "champion",
                 "-p", str(mlflow_registry.policy), "--now", NOW)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "answered with model version Credit-Default/7, not the one asked for" in result.stderr
    assert server.writes == []  # no tag, no alias
