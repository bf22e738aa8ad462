"""Fixtures: the shipped policies served for a whole test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_harness import ROOT, Server, start_server


@pytest.fixture(scope="module")
def shipped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shipped policies, a decision log, and a body limit of 64 KiB."""
    tmp = tmp_path_factory.mktemp("serve")
    args = ["-p", str(ROOT / "policies"), "--decision-log", str(tmp / "decisions.jsonl"),
            "--limit", "max-file-bytes=65536", "--threads", "2"]  # fmt: skip
    server = start_server(tmp, args)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def decision_log(shipped_server: Server) -> Path:
    return shipped_server.stderr_path.parent / "decisions.jsonl"
