"""SIGHUP reloads the served set atomically; a set that fails to load leaves the old
one serving (SPEC §10). Real signals to a real server."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from serve_harness import Server, start_server

NOW = "2026-11-26T00:00:00Z"
POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {{name: auc-gate}}
spec:
  params: {{min_auc: {min_auc}}}
  rules:
    - {{id: auc, check: 'model.auc >= params.min_auc'}}
"""
MODEL = {"name": "m", "version": "1", "auc": 0.85}


def _digest(server: Server) -> str:
    reply = server.request("GET", "/v1/policies")
    assert reply.status == 200
    (policy,) = reply.json()["policies"]
    return str(policy["digest"])


def _passed(server: Server) -> bool:
    reply = server.check({"models": [MODEL], "now": NOW})
    assert reply.status == 200, reply.body
    return bool(reply.json()["passed"])


def test_sighup_reloads_and_a_broken_set_leaves_the_old_one_serving(tmp_path: Path):
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY.format(min_auc=0.8), encoding="utf-8")
    server = start_server(tmp_path, ["-p", str(policy)])
    try:
        first = _digest(server)
        assert _passed(server)

        policy.write_text(POLICY.format(min_auc=0.9), encoding="utf-8")
        server.process.send_signal(signal.SIGHUP)
        server.wait_for(lambda: _digest(server) != first, "the reloaded digest")
        second = _digest(server)
        assert not _passed(server)  # the new threshold is what is judged now
        assert "policygate serve: reloaded 1 policies" in server.stderr()

        policy.write_text(POLICY.format(min_auc=0.9) + "    - {id: broken, check: 'model.x >'}\n",
                          encoding="utf-8")  # fmt: skip
        server.process.send_signal(signal.SIGHUP)
        server.wait_for(lambda: "reload failed" in server.stderr(), "the reload failure")
        logged = [line for line in server.stderr().splitlines() if "reload failed" in line]
        assert len(logged) == 1
        # the broken rule's check, where `check` would point
        assert logged[0].startswith("policygate serve: reload failed, still serving the "
                                    f"previous set: {policy}:8:")  # fmt: skip
        assert _digest(server) == second
        assert not _passed(server)
        health = server.request("GET", "/health")
        assert health.status == 200 and health.json()["policies"] == 1

        policy.unlink()  # a set that cannot even be read: the same
        server.process.send_signal(signal.SIGHUP)
        server.wait_for(lambda: server.stderr().count("reload failed") == 2, "a second failure")
        assert _digest(server) == second
        assert server.process.poll() is None
    finally:
        server.stop()


def test_sighup_rereads_the_token_file(tmp_path: Path):
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY.format(min_auc=0.8), encoding="utf-8")
    token_file = tmp_path / "token"
    token_file.write_text("old-token", encoding="utf-8")
    server = start_server(tmp_path, ["-p", str(policy), "--token-file", str(token_file)],
                          token="old-token")  # fmt: skip
    try:
        assert server.request("GET", "/v1/policies").status == 200
        token_file.write_text("new-token", encoding="utf-8")
        server.process.send_signal(signal.SIGHUP)
        server.wait_for(lambda: server.request("GET", "/v1/policies").status == 401,
                        "the old token refused")  # fmt: skip
        reply = server.request("GET", "/v1/policies", token="new-token")
        assert reply.status == 200
        body = json.dumps({"models": [MODEL], "now": NOW}).encode()
        assert server.request("POST", "/v1/check", body, token="new-token").status == 200
    finally:
        server.stop()


def test_with_workers_sighup_rolls_them_and_a_broken_set_keeps_them(tmp_path: Path):
    """``--workers N``: uvicorn replaces each worker by one that loaded the new set,
    and keeps a worker whose replacement cannot load it."""
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY.format(min_auc=0.8), encoding="utf-8")
    server = start_server(tmp_path, ["-p", str(policy), "--workers", "2"])
    try:
        first = _digest(server)
        policy.write_text(POLICY.format(min_auc=0.9), encoding="utf-8")
        server.process.send_signal(signal.SIGHUP)
        server.wait_for(lambda: server.stderr().count("Finished server process") == 2,
                        "both workers replaced", seconds=60)  # fmt: skip
        second = _digest(server)
        assert second != first
        assert all(_digest(server) == second and not _passed(server) for _ in range(10))

        policy.write_text(POLICY.format(min_auc=0.9) + "    - {id: broken, check: 'model.x >'}\n",
                          encoding="utf-8")  # fmt: skip
        server.process.send_signal(signal.SIGHUP)
        server.wait_for(lambda: "aborting the restart" in server.stderr(), "the restart aborted",
                        seconds=60)  # fmt: skip
        assert all(_digest(server) == second for _ in range(10))
        assert "policygate serve: reload failed, the running workers keep the previous set: " \
               f"{policy}:8:" in server.stderr()  # fmt: skip
        assert "Traceback" not in server.stderr()
    finally:
        server.stop()
