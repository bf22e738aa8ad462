"""A signed rejection cannot be neutralised, through the CLI (issue 14, item 8).

(b) an unsigned "approved" after a signed rejection fails the gate; (a) with
``approve --attestation-log`` and ``check --attestation-log``, deleting the
rejection from the record (or its attestation) is refused with exit 2.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main
from policygate.decisionlog import head_path, read_entries

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "models" / "credit-default-passes.yaml"
HIGH_RISK = str(ROOT / "policies" / "production-high-risk.yaml")
NOW = "2026-11-26T00:00:00Z"
BOB = "bob.lindqvist@example.com"
PRIYA = "priya.natarajan@example.com"
LOG = "attestations.jsonl"


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def team(tmp_path, monkeypatch):
    """Keys for Bob and Priya, an approvers directory, and a copy of the example record."""
    monkeypatch.chdir(tmp_path)
    public = {}
    for name in ("bob", "priya"):
        result = run("keygen", f"{name}.pem")
        assert result.exit_code == 0
        public[name] = result.stdout.strip()
    Path("approvers.yaml").write_text(
        "apiVersion: policygate/v1\nkind: Approvers\nmetadata: {name: acme}\nspec:\n"
        "  approvers:\n"
        + "".join(
            f"    - {{id: {who}, roles: [{role}], keys: [{{public_key: '{public[key]}'}}]}}\n"
            for who, role, key in (
                (BOB, "model-risk-officer", "bob"),
                (PRIYA, "model-validation", "priya"),
            )  # fmt: skip
        )
    )
    shutil.copy(EXAMPLE, "model.yaml")
    return tmp_path


def approve(key: str, role: str, when: str, *extra: str):
    result = run("approve", "model.yaml", "--role", role, "--key", key,
                 "--approvers", "approvers.yaml", "--risk-assessment", "RA-2026-044",
                 "--now", when, *extra)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result


def decide(*extra: str) -> None:
    """Both roles approve, then Bob rejects: all signed."""
    approve("bob.pem", "model-risk-officer", "2026-11-20T00:00:00Z", *extra)
    approve("priya.pem", "model-validation", "2026-11-20T00:00:00Z", *extra)
    approve("bob.pem", "model-risk-officer", "2026-11-21T00:00:00Z", "--decision", "rejected",
            "--note", "the out-of-time AUC is not convincing", *extra)  # fmt: skip


def check(*args: str):
    return run("check", "model.yaml", "-p", HIGH_RISK, "--param", "require_signed_approvals=true",
               "--approvers", "approvers.yaml", "--now", NOW, *args)  # fmt: skip


def without_last_approval(text: str) -> str:
    """The record without its last approval (the one just before ``spec.risks``)."""
    head, marker, _ = text.rpartition("    - role: model-risk-officer\n")
    assert marker
    return head + text[text.index("  risks: [") :]


UNSIGNED = (
    "    - role: model-risk-officer\n"
    f"      approver: {BOB}\n"
    "      decision: approved\n"
    "      granted_at: '2026-11-22T00:00:00Z'\n"
    "      expires_at: '2027-11-22T00:00:00Z'\n"
    "      scope: production\n"
    "      risk_assessment: RA-2026-044\n"
)


def test_an_unsigned_approval_after_a_signed_rejection_fails_the_gate(team):
    decide()
    assert check().exit_code == 1
    Path("model.yaml").write_text(
        Path("model.yaml").read_text().replace("  risks: [", UNSIGNED + "  risks: [", 1)
    )
    result = check()
    assert result.exit_code == 1, result.stdout
    assert "FAIL   production-promotion/approval.no-outstanding-rejection[" in result.stdout
    assert f"model-risk-officer ({BOB}) rejected the promotion on 2026-11-21" in result.stdout


def test_approve_logs_every_signed_decision(team):
    decide("--attestation-log", LOG)
    entries = read_entries(LOG)
    assert [(e["seq"], e["approval"]["role"], e["approval"]["decision"]) for e in entries] == [
        (1, "model-risk-officer", "approved"),
        (2, "model-validation", "approved"),
        (3, "model-risk-officer", "rejected"),
    ]
    result = run("log", "verify", LOG)
    assert result.exit_code == 0
    assert result.stdout == f"{LOG}: 3 entries, chain intact, head {entries[-1]['hash']}\n"
    assert check("--attestation-log", LOG).exit_code == 1  # the rejection stands


def test_the_approve_message_names_the_log_line(team):
    result = approve("bob.pem", "model-risk-officer", "2026-11-20T00:00:00Z",
                     "--attestation-log", LOG)  # fmt: skip
    assert result.stderr.endswith("; added to model.yaml; logged at attestations.jsonl:1\n")


def test_deleting_a_signed_rejection_passes_without_the_log_and_is_refused_with_it(team):
    decide("--attestation-log", LOG)
    Path("model.yaml").write_text(without_last_approval(Path("model.yaml").read_text()))
    assert check().exit_code == 0  # the record alone cannot show the deletion
    result = check("--attestation-log", LOG)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("policygate: error: model.yaml:5:1: credit-default@3.1.0: ")
    assert result.stderr.endswith(
        f"the signed 'rejected' by {BOB} as model-risk-officer (granted 2026-11-21T00:00:00Z) "
        f"logged at {LOG}:3 is not among the record's approvals or attestations (deleted or "
        "altered?); a record must carry every decision logged for it\n"
    )


def test_deleting_a_rejection_attestation_is_refused(team):
    decide("--attestation", "approvals.yaml", "--attestation-log", LOG)
    documents = Path("approvals.yaml").read_text().split("---\n")
    assert check("--attestations", "approvals.yaml", "--attestation-log", LOG).exit_code == 1
    Path("approvals.yaml").write_text("---\n".join(documents[:2]))
    assert check("--attestations", "approvals.yaml").exit_code == 0
    result = check("--attestations", "approvals.yaml", "--attestation-log", LOG)
    assert result.exit_code == 2 and f"logged at {LOG}:3 is not among" in result.stderr


def test_a_truncated_attestation_log_is_refused(team):
    decide("--attestation-log", LOG)
    head = read_entries(LOG)[-1]["hash"]
    Path("model.yaml").write_text(without_last_approval(Path("model.yaml").read_text()))
    lines = Path(LOG).read_bytes().splitlines(keepends=True)
    Path(LOG).write_bytes(b"".join(lines[:2]))
    result = check("--attestation-log", LOG)
    assert result.exit_code == 2
    assert result.stderr == (
        f"policygate: error: {LOG}:3: attestation log: entry missing: the log ends after 2 "
        "entries, its head file records 3 (entries deleted from the end?); nothing it records "
        "can be relied on\n"
    )
    second = json.loads(lines[1])["hash"]
    Path(head_path(LOG)).write_text(json.dumps({"entries": 2, "head": second}))
    assert check("--attestation-log", LOG).exit_code == 0  # rebuilt head file: consistent
    result = check("--attestation-log", LOG, "--attestation-head", head)
    assert result.exit_code == 2
    assert f"attestation log: the anchor {head} is not an entry of the log" in result.stderr
    os.unlink(head_path(LOG))
    result = check("--attestation-log", LOG)
    assert result.exit_code == 2 and "head file attestations.jsonl.head is missing" in (
        result.stderr
    )


def test_attestation_head_usage_errors(team):
    decide("--attestation-log", LOG)
    result = check("--attestation-head", read_entries(LOG)[-1]["hash"])
    assert (result.exit_code, result.stderr) == (
        2, "policygate: error: --attestation-head needs --attestation-log\n"
    )  # fmt: skip
    result = check("--attestation-log", LOG, "--attestation-head", "abc")
    assert (result.exit_code, result.stderr) == (
        2, "policygate: error: --attestation-head: expected sha256: and 64 hex digits, got 'abc'\n"
    )  # fmt: skip


def test_a_log_that_cannot_be_written_leaves_the_record_alone(team):
    original = Path("model.yaml").read_text()
    Path(LOG).write_bytes(b'{"half": ')
    result = run("approve", "model.yaml", "--role", "model-risk-officer", "--key", "bob.pem",
                 "--approvers", "approvers.yaml", "--now", "2026-11-20T00:00:00Z",
                 "--attestation-log", LOG)  # fmt: skip
    assert result.exit_code == 2 and "incomplete" in result.stderr
    assert Path("model.yaml").read_text() == original


def test_log_show_reads_an_attestation_log(team):
    decide("--attestation-log", LOG)
    result = run("log", "show", LOG, "--model", "credit-default@3.1.0")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and lines[-1] == "3 decisions for credit-default@3.1.0"
    assert lines[2].startswith("line 3  20")
    assert lines[2].endswith(
        f"  credit-default@3.1.0  REJECTED  model-risk-officer by {BOB}  "
        "(granted 2026-11-21T00:00:00Z, record sha256:8f0b6305d3d2)"
    )
