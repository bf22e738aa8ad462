"""What the gate judges, in process (no server): every registry method of MLflow is a
classified read or write, GraphQL cannot write the registry, a proxy header is trusted only
when configured, and a gate that cannot load refuses every write."""

from __future__ import annotations

import json

import pytest
from flask import Flask, g

from policygate.access import ACTIONS
from policygate.integrations.mlflow_gate import CONFIG_ENV, make_gate
from policygate.integrations.mlflow_gate.gate import Denied, Gate
from policygate.integrations.mlflow_gate.routes import READS, WRITES, registry_routes
from policygate.integrations.mlflow_gate.settings import GateSettings


def test_every_registry_method_of_mlflow_is_a_classified_read_or_write():
    from mlflow.protos.model_registry_pb2 import ModelRegistryService

    names = {m.input_type.name for m in ModelRegistryService.DESCRIPTOR.methods}
    assert names == set(WRITES) | READS
    assert not set(WRITES) & READS
    assert set(WRITES.values()) == set(ACTIONS)


def test_every_write_is_judged_under_the_rest_and_the_ajax_paths():
    routes = registry_routes()
    writes = {(path, method) for (path, method), r in routes.items() if r.action}
    for prefix in ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"):
        assert (prefix + "registered-models/alias", "POST") in writes
        assert (prefix + "registered-models/alias", "DELETE") in writes
        assert (prefix + "model-versions/transition-stage", "POST") in writes
    assert len(writes) == 2 * 14


def test_every_write_route_of_the_mlflow_app_that_touches_the_registry_is_judged():
    from mlflow.server import app

    routes = registry_routes()
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if "registered-models" not in path and "model-versions" not in path:
            continue
        for method in (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}:
            assert (path, method) in routes, (path, method)


def test_graphql_has_no_mutation_that_writes_the_registry():
    from mlflow.server.graphql.graphql_schema_extensions import schema

    mutations = schema.graphql_schema.mutation_type
    names = sorted(mutations.fields) if mutations else []
    assert names and all(n.startswith("mlflowSearch") or n == "testMutation" for n in names)


# --------------------------------------------------------------------------- in process


def _app(gate: Gate, user: str | None = "bob") -> Flask:
    app = Flask("gate-test")

    @app.before_request
    def authenticate() -> None:  # what MLflow's basic-auth app leaves for the gate
        if user:
            g.mlflow_authenticated_user = user

    gate.install(app)

    @app.route("/api/2.0/mlflow/registered-models/alias", methods=["POST", "DELETE"])
    def alias() -> str:
        return "{}"

    @app.route("/api/2.0/mlflow/registered-models/get", methods=["GET"])
    def get() -> str:
        return '{"read": true}'

    return app


def test_a_gate_that_cannot_load_refuses_every_write_and_no_read(monkeypatch, tmp_path):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "missing.yaml"))
    gate = make_gate()
    assert gate.settings is None and "missing.yaml: no such file" in (gate.problem or "")
    client = _app(gate).test_client()
    answer = client.post("/api/2.0/mlflow/registered-models/alias", json={"name": "m"})
    assert answer.status_code == 403
    body = json.loads(answer.data)
    assert body["error_code"] == "PERMISSION_DENIED"
    assert "the gate is not configured" in body["message"]
    assert client.get("/api/2.0/mlflow/registered-models/get?name=m").status_code == 200


def test_a_gate_configuration_without_access_policies_does_not_load(monkeypatch, tmp_path):
    config = tmp_path / "policygate.yaml"
    config.write_text("registry: {protected_aliases: [champion]}\n")
    monkeypatch.setenv(CONFIG_ENV, str(config))
    gate = make_gate()
    assert gate.settings is None and "registry.access_policies is empty" in (gate.problem or "")


def _settings(header: str | None) -> GateSettings:
    return GateSettings(access_policies=(), identity_header=header)


def test_the_actor_is_the_authenticated_user_whatever_a_header_says():
    gate = Gate(_settings(None))
    app = _app(gate)
    with app.test_request_context(headers={"X-Forwarded-User": "rita"}):
        g.mlflow_authenticated_user = "bob"
        assert gate.actor()["name"] == "bob"


def test_a_configured_proxy_header_names_the_actor():
    gate = Gate(_settings("X-Forwarded-User"))
    app = _app(gate)
    with app.test_request_context(headers={"X-Forwarded-User": "rita"}):
        g.mlflow_authenticated_user = "proxy"
        actor = gate.actor()
        assert (actor["name"], actor["account"]) == ("rita", "proxy")
    with app.test_request_context():
        g.mlflow_authenticated_user = "proxy"
        with pytest.raises(Denied, match="the identity header X-Forwarded-User is missing"):
            gate.actor()


def test_an_unauthenticated_request_never_reaches_the_rules():
    gate = Gate(_settings(None))
    app = _app(gate, user=None)
    with app.test_request_context(), pytest.raises(Denied, match="not authenticated"):
        gate.actor()
