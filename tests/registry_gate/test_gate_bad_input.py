"""Bad input to the real gate: malformed or hostile bodies, huge bodies, a record the rules
cannot evaluate, a header that claims another identity. None is ever allowed, each is a
clear MLflow-format error, and the server keeps serving."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from gate_support import PASSWORD, Seeded, register
from mlflow.exceptions import MlflowException

from policygate.integrations.mlflow_gate import MAX_BODY

ALIAS = "/api/2.0/mlflow/registered-models/alias"
AJAX_ALIAS = "/ajax-api/2.0/mlflow/registered-models/alias"


def champion(seeded: Seeded) -> str | None:
    aliases = seeded.server.client("admin").get_registered_model(seeded.model).aliases
    return None if "champion" not in aliases else str(aliases["champion"])


@pytest.fixture
def held(seeded: Seeded) -> Seeded:
    """champion on version 1, put there through the gate."""
    seeded.server.client("rita").set_registered_model_alias(seeded.model, "champion", "1")
    return seeded


@pytest.mark.parametrize("path", [ALIAS, AJAX_ALIAS])
def test_malformed_json_is_refused_and_the_server_goes_on(held, path):
    before = len(held.server.entries())
    # an admin skips MLflow's permission checks, so the gate is the one that reads it
    status, body = held.server.post(path, b'{"name": "credit-default", "alias": "champ', "admin")
    assert status == 400
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "policygate: denied: the request body is not valid JSON" in body["message"]
    assert champion(held) == "1" and held.server.alive()
    entry = held.server.entries()[-1]
    assert len(held.server.entries()) == before + 1
    assert (entry["event"], entry["allowed"], entry["applied"]) == ("denied", False, False)
    # anyone else: MLflow's own permission check cannot read it either
    status, body = held.server.post(path, b'{"name": "credit-default", "alias": "champ', "rita")
    assert status == 400 and champion(held) == "1"


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5, "alias": ["champion"], "version": {}},
        {"name": "credit-default", "alias": "champion", "version": "2", "extra": {"x": 1}},
        [],
        "not an object",
    ],
    ids=["wrong-types", "unknown-field", "a-list", "a-string"],
)
def test_a_body_of_the_wrong_shape_never_moves_an_alias(held, body):
    # as an admin the body reaches the gate (MLflow checks no permission of an admin)
    status, answer = held.server.post(ALIAS, json.dumps(body).encode(), "admin")
    assert status in (400, 403), answer
    assert answer["error_code"] in ("INVALID_PARAMETER_VALUE", "PERMISSION_DENIED")
    assert answer["message"].startswith("policygate: denied") or "policygate" in answer["message"]
    # as anyone else MLflow's own permission check meets it first; it is never applied
    status, answer = held.server.post(ALIAS, json.dumps(body).encode(), "bob")
    assert status != 200, answer
    assert champion(held) == "1" and held.server.alive()


def test_a_duplicate_key_is_judged_as_mlflow_reads_it(held):
    # JSON keeps the last "alias": the gate parses with MLflow's own parser, so it judges
    # champion (denied), not the first, harmless, candidate
    raw = b'{"name": "credit-default", "alias": "candidate", "alias": "champion", "version": "2"}'
    for user in ("bob", "admin"):
        status, answer = held.server.post(ALIAS, raw, user)
        assert status == 403 and f"{user} may not move champion" in answer["message"]
    assert champion(held) == "1"


def test_a_double_encoded_body_is_judged_as_mlflow_reads_it(held):
    # MLflow decodes a body sent as a JSON string twice (old clients); so does the gate.
    # (The admin reaches the gate: MLflow's permission check refuses such a body of anyone
    # else, and the admin holds no release-manager role.)
    inner = json.dumps({"name": "credit-default", "alias": "champion", "version": "2"})
    status, answer = held.server.post(ALIAS, json.dumps(inner).encode(), "admin")
    assert status == 403 and "admin may not move champion" in answer["message"]
    assert champion(held) == "1"


def _send(held: Seeded, body, user: str = "rita", **headers: str) -> int:
    """POST ``body`` (bytes, or an iterator sent chunked) and return the status the server
    answered, even when it answered before the whole body was sent (and stopped reading)."""
    url = urllib.parse.urlsplit(held.server.uri)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    token = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    try:
        # the server may refuse it before reading it all: its answer is waiting then
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request("POST", ALIAS, body=body, encode_chunked=not isinstance(body, bytes),
                               headers={"Authorization": f"Basic {token}",
                                        "Content-Type": "application/json", **headers})  # fmt: skip
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_huge_body_is_refused_before_it_is_read(held):
    huge = json.dumps({"name": "credit-default", "alias": "champion", "version": "4",
                       "pad": "x" * (MAX_BODY + 10)}).encode()  # fmt: skip
    assert _send(held, huge) == 413
    assert champion(held) == "1" and held.server.alive()


def test_a_huge_chunked_body_is_refused_too(held):
    chunks = (b"x" * 65536 for _ in range(MAX_BODY // 65536 + 4))
    assert _send(held, chunks) == 413
    assert champion(held) == "1" and held.server.alive()


def test_a_record_the_rules_cannot_evaluate_is_denied(held):
    blank = register(held.server, "alice", held.model, auc=None)  # no AUC at all
    with pytest.raises(MlflowException) as denied:
        held.server.client("rita").set_registered_model_alias(held.model, "champion", blank)
    assert "registry-promotion/performance.auc" in str(denied.value)
    assert champion(held) == "1" and held.server.alive()


def test_a_version_that_does_not_exist_cannot_be_promoted(held):
    with pytest.raises(MlflowException) as denied:
        held.server.client("rita").set_registered_model_alias(held.model, "champion", "999")
    assert denied.value.error_code == "PERMISSION_DENIED"
    assert "policygate/promotion.model" in str(denied.value)
    assert champion(held) == "1"


def test_an_identity_header_is_not_trusted_unless_configured(held):
    # bob says he is rita: the gate judges the authenticated user, bob
    body = json.dumps({"name": held.model, "alias": "champion", "version": "4"}).encode()
    status, answer = held.server.post(ALIAS, body, "bob",
                                      headers={"X-Forwarded-User": "rita"})  # fmt: skip
    assert status == 403 and "bob may not move champion" in answer["message"]
    assert champion(held) == "1"


def test_a_request_without_credentials_is_mlflows_401(held):
    request = urllib.request.Request(held.server.uri + ALIAS, method="POST", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401

