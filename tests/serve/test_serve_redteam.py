"""A hostile client of ``policygate serve``, over real sockets (docs/serve.md,
SECURITY.md T-SERVE): slow and idle connections, malformed or ambiguous HTTP, a
second Authorization header. Each test starts its own server through the harness."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from serve_harness import ROOT, Server, start_server

NOW = "2026-11-26T00:00:00Z"
PASSES = ROOT / "examples" / "models" / "credit-default-passes.yaml"
TOKEN = "s3cret-token"


def _connect(server: Server, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def _read_all(sock: socket.socket, seconds: float) -> tuple[bytes, bool]:
    """What the server sends until it closes the connection, and whether it did
    within ``seconds``."""
    sock.settimeout(0.1)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def _exchange(server: Server, raw: bytes, seconds: float = 5.0) -> bytes:
    with _connect(server) as sock:
        sock.sendall(raw)
        data, _ = _read_all(sock, seconds)
    return data


def _status_and_json(data: bytes) -> tuple[int, dict[str, str], object]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(body)))
    return int(lines[0].split()[1]), headers, json.loads(body[:length])


def _check_body() -> bytes:
    record = yaml.safe_load(PASSES.read_text(encoding="utf-8"))
    return json.dumps({"models": [record], "now": NOW}).encode()


@pytest.fixture
def quick_server(tmp_path: Path) -> Iterator[Server]:
    """The shipped policies, two requests at once and a read timeout of one second."""
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--concurrency", "2",
                                     "--read-timeout", "1"])  # fmt: skip
    yield server
    server.stop()


# ---------------------------------------------------------------------- slow clients


def test_idle_connections_do_not_lock_other_clients_out(tmp_path: Path):
    """Connections that never send a request, from a client without the token, were
    counted against --concurrency: a handful made the server answer 503 to everyone,
    for as long as they stayed open. Past --concurrency waiting connections, the one
    that waited longest is closed, and a client that sends its request is answered."""
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--concurrency", "3"])
    idle = [_connect(server) for _ in range(8)]
    try:
        idle[-1].sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # half a head, too
        time.sleep(1.1)  # a connection that has waited a second may be closed for room
        for _ in range(3):
            reply = server.check(json.loads(_check_body()))
            assert reply.status == 200 and reply.json()["passed"] is True
        _, closed = _read_all(idle[0], 4.0)
        assert closed  # the longest waiting was let go
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_a_head_sent_a_byte_at_a_time_is_cut_off_at_the_read_timeout(quick_server: Server):
    """A header trickled a byte at a time (slowloris) kept its connection for ever."""
    with _connect(quick_server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sock.settimeout(0.1)
        started = time.monotonic()
        data = b""
        while time.monotonic() - started < 8.0:
            try:
                sock.sendall(b"a")
            except OSError:
                break
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        elapsed = time.monotonic() - started
    assert elapsed < 8.0, "the trickled head was never cut off"
    status, headers, body = _status_and_json(data)
    assert status == 408
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert body == {"error": "the request's head did not arrive within 1 seconds "
                             "(--read-timeout)", "code": "request-timeout"}  # fmt: skip


def test_a_connection_that_sends_nothing_is_closed_at_the_read_timeout(quick_server: Server):
    with _connect(quick_server) as sock:
        data, closed = _read_all(sock, 6.0)
    assert closed and data == b""  # nothing was asked, so nothing is answered


def test_an_idle_keep_alive_connection_gets_the_same_deadline(quick_server: Server):
    with _connect(quick_server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(2.0)
        first = b""
        while b"}\n" not in first:  # the whole answer (its JSON ends the body)
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /health HTTP/1.1\r\n")  # the next head, never finished
        data, closed = _read_all(sock, 6.0)
    assert closed
    assert _status_and_json(data)[0] == 408


def test_a_body_that_never_finishes_is_408_and_frees_its_slot(tmp_path: Path):
    """Bodies never finished held the requests' slots for ever: past --concurrency of
    them every client got 503. Now each is 408 after --read-timeout and its slot is free."""
    quick_server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--concurrency", "2",
                                           "--read-timeout", "2"])  # fmt: skip
    held = [_connect(quick_server) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
        # the heads read before another client connects: while they wait for a head,
        # two more connections would close the one that waited longest
        time.sleep(0.3)
        quick_server.wait_for(lambda: quick_server.request("GET", "/v1/policies").status == 503,
                              "both slots held")  # fmt: skip
        busy = quick_server.check(json.loads(_check_body()))
        assert busy.status == 503 and "passed" not in busy.json()
        assert busy.json()["error"].startswith("the server is answering 2 requests already")
        for sock in held:
            data, closed = _read_all(sock, 6.0)
            assert closed
            status, headers, body = _status_and_json(data)
            assert status == 408 and headers["connection"] == "close"
            assert body == {"error": "the request body did not arrive within 2 seconds "
                                     "(--read-timeout)", "code": "request-timeout"}  # fmt: skip
        reply = quick_server.check(json.loads(_check_body()))
        assert reply.status == 200 and reply.json()["passed"] is True
    finally:
        for sock in held:
            sock.close()
        quick_server.stop()


# ---------------------------------------------------------------------- malformed HTTP


@pytest.mark.parametrize("head", [
    b"Content-Length: 14\r\nContent-Length: 15\r\n",  # two lengths
    b"Content-Length: +14\r\n",  # a sign
    "Content-Length: \u0661\u0664\r\n".encode(),  # Arabic-Indic digits
    b"Transfer-Encoding: gzip, chunked\r\n",  # a coding nobody decodes
    b"Host: y\r\n",  # a second Host
    b"X-Long: " + b"a" * 70000,  # a head over h11's limit, never finished
], ids=["two-lengths", "signed", "arabic-digits", "gzip", "two-hosts", "oversized"])  # fmt: skip
def test_a_request_that_is_not_http_is_a_json_400(shipped_server: Server, head: bytes):
    """uvicorn answered these in text/plain; every answer of the service is JSON."""
    body = b'{"models":[1]}'
    data = _exchange(shipped_server, b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head
                     + b"\r\n" + body)  # fmt: skip
    status, headers, answer = _status_and_json(data)
    assert status == 400
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert isinstance(answer, dict) and answer["code"] == "request-invalid"
    assert answer["error"].startswith("the request is not valid HTTP/1.1")


def test_a_bad_chunk_size_is_a_json_400(shipped_server: Server):
    data = _exchange(shipped_server, b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n"
                     b'-e\r\n{"models":[1]}\r\n0\r\n\r\n')  # fmt: skip
    status, _, answer = _status_and_json(data)
    assert status == 400 and isinstance(answer, dict) and answer["code"] == "request-invalid"


def test_transfer_encoding_and_content_length_together_are_refused(shipped_server: Server):
    """Both framings in one request (a proxy reading the length, this server the chunks,
    see different requests): the body was read as chunks, the connection kept, and the
    bytes after the chunks answered as a second request (request smuggling)."""
    smuggled = b"GET /v1/policies HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    raw = (b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Length: " + str(5 + len(smuggled)).encode() + b"\r\n\r\n0\r\n\r\n"
           + smuggled)  # fmt: skip
    data = _exchange(shipped_server, raw)
    status, headers, answer = _status_and_json(data)
    assert status == 400 and headers["connection"] == "close"
    assert answer == {"error": "the request has both Transfer-Encoding and Content-Length: "
                               "send one", "code": "request-invalid"}  # fmt: skip
    assert data.count(b"HTTP/1.1 ") == 1  # the smuggled request is never answered


def test_a_request_with_no_body_has_the_request_invalid_code(shipped_server: Server):
    reply = shipped_server.request("POST", "/v1/check", b"")
    assert reply.status == 400 and reply.json()["code"] == "request-invalid"


# ---------------------------------------------------------------------- the token


def test_a_second_authorization_header_is_401(tmp_path: Path):
    """With two Authorization headers the first was checked: a proxy in front that
    checks (or sets) the last one and this server disagreed on who was asking."""
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--token-file",
                                     str(token_file)], token=TOKEN)  # fmt: skip
    try:
        good, bad = f"Authorization: Bearer {TOKEN}\r\n".encode(), b"Authorization: Bearer x\r\n"
        for headers in (good + bad, bad + good, good + good):
            data = _exchange(server, b"GET /v1/policies HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
                             + b"Connection: close\r\n\r\n")  # fmt: skip
            status, _, answer = _status_and_json(data)
            assert status == 401, headers
            assert isinstance(answer, dict) and "policies" not in answer
        assert server.request("GET", "/v1/policies").status == 200
    finally:
        server.stop()


# ---------------------------------------------------------------------- no file a client names


def test_a_request_record_reads_no_evidence_file_whatever_the_servers_directory_holds(
    tmp_path: Path,
):
    """A request's records are named ``<request>``: with a file of that name in the
    server's working directory, the evidence paths a client listed were read beside
    it (any report under that directory); and /v1/authorize judged a record listing
    evidence without it. Both are now the 400 ``check`` gives a record with no file."""
    served = tmp_path / "srv"
    served.mkdir()
    (served / "<request>").write_text("x\n", encoding="utf-8")
    (served / "drift.json").write_text('{"metrics": []}\n', encoding="utf-8")
    record = yaml.safe_load(PASSES.read_text(encoding="utf-8"))
    record["spec"]["evidence"] = [{"source": "evidently:drift.json"}]
    server = start_server(tmp_path, ["-p", str(ROOT / "policies")], cwd=served)
    try:
        check = server.check({"models": [record], "now": NOW})
        request = {"action": "set-alias", "actor": {"name": "sam@example.com",
                                                    "authenticated": True},
                   "target": {"model": "credit-default", "version": "3.1.0",
                              "alias": "challenger"}}  # fmt: skip
        authorize = server.request("POST", "/v1/authorize", json.dumps(
            {"request": request, "model": record, "now": NOW}).encode())  # fmt: skip
        for reply in (check, authorize):
            assert reply.status == 400, reply.body
            answer = reply.json()
            assert answer["code"] == "evidence-invalid"
            assert "credit-default@3.1.0 was not read from a file" in answer["error"]
            assert str(served) not in answer["error"]
            assert "passed" not in answer and "allowed" not in answer
    finally:
        server.stop()


# ---------------------------------------------------------------------- one request's work


def test_a_request_of_more_records_than_max_models_is_refused_before_evaluating(tmp_path: Path):
    """Ten thousand two-field records (350 KB, within every loading limit) kept the
    worker evaluating and rendering for half a minute, in 700 MB, for one request:
    one request holds at most --max-models records (default 1000)."""
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--max-models", "3"])
    try:
        records = [{"name": f"m{i}", "version": "1"} for i in range(4)]
        body = json.dumps({"models": records, "now": NOW})
        reply = server.request("POST", "/v1/check", body.encode())
        assert reply.status == 400
        assert reply.json() == {
            "error": "<request>:1:12: models holds 4 records, more than the 3 one request "
                     "may hold (--max-models N sets it)",
            "code": "document-too-large"}  # fmt: skip
        assert body[11:].startswith("[{")
        reply = server.check({"models": records[:3], "now": NOW})
        assert reply.status == 200 and len(reply.json()["models"]) == 3
    finally:
        server.stop()


# ---------------------------------------------------------------------- a web page in a browser


@pytest.mark.parametrize("content_type", [
    "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; b=x",
    None,
])  # fmt: skip
def test_a_body_a_web_page_can_send_without_asking_is_415(tmp_path: Path,
                                                         content_type: str | None):  # fmt: skip
    """A web page may POST text/plain, a form or an untyped body to any site without a
    CORS preflight: any page the developer's browser visited had records judged on
    localhost and written in the decision log. Such a body is now 415, never read."""
    log = tmp_path / "decisions.jsonl"
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--decision-log", str(log)])
    try:
        headers = {"Origin": "https://pages.example"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        body = json.dumps({"models": [{"name": "credit-default", "version": "9"}]}).encode()
        raw = (b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
               + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)  # fmt: skip
        status, _, answer = _status_and_json(_exchange(server, raw))
        assert status == 415
        assert isinstance(answer, dict) and answer["code"] == "request-invalid"
        assert answer["error"].startswith("the body must be sent with Content-Type: "
                                          "application/json (or a YAML type), not ")  # fmt: skip
        assert not log.exists() or log.read_text(encoding="utf-8") == ""
        for sent in ("application/json", "Application/JSON; charset=utf-8", "application/yaml"):
            reply = server.request("POST", "/v1/check", _check_body(),
                                   headers={"Content-Type": sent})  # fmt: skip
            assert reply.status == 200, sent
    finally:
        server.stop()


@pytest.mark.parametrize("host", [
    b"rebound.pages.example:8181", b"rebound.pages.example", b"10.0.0.7", b"[fe80::1]:8181",
    b"127.0.0.1.pages.example",
])  # fmt: skip
def test_without_a_token_a_request_to_another_host_name_is_403(shipped_server: Server,
                                                               host: bytes):  # fmt: skip
    """A page whose host name its DNS turns into 127.0.0.1 (DNS rebinding) is a same
    origin to the browser: it read every answer and had records judged. Without a
    token, only requests addressed to this machine are answered."""
    data = _exchange(shipped_server, b"GET /v1/policies HTTP/1.1\r\nHost: " + host
                     + b"\r\nConnection: close\r\n\r\n")  # fmt: skip
    status, _, answer = _status_and_json(data)
    assert status == 403
    assert isinstance(answer, dict) and "policies" not in answer
    assert answer["code"] == "request-invalid"


@pytest.mark.parametrize("host", [b"127.0.0.1:8181", b"localhost", b"LOCALHOST:1", b"[::1]:80",
                                  b"127.8.9.10", b"api.localhost:8181", b"localhost."])  # fmt: skip
def test_without_a_token_this_machines_names_are_answered(shipped_server: Server, host: bytes):
    data = _exchange(shipped_server, b"GET /v1/policies HTTP/1.1\r\nHost: " + host
                     + b"\r\nConnection: close\r\n\r\n")  # fmt: skip
    assert _status_and_json(data)[0] == 200


def test_with_a_token_any_host_name_is_answered(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN, encoding="utf-8")
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--token-file",
                                     str(token_file)], token=TOKEN)  # fmt: skip
    try:
        data = _exchange(server, b"GET /v1/policies HTTP/1.1\r\nHost: gate.internal.example\r\n"
                         + f"Authorization: Bearer {TOKEN}\r\n".encode()
                         + b"Connection: close\r\n\r\n")  # fmt: skip
        assert _status_and_json(data)[0] == 200
    finally:
        server.stop()


def test_a_client_that_never_reads_its_answer_does_not_keep_it(tmp_path: Path):
    """A connection closed at the read timeout stayed open as long as its answer was
    not read (closing waits for the write buffer to drain): a client that asked for
    big reports and read none had the server hold them all, megabytes each. Such a
    connection is now reset once its deadline passes, and the rest never sent."""
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--read-timeout", "0.5"])
    try:
        records = [{"name": f"m{i}", "version": "1"} for i in range(1000)]
        body = json.dumps({"models": records, "now": NOW}).encode()  # a 10 MB report
        with _connect(server, timeout=10) as sock:
            sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)  # fmt: skip
            sock.settimeout(10)
            data = sock.recv(4096)
            assert data.startswith(b"HTTP/1.1 200 "), data
            time.sleep(1.8)  # the answer unread past the read timeout
            sock.settimeout(0.5)
            cut = False
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(1 << 20)
                except ConnectionResetError:
                    cut = True
                    break
                except TimeoutError:
                    continue
                if not chunk:
                    break
                data += chunk
        head, _, answer = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
        assert length > 5_000_000
        assert cut and len(answer) < length, (len(answer), length)
    finally:
        server.stop()


def test_pipelined_requests_whose_answers_are_never_read_give_their_slots_back(tmp_path: Path):
    """Requests pipelined on a connection that reads nothing waited to write their
    answers for ever, each holding its slot: two such connections had every client
    answered 503. A connection whose answers are not read for --read-timeout is reset."""
    server = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--concurrency", "2",
                                     "--read-timeout", "1"])  # fmt: skip
    records = [{"name": f"m{i}", "version": "1"} for i in range(1000)]
    body = json.dumps({"models": records, "now": NOW}).encode()  # 10 MB reports
    request = (b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
               b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)  # fmt: skip
    stalled = [_connect(server) for _ in range(2)]
    try:
        for sock in stalled:
            sock.sendall(request * 3)
        server.wait_for(lambda: server.request("GET", "/health").status == 503, "slots held")
        server.wait_for(lambda: server.request("GET", "/health").status == 200,
                        "the stalled connections reset", seconds=20)  # fmt: skip
        reply = server.check(json.loads(_check_body()))
        assert reply.status == 200 and reply.json()["passed"] is True
    finally:
        for sock in stalled:
            sock.close()
        server.stop()
