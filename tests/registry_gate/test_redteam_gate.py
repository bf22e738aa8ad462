"""Hostile requests to the real gate: routes that write the registry inside the server."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from gate_support import GateServer, Seeded, register, start, stop, write_setup
from mlflow.exceptions import MlflowException

DEMO = "/ajax-api/3.0/mlflow/demo"


def _aliases(seeded: Seeded) -> list[tuple[str, str, int]]:
    with sqlite3.connect(seeded.server.db) as db:
        return db.execute("SELECT name, alias, version FROM registered_model_aliases").fetchall()


def _models(seeded: Seeded) -> list[str]:
    with sqlite3.connect(seeded.server.db) as db:
        return [row[0] for row in db.execute("SELECT name FROM registered_models")]


@pytest.mark.parametrize("user", ["bob", "admin"])
def test_the_demo_data_never_sets_an_alias_past_the_gate(seeded, user):
    # MLflow's demo data registers prompts and points `production` at one of their versions
    # through the server's own store: no registry request the gate could judge
    aliases, models = _aliases(seeded), _models(seeded)
    body = json.dumps({"features": ["prompts"]}).encode()
    status, answer = seeded.server.post(DEMO + "/generate", body, user=user)
    assert status == 403, answer
    assert answer["error_code"] == "PERMISSION_DENIED"
    assert "writes the registry inside the server" in answer["message"]
    assert _aliases(seeded) == aliases
    assert _models(seeded) == models
    assert not [m for m in _models(seeded) if m.startswith("mlflow-demo.")]


def test_deleting_the_demo_data_is_refused_too(seeded):
    status, answer = seeded.server.post(DEMO + "/delete", b"{}", user="admin")
    assert status == 403, answer
    assert "writes the registry inside the server" in answer["message"]


def test_every_route_to_a_view_that_writes_the_registry_in_process_is_refused():
    from flask import Flask, g
    from mlflow.server import app

    from policygate.integrations.mlflow_gate.gate import Gate
    from policygate.integrations.mlflow_gate.routes import IN_PROCESS

    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if view.__name__ not in IN_PROCESS:
            continue
        found.append(rule.rule)
        test = Flask("in-process")

        @test.before_request
        def authenticate() -> None:
            g.mlflow_authenticated_user = "bob"

        Gate(None, "not configured").install(test)
        test.add_url_rule(rule.rule, rule.endpoint, view, methods=sorted(rule.methods or ()))
        answer = test.test_client().post(rule.rule, json={"features": ["prompts"]})
        assert answer.status_code == 403, rule.rule
        assert "writes the registry inside the server" in answer.get_json()["message"]
    assert any(path.endswith("/demo/generate") for path in found)
    assert any(path.endswith("/demo/delete") for path in found)


SHIPPED_ACCESS = Path(__file__).resolve().parents[2] / "policies/access/registry-access.yaml"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GateServer]:
    """A gate judging with the shipped access pack, champion on a passing version."""
    root = tmp_path_factory.mktemp("redteam-gate")
    write_setup(root, access=SHIPPED_ACCESS.read_text())
    server = start(root, workers=1)
    try:
        server.client("alice").create_registered_model("fraud")
        assert register(server, "alice", "fraud", 0.91) == "1"
        server.client("rita").set_registered_model_alias("fraud", "champion", "1")
        yield server
    finally:
        stop(server.process)


def test_renaming_a_model_moves_its_protected_alias_only_for_a_release_manager(shipped):
    # the aliases go with a renamed model: bob, without the release-manager role, would take
    # champion away from `fraud` (and could give the name to another model's champion)
    with pytest.raises(MlflowException) as denied:
        shipped.client("bob").rename_registered_model("fraud", "fraud-retired")
    assert "registry-access/rename.protected-model" in str(denied.value)
    admin = shipped.client("admin")
    assert admin.get_registered_model("fraud").aliases == {"champion": "1"}
    entry = shipped.entries()[-1]
    assert (entry["action"], entry["allowed"], entry["target"]["aliases"]) == (
        "rename-model", False, ["champion"],
    )  # fmt: skip
    shipped.client("rita").rename_registered_model("fraud", "fraud-2")
    assert admin.get_registered_model("fraud-2").aliases == {"champion": "1"}
    shipped.client("rita").rename_registered_model("fraud-2", "fraud")


def test_renaming_a_model_without_a_protected_alias_needs_no_role(shipped):
    shipped.client("bob").create_registered_model("scratch")
    shipped.client("bob").rename_registered_model("scratch", "scratch-2")
    assert shipped.client("admin").get_registered_model("scratch-2").name == "scratch-2"


@pytest.mark.parametrize("alias", ["Champion", "CHAMPION", "chámpion"])
def test_an_alias_that_differs_from_a_protected_one_in_case_or_accents_is_refused(
    seeded, alias
):
    # MySQL's default collation (and SQL Server's) compares aliases without case and
    # accents: setting `Champion` there moves `champion` itself, unjudged as a promotion
    with pytest.raises(MlflowException) as denied:
        seeded.server.client("bob").set_registered_model_alias(seeded.model, alias, "2")
    assert "differs from the protected alias 'champion' only in case or accents" in str(
        denied.value
    )
    aliases = seeded.server.client("admin").get_registered_model(seeded.model).aliases
    assert alias not in aliases
    entry = seeded.server.entries()[-1]
    assert (entry["allowed"], entry["event"]) == (False, "denied")


def test_an_alias_nobody_protects_stays_free_whatever_its_case(seeded):
    seeded.server.client("bob").set_registered_model_alias(seeded.model, "Candidate-X", "2")
    aliases = seeded.server.client("admin").get_registered_model(seeded.model).aliases
    assert aliases["Candidate-X"] == "2"


def test_taking_a_version_out_of_a_protected_stage_needs_the_release_manager_role(shipped):
    # moving the Production version to Archived (or None) rolls deployments that load
    # models:/fraud/Production back to the version before it: as much a move as a promotion
    rita, admin = shipped.client("rita"), shipped.client("admin")
    rita.transition_model_version_stage("fraud", "1", "Production")
    assert admin.get_model_version("fraud", "1").current_stage == "Production"
    with pytest.raises(MlflowException) as denied:
        shipped.client("bob").transition_model_version_stage("fraud", "1", "Archived")
    assert "registry-access/protected-stage.leave" in str(denied.value)
    assert admin.get_model_version("fraud", "1").current_stage == "Production"
    with pytest.raises(MlflowException) as denied:
        shipped.client("bob").delete_model_version("fraud", "1")
    assert "registry-access/protected-stage.leave" in str(denied.value)
    assert admin.get_model_version("fraud", "1").current_stage == "Production"
    rita.transition_model_version_stage("fraud", "1", "Archived")
    assert admin.get_model_version("fraud", "1").current_stage == "Archived"
    assert register(shipped, "alice", "fraud", 0.5) == "2"
    shipped.client("bob").transition_model_version_stage("fraud", "2", "Staging")
    shipped.client("bob").transition_model_version_stage("fraud", "2", "Archived")


@pytest.mark.parametrize("key", ["POLICYGATE.metadata.created_by", "Policygate.passed",
                                 "pólicygate.metadata.created_by"])  # fmt: skip
def test_a_tag_spelt_like_the_gates_own_but_for_case_or_accents_is_refused(seeded, key):
    # on a database comparing keys without case or accents it overwrites the gate's tag
    # (who created the version, which the no-self-promotion rule reads)
    admin = seeded.server.client("admin")
    with pytest.raises(MlflowException) as denied:
        seeded.server.client("bob").set_model_version_tag(seeded.model, seeded.weak, key, "rita")
    assert "differs from the gate's policygate.* tags only in case or accents" in str(
        denied.value
    )
    assert key not in admin.get_model_version(seeded.model, seeded.weak).tags


def test_a_model_with_a_version_in_a_protected_stage_is_renamed_or_deleted_by_a_release_manager(
    shipped,
):
    # its versions go with it: the Production version leaves models:/prod-only/Production
    rita, bob, admin = shipped.client("rita"), shipped.client("bob"), shipped.client("admin")
    shipped.client("alice").create_registered_model("prod-only")
    version = register(shipped, "alice", "prod-only", 0.92)
    rita.transition_model_version_stage("prod-only", version, "Production")
    for attempt in (lambda: bob.rename_registered_model("prod-only", "prod-only-2"),
                    lambda: bob.delete_registered_model("prod-only")):  # fmt: skip
        with pytest.raises(MlflowException) as denied:
            attempt()
        assert "registry-access/protected-stage.model" in str(denied.value)
    assert admin.get_model_version("prod-only", version).current_stage == "Production"
    rita.rename_registered_model("prod-only", "prod-only-2")
    assert admin.get_model_version("prod-only-2", version).current_stage == "Production"
