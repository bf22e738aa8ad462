"""An audit killed with SIGKILL leaves no worker and no forkserver behind (issue 14).

A real ``policygate audit --jobs 2`` runs in its own process group; once its
workers exist the parent is killed with ``kill -9`` and every other process of
the group must be gone within a bounded wait. The group is killed whatever
happens, so a failing run leaves nothing either.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: gate, version: "1"}
spec:
  rules:
    - id: auc
      check: model.spec.metrics.auc >= 0.8
"""
DEADLINE = 10.0  # seconds the processes get to go, polled


def _processes(group: int) -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every live process in ``group``."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")"
        state, ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state != "Z":  # a zombie holds no memory and runs nothing
            found[int(entry)] = (int(ppid), state, cmdline.replace(b"\0", b" ").decode())
    return found


def _workers(group: int, parent: int) -> tuple[list[int], list[int]]:
    """The forkservers the parent started and the workers they forked."""
    processes = _processes(group)
    servers = [
        pid
        for pid, (ppid, _, cmd) in processes.items()
        if ppid == parent and "multiprocessing.forkserver" in cmd
    ]
    workers = [pid for pid, (ppid, _, _) in processes.items() if ppid in servers]
    return servers, workers


def test_kill_9_of_the_parent_takes_its_workers_and_forkserver_with_it(tmp_path):
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "registry").mkdir()
    for i in range(200):
        (tmp_path / "registry" / f"m{i:03d}.yaml").write_text(
            "apiVersion: policygate/v1\nkind: ModelRecord\n"
            f"metadata: {{name: m{i}, version: '1'}}\nspec: {{metrics: {{auc: 0.{70 + i % 30}}}}}\n"
        )
    # The same tree 500 times over: 100,000 sources, far more than the test waits for.
    sources = [str(tmp_path / "registry")] * 500
    command = [sys.executable, "-m", "policygate", "audit", *sources]
    command += ["-p", str(tmp_path / "policy.yaml"), "--jobs", "2", "--now", "2026-11-26T00:00:00Z"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the cleanup below kills all of it
    )
    group = proc.pid
    try:
        servers: list[int] = []
        workers: list[int] = []
        for _ in range(600):  # up to a minute for the workers to start
            servers, workers = _workers(group, proc.pid)
            if len(workers) >= 2 or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the audit ended before it could be killed"
        assert servers and len(workers) >= 2, _processes(group)

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        left = _processes(group)
        for _ in range(int(DEADLINE * 10)):
            left = _processes(group)
            if not left:
                break
            time.sleep(0.1)
        assert left == {}, f"still running after the parent's kill -9: {left}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        proc.wait()
