"""What a model version's ``source`` may make policygate read (SPEC §13, issue 14).

A registry entry is written by the team being judged; its ``source`` is only a
string. policygate reads a version's ``MLmodel`` through MLflow's artifact
repositories from a ``runs:/`` or ``models:/`` source, or from a URI inside the
artifact location that the store itself gives the version's run; any other
source (a local path, ``file://...``, another scheme, a path that climbs out
with ``..``) is recorded and never read, and the record says why. The store is
a real SQLite store (tests/conftest.py), never a mock.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

import policygate
from policygate.cli import main
from policygate.importers import import_records

SECRET = "s3cr3t-token-7f9c"
NOW = "2026-11-26T00:00:00Z"


def secret_mlmodel(directory: Path) -> Path:
    """A directory holding an ``MLmodel`` whose content must never reach a record."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "MLmodel").write_text(
        f"flavors: {{python_function: {{loader_module: x}}}}\nmlflow_version: {SECRET}\n"
    )
    return directory


def register(registry, name: str, source: str, run_id: str | None = None) -> str:
    client = registry.client
    try:
        client.get_registered_model(name)
    except Exception:
        client.create_registered_model(name, tags={"owner": "team"})
    version = client.create_model_version(name, source, run_id=run_id)
    return str(version.version)


def run_of(registry, model: str = "credit-default", version: str = "1"):
    run_id = registry.client.get_model_version(model, version).run_id
    return registry.client.get_run(run_id)


def imported(name: str, version: str) -> dict:
    (record,) = import_records("mlflow", f"models:/{name}/{version}")
    return record


def not_read(record: dict) -> str:
    extra = record["spec"]["extra"]["mlflow"]
    assert "mlmodel" not in extra
    assert SECRET not in json.dumps(record)
    note: str = extra["source_not_read"]
    return note


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to connect anywhere fails the test (the store is a local SQLite file)."""

    def refuse(self, address, *args, **kwargs):
        raise AssertionError(f"a network connection was attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.parametrize("query", ["?", "?x=1", "#frag"])
def test_a_file_uri_with_a_query_is_never_read(mlflow_registry, tmp_path, query):
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"flavors: {{leak: {SECRET}}}\nmlflow_version: {SECRET}\n")
    version = register(mlflow_registry, "file-uri", f"file://{secret}{query}")
    record = imported("file-uri", version)
    note = not_read(record)
    assert "not read" in note
    assert record["spec"]["lineage"]["run"]["model_source"] == f"file://{secret}{query}"


@pytest.mark.parametrize("form", ["bare", "file"])
def test_a_local_path_outside_the_runs_artifacts_is_never_read(mlflow_registry, tmp_path, form):
    directory = secret_mlmodel(tmp_path / "elsewhere")
    source = str(directory) if form == "bare" else directory.as_uri()
    run = run_of(mlflow_registry)
    # even with a run, the path is not where the store keeps that run's artifacts
    version = register(mlflow_registry, f"local-{form}", source, run_id=run.info.run_id)
    note = not_read(imported(f"local-{form}", version))
    assert "artifact location" in note


def test_a_local_path_inside_the_runs_artifacts_is_read(mlflow_registry):
    run = run_of(mlflow_registry)
    source = f"{run.info.artifact_uri.rstrip('/')}/model"  # how MLflow 1 registered a runs:/ URI
    version = register(mlflow_registry, "inside-run", source, run_id=run.info.run_id)
    record = imported("inside-run", version)
    extra = record["spec"]["extra"]["mlflow"]
    assert extra["mlmodel"]["run_id"] == run.info.run_id
    assert "source_not_read" not in extra
    assert record["metadata"]["labels"]["mlflow.flavors"] == "python_function, sklearn"


def test_a_path_that_climbs_out_of_the_runs_artifacts_is_never_read(mlflow_registry, tmp_path):
    run = run_of(mlflow_registry)
    root = Path(run.info.artifact_uri.removeprefix("file://"))
    target = secret_mlmodel(tmp_path / "climbed")
    climb = "/".join([".."] * len(root.parts))
    for i, source in enumerate(
        [
            f"{root}/{climb}{target}",
            f"{root}/%2e%2e/%2e%2e/{climb}{target}",
            f"runs:/{run.info.run_id}/{climb}{target}",
        ]
    ):
        version = register(mlflow_registry, f"climb-{i}", source, run_id=run.info.run_id)
        not_read(imported(f"climb-{i}", version))


def test_a_link_out_of_the_runs_artifacts_is_never_followed(mlflow_registry, tmp_path):
    run = run_of(mlflow_registry)
    root = Path(run.info.artifact_uri.removeprefix("file://"))
    target = secret_mlmodel(tmp_path / "linked")
    (root / "linked").symlink_to(target, target_is_directory=True)
    version = register(mlflow_registry, "linked", f"{root}/linked", run_id=run.info.run_id)
    assert "link" in not_read(imported("linked", version))


def test_a_runs_uri_of_the_versions_own_run_is_read(mlflow_registry):
    record = imported("credit-default", "1")
    assert record["spec"]["lineage"]["run"]["model_source"].startswith("runs:/")
    assert record["spec"]["extra"]["mlflow"]["mlmodel"]["artifact_path"] == "model"


def test_a_runs_uri_of_another_run_is_never_read(mlflow_registry):
    own, other = run_of(mlflow_registry, "churn", "1"), run_of(mlflow_registry, "churn", "2")
    source = f"runs:/{other.info.run_id}/model"
    version = register(mlflow_registry, "other-run", source, run_id=own.info.run_id)
    assert "another run" in not_read(imported("other-run", version))


def test_a_models_uri_is_read_only_as_far_as_its_target_may_be(mlflow_registry, tmp_path):
    good = register(mlflow_registry, "chain", "models:/credit-default/1")
    record = imported("chain", good)
    assert record["spec"]["extra"]["mlflow"]["mlmodel"]["artifact_path"] == "model"
    hidden = secret_mlmodel(tmp_path / "hidden")
    bad = register(mlflow_registry, "hidden", str(hidden))
    chained = register(mlflow_registry, "chain", f"models:/hidden/{bad}")
    note = not_read(imported("chain", chained))
    assert "models:/hidden/" in note


@pytest.mark.parametrize(
    "source",
    [
        "http://127.0.0.1:9/model",
        "https://example.com/model",
        "s3://bucket/model",
        "ftp://example.com/model",
        "mlflow-artifacts://127.0.0.1:9/model",
    ],
)
def test_another_scheme_is_recorded_and_never_fetched(mlflow_registry, source):
    name = "scheme-" + source.split(":", 1)[0]
    version = register(mlflow_registry, name, source)
    record = imported(name, version)
    assert "not read" in not_read(record)
    assert record["spec"]["lineage"]["run"]["model_source"] == source


def test_check_and_import_on_the_command_line_never_embed_the_file(mlflow_registry, tmp_path):
    secret = tmp_path / "cli-secret.yaml"
    secret.write_text(f"flavors: {{leak: {SECRET}}}\nmlflow_version: {SECRET}\n")
    version = register(mlflow_registry, "cli-file", f"file://{secret}?")
    uri = f"models:/cli-file/{version}"
    imported_cli = CliRunner().invoke(main, ["import", "mlflow", uri])
    assert imported_cli.exit_code == 0, imported_cli.output
    assert SECRET not in imported_cli.output
    assert "source_not_read" in imported_cli.output
    checked = CliRunner().invoke(
        main,
        ["check", f"mlflow:{uri}", "-p", str(mlflow_registry.policy), "--now", NOW, "-f", "json"],
    )
    assert SECRET not in checked.output
    report = json.loads(checked.output)
    assert report["models"][0]["source"] == f"mlflow:{uri}"


def test_the_library_reads_the_same_way(mlflow_registry, tmp_path):
    directory = secret_mlmodel(tmp_path / "library")
    version = register(mlflow_registry, "library", str(directory))
    (model,) = policygate.load_models([f"mlflow:models:/library/{version}"])
    assert SECRET not in json.dumps(model.data)


def test_promote_reads_the_same_way(mlflow_registry, tmp_path):
    from policygate.errors import GateFailed
    from policygate.integrations.mlflow import promote, read_version

    directory = secret_mlmodel(tmp_path / "promoted")
    version = register(mlflow_registry, "promoted", str(directory))
    record, _, _ = read_version(f"models:/promoted/{version}", mlflow_registry.client)
    not_read(record.data)
    policies = policygate.load_policies([str(mlflow_registry.policy)])
    with pytest.raises(GateFailed) as failed:  # no run: no metrics, no commit
        promote(f"models:/promoted/{version}", policies, now=NOW, write_tags=False)
    assert SECRET not in failed.value.report.to_json()


def test_a_logged_model_source_is_read_through_its_artifact_location(mlflow_registry, tmp_path):
    client = mlflow_registry.client
    experiment = client.get_experiment_by_name("seed").experiment_id
    logged = client.create_logged_model(experiment, name="logged")
    staging = tmp_path / "logged"
    staging.mkdir()
    (staging / "MLmodel").write_text("artifact_path: logged\nflavors: {sklearn: {}}\n")
    client.log_model_artifacts(logged.model_id, str(staging))
    version = register(mlflow_registry, "logged-model", f"models:/{logged.model_id}")
    extra = imported("logged-model", version)["spec"]["extra"]["mlflow"]
    assert extra["mlmodel"] == {"artifact_path": "logged", "flavors": {"sklearn": {}}}
    assert "source_not_read" not in extra
