"""POST /v1/authorize over real HTTP (SPEC §10): a real uvicorn serving the access pack."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from serve_harness import ROOT, Server, start_server

PASSES = ROOT / "examples" / "models" / "credit-default-passes.yaml"
FAILS = ROOT / "examples" / "models" / "credit-limit-fails-fairness-and-expired-approval.yaml"
NOW = "2026-11-26T00:00:00Z"


def _record(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shipped packs (promotion and access), champion protected, no directory."""
    tmp = tmp_path_factory.mktemp("authorize")
    args = ["-p", str(ROOT / "policies"), "--protected-alias", "champion",
            "--protected-stage", "Production", "--limit", "max-file-bytes=65536"]  # fmt: skip
    running = start_server(tmp, args)
    yield running
    running.stop()


def _authorize(server: Server, body: object) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = server.request("POST", "/v1/authorize", raw)
    return reply.status, reply.json()


def _request(action: str = "set-alias", **target: str) -> dict:
    target.setdefault("model", "credit-default")
    return {"action": action, "actor": {"name": "sam@example.com", "authenticated": True},
            "target": target}  # fmt: skip


def test_an_allowed_request_is_200_with_allowed_true(server: Server):
    status, body = _authorize(server, {"request": _request("set-alias", version="3.1.0",
                                                           alias="challenger"),
                                       "model": _record(PASSES), "now": NOW})  # fmt: skip
    assert status == 200
    assert body["allowed"] is True and body["is_promotion"] is False
    assert {r["rule"]: r["status"] for r in body["results"]} == {
        "actor.authenticated": "pass", "protected-alias.role": "skip",
        "no-self-promotion.creator": "skip", "no-self-promotion.approver": "skip"}


def test_a_protected_alias_without_the_role_is_denied(server: Server):
    # The server has no approvers directory: the roles a client sends count for nothing.
    request = _request("set-alias", version="3.1.0", alias="champion")
    request["actor"]["roles"] = ["release-manager"]
    status, body = _authorize(server, {"request": request, "model": _record(PASSES),
                                       "now": NOW})  # fmt: skip
    assert status == 200
    assert body["allowed"] is False and body["is_promotion"] is True
    assert body["request"]["actor"]["roles"] == []
    assert "registry-access/protected-alias.role" in [f["rule"] for f in body["failing"]]


def test_a_stage_the_server_protects_is_a_promotion_judged_on_the_record(server: Server):
    status, body = _authorize(server, {"request": _request("transition-stage", version="1",
                                                           stage="production"),
                                       "model": _record(FAILS), "now": NOW})  # fmt: skip
    assert status == 200 and body["allowed"] is False and body["is_promotion"] is True
    assert body["promotion"]["passed"] is False


@pytest.mark.parametrize(("body", "message"), [
    (b"{", "<request>:1:2"),
    (b"", "the request has no body"),
    ({"request": {"action": "set-alias"}}, "request.actor must be a mapping, got nothing"),
    ({"request": _request("set-alias", version="1", alais="champion")},
     "request.target: unknown key 'alais'; did you mean 'alias'?"),
    ({"request": _request("delete-model"), "extra": 1}, "unknown key 'extra' in the request"),
    ({"model": {}}, "the request has no 'request'"),
    ({"request": _request("delete-model"), "model": []}, "model must be a model record"),
    ({"request": _request("delete-model"), "now": "soon"}, "now: "),
    ({"request": _request("delete-model"),
      "model": {"apiVersion": "policygate/v1", "kind": "ModelRecord", "metadata": {}}},
     "<request>:1:"),
    ({"request": {**_request("set-tag", tag={"key": "policygate.decision"}),
                  "actor": {"name": "policygate", "gate": True}}},
     "request.actor.gate: only the admission gate says a write is its own"),
])
def test_bad_input_is_400_and_never_an_answer(server: Server, body: object, message: str):
    status, answer = _authorize(server, body)
    assert status == 400
    assert "allowed" not in answer
    assert message in answer["error"]


def test_a_huge_body_is_413(server: Server):
    status, answer = _authorize(server, b'{"request": "' + b"x" * 70_000 + b'"}')
    assert status == 413 and "allowed" not in answer


def test_the_access_policies_are_listed_with_their_digests(server: Server):
    reply = server.request("GET", "/v1/policies")
    listed = reply.json()["access_policies"]
    assert [p["name"] for p in listed] == ["registry-access"]
    assert listed[0]["digest"].startswith("sha256:") and listed[0]["rules"] == 10


def test_a_reload_with_a_broken_access_policy_keeps_the_old_set(tmp_path: Path):
    access = tmp_path / "access.yaml"
    text = (ROOT / "policies" / "access" / "registry-access.yaml").read_text("utf-8")
    access.write_text(text, encoding="utf-8")
    running = start_server(tmp_path, ["-p", str(access), "-p",
                                      str(ROOT / "policies" / "limited-risk.yaml")])  # fmt: skip
    try:
        access.write_text(text.replace("actions: [set-alias, delete-alias]",
                                       "actions: [set-alais]"), encoding="utf-8")  # fmt: skip
        running.process.send_signal(signal.SIGHUP)
        running.wait_for(lambda: "reload failed" in running.stderr(), "the reload failure")
        assert "unknown action 'set-alais'; did you mean 'set-alias'?" in running.stderr()
        status, body = _authorize(running, {"request": _request("set-alias", version="1",
                                                                alias="x")})  # fmt: skip
        assert status == 200 and body["allowed"] is True  # judged by the old, whole pack
        assert {"actor.authenticated", "protected-alias.role"} <= {r["rule"] for r in
                                                                  body["results"]}  # fmt: skip
    finally:
        running.stop()


def test_fail_on_never_does_not_make_authorize_report_only(tmp_path: Path):
    running = start_server(tmp_path, ["-p", str(ROOT / "policies"), "--fail-on", "never"])
    try:
        request = _request("set-tag", tag={"key": "policygate.decision"})
        status, body = _authorize(running, {"request": request})
        assert status == 200 and body["allowed"] is False
        assert [f["rule"] for f in body["failing"]] == ["registry-access/tags.gate-only"]
    finally:
        running.stop()


def test_serve_takes_its_packs_and_protected_aliases_from_the_configuration(tmp_path: Path):
    (tmp_path / "policygate.yaml").write_text(
        f"policies: [{ROOT / 'policies' / 'limited-risk.yaml'}]\n"
        f"registry:\n  protected_aliases: [gold]\n"
        f"  access_policies: [{ROOT / 'policies' / 'access'}]\n", encoding="utf-8")
    running = start_server(tmp_path, [], cwd=tmp_path)
    try:
        request = _request("set-alias", version="1", alias="gold")
        status, body = _authorize(running, {"request": request})
        assert status == 200 and body["is_promotion"] is True and body["allowed"] is False
        assert "policygate/promotion.model" in [f["rule"] for f in body["failing"]]
    finally:
        running.stop()


def test_without_access_policies_it_is_501(tmp_path: Path):
    running = start_server(tmp_path, ["-p", str(ROOT / "policies" / "limited-risk.yaml")])
    try:
        reply = running.request("POST", "/v1/authorize",
                                json.dumps({"request": _request("delete-model")}).encode())
        assert reply.status == 501
        assert "allowed" not in reply.json()
        assert reply.json()["error"].startswith("no access policy (kind: AccessPolicy")
    finally:
        running.stop()
