"""The decision service's ASGI app in process: what it does with any body (fail
closed, never a 500), how much of an oversized body it reads, the budget."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate.serve import ServeSettings, build_app
from policygate.serve.app import DecisionService
from policygate.serve.state import load_set

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: auc-gate}
spec:
  params: {min_auc: 0.8}
  rules:
    - {id: auc, check: 'model.auc >= params.min_auc'}
"""
BOMB = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: bomb}
spec:
  rules:
    - id: bomb
      check: >-
        [1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b,
        [1,2,3,4,5,6,7,8,9,10].map(c, a + b + c))).size() > 0
"""
NOW = "2026-11-26T00:00:00Z"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> DecisionService:
    policy = tmp_path_factory.mktemp("app") / "gate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    app = build_app(ServeSettings(policies=(str(policy),), limit_values=("max-file-bytes=5000",)))
    return app


def _call(app: DecisionService, method: str, path: str, chunks: list[bytes],
          headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, Any, int]:  # fmt: skip
    """Drive the app as uvicorn does; returns the status, the JSON answer and how many
    times the app asked for more of the body."""
    asked = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}  # endless

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), *(headers or [])]
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    asyncio.run(app(scope, receive, send))
    status = sent[0]["status"]
    return status, json.loads(sent[1]["body"]), asked


def test_an_endless_body_is_413_after_reading_at_most_the_limit(service: DecisionService):
    status, answer, asked = _call(service, "POST", "/v1/check", [])
    assert status == 413
    assert answer == {"error": "the request body is over the limit of 5000 bytes "
                               "(--limit max-file-bytes=N sets it)",
                      "code": "request-too-large"}  # fmt: skip
    assert asked == 6  # 6000 bytes: the first chunk over 5000 ends the reading


def test_a_declared_length_over_the_limit_is_413_before_any_body_is_read(
    service: DecisionService,
):
    status, _, asked = _call(service, "POST", "/v1/check", [],
                             headers=[(b"content-length", b"5001")])  # fmt: skip
    assert (status, asked) == (413, 0)


def test_a_body_in_several_chunks_is_one_body(service: DecisionService):
    body = json.dumps({"models": [{"name": "m", "version": "1", "auc": 0.9}], "now": NOW})
    chunks = [body[i:i + 7].encode() for i in range(0, len(body), 7)]
    status, answer, _ = _call(service, "POST", "/v1/check", chunks)
    assert status == 200 and answer["passed"] is True


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-10, 10) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["name", "version", "auc", "kind", "apiVersion",
                                       "metadata", "models", "now", "params", "min_auc"]),
                      children, max_size=4),  # fmt: skip
    max_leaves=20,
)


LEAF = st.none() | st.booleans() | st.floats(-2, 2) | st.integers(-2, 2) | st.text(max_size=4)
RECORDS = st.lists(st.fixed_dictionaries({"name": st.text(max_size=5), "auc": LEAF}),
                   min_size=1, max_size=3)  # fmt: skip
PARAMS = st.none() | st.fixed_dictionaries({"min_auc": LEAF}) | JSON


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models=RECORDS | JSON, now=st.sampled_from([None, NOW, "soon", 3]), params=PARAMS)
def test_any_request_is_a_report_or_a_400_never_a_500(service: DecisionService, models: Any,
                                                      now: Any, params: Any):  # fmt: skip
    """Fail closed: whatever the body holds, the answer is a report (200) that is
    the library's for the same records, or a 400 with a message; never a 500."""
    payload: dict[str, Any] = {"models": models, "now": now, "params": params}
    payload = {k: v for k, v in payload.items() if v is not None}
    answer = service.check(service.served.current, json.dumps(payload).encode())
    assert answer.status in (200, 400), answer.body
    data = json.loads(answer.body)
    if answer.status == 400:
        assert {"error"} <= set(data) <= {"error", "code", "errors"} and data["error"]
        return
    report = policygate.evaluate(
        [_as_request_record(m) for m in models], list(service.served.current.policies),
        now=now, params=params or None,
    )  # fmt: skip
    assert answer.body == policygate.render(report, "json").encode()
    if data["passed"]:  # a pass only on values of one kind: a bool is never a number
        threshold = params.get("min_auc", 0.8) if isinstance(params, dict) else 0.8
        assert all(_kind(m.get("auc")) == _kind(threshold) != "other" for m in models)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "other"


def _as_request_record(data: Any) -> policygate.ModelRecord:
    from policygate.models import model_from_data

    return model_from_data(data, "<request>")


def test_every_evaluation_runs_under_the_budget(tmp_path: Path):
    policy = tmp_path / "bomb.yaml"
    policy.write_text(BOMB, encoding="utf-8")
    app = build_app(ServeSettings(policies=(str(policy),), limit_values=("rule-cost=500",)))
    answer = app.check(app.served.current, json.dumps({"models": [{"name": "m"}]}).encode())
    assert answer.status == 200
    report = json.loads(answer.body)
    assert report["passed"] is False
    (result,) = report["models"][0]["results"]
    assert result["status"] == "error"
    assert "evaluation budget exceeded: more than 500 cost units" in result["message"]


def test_a_reload_that_fails_keeps_the_served_set(tmp_path: Path):
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    logged: list[str] = []
    settings_ = ServeSettings(policies=(str(policy),))
    app = DecisionService(build_app(settings_).served, log=logged.append)
    before = app.served.current
    policy.write_text("apiVersion: policygate/v1\nkind: Policy\n", encoding="utf-8")
    assert app.reload() is False
    assert app.served.current is before
    assert logged and logged[0].startswith(
        f"policygate serve: reload failed, still serving the previous set: {policy}:"
    )
    policy.write_text(POLICY.replace("0.8", "0.9"), encoding="utf-8")
    assert app.reload() is True
    assert app.served.current is not before
    assert app.served.current.policies[0].params["min_auc"] == 0.9
    assert load_set(settings_.sources()).policies[0].digest == app.served.current.policies[0].digest


ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize("model", sorted((EXAMPLES / "models").glob("*.yaml")),
                         ids=lambda p: p.stem)  # fmt: skip
def test_with_waivers_and_a_risk_register_the_answer_is_what_check_prints(model: Path):
    """Byte for byte ``check -f json``'s output for the same record, waivers, risk
    register and ``now``, but for the record's ``source``."""
    from click.testing import CliRunner

    from policygate.cli import main

    options = ["-p", str(ROOT / "policies"), "--waivers", str(EXAMPLES / "waivers"),
               "--risk-register", str(EXAMPLES / "risk-register.yaml")]  # fmt: skip
    printed = CliRunner().invoke(main, ["check", str(model), *options, "-f", "json",
                                        "--now", NOW]).stdout  # fmt: skip
    app = build_app(ServeSettings(policies=(options[1],), waivers=(options[3],),
                                  risk_registers=(options[5],)))  # fmt: skip
    import yaml

    record = yaml.safe_load(model.read_text(encoding="utf-8"))
    answer = app.check(app.served.current, json.dumps({"models": [record], "now": NOW}).encode())
    assert answer.status == 200
    expected = printed.replace(json.dumps(str(model)), json.dumps("<request>"))
    assert answer.body.decode() == expected
    assert '"risks": [' in expected  # the register is in both


def test_a_risk_id_no_register_defines_is_400_with_checks_message(tmp_path: Path):
    from click.testing import CliRunner

    from policygate.cli import main

    record = {"name": "m", "version": "1", "spec": {"risks": ["R-NOPE"]}}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    register = str(EXAMPLES / "risk-register.yaml")
    printed = CliRunner().invoke(main, ["check", str(path), "-p", str(ROOT / "policies"),
                                        "--risk-register", register]).stderr  # fmt: skip
    app = build_app(ServeSettings(policies=(str(ROOT / "policies"),), risk_registers=(register,)))
    answer = app.check(app.served.current, json.dumps({"models": [record]}).encode())
    assert answer.status == 400
    message = json.loads(answer.body)["error"]
    assert printed.startswith("policygate: error: ")
    expected = printed.removeprefix("policygate: error: ").strip()
    assert message.split(": ", 1)[1] == expected.split(": ", 1)[1]
    assert "R-NOPE" in message


def test_a_decision_that_cannot_be_logged_is_not_given(tmp_path: Path):
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    log = tmp_path / "no-such-directory" / "decisions.jsonl"
    app = build_app(ServeSettings(policies=(str(policy),), decision_log=str(log)))
    body = json.dumps({"models": [{"name": "m", "version": "1", "auc": 0.9}], "now": NOW})
    logged: list[str] = []
    app.log = logged.append
    answer = app.check(app.served.current, body.encode())
    assert answer.status == 500
    data = json.loads(answer.body)
    assert data["code"] == "decision-log"
    message = data["error"]
    assert message == ("the decision could not be recorded in the decision log, so none is "
                       "given (the server's stderr says why)")  # fmt: skip
    assert str(tmp_path) not in message  # the server's paths are not the client's business
    (line,) = logged
    assert line.startswith("policygate serve: the decision log cannot be appended to: ")
    assert str(log) in line
    assert not log.exists()


def test_an_internal_error_names_its_type_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A 500 carried the exception's message, whatever it held (a server path, a value)."""
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    app = build_app(ServeSettings(policies=(str(policy),)))
    logged: list[str] = []
    app.log = logged.append

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"cannot open {tmp_path}/secret.key")

    monkeypatch.setattr(sys.modules["policygate.evaluate"], "evaluate", broken)
    body = json.dumps({"models": [{"name": "m", "version": "1", "auc": 0.9}], "now": NOW})
    answer = app.check(app.served.current, body.encode())
    assert answer.status == 500
    assert json.loads(answer.body) == {"error": "internal error (RuntimeError); the server's "
                                                "stderr says more (POLICYGATE_DEBUG=1: the "
                                                "traceback)",
                                       "code": "internal-error"}  # fmt: skip
    assert logged == [f"policygate serve: internal error: RuntimeError: cannot open "
                      f"{tmp_path}/secret.key"]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode)
       | st.sampled_from([b"!!python/object:os.system {}", b"a: &x [*x]", b"\xff\xfe{}",
                          b'{"models": [' * 100, b"--- {}\n--- {}", b'{"models": [{}]}' * 2,
                          b"\x00", b'{"models": [{"a": 1, "a": 2}]}', b"[" * 70 + b"]" * 70]))
def test_any_bytes_are_a_report_or_a_400_never_a_500(service: DecisionService, body: bytes):
    status, answer, _ = _call(service, "POST", "/v1/check", [body])
    assert status in (200, 400), answer
    assert {"error"} <= set(answer) <= {"error", "code", "errors"} if status == 400 else (
        "passed" in answer
    )


def test_a_reload_does_not_wait_for_the_evaluation_threads(tmp_path: Path):
    """A SIGHUP reload runs beside the evaluations, not queued behind them (with one
    evaluation thread busy, the new set is still loaded and served)."""
    import threading

    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    app = build_app(ServeSettings(policies=(str(policy),), threads=1))
    app.log = lambda message: None
    before = app.served.current
    release = threading.Event()
    busy = app.executor.submit(release.wait, 30)  # type: ignore[union-attr]
    policy.write_text(POLICY.replace("0.8", "0.9"), encoding="utf-8")

    async def sighup_then_wait() -> bool:
        app._on_sighup(asyncio.get_running_loop())
        for _ in range(200):
            if app.served.current is not before:
                return True
            await asyncio.sleep(0.05)
        return False

    try:
        assert asyncio.run(sighup_then_wait()), "the reload waited for the evaluation thread"
    finally:
        release.set()
        busy.result(timeout=30)
    assert app.served.current.policies[0].params["min_auc"] == 0.9


def test_every_answer_but_a_decision_carries_a_registered_code(tmp_path: Path) -> None:
    """A client reads why it was refused from ``code``, never from the message's words
    (T-ERR-3): each refusal of the service itself names one, and it is registered."""
    from policygate.errors import CODES

    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    token = tmp_path / "token"
    token.write_text("s3cret\n", encoding="utf-8")
    app = build_app(ServeSettings(policies=(str(policy),), token_file=str(token),
                                  limit_values=("max-file-bytes=5000",)))  # fmt: skip
    bearer = [(b"authorization", b"Bearer s3cret")]
    body = json.dumps({"models": [{"name": "m", "auc": 0.9}], "now": NOW}).encode()
    cases = [
        ("POST", "/v1/check", [body], [], 401, "unauthorized"),
        ("POST", "/v1/check", [body], [*bearer, *bearer], 401, "unauthorized"),
        ("GET", "/v1/nope", [], bearer, 404, "no-such-endpoint"),
        ("GET", "/v1/check", [], bearer, 405, "method-not-allowed"),
        ("POST", "/v1/check", [], bearer, 413, "request-too-large"),  # (an endless body)
        ("POST", "/v1/authorize", [b"{}"], bearer, 501, "no-access-policies"),
    ]
    for method, path, chunks, headers, status, code in cases:
        got, answer, _ = _call(app, method, path, chunks, headers)
        assert (got, answer.get("code")) == (status, code), (method, path)
        assert code in CODES
    app.held = app.concurrency  # every slot taken: the next one is turned away at once
    got, answer, _ = _call(app, "POST", "/v1/check", [body], bearer)
    assert (got, answer.get("code")) == (503, "server-busy")
    app.held = 0
    got, answer, _ = _call(app, "POST", "/v1/check", [body], bearer)
    assert got == 200 and "code" not in answer
