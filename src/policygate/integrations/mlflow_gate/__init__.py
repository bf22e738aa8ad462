"""The MLflow admission gate: ``mlflow server --app-name policygate`` (SPEC §8, §9).

policygate ships an ``mlflow.app`` entry point (extra
``policygate[mlflow-server]``, the full ``mlflow`` package). MLflow's
``--app-name`` loads :func:`create_app`, which builds MLflow's own basic-auth
app (every user authenticated by MLflow, its permissions still enforced) and
puts the gate behind it, in front of every registry write:

    export POLICYGATE_CONFIG=/srv/registry/policygate.yaml
    export MLFLOW_FLASK_SERVER_SECRET_KEY=...  MLFLOW_AUTH_CONFIG_PATH=/srv/registry/auth.ini
    mlflow server --app-name policygate --backend-store-uri sqlite:///mlflow.db

Reads are untouched. The settings (policies, access policies, approvers,
protected aliases and stages, the lifecycle log, a trusted identity header)
come from the configuration file ``POLICYGATE_CONFIG`` names (see
:mod:`.settings`), loaded once per worker. A configuration that does not load
does not stop the server: every registry write is then refused with the reason,
and reads go on. See docs/registry-gate.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from .gate import MAX_BODY, Gate
from .settings import CONFIG_ENV, GateSettings, load_settings

_logger = logging.getLogger("policygate.gate")


def create_app(app: Any = None) -> Any:
    """MLflow's tracking server with basic auth and the policygate gate (the ``mlflow.app``
    factory ``--app-name policygate`` calls)."""
    from mlflow.server import app as flask_app
    from mlflow.server.auth import create_app as basic_auth_app

    flask = app if app is not None else flask_app
    gate = make_gate()
    with _startup_lock():  # the workers would race to create the auth database's tables
        served = basic_auth_app(flask)
    gate.install(flask)
    if served is not flask:  # uvicorn: MLflow wraps the Flask app in FastAPI
        return BodyLimit(served, gate)
    return served


@contextlib.contextmanager
def _startup_lock() -> Iterator[None]:
    """One worker at a time builds MLflow's auth app (``mlflow server --app-name
    basic-auth`` bootstraps the auth store before it starts the workers; for any other
    app name every worker does it, at once)."""
    import fcntl
    import hashlib
    import tempfile

    from mlflow.server.auth.config import read_auth_config

    uri = read_auth_config().database_uri
    name = "policygate-mlflow-auth-" + hashlib.sha256(uri.encode()).hexdigest()[:16] + ".lock"
    fd = os.open(os.path.join(tempfile.gettempdir(), name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def make_gate() -> Gate:
    """The gate with the configuration's settings, or refusing every write saying why not."""
    try:
        return Gate(load_settings())
    except Exception as error:  # noqa: BLE001 - a gate that cannot load denies, it never stops
        problem = str(error).strip() or type(error).__name__
        _logger.error("policygate: the gate is not configured, every registry write is "
                      "refused: %s", problem)  # fmt: skip
        return Gate(None, problem)


class BodyLimit:
    """An ASGI wrapper refusing a registry write whose body is over :data:`MAX_BODY`
    before it is buffered (MLflow's WSGI bridge reads a whole body into memory)."""

    def __init__(self, app: Any, gate: Gate) -> None:
        self.app = app
        self.gate = gate
        self.paths = {path for path, _ in gate.routes}

    def __getattr__(self, name: str) -> Any:  # state, routes...: the wrapped app's
        return getattr(self.app, name)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path") not in self.paths or scope.get(
            "method"
        ) == "GET":  # fmt: skip
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > MAX_BODY:
            await _too_large(send, length)
            return
        seen = 0
        refused = False

        async def bounded_receive() -> Any:
            nonlocal seen, refused
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > MAX_BODY:
                    refused = True
                    await _too_large(send, seen)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Any) -> None:
            if not refused:
                await send(message)

        await self.app(scope, bounded_receive, guarded_send)


def _content_length(scope: dict) -> int | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Any, size: int) -> None:
    import json

    body = json.dumps(
        {
            "error_code": "REQUEST_LIMIT_EXCEEDED",
            "message": f"policygate: the request body is over the gate's limit of {MAX_BODY} "
            f"bytes ({size} read)",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        }
    )  # fmt: skip
    await send({"type": "http.response.body", "body": body})


__all__ = ["CONFIG_ENV", "MAX_BODY", "BodyLimit", "Gate", "GateSettings", "create_app"]
