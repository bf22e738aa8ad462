"""One real ``mlflow server --app-name policygate`` (two workers) for every test of the
folder, seeded through the gate itself with runs and versions of known quality."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gate_support import GateServer, Seeded, register, start, stop, write_setup


@pytest.fixture(scope="session")
def gate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GateServer]:
    root = tmp_path_factory.mktemp("registry-gate")
    write_setup(root)
    server = start(root)
    try:
        yield server
    finally:
        stop(server.process)


@pytest.fixture(scope="session")
def seeded(gate_server: GateServer) -> Seeded:
    alice = gate_server.client("alice")
    alice.create_registered_model("credit-default", tags={"owner": "credit-ml"})
    versions = [
        register(gate_server, "alice", "credit-default", 0.91),
        register(gate_server, "alice", "credit-default", 0.62),
        register(gate_server, "carol", "credit-default", 0.95, claims="alice"),
        register(gate_server, "alice", "credit-default", 0.93),
    ]
    assert versions == ["1", "2", "3", "4"]
    return Seeded(gate_server)
