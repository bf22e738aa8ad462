"""The decision service's ASGI application (SPEC §10), a plain ASGI callable.

It is four routes, a bounded body reader and a bearer-token check, so it is
written against ASGI itself rather than a framework: nothing between the socket
and the size limit, and every status code is the one written here.

- ``POST /v1/check``: ``{"models": [RECORD, ...], "now": "...", "params": {...}}``
  gives the JSON report of SPEC §6, byte for byte what ``check -f json`` prints
  for the same records, policies and ``now`` (HTTP 200 whether it passed or not).
- ``POST /v1/authorize``: ``{"request": {...}, "model": RECORD, "now": "..."}`` gives
  :meth:`policygate.AccessDecision.to_dict` (``{"allowed", "results", ...}``, HTTP 200
  allowed or not); 501 when no access policy is served (docs/access-policies.md).
- ``GET /v1/policies``: the loaded policies and their digests.
- ``GET /health``: ready, and how many policies are served (no token needed).

Fail closed: a request that cannot be evaluated gets an error status and a JSON
``{"error": ...}``, never a report, never ``passed: true``. Evaluation is CPU-bound
Python, so it runs in a worker thread and the event loop keeps accepting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from ..documents import Document, Limits
from ..errors import ErrorGroup, LoadError, PolicygateError, UsageError
from ..models import ModelRecord
from ..report import FAIL_ON
from .state import PolicySet, ServedSet, policy_listing

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REQUEST_SOURCE = "<request>"
REQUEST_SHAPE = '{"models": [RECORD, ...], "now": "...", "params": {...}}'
CHECK_KEYS = ("models", "now", "params")
ROUTES: dict[str, str] = {
    "/health": "GET",
    "/v1/policies": "GET",
    "/v1/check": "POST",
    "/v1/authorize": "POST",
}
AUTHORIZE_UNSUPPORTED = (
    "no access policy (kind: AccessPolicy, SPEC §8) is served (give one with serve -p): "
    "/v1/authorize cannot judge a request, and allows nothing"
)
AUTHORIZE_SHAPE = '{"request": {"action": ..., "actor": {...}, "target": {...}}, "model": RECORD}'
AUTHORIZE_KEYS = ("request", "model", "now")


CLOSE = (b"connection", b"close")


class RequestError(Exception):
    """An answer other than 200: its status and the message of its JSON body;
    ``close``: the connection is closed after it (a body left unread)."""

    def __init__(self, status: int, message: str, *, close: bool = False,
                 code: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close
        self.code = code


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()


def error_answer(status: int, message: str, error: PolicygateError | None = None,
                 code: str | None = None) -> Answer:  # fmt: skip
    """``{"error": message}``; for a policygate error also its ``code`` and, for several,
    each one as data (``errors``: code, message, location, JSON path)."""
    body: dict[str, Any] = {"error": message}
    if code is not None:
        body["code"] = code
    if error is not None:
        body["code"] = error.code
        if isinstance(error, ErrorGroup):
            body["errors"] = [single.to_dict() for single in error.errors]
    return Answer(status, _json(body))


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class DecisionService:
    """The ASGI app: ``DecisionService(served, ...)`` is what uvicorn runs."""

    def __init__(
        self,
        served: ServedSet,
        *,
        fail_on: str = "error",
        decision_log: str | None = None,
        executor: Executor | None = None,
        reload_on_sighup: bool = True,
        log: Callable[[str], None] | None = None,
        concurrency: int = 64,
        read_timeout: float = 30.0,
        max_models: int = 1000,
    ) -> None:
        if fail_on not in FAIL_ON:
            raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
        self.served = served
        self.fail_on = fail_on
        self.decision_log = decision_log
        self.executor = executor
        self.reload_on_sighup = reload_on_sighup
        self.log = log or _stderr
        self.concurrency = concurrency
        """Requests held at once (reading a body, evaluating); beyond them: 503."""
        self.read_timeout = read_timeout
        """Seconds a request's body has to arrive once its head has; then: 408."""
        self.max_models = max_models
        """Records one ``/v1/check`` request may hold; more: 400 document-too-large."""
        self.held = 0  # requests being answered (the event loop's, so no lock)

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            if self.held >= self.concurrency:  # before reading anything of it
                busy = (f"the server is answering {self.concurrency} requests already "
                        "(--concurrency); try again")  # fmt: skip
                answer = error_answer(503, busy, code="server-busy")
                await _send(send, Answer(503, answer.body, (CLOSE, (b"retry-after", b"1"))))
                return
            self.held += 1
            try:
                try:
                    answer = await self._answer(scope, receive)
                except RequestError as error:
                    answer = error_answer(error.status, error.message, code=error.code)
                    if error.close:
                        answer = Answer(answer.status, answer.body, (CLOSE,))
                except Exception as error:  # fail closed, no traceback in the answer
                    answer = self._internal_error(error)
                await _send(send, answer)
            finally:
                self.held -= 1
        # websockets: not served (uvicorn refuses the upgrade without a handler)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.reload_on_sighup and hasattr(signal, "SIGHUP"):
                    loop = asyncio.get_running_loop()
                    loop.add_signal_handler(signal.SIGHUP, self._on_sighup, loop)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.reload_on_sighup and hasattr(signal, "SIGHUP"):
                    asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _on_sighup(self, loop: asyncio.AbstractEventLoop) -> None:
        # Loading compiles every policy: off the event loop and beside the evaluation
        # threads (the loop's default executor, not theirs), so requests keep being
        # answered with the old set meanwhile.
        loop.run_in_executor(None, self.reload)

    def reload(self) -> bool:
        """Reload the served set; on failure keep the old one and say why on stderr."""
        try:
            fresh = self.served.reload()
        except (PolicygateError, OSError, RecursionError, MemoryError) as error:
            self.log(f"policygate serve: reload failed, still serving the previous set: {error}")
            return False
        except Exception as error:  # never let a reload take the server down
            self.log(f"policygate serve: reload failed, still serving the previous set: "
                     f"internal error ({type(error).__name__}: {error})")  # fmt: skip
            return False
        self.log(f"policygate serve: reloaded {len(fresh.policies)} policies")
        return True

    # ------------------------------------------------------------------ routing

    async def _answer(self, scope: Scope, receive: Receive) -> Answer:
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        current = self.served.current  # this request's set, whatever reloads meanwhile
        _framing(scope)
        if current.token is None:
            _local_host(scope)
        if path != "/health":
            _authorize(scope, current.token)
        expected = ROUTES.get(path)
        if expected is None:
            raise RequestError(404, f"no such endpoint: {path} (endpoints: {', '.join(ROUTES)})",
                               code="no-such-endpoint")  # fmt: skip
        if method != expected:
            answer = error_answer(405, f"{path} takes {expected}, not {method}",
                                  code="method-not-allowed")  # fmt: skip
            return Answer(405, answer.body, ((b"allow", expected.encode()),))
        if path == "/health":
            return Answer(200, _json({"status": "ready", "policies": len(current.policies),
                                      "loaded_at": current.loaded_at}))  # fmt: skip
        if path == "/v1/policies":
            return Answer(200, _json({"loaded_at": current.loaded_at,
                                      "policies": policy_listing(current.policies),
                                      "access_policies": policy_listing(
                                          current.access_policies)}))  # fmt: skip
        _body_type(scope)
        body = await _read_body(scope, receive, self.served.sources.limits.load.max_bytes,
                                self.read_timeout)  # fmt: skip
        loop = asyncio.get_running_loop()
        if path == "/v1/authorize":
            if not current.access_policies:
                raise RequestError(501, AUTHORIZE_UNSUPPORTED, code="no-access-policies")
            return await loop.run_in_executor(self.executor, self.authorize, current, body)
        return await loop.run_in_executor(self.executor, self.check, current, body)

    # ------------------------------------------------------------------ /v1/check

    def check(self, current: PolicySet, body: bytes) -> Answer:
        """One ``/v1/check`` decision, in a worker thread; every failure is an answer."""
        return self._answered(self._check, current, body)

    def authorize(self, current: PolicySet, body: bytes) -> Answer:
        """One ``/v1/authorize`` decision, in a worker thread; every failure is an
        answer, and none of them allows anything."""
        return self._answered(self._authorize, current, body)

    def _authorize(self, current: PolicySet, body: bytes) -> Answer:
        from ..access import authorize

        sources = self.served.sources
        request, record, now = parse_authorize_request(body, sources.limits.load)
        if now is None and current.run is not None:
            now = current.run.spec.now  # --now, as for /v1/check
        decision = authorize(
            request, access_policies=current.access_policies, policies=current.policies,
            model=record, protected_aliases=sources.protected_aliases,
            protected_stages=sources.protected_stages, waivers=current.waivers,
            approvers=current.approvers, now=now, inputs=current.inputs,
            fail_on="error" if self.fail_on == "never" else self.fail_on,  # never: report-only
            budget=sources.limits.rule, risk_graph=current.risk_graph,
            attestations=current.run.attestations if current.run is not None else (),
        )  # fmt: skip
        return Answer(200, _json(decision.to_dict()))

    def _answered(self, decide: Callable[[PolicySet, bytes], Answer], current: PolicySet,
                  body: bytes) -> Answer:  # fmt: skip
        try:
            return decide(current, body)
        except RequestError as error:
            return error_answer(error.status, error.message, code=error.code)
        except PolicygateError as error:
            return error_answer(400, str(error), error)
        except (RecursionError, MemoryError) as error:
            return error_answer(400, f"{type(error).__name__}: {error}", code="document-too-large")
        except Exception as error:  # fail closed, no traceback in the answer
            return self._internal_error(error)

    def _internal_error(self, error: Exception) -> Answer:
        """A 500 that names the error's type only: its message (paths, values of the
        server's) is for the server's stderr, not for the client."""
        self.log(f"policygate serve: internal error: {type(error).__name__}: {error}")
        if os.environ.get("POLICYGATE_DEBUG"):
            self.log(traceback.format_exc())
        return error_answer(500, f"internal error ({type(error).__name__}); the server's "
                                 "stderr says more (POLICYGATE_DEBUG=1: the traceback)",
                            code="internal-error")  # fmt: skip

    def _check(self, current: PolicySet, body: bytes) -> Answer:
        from ..evaluate import evaluate
        from ..formats import render

        limits = self.served.sources.limits
        records, now, params = parse_check_request(body, limits.load, self.max_models)
        if current.register is not None:
            from ..graph.register import check_model_risks

            problems = check_model_risks(records, current.register)
            if problems:
                raise ErrorGroup.of(problems)
        assert current.run is not None  # load_set loads every set as a run
        # the body's now, else --now, else the time the request is judged
        now = now if now is not None else current.run.spec.now
        evaluation = {**current.run.evaluation(), "now": now, "fail_on": self.fail_on}
        report = evaluate(records, current.policies, params=params, memo=current.run.memo,
                          set=current.defaults or None, **evaluation)  # fmt: skip
        if self.decision_log:  # before answering: a decision not recorded is not given
            from ..decisionlog import log_decisions

            try:
                log_decisions(self.decision_log, report, records, current.waivers)
            except (PolicygateError, OSError) as error:
                self.log(f"policygate serve: the decision log cannot be appended to: {error}")
                raise RequestError(500, "the decision could not be recorded in the decision "
                                        "log, so none is given (the server's stderr says why)",
                                   code="decision-log") from None  # fmt: skip
        return Answer(200, render(report, "json").encode("utf-8"))


def parse_check_request(
    body: bytes, limits: Limits, max_models: int | None = None
) -> tuple[list[ModelRecord], str | None, dict[str, Any] | None]:
    """The records, ``now`` and ``params`` of a ``/v1/check`` body (at most
    ``max_models`` records).

    The body goes through the loader every file goes through (its limits, its
    positions), and each record through the validation ``check`` gives a record
    file, so a bad record gets ``check``'s message; its location is the line and
    column in the request body (``<request>:LINE:COL``) and its JSON path is the
    record's own, as in a file that holds just that record.
    """
    from ..documents import load_text
    from ..models import record_from_document

    if not body.strip():
        raise RequestError(400, f"the request has no body: expected a JSON object {REQUEST_SHAPE}",
                           code="request-invalid")  # fmt: skip
    documents = load_text(body, REQUEST_SOURCE, limits)
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        where = documents[1].location() if len(documents) > 1 else None
        raise LoadError(f"the request must be one JSON object {REQUEST_SHAPE}",
                        where or (documents[0].location() if documents else None),
                        code="request-invalid")  # fmt: skip
    request = documents[0]
    data: dict[str, Any] = request.data
    unknown = sorted(set(data) - set(CHECK_KEYS))
    if unknown:
        expected = ", ".join(CHECK_KEYS)
        raise LoadError(f"unknown key {unknown[0]!r} in the request (expected: {expected})",
                        request.key_location((unknown[0],)), code="request-invalid")  # fmt: skip
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise LoadError("models must be a non-empty list of model records",
                        request.location(("models",)), code="request-invalid")  # fmt: skip
    if max_models is not None and len(models) > max_models:
        # each record is evaluated and reported: thousands of small ones (within the
        # body's limits) took the worker a minute and gigabytes for one request
        raise LoadError(f"models holds {len(models)} records, more than the {max_models} one "
                        "request may hold (--max-models N sets it)",
                        request.location(("models",)), code="document-too-large")  # fmt: skip
    now = data.get("now")
    if now is not None and not isinstance(now, str):
        raise LoadError("now must be an RFC 3339 string", request.location(("now",)),
                        code="request-invalid")  # fmt: skip
    params = data.get("params")
    if params is not None and not isinstance(params, dict):
        raise LoadError("params must be a mapping of parameter names to values",
                        request.location(("params",)), code="request-invalid")  # fmt: skip
    records: list[ModelRecord] = []
    errors: list[PolicygateError] = []
    for index, document in enumerate(_record_documents(request, len(models))):
        try:
            record = record_from_document(document)
            if record is not None:
                record = _request_record(record, limits)
        except ErrorGroup as group:
            errors.extend(group.errors)
            continue
        except PolicygateError as error:
            errors.append(error)
            continue
        if record is None:
            kind = models[index].get("kind")
            errors.append(LoadError(f"models[{index}] is a {kind}, not a model record",
                                    document.location(("kind",)),
                                    code="request-invalid"))  # fmt: skip
            continue
        records.append(record)
    if errors:
        raise ErrorGroup.of(errors)
    if now is not None:
        from ..timestamps import parse_timestamp

        try:
            parse_timestamp(now)
        except ValueError as error:
            raise LoadError(f"now: {error}", request.location(("now",)),
                            code="request-invalid") from None  # fmt: skip
    return records, now, params or None


def parse_authorize_request(
    body: bytes, limits: Limits
) -> tuple[Any, ModelRecord | None, str | None]:
    """The request, the model record (validated as ``check`` validates a record
    file, located in the body) and ``now`` of a ``/v1/authorize`` body."""
    from ..documents import load_text
    from ..models import record_from_document

    if not body.strip():
        raise RequestError(400, f"the request has no body: expected {AUTHORIZE_SHAPE}",
                           code="request-invalid")  # fmt: skip
    documents = load_text(body, REQUEST_SOURCE, limits)
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        where = documents[1].location() if len(documents) > 1 else None
        raise LoadError(f"the request must be one JSON object {AUTHORIZE_SHAPE}",
                        where or (documents[0].location() if documents else None),
                        code="request-invalid")  # fmt: skip
    document = documents[0]
    data: dict[str, Any] = document.data
    unknown = sorted(set(data) - set(AUTHORIZE_KEYS))
    if unknown:
        expected = ", ".join(AUTHORIZE_KEYS)
        raise LoadError(f"unknown key {unknown[0]!r} in the request (expected: {expected})",
                        document.key_location((unknown[0],)), code="request-invalid")  # fmt: skip
    if "request" not in data:
        raise LoadError(f"the request has no 'request': expected {AUTHORIZE_SHAPE}",
                        document.location(), code="request-invalid")  # fmt: skip
    now = data.get("now")
    if now is not None:
        from ..timestamps import parse_timestamp

        try:
            parse_timestamp(now if isinstance(now, str) else "")
        except ValueError as error:
            raise LoadError(f"now: {error}", document.location(("now",)),
                            code="request-invalid") from None  # fmt: skip
    record = None
    if data.get("model") is not None:
        if not isinstance(data["model"], dict):
            raise LoadError("model must be a model record (a JSON object)",
                            document.location(("model",)), code="request-invalid")  # fmt: skip
        record = record_from_document(_sub_document(document, "model"))
        if record is None:
            raise LoadError(f"model is a {data['model'].get('kind')}, not a model record",
                            document.location(("model", "kind")),
                            code="request-invalid")  # fmt: skip
        record = _request_record(record, limits)
    request = data["request"]
    actor = request.get("actor") if isinstance(request, dict) else None
    if isinstance(actor, dict) and actor.get("gate") is True:  # docs/access-policies.md
        where = document.location(("request", "actor", "gate"))
        raise LoadError("request.actor.gate: only the admission gate says a write is its own, "
                        "never a client of /v1/authorize", where,
                        code="request-invalid")  # fmt: skip
    return request, record, now


def _request_record(record: ModelRecord, limits: Limits) -> ModelRecord:
    """A request's record as ``check`` takes a record file's, but reading no file: it
    has no directory of its own, so evidence it lists is an error (``check
    --evidence`` attaches reports), whatever the server's working directory holds.
    The record's source ``<request>`` is a name a file can have: a file so named there
    made the evidence paths the client gave be read beside it."""
    from ..models import with_evidence

    unread = dataclasses.replace(record, source="<memory>")  # a source that is no file
    return dataclasses.replace(with_evidence(unread, limits), source=record.source)


def _sub_document(document: Document, key: str) -> Document:
    """The value at ``key`` as a document of its own, its positions those of the body."""
    positions = {path[1:]: at for path, at in document.positions.items() if path[:1] == (key,)}
    keys = {path[1:]: at for path, at in document.key_positions.items() if path[:1] == (key,)}
    return Document(REQUEST_SOURCE, 0, document.data[key], positions, keys)


def _record_documents(request: Document, count: int) -> list[Document]:
    """Each record of ``models`` as a document of its own (its JSON paths start at
    the record, its positions stay those of the request body)."""
    positions: list[dict[Any, Any]] = [{} for _ in range(count)]
    key_positions: list[dict[Any, Any]] = [{} for _ in range(count)]
    for table, by_record in ((request.positions, positions),
                             (request.key_positions, key_positions)):  # fmt: skip
        for path, position in table.items():
            if len(path) >= 2 and path[0] == "models" and isinstance(path[1], int):
                by_record[path[1]][path[2:]] = position
    models = request.data["models"]
    return [
        Document(REQUEST_SOURCE, 0, models[i], positions[i], key_positions[i])
        for i in range(count)
    ]


# ---------------------------------------------------------------------- HTTP helpers


def _framing(scope: Scope) -> None:
    """Refuse a request that says its length twice over: with both Transfer-Encoding
    and Content-Length, a proxy in front that reads the length and this server that
    reads the chunks see different requests in the same bytes (request smuggling);
    RFC 9112 §6.1 lets a server refuse it, and it is answered and the connection closed."""
    names = {name for name, _ in scope.get("headers", ())}
    if b"transfer-encoding" in names and b"content-length" in names:
        raise RequestError(400, "the request has both Transfer-Encoding and Content-Length: "
                                "send one", close=True, code="request-invalid")  # fmt: skip


BODY_TYPES = ("application/json", "application/yaml", "application/x-yaml", "text/yaml",
              "text/x-yaml")  # fmt: skip


def _body_type(scope: Scope) -> None:
    """Refuse a body not sent as JSON (or YAML). A web page may send any other site a
    POST of ``text/plain``, a form or a body of no type without asking it first (no
    CORS preflight): the developer's browser on this machine would have had records
    judged and written in the decision log by any page it visited."""
    given = [value for name, value in scope.get("headers", ()) if name == b"content-type"]
    media = given[0].split(b";")[0].strip().lower().decode("latin-1") if len(given) == 1 else ""
    if media in BODY_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return
    said = "none" if not given else "several" if len(given) > 1 else repr(media)
    raise RequestError(415, f"the body must be sent with Content-Type: application/json (or a "
                            f"YAML type), not {said}", close=True,
                       code="request-invalid")  # fmt: skip


def _local_host(scope: Scope) -> None:
    """Without a token (served on loopback only), answer only requests addressed to this
    machine by name or address: a web page whose own host name its DNS turns into
    127.0.0.1 (DNS rebinding) sends its own name in Host, and could otherwise read
    every answer and judge records, as a same-origin page."""
    import ipaddress

    hosts = [value for name, value in scope.get("headers", ()) if name == b"host"]
    if not hosts:  # HTTP/1.0 without Host: no browser sends that
        return
    host = hosts[0].decode("latin-1").strip().lower()
    if host.startswith("["):
        name = host[1:].partition("]")[0]
    else:
        name, _, port = host.rpartition(":")
        name = name if name and port.isdigit() else host
    name = name.rstrip(".")
    try:
        local = ipaddress.ip_address(name).is_loopback
    except ValueError:
        local = name == "localhost" or name.endswith(".localhost")
    if not local:
        raise RequestError(403, f"Host {host!r} is not this machine: without --token-file the "
                                "server answers requests to localhost, 127.0.0.1 or [::1] only",
                           close=True, code="request-invalid")  # fmt: skip


def _authorize(scope: Scope, token: str | None) -> None:
    if token is None:
        return
    given = [value for name, value in scope.get("headers", ()) if name == b"authorization"]
    if len(given) > 1:  # which one a proxy in front checked is anyone's guess
        raise RequestError(401, "a request carries one Authorization header, not "
                                f"{len(given)} (Authorization: Bearer TOKEN)",
                           code="unauthorized")  # fmt: skip
    scheme, _, credential = (given[0] if given else b"").partition(b" ")
    expected = token.encode("utf-8")
    # compare_digest on bytes of any length: no early exit that times the token
    if scheme.lower() != b"bearer" or not hmac.compare_digest(credential.strip(), expected):
        raise RequestError(401, "a valid bearer token is required (Authorization: Bearer TOKEN)",
                           code="unauthorized")  # fmt: skip


async def _read_body(scope: Scope, receive: Receive, limit: int, seconds: float) -> bytes:
    """The request body, refused (413) as soon as it is over ``limit`` bytes: a
    declared length over it is refused before any of the body is read; and refused
    (408) unless all of it has come within ``seconds``, however slowly it trickles."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise RequestError(400, "Content-Length is not a number",
                                   code="request-invalid") from None  # fmt: skip
            if declared > limit:
                raise RequestError(413, _too_large(limit), close=True, code="request-too-large")
    chunks: list[bytes] = []
    size = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            raise RequestError(408, f"the request body did not arrive within {seconds:g} "
                                    "seconds (--read-timeout)", close=True,
                               code="request-timeout") from None  # fmt: skip
        if message["type"] == "http.disconnect":
            raise RequestError(400, "the client went away before sending the whole body",
                               code="request-invalid")  # fmt: skip
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestError(413, _too_large(limit), close=True, code="request-too-large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(limit: int) -> str:
    return (f"the request body is over the limit of {limit} bytes "
            "(--limit max-file-bytes=N sets it)")  # fmt: skip


async def _send(send: Send, answer: Answer) -> None:
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(answer.body)).encode()),
        *answer.headers,
    ]
    if answer.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="policygate"'))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
