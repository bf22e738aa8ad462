"""``policygate serve``: the decision service (SPEC §10, docs/serve.md).

:mod:`.state` holds the served policy set and its atomic reload, :mod:`.app` the
ASGI application; this module puts them on uvicorn, in one process (evaluation
in a thread pool) or in several worker processes that each load the set.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import PolicygateError
from ..limits import configure as configure_limits
from .app import DecisionService
from .protocol import ConnectionLimits, GuardedH11Protocol
from .protocol import configure as configure_connections
from .state import PolicySet, ServedSet, ServeSources, load_set

# How the supervisor hands its settings to worker processes (uvicorn spawns them).
SETTINGS_ENV = "POLICYGATE_SERVE_SETTINGS"


@dataclass(frozen=True)
class ServeSettings:
    """Everything ``policygate serve`` was given; plain values, so that worker
    processes can be handed them as JSON."""

    policies: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 8181
    catalogs: tuple[str, ...] = ()
    waivers: tuple[str, ...] = ()
    risk_registers: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    assignments: tuple[str, ...] = ()  # --set PATH=VALUE: record defaults
    fail_on: str = "error"
    limit_values: tuple[str, ...] = ()
    token_file: str | None = None
    decision_log: str | None = None
    threads: int = 1
    workers: int = 1
    concurrency: int = 64
    read_timeout: float = 30.0
    """``--read-timeout``: seconds a client has to send a request's head, and then its body."""
    max_models: int = 1000
    """``--max-models``: records one ``/v1/check`` request may hold."""
    access_log: bool = False
    protected_aliases: tuple[str, ...] = ()
    protected_stages: tuple[str, ...] = ()
    attestations: tuple[str, ...] = ()
    require_evidence: bool = False
    now: str | None = None
    """``--now``: the time a request that names none is judged at (default: its arrival)."""

    def sources(self) -> ServeSources:
        return ServeSources(
            policies=self.policies, catalogs=self.catalogs, waivers=self.waivers,
            risk_registers=self.risk_registers, approvers=self.approvers, inputs=self.inputs,
            params=self.params, assignments=self.assignments, token_file=self.token_file,
            limits=configure_limits(self.limit_values),
            protected_aliases=self.protected_aliases, protected_stages=self.protected_stages,
            attestations=self.attestations, require_evidence=self.require_evidence,
            limit_values=self.limit_values, now=self.now,
        )  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeSettings:
        data = json.loads(text)
        for name, value in data.items():
            if isinstance(value, list):
                data[name] = tuple(value)
        return cls(**data)


def build_app(settings: ServeSettings, current: PolicySet | None = None) -> DecisionService:
    """The ASGI app for ``settings``; loads the set unless given (raises on load errors)."""
    sources = settings.sources()
    served = ServedSet(sources, current if current is not None else load_set(sources))
    executor = ThreadPoolExecutor(settings.threads, thread_name_prefix="policygate-serve")
    # this process's connections (protocol.GuardedH11Protocol): a worker builds its own
    configure_connections(ConnectionLimits(settings.read_timeout, settings.concurrency))
    return DecisionService(served, fail_on=settings.fail_on, decision_log=settings.decision_log,
                           executor=executor, concurrency=settings.concurrency,
                           read_timeout=settings.read_timeout,
                           max_models=settings.max_models)  # fmt: skip


def worker_app() -> DecisionService:
    """uvicorn's factory in each worker process (``--workers N``). A set that fails to
    load here fails the worker's start, so on SIGHUP uvicorn keeps the old worker."""
    settings = ServeSettings.from_json(os.environ[SETTINGS_ENV])
    try:
        return build_app(settings)
    except (PolicygateError, OSError, RecursionError, MemoryError) as error:
        # One line, not a traceback: uvicorn then says it keeps the running workers.
        print(f"policygate serve: reload failed, the running workers keep the previous set: "
              f"{error}", file=sys.stderr, flush=True)  # fmt: skip
        raise SystemExit(2) from None


def run(settings: ServeSettings) -> None:
    """Load the set (raising on any error before the port is bound) and serve."""
    import uvicorn

    current = load_set(settings.sources())
    where = f"http://{settings.host}:{settings.port}"
    print(f"policygate serve: {len(current.policies)} policies, listening on {where}"
          f" ({settings.workers} worker(s), {settings.threads} thread(s) each)",
          file=sys.stderr, flush=True)  # fmt: skip
    # --concurrency bounds the requests being answered (the app: 503) and, apart, the
    # connections waiting for a request (the protocol: the longest waiting is closed);
    # uvicorn's own limit_concurrency would count idle sockets against the requests.
    common = {"host": settings.host, "port": settings.port, "lifespan": "on",
              "access_log": settings.access_log, "log_level": "info",
              "server_header": False, "http": GuardedH11Protocol}  # fmt: skip
    if settings.workers == 1:
        uvicorn.run(build_app(settings, current), **common)  # type: ignore[arg-type]
        return
    os.environ[SETTINGS_ENV] = settings.to_json()
    uvicorn.run("policygate.serve:worker_app", factory=True, workers=settings.workers,
                **common)  # type: ignore[arg-type]


__all__ = ["DecisionService", "ServeSettings", "ServedSet", "build_app", "run", "worker_app"]
