"""serve's 400 answer carries the error as data (issue 18): the message ``check``
would print, the error's code, and each error of several with its own."""

from __future__ import annotations

import json

import pytest

from policygate.serve import ServeSettings, build_app
from policygate.serve.app import DecisionService

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: auc-gate}
spec:
  rules:
    - {id: auc, check: 'model.auc >= 0.8'}
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> DecisionService:
    policy = tmp_path_factory.mktemp("codes") / "gate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return build_app(ServeSettings(policies=(str(policy),)))


def _answer(service: DecisionService, body: bytes) -> tuple[int, dict[str, object]]:
    answer = service.check(service.served.current, body)
    return answer.status, json.loads(answer.body)


def test_bad_yaml_is_400_with_its_code(service: DecisionService):
    status, data = _answer(service, b'{"models": [1,')
    assert status == 400
    assert data["code"] == "yaml-syntax"
    assert isinstance(data["error"], str) and data["error"]


def test_a_duplicate_key_is_400_with_its_code(service: DecisionService):
    status, data = _answer(service, b'{"models": [{"name": "m", "name": "n"}]}')
    assert (status, data["code"]) == (400, "duplicate-key")


def test_several_errors_are_each_given_as_data(service: DecisionService):
    status, data = _answer(service, b'{"models": [3, "x"]}')
    assert status == 400
    assert data["code"] == "multiple-errors"
    errors = data["errors"]
    assert isinstance(errors, list) and len(errors) == 2
    for error in errors:
        assert set(error) == {"code", "message", "location", "json_path", "context"}
        assert error["code"] == "schema-invalid"  # a record that is no mapping
    assert str(data["error"]).count("\n") == 1  # the two messages, as check prints them



def test_a_request_of_the_wrong_shape_is_request_invalid(service: DecisionService):
    for body in (b'{"models": []}', b'{"modles": [{}]}', b'{"models": [{}], "now": 3}', b"[1]"):
        status, data = _answer(service, body)
        assert (status, data["code"]) == (400, "request-invalid"), body
