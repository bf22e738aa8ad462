"""Evaluating an audit: one source at a time, in this process or in worker processes.

The results come back in source order whatever ``jobs`` is, so a parallel run
writes exactly what a serial one writes. Work is handed out in small batches
through a bounded window, so memory does not grow with the number of sources.
Each worker loads the policies once, from the same paths and parameters, and
every process evaluates with the same fixed ``now``.
"""

from __future__ import annotations

import ctypes
import dataclasses
import itertools
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from ..errors import PolicygateError
from ..models import load_models
from ..policy import Policy
from ..report import ModelReport, Result, Status
from ..run import RunSpec, assignments, evaluate, load_run
from .sources import AuditItem
from .summary import LOAD_RULE

BATCH = 32  # sources per task handed to a worker
WINDOW_PER_JOB = 4  # batches in flight per worker


@dataclass(frozen=True)
class AuditConfig:
    """Everything a process needs to evaluate sources: paths and values, no loaded state.

    ``spec`` is the run every process loads (:func:`policygate.run.load_run`, the
    sources being its models); without one it is made of the fields before it.
    ``environ`` holds the ``POLICYGATE_*`` limits the command line was given.
    """

    policies: tuple[str, ...]
    now: str
    params: Mapping[str, Any] = field(default_factory=dict)
    waivers: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    fail_on: str = "error"
    overlay: Mapping[str, Any] = field(default_factory=dict)  # --set: {dotted path: value}
    spec: RunSpec | None = None
    environ: Mapping[str, str] = field(default_factory=dict)

    def run_spec(self) -> RunSpec:
        if self.spec is not None:
            return dataclasses.replace(self.spec, now=self.now, fail_on=self.fail_on)
        return RunSpec(policies=self.policies, waivers=self.waivers, inputs=self.inputs,
                       params=tuple(assignments(self.params)), now=self.now,
                       set=tuple(assignments(self.overlay)), fail_on=self.fail_on)  # fmt: skip


class Auditor:
    """The run (policies, waivers, inputs, approvers...) loaded once; then one source
    at a time."""

    def __init__(self, config: AuditConfig) -> None:
        self.config = config
        self.run = load_run(config.run_spec(), environ=config.environ)
        self.policies: list[Policy] = list(self.run.policies)

    def evaluate(self, item: AuditItem) -> list[ModelReport]:
        """The model reports of one source; an unreadable source gives one ``error`` model."""
        if item.error is not None:
            return [unreadable(item.source, item.error, item.error_code)]
        try:
            run = self.run.with_records(load_models([item.source]))
        except PolicygateError as error:
            return [unreadable(item.source, str(error), error.code)]
        if not run.records:
            return []
        return list(evaluate(run).models)


_INTERNAL = "internal-error"  # a worker or the evaluation failed: no load error's code


def unreadable(source: str, message: str, code: str = "load-error") -> ModelReport:
    """The report of a source that could not be read: failed, with one ``error`` result
    whose ``error_code`` is ``code``, the code of the PolicygateError that stopped it."""
    return ModelReport(
        name=source,
        version="",
        source=source,
        passed=False,
        policies=(),
        results=(
            Result(
                policy=LOAD_RULE[0],
                rule=LOAD_RULE[1],
                status=Status.ERROR,
                error_code=code,
                title="The model source can be read",
                category="metadata",
                message=message,
                remediation="Fix the source (or the registry connection) and audit again.",
            ),
        ),
    )


def audit_models(
    items: Iterable[AuditItem],
    config: AuditConfig,
    *,
    jobs: int = 1,
    auditor: Auditor | None = None,
) -> Iterator[tuple[AuditItem, list[ModelReport]]]:
    """Each item with its model reports, in item order, evaluated by ``jobs`` processes."""
    if jobs <= 1:
        auditor = auditor or Auditor(config)
        for item in items:
            yield item, _safely(auditor, item)
        return
    yield from _in_workers(items, config, max(jobs, 1))


def _in_workers(
    items: Iterable[AuditItem], config: AuditConfig, jobs: int
) -> Iterator[tuple[AuditItem, list[ModelReport]]]:
    batches = _batches(items, BATCH)
    first = next(batches, None)
    if first is None:
        return  # nothing left: no process to start
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    pending: deque[tuple[list[AuditItem], Future[list[list[ModelReport]]]]] = deque()
    # A forkserver outlives the audit that started it: hand each worker this
    # process's environment (MLFLOW_TRACKING_URI...) as it is now.
    environment = dict(os.environ)
    # Every worker holds the reading end of this pipe and only this process the
    # writing end: when this process ends, however it ends (kill -9 too), the
    # workers read end-of-file and exit, and the forkserver with the last of them.
    lifeline, held = context.Pipe(duplex=False)
    try:
        with ProcessPoolExecutor(
            jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(config, environment, lifeline),
        ) as pool:
            for batch in itertools.chain([first], batches):
                pending.append((batch, pool.submit(_work, batch)))
                if len(pending) >= jobs * WINDOW_PER_JOB:
                    yield from _collect(*pending.popleft())
            while pending:
                yield from _collect(*pending.popleft())
    finally:
        held.close()
        lifeline.close()


def _collect(
    batch: list[AuditItem], future: Future[list[list[ModelReport]]]
) -> Iterator[tuple[AuditItem, list[ModelReport]]]:
    try:
        reports = future.result()
    except Exception as error:  # a worker died: its sources fail, the audit goes on
        reports = [
            [unreadable(i.source, f"worker failed: {type(error).__name__}: {error}", _INTERNAL)]
            for i in batch
        ]
    yield from zip(batch, reports, strict=True)


def _batches(items: Iterable[AuditItem], size: int) -> Iterator[list[AuditItem]]:
    batch: list[AuditItem] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _safely(auditor: Auditor, item: AuditItem) -> list[ModelReport]:
    """Fail closed on anything unexpected too: the source fails, the audit goes on."""
    try:
        return auditor.evaluate(item)
    except Exception as error:
        if os.environ.get("POLICYGATE_DEBUG"):
            raise
        return [
            unreadable(item.source, f"internal error ({type(error).__name__}: {error})", _INTERNAL)
        ]


_WORKER: Auditor | None = None


def _start_worker(config: AuditConfig, environment: dict[str, str], lifeline: Connection) -> None:
    global _WORKER
    _exit_with_parent(lifeline)
    os.environ.clear()
    os.environ.update(environment)
    _WORKER = Auditor(config)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _exit_with_parent(lifeline: Connection) -> None:
    """End this worker when the audit that started it is gone, even killed with SIGKILL.

    A thread waits for end-of-file on the lifeline (portable, and it sees the
    audit itself through a forkserver). On Linux the kernel also kills the
    worker when its parent process dies (the audit under ``spawn``, else the
    forkserver), which needs no Python code to run.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl to call: the thread alone does it
            pass
    threading.Thread(
        target=_watch_lifeline, args=(lifeline,), name="policygate-lifeline", daemon=True
    ).start()


def _watch_lifeline(lifeline: Connection) -> None:
    try:
        while True:
            lifeline.recv_bytes()  # nothing is ever sent: this returns at end-of-file
    except (EOFError, OSError):
        pass
    os._exit(1)  # the audit is gone: nobody will read what this worker computes


def _work(batch: list[AuditItem]) -> list[list[ModelReport]]:
    assert _WORKER is not None, "worker not initialised"
    return [_safely(_WORKER, item) for item in batch]
