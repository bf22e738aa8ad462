"""The attestation log: signed decisions, hash-chained; a record missing one is refused (issue 14).

Without the log, deleting a signed rejection from the record cannot be found:
the record is all there is. With it, every decision logged for a record's
name@version must be on the record (or among its attestations), exactly as
signed, as long as the log itself verifies and is anchored (its head file, or
a head kept elsewhere).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from approvals_support import BOB, PRIYA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate.approvals import attestation_document, load_attestations
from policygate.approvals.attestation_log import (
    ENTRY_KIND,
    log_attestation,
    missing_from_records,
    read_attestation_log,
    require_logged_decisions,
)
from policygate.approvals.digest import record_digest
from policygate.decisionlog import GENESIS, append, head_path, read_entries, verify
from policygate.errors import DecisionLogError, LoadError, PolicygateError
from policygate.models import model_from_data
from policygate.timestamps import parse_timestamp

TIME = parse_timestamp("2026-11-21T10:00:00Z")


@pytest.fixture
def decided(signed, signer, tmp_path) -> tuple[dict[str, Any], Path]:
    """Both roles approved, then Bob rejected; every decision logged."""
    rejection = signer(signed, "bob", "model-risk-officer", BOB,
                       granted_at="2026-11-21T00:00:00Z", decision="rejected")  # fmt: skip
    signed["spec"]["approvals"].append(rejection)
    log = tmp_path / "attestations.jsonl"
    for approval in signed["spec"]["approvals"]:
        log_attestation(log, "credit-default", "3.1.0", approval, time=TIME)
    return signed, log


def records(data: dict[str, Any]) -> list:
    return [model_from_data(copy.deepcopy(data), "model.yaml")]


def test_an_entry_is_the_signed_decision_chained_like_the_decision_log(decided):
    record, log = decided
    first, second, third = read_entries(log)
    assert first["prev"] == GENESIS and third["prev"] == second["hash"]
    assert third["kind"] == ENTRY_KIND and third["time"] == "2026-11-21T10:00:00Z"
    assert third["model"] == {"name": "credit-default", "version": "3.1.0",
                              "record_digest": record_digest(record)}  # fmt: skip
    assert third["approval"] == record["spec"]["approvals"][2]
    assert verify(log).intact and verify(log).entries == 3
    logged = read_attestation_log(log)
    assert [(d.line, d.approval["decision"]) for d in logged] == [
        (1, "approved"), (2, "approved"), (3, "rejected")
    ]  # fmt: skip


def test_only_a_signed_approval_is_logged(record, tmp_path):
    with pytest.raises(ValueError, match="only a signed approval"):
        log_attestation(tmp_path / "a.jsonl", "m", "1", {"role": "r", "decision": "approved"})


def test_a_record_carrying_every_logged_decision_is_accepted(decided):
    record, log = decided
    assert len(require_logged_decisions(log, records(record))) == 3


def test_a_deleted_signed_rejection_is_found(decided):
    record, log = decided
    del record["spec"]["approvals"][2]
    with pytest.raises(LoadError) as caught:
        require_logged_decisions(log, records(record))
    assert str(caught.value) == (
        f"model.yaml: credit-default@3.1.0: the signed 'rejected' by {BOB} as "
        f"model-risk-officer (granted 2026-11-21T00:00:00Z) logged at {log}:3 is not among "
        "the record's approvals or attestations (deleted or altered?); a record must carry "
        "every decision logged for it"
    )


def test_a_deleted_signed_approval_is_found(decided):
    record, log = decided
    del record["spec"]["approvals"][1]
    errors = missing_from_records(records(record), read_attestation_log(log), log=str(log))
    assert [f"{PRIYA}" in str(e) and f"{log}:2" in str(e) for e in errors] == [True]


@pytest.mark.parametrize(
    "change",
    [
        {"decision": "approved"},  # a rejection turned into an approval, signature kept
        {"granted_at": "2026-11-19T00:00:00Z"},  # moved before the approvals it overrides
        {"role": "legal"},
    ],
)
def test_an_altered_logged_rejection_is_found(decided, change):
    record, log = decided
    record["spec"]["approvals"][2].update(change)
    with pytest.raises(LoadError, match="logged at .*:3 is not among"):
        require_logged_decisions(log, records(record))


def test_the_signature_must_be_the_logged_one(decided, signer):
    # Another rejection by the same person, with the same fields but signed anew
    # (for another record), is not the one that was logged.
    record, log = decided
    other = copy.deepcopy(record)
    other["spec"]["metrics"]["auc"] = 0.9
    record["spec"]["approvals"][2] = signer(other, "bob", "model-risk-officer", BOB,
                                            granted_at="2026-11-21T00:00:00Z",
                                            decision="rejected")  # fmt: skip
    with pytest.raises(LoadError, match="logged at .*:3"):
        require_logged_decisions(log, records(record))


def test_a_decision_carried_by_an_attestation_counts(decided, tmp_path):
    record, log = decided
    rejection = record["spec"]["approvals"].pop(2)
    path = tmp_path / "a.yaml"
    path.write_text(attestation_document("credit-default", "3.1.0", rejection))
    require_logged_decisions(log, records(record), load_attestations([path]))
    other = tmp_path / "other.yaml"
    other.write_text(attestation_document("credit-default", "3.1.1", rejection))
    with pytest.raises(LoadError):  # an attestation for another version carries nothing here
        require_logged_decisions(log, records(record), load_attestations([other]))


def test_a_rejection_of_an_earlier_state_of_the_record_is_still_required(decided):
    # The rejection still stands under the shipped rules once the record changes,
    # so removing it together with the change must be found too.
    record, log = decided
    record["spec"]["metrics"]["auc"] = 0.9
    del record["spec"]["approvals"][2]
    with pytest.raises(LoadError, match="logged at .*:3"):
        require_logged_decisions(log, records(record))


def test_decisions_for_other_versions_do_not_concern_a_record(decided):
    record, log = decided
    record["metadata"]["version"] = "3.2.0"
    record["spec"]["approvals"] = []
    assert missing_from_records(records(record), read_attestation_log(log)) == []


def test_reordering_the_log_is_refused(decided):
    record, log = decided
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2] + lines[1])
    with pytest.raises(DecisionLogError) as caught:
        read_attestation_log(log)
    assert str(caught.value).startswith(f"{log}:2: attestation log: does not follow line 1's")


def test_a_truncated_log_is_refused_by_its_head_file_or_its_anchor(decided):
    record, log = decided
    head = read_entries(log)[-1]["hash"]
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2]))  # the rejection's entry deleted
    with pytest.raises(DecisionLogError, match="entry missing"):
        read_attestation_log(log)
    second = json.loads(lines[1])["hash"]
    Path(head_path(log)).write_text(json.dumps({"entries": 2, "head": second}))
    assert len(read_attestation_log(log)) == 2  # rebuilt head file: only an anchor finds it
    with pytest.raises(DecisionLogError, match="the anchor .* is not an entry of the log"):
        read_attestation_log(log, head=head)


def test_a_log_without_head_file_needs_an_anchor(decided):
    record, log = decided
    head = read_entries(log)[-1]["hash"]
    os.unlink(head_path(log))
    with pytest.raises(DecisionLogError, match="head file .* is missing"):
        read_attestation_log(log)
    assert len(read_attestation_log(log, head=head)) == 3


def test_a_decision_log_is_not_an_attestation_log(tmp_path):
    log = tmp_path / "decisions.jsonl"
    append(log, [{"v": 1, "model": {"name": "m", "version": "1"}, "passed": True}])
    with pytest.raises(PolicygateError, match=r"decisions.jsonl:1: attestation log: not a"):
        read_attestation_log(log)


def test_log_show_lines_are_inert(record, signer, tmp_path):
    from policygate.approvals.attestation_log import describe

    approval = signer(record, "bob", "model-risk-officer\x1b[2J\u202e", BOB)
    entry = log_attestation(tmp_path / "a.jsonl", "m\n", "1", approval, time=TIME)
    assert describe(entry) == (
        f"2026-11-21T10:00:00Z  m\\x0a@1  APPROVED  model-risk-officer\\x1b[2J\\u202e by {BOB}  "
        f"(granted 2026-11-20T00:00:00Z, record {record_digest(record)[:19]})"
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kept=st.lists(st.booleans(), min_size=3, max_size=3), order=st.permutations(range(3)))
def test_exactly_the_decisions_left_out_are_reported(decided, kept, order):
    # Whatever subset of the logged decisions the record keeps, in whatever order,
    # one error names each one it left out, by its log line.
    record, log = decided
    approvals = record["spec"]["approvals"]
    changed = copy.deepcopy(record)
    changed["spec"]["approvals"] = [approvals[i] for i in order if kept[i]]
    errors = missing_from_records(records(changed), read_attestation_log(log), log="L")
    reported = sorted(int(str(e).split("logged at L:")[1].split(" ")[0]) for e in errors)
    assert reported == [i + 1 for i in range(3) if not kept[i]]


DEEP = b"[" * 100_000 + b"]" * 100_000 + b"\n"


def test_a_deeply_nested_line_is_a_bad_line_at_its_place(decided):
    """A line nested past what the JSON reader can descend is no entry: an error at its
    line, as any line that is not JSON (not an internal RecursionError)."""
    record, log = decided
    with open(log, "ab") as handle:
        handle.write(DEEP)
    with pytest.raises(DecisionLogError) as caught:
        read_attestation_log(log)
    assert caught.value.location is not None and caught.value.location.line == 4
    assert "not valid JSON" in str(caught.value)
    with pytest.raises(DecisionLogError) as caught:
        read_entries(log)
    assert caught.value.location is not None and caught.value.location.line == 4
    with pytest.raises(DecisionLogError, match="the last line is not a decision log entry"):
        log_attestation(log, "credit-default", "3.1.0", record["spec"]["approvals"][0])
