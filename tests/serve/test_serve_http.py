"""``policygate serve`` over real HTTP (SPEC §10): a uvicorn subprocess on loopback."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from serve_harness import ROOT, Server, free_port, start_server

import policygate
from policygate.cli import main
from policygate.cli.serve import is_loopback
from policygate.decisionlog import read_entries, verify

NOW = "2026-11-26T00:00:00Z"
PASSES = ROOT / "examples" / "models" / "credit-default-passes.yaml"
FAILS = ROOT / "examples" / "models" / "credit-limit-fails-fairness-and-expired-approval.yaml"
LOCATION = re.compile(r"^(?P<source>.+?):(?P<line>\d+):(?P<column>\d+): ")


def _record(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _library_report(paths: list[Path], **kwargs: object) -> bytes:
    """What ``check -f json`` prints for these records, named as the server names
    records that came in a request."""
    policies = policygate.load_policies([str(ROOT / "policies")])
    records = [dataclasses.replace(r, source="<request>")
               for r in policygate.load_models([str(p) for p in paths])]  # fmt: skip
    report = policygate.evaluate(records, policies, now=NOW, **kwargs)  # type: ignore[arg-type]
    return policygate.render(report, "json").encode("utf-8")


def _check_error(tmp_path: Path, text: str) -> str:
    """What ``policygate check`` prints for a record file holding ``text``."""
    record = tmp_path / "record.json"
    record.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(record), "-p", str(ROOT / "policies"),
                                       "-f", "json", "--now", NOW])  # fmt: skip
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    prefix = "policygate: error: "
    assert line.startswith(prefix)
    return line[len(prefix):]


def _split_location(message: str) -> tuple[str, int, int, str]:
    match = LOCATION.match(message)
    assert match, message
    return (match["source"], int(match["line"]), int(match["column"]),
            message[match.end():])  # fmt: skip


# ---------------------------------------------------------------------- /v1/check


def test_check_pass_is_the_library_report_byte_for_byte(shipped_server: Server):
    reply = shipped_server.check({"models": [_record(PASSES)], "now": NOW})
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.body == _library_report([PASSES])
    assert reply.json()["passed"] is True


def test_check_fail_is_200_and_the_library_report_byte_for_byte(shipped_server: Server):
    reply = shipped_server.check({"models": [_record(PASSES), _record(FAILS)], "now": NOW})
    assert reply.status == 200
    assert reply.body == _library_report([PASSES, FAILS])
    report = reply.json()
    assert report["passed"] is False
    assert [m["passed"] for m in report["models"]] == [True, False]


def test_check_params_override_as_param_does(shipped_server: Server):
    reply = shipped_server.check({"models": [_record(PASSES)], "now": NOW,
                                  "params": {"min_auc": 0.99}})  # fmt: skip
    assert reply.status == 200
    assert reply.body == _library_report([PASSES], params={"min_auc": 0.99})
    assert reply.json()["passed"] is False


def test_check_unknown_param_is_400(shipped_server: Server):
    reply = shipped_server.check({"models": [_record(PASSES)], "params": {"min_acu": 0.9}})
    assert reply.status == 400
    assert reply.json()["error"].startswith("unknown param min_acu (the loaded policies declare:")


def test_check_without_now_is_evaluated_as_of_the_current_time(shipped_server: Server):
    reply = shipped_server.check({"models": [_record(PASSES)]})
    assert reply.status == 200
    assert reply.json()["now"] > NOW


def test_bad_record_is_400_with_checks_message(shipped_server: Server, tmp_path: Path):
    bad = {"apiVersion": "policygate/v1", "kind": "ModelRecord", "metadata": {"name": "x"},
           "spec": {}}  # fmt: skip
    expected = _check_error(tmp_path, json.dumps(bad))
    body = json.dumps({"models": [bad], "now": NOW})
    reply = shipped_server.request("POST", "/v1/check", body.encode())
    assert reply.status == 400
    source, line, column, message = _split_location(reply.json()["error"])
    assert message == _split_location(expected)[3] == "'version' is required (at $.metadata)"
    # the location is the record's metadata, in the request body
    assert (source, line) == ("<request>", 1)
    assert body[column - 1:].startswith('{"name": "x"}')


def test_record_that_is_not_a_mapping_is_400_with_checks_message(
    shipped_server: Server, tmp_path: Path
):
    expected = _check_error(tmp_path, "[1, 2]")
    reply = shipped_server.check({"models": [[1, 2]]})
    assert reply.status == 400
    assert _split_location(reply.json()["error"])[3] == _split_location(expected)[3]
    assert _split_location(expected)[3] == "a model record must be a mapping"


def test_bad_json_is_400_with_checks_message(shipped_server: Server, tmp_path: Path):
    text = '{"models": [{"name": "m",'
    expected = _check_error(tmp_path, text)
    reply = shipped_server.request("POST", "/v1/check", text.encode())
    assert reply.status == 400
    got = _split_location(reply.json()["error"])
    assert got[0] == "<request>"
    assert got[1:] == _split_location(expected)[1:]  # same line, column and message


def test_request_shape_errors_are_400(shipped_server: Server):
    cases = {
        b"": "the request has no body",
        b"[]": "<request>:1:1: the request must be one JSON object",
        b'{"modles": []}': "<request>:1:2: unknown key 'modles' in the request",
        b'{"models": []}': "<request>:1:12: models must be a non-empty list of model records",
        b'{"models": [{}], "now": "yesterday"}': "<request>:1:25: now: not an RFC 3339 timestamp",
        b'{"models": [{}], "now": 7}': "<request>:1:25: now must be an RFC 3339 string",
        b'{"models": [{}], "params": [1]}': "<request>:1:28: params must be a mapping",
        b'{"models": [{"apiVersion": "policygate/v1", "kind": "Waiver"}]}':
            "<request>:1:53: models[0] is a Waiver, not a model record",
    }  # fmt: skip
    for body, start in cases.items():
        reply = shipped_server.request("POST", "/v1/check", body)
        assert reply.status == 400, body
        assert reply.json()["error"].startswith(start), (body, reply.json())


def test_nothing_applicable_is_200_and_not_passed(shipped_server: Server):
    reply = shipped_server.check({"models": [{"name": "bare", "version": "1"}], "now": NOW})
    assert reply.status == 200
    report = reply.json()
    assert report["passed"] is False  # fail closed: nothing evaluated is not a pass


def test_body_over_the_limit_is_413_without_reading_it(shipped_server: Server):
    # A declared length over the limit is refused before a byte of the body is sent.
    with socket.create_connection(("127.0.0.1", shipped_server.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: 1000000000\r\n\r\n")  # fmt: skip
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert json.loads(body)["error"] == ("the request body is over the limit of 65536 bytes "
                                         "(--limit max-file-bytes=N sets it)")  # fmt: skip


def test_chunked_body_over_the_limit_is_413(shipped_server: Server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", shipped_server.port, timeout=10)
    try:
        chunks = [b" " * 8192 for _ in range(9)]  # 73728 bytes, no Content-Length
        connection.request("POST", "/v1/check", body=iter(chunks), encode_chunked=True,
                           headers={"Content-Type": "application/json"})  # fmt: skip
        response = connection.getresponse()
        assert response.status == 413
        assert b"over the limit of 65536 bytes" in response.read()
    finally:
        connection.close()


def test_body_at_the_limit_is_read(shipped_server: Server):
    payload = json.dumps({"models": [_record(PASSES)], "now": NOW}).encode()
    padded = payload + b" " * (65536 - len(payload))
    reply = shipped_server.request("POST", "/v1/check", padded)
    assert reply.status == 200 and reply.json()["passed"] is True


# ---------------------------------------------------------------------- the other routes


def test_unknown_path_is_404_and_wrong_method_405(shipped_server: Server):
    reply = shipped_server.request("GET", "/v1/nope")
    assert reply.status == 404
    assert reply.json()["error"].startswith("no such endpoint: /v1/nope")
    reply = shipped_server.request("GET", "/v1/check")
    assert reply.status == 405 and reply.headers["allow"] == "POST"
    assert reply.json() == {"error": "/v1/check takes POST, not GET", "code": "method-not-allowed"}
    assert shipped_server.request("POST", "/health", b"{}").status == 405


def test_health_says_ready_with_the_number_of_policies(shipped_server: Server):
    reply = shipped_server.request("GET", "/health")
    assert reply.status == 200
    health = reply.json()
    assert health["status"] == "ready"
    assert health["policies"] == len(policygate.load_policies([str(ROOT / "policies")]))


def test_policies_lists_each_policy_with_its_digest(shipped_server: Server):
    reply = shipped_server.request("GET", "/v1/policies")
    assert reply.status == 200
    listed = {p["name"]: p["digest"] for p in reply.json()["policies"]}
    loaded = {p.name: p.digest for p in policygate.load_policies([str(ROOT / "policies")])}
    assert listed == loaded
    assert all(d.startswith("sha256:") for d in listed.values())


def test_authorize_refuses_a_request_it_cannot_read(shipped_server: Server):
    # The shipped access pack is served (tests/serve/test_serve_authorize.py has the rest).
    body = json.dumps({"request": {"action": "set-alias"}, "model": _record(PASSES)}).encode()
    reply = shipped_server.request("POST", "/v1/authorize", body)
    assert reply.status == 400
    answer = reply.json()
    assert "allowed" not in answer  # nothing is allowed by a request that cannot be judged
    assert answer["error"] == "request.actor must be a mapping, got nothing"


# ---------------------------------------------------------------------- decision log, load


def test_each_decision_is_appended_to_the_decision_log(shipped_server: Server, decision_log: Path):
    before = len(read_entries(decision_log)) if decision_log.exists() else 0
    reply = shipped_server.check({"models": [_record(PASSES), _record(FAILS)], "now": NOW})
    assert reply.status == 200
    entries = read_entries(decision_log)
    assert len(entries) == before + 2
    assert [(e["model"]["name"], e["passed"]) for e in entries[-2:]] == [
        ("credit-default", True), ("credit-limit", False)]  # fmt: skip
    assert all(e["now"] == NOW for e in entries[-2:])
    assert verify(decision_log).intact


def test_a_refused_request_is_not_logged(shipped_server: Server, decision_log: Path):
    shipped_server.check({"models": [_record(PASSES)], "now": NOW})
    before = len(read_entries(decision_log))
    assert shipped_server.check({"models": [[1]]}).status == 400
    assert len(read_entries(decision_log)) == before


def test_concurrent_requests_are_all_answered(shipped_server: Server, decision_log: Path):
    payloads = [{"models": [_record(PASSES if i % 2 else FAILS)], "now": NOW} for i in range(50)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(shipped_server.check, payloads))
    assert [r.status for r in replies] == [200] * 50
    expected = {True: _library_report([PASSES]), False: _library_report([FAILS])}
    for i, reply in enumerate(replies):
        assert reply.body == expected[bool(i % 2)]
    assert verify(decision_log).intact  # 50 appends from threads: one intact chain


# ---------------------------------------------------------------------- tokens, binding


def _serve_exits(*args: str) -> subprocess.CompletedProcess[str]:
    """``policygate serve ARGS`` that must exit by itself: a timeout, not a hang, if
    it started serving instead."""
    return subprocess.run([sys.executable, "-m", "policygate", "serve", "--port",
                           str(free_port()), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "gate.example.com"])
def test_off_loopback_without_a_token_refuses_to_start(host: str):
    done = _serve_exits("--host", host, "-p", str(ROOT / "policies"))
    assert done.returncode == 2
    assert done.stderr == (
        f"policygate: error: --host {host} is not loopback: a bearer token "
        "is required (--token-file PATH), or listen on 127.0.0.1\n"
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
     ("localhost.example.com", False), ("", False)],
)  # fmt: skip
def test_what_counts_as_loopback(host: str, loopback: bool):
    assert is_loopback(host) is loopback


def test_a_bad_policy_is_exit_2_before_listening(tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: b}\n"
                      "spec:\n  rules:\n    - {id: r, check: 'model.x >'}\n")  # fmt: skip
    done = _serve_exits("-p", str(broken))
    assert done.returncode == 2
    assert done.stderr.startswith(f"policygate: error: {broken}:6:")


def test_token_is_required_on_every_route_but_health(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n", encoding="utf-8")
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--token-file", str(token_file)],
                          token="s3cret-token")  # fmt: skip
    try:
        assert server.request("GET", "/health", token="").status == 200
        payload = {"models": [_record(PASSES)], "now": NOW}
        for token in ("", "wrong", "s3cret-tokenx", "s3cret-toke"):
            for method, path in (("GET", "/v1/policies"), ("POST", "/v1/check"),
                                 ("GET", "/v1/nope")):  # fmt: skip
                body = json.dumps(payload).encode() if method == "POST" else None
                reply = server.request(method, path, body, token=token)
                assert reply.status == 401, (token, path)
                assert reply.headers["www-authenticate"] == 'Bearer realm="policygate"'
                assert "passed" not in reply.json()
        basic = server.request("GET", "/v1/policies", token="",
                               headers={"Authorization": "Basic s3cret-token"})  # fmt: skip
        assert basic.status == 401
        assert server.request("GET", "/v1/policies").status == 200
        reply = server.check(payload)
        assert reply.status == 200 and reply.body == _library_report([PASSES])
    finally:
        server.stop()


def test_empty_token_file_refuses_to_start(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text("\n", encoding="utf-8")
    done = _serve_exits("-p", str(ROOT / "policies"), "--token-file", str(token_file))
    assert done.returncode == 2
    assert done.stderr == (
        f"policygate: error: --token-file {token_file}: the file holds no token\n"
    )


def test_beyond_the_concurrency_limit_is_503_not_an_unbounded_queue(tmp_path: Path):
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--concurrency", "3"])
    try:
        # three requests held: their heads sent, their bodies never finished
        held = [socket.create_connection(("127.0.0.1", server.port), timeout=10)
                for _ in range(3)]  # fmt: skip
        for sock in held:
            sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        try:
            server.wait_for(lambda: server.request("GET", "/v1/policies").status == 503,
                            "a 503 with 3 requests held")  # fmt: skip
            reply = server.check({"models": [_record(PASSES)], "now": NOW})
            assert reply.status == 503 and b"passed" not in reply.body
            assert reply.json()["error"].startswith("the server is answering 3 requests")
        finally:
            for sock in held:
                sock.close()
        server.wait_for(lambda: server.request("GET", "/v1/policies").status == 200,
                        "answers again once the connections are gone")  # fmt: skip
        assert server.check({"models": [_record(PASSES)], "now": NOW}).body == _library_report(
            [PASSES])
    finally:
        server.stop()
