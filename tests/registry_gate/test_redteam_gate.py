"""Hostile requests to the real gate: routes that write the registry inside the server."""

from __future__ import annotations

import json
import sqlite3

import pytest
from gate_support import Seeded

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
