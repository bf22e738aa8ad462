"""The decision log: what an entry records, the hash chain, tamper detection, concurrent appends."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policygate import evaluate, load_models, load_policies, load_waivers
from policygate.cli import main
from policygate.decisionlog import (
    GENESIS,
    append,
    decision_entries,
    entry_hash,
    head_path,
    log_decisions,
    read_entries,
    verify,
)
from policygate.errors import DecisionLogError
from policygate.policy import canonical_json
from policygate.timestamps import parse_timestamp

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-26T00:00:00Z"
TIME = parse_timestamp("2026-11-26T10:00:00Z")


@pytest.fixture(scope="module")
def evaluated():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        policies = load_policies(["policies/"])
        waivers = load_waivers(["examples/waivers/"])
        records = load_models(["examples/models/"])
    finally:
        os.chdir(cwd)
    report = evaluate(records, policies, waivers=waivers, now=NOW)
    return report, records, waivers


# --------------------------------------------------------------------------- entries


def test_an_entry_records_the_params_the_rules_read_which_the_digest_does_not(evaluated):
    """A ``--param`` (or a serve client's ``params``) changes what the rules compare
    with, not the digest of the policy files: the entry says which values decided."""
    report, records, waivers = evaluated
    policies = load_policies([ROOT / "policies/"])
    loosened = evaluate(records, policies, waivers=waivers, now=NOW, params={"min_auc": 0.01})
    before = decision_entries(report, records, waivers, time=TIME)[0]["policies"]
    after = decision_entries(loosened, records, waivers, time=TIME)[0]["policies"]
    assert [p["digest"] for p in before] == [p["digest"] for p in after]
    production = {p["name"]: p for p in after}["production-promotion"]
    assert production["params"]["min_auc"] == 0.01
    assert {p["name"]: p for p in before}["production-promotion"]["params"]["min_auc"] == 0.8
    assert [p["params"] for p in before] == [dict(p.params) for p in report.policies]




def test_one_entry_per_model_decision(evaluated):
    report, records, waivers = evaluated
    entries = decision_entries(report, records, waivers, time=TIME)
    assert [e["model"]["name"] for e in entries] == [m.name for m in report.models]
    limit = next(e for e in entries if e["model"]["name"] == "credit-limit")
    record = next(r for r in records if r.name == "credit-limit")
    assert limit["model"] == {
        "name": "credit-limit",
        "version": "2.4.0",
        "source": "examples/models/credit-limit-fails-fairness-and-expired-approval.yaml",
        "digest": "sha256:" + hashlib.sha256(canonical_json(record.data)).hexdigest(),
        "stage": "staging",
        "target_stage": "production",
    }
    assert limit["time"] == "2026-11-26T10:00:00Z" and limit["now"] == NOW
    assert limit["passed"] is False and limit["fail_on"] == "error"
    assert limit["failed"] == ["production-promotion/approval.required-roles[0]"]
    assert limit["waived"] == ["production-promotion/fairness.gap[0]"]
    assert limit["counts"]["waived"] == 1
    digests = {p.name: p.digest for p in report.policies}
    assert {p["name"]: p["digest"] for p in limit["policies"]} == digests
    assert {p["name"]: p["applicable"] for p in limit["policies"]} == {
        "eu-ai-act-classification": False,  # the record declares no spec.use
        "limited-risk-promotion": False,
        "production-promotion": True,
    }
    (waiver,) = limit["waivers"]
    assert waiver["name"] == "credit-limit-parity-2026q4" and waiver["expired"] is False
    assert waiver["digest"].startswith("sha256:") and len(waiver["digest"]) == 71


def test_model_digest_is_the_same_for_yaml_and_json(tmp_path):
    data = {"name": "m", "version": "1", "metrics": {"auc": 0.9}, "tags": ["a", "é"]}
    (tmp_path / "m.yaml").write_text("name: m\nversion: '1'\nmetrics: {auc: 0.9}\ntags: [a, é]\n")
    (tmp_path / "m.json").write_text(json.dumps(data, ensure_ascii=False))
    yaml_record, json_record = load_models([tmp_path / "m.yaml", tmp_path / "m.json"])
    policies = load_policies_text(tmp_path, "check: model.metrics.auc > 0.5")
    report = evaluate([yaml_record, json_record], policies, now=NOW)
    a, b = decision_entries(report, [yaml_record, json_record])
    assert a["model"]["digest"] == b["model"]["digest"]


def load_policies_text(folder: Path, check: str):
    (folder / "p.yaml").write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        f"spec:\n  rules:\n    - id: r\n      {check}\n"
    )
    return load_policies([folder / "p.yaml"])


# --------------------------------------------------------------------------- the chain


def entry(n: int) -> dict:
    return {"v": 1, "model": {"name": f"model-{n}", "version": "1"}, "passed": n % 2 == 0,
            "note": "naïve ✓ \"quoted\"\n", "n": n, "x": 0.1 * n}  # fmt: skip


def test_chain_from_genesis(tmp_path):
    log = tmp_path / "decisions.jsonl"
    first = append(log, [entry(1), entry(2)])
    second = append(log, [entry(3)])
    assert first[0]["prev"] == GENESIS
    assert first[1]["prev"] == first[0]["hash"]
    assert second[0]["prev"] == first[1]["hash"]
    assert [e["seq"] for e in read_entries(log)] == [1, 2, 3]
    for written in read_entries(log):
        assert written["hash"] == entry_hash(written)
    lines = log.read_bytes().splitlines()
    assert lines == [canonical_json(e) for e in first + second]
    outcome = verify(log)
    assert outcome.intact and outcome.entries == 3 and outcome.head == second[0]["hash"]
    assert json.loads(Path(head_path(log)).read_text()) == {"entries": 3, "head": outcome.head}


def test_genesis_is_a_fixed_value():
    anchor = "sha256:" + hashlib.sha256(b"policygate decision log v1").hexdigest()
    assert anchor == GENESIS


def test_empty_and_missing_logs(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert verify(empty).intact and verify(empty).entries == 0
    with pytest.raises(DecisionLogError, match="cannot read"):
        verify(tmp_path / "missing.jsonl")


def test_an_incomplete_last_line_is_refused_for_appending(tmp_path):
    log = tmp_path / "d.jsonl"
    append(log, [entry(1)])
    with open(log, "ab") as handle:
        handle.write(b'{"half": ')
    with pytest.raises(DecisionLogError, match="incomplete"):
        append(log, [entry(2)])
    outcome = verify(log)
    assert outcome.line == 2 and "incomplete" in outcome.problem


def test_without_head_file_the_chain_is_still_checked(tmp_path):
    log = tmp_path / "d.jsonl"
    append(log, [entry(1), entry(2)])
    os.unlink(head_path(log))
    outcome = verify(log)
    assert outcome.intact and not outcome.head_file


def _fresh_log(count: int) -> tuple[str, bytes]:
    folder = tempfile.mkdtemp(prefix="policygate-log-")
    path = os.path.join(folder, "decisions.jsonl")
    append(path, [entry(n) for n in range(1, count + 1)])
    with open(path, "rb") as handle:
        return path, handle.read()


def _rewrite(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@PROPERTY
@given(count=st.integers(1, 5), data=st.data())
def test_any_single_byte_edit_is_detected_at_its_line(count, data):
    path, original = _fresh_log(count)
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]), label="byte")
    edited = original[:position] + bytes([byte]) + original[position + 1 :]
    _rewrite(path, edited)
    outcome = verify(path)
    assert not outcome.intact
    assert outcome.line == _line_of(original, position)


@PROPERTY
@given(count=st.integers(1, 5), data=st.data())
def test_deleting_any_line_is_detected(count, data):
    path, original = _fresh_log(count)
    lines = original.splitlines(keepends=True)
    gone = data.draw(st.integers(0, count - 1), label="deleted line index")
    _rewrite(path, b"".join(lines[:gone] + lines[gone + 1 :]))
    outcome = verify(path)
    assert not outcome.intact
    assert outcome.line == gone + 1


@PROPERTY
@given(count=st.integers(2, 5), data=st.data())
def test_reordering_lines_is_detected(count, data):
    path, original = _fresh_log(count)
    lines = original.splitlines(keepends=True)
    order = data.draw(st.permutations(range(count)).filter(lambda p: list(p) != sorted(p)))
    _rewrite(path, b"".join(lines[i] for i in order))
    outcome = verify(path)
    assert not outcome.intact
    assert outcome.line == next(i for i, j in enumerate(order) if i != j) + 1


@PROPERTY
@given(count=st.integers(1, 5), data=st.data())
def test_inserting_a_copy_of_a_line_is_detected(count, data):
    path, original = _fresh_log(count)
    lines = original.splitlines(keepends=True)
    copied = data.draw(st.integers(0, count - 1))
    where = data.draw(st.integers(0, count))
    _rewrite(path, b"".join(lines[:where] + [lines[copied]] + lines[where:]))
    assert not verify(path).intact


# --------------------------------------------------------------------------- concurrency


def _writer(path: str, writer: int, count: int, start) -> None:
    start.wait(30)
    for n in range(count):
        append(path, [{"writer": writer, "n": n}, {"writer": writer, "n": n, "part": 2}])


def test_two_concurrent_writers_keep_one_intact_chain(tmp_path):
    path = str(tmp_path / "shared.jsonl")
    context = multiprocessing.get_context("fork")
    start = context.Event()
    writers = [context.Process(target=_writer, args=(path, w, 60, start)) for w in range(2)]
    for process in writers:
        process.start()
    start.set()  # both append at the same time
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    outcome = verify(path)
    assert outcome.intact and outcome.entries == 240
    written = [(e["writer"], e["n"], e.get("part", 1)) for e in read_entries(path)]
    assert sorted(written) == [(w, n, p) for w in range(2) for n in range(60) for p in (1, 2)]
    # One append's entries stay together, whoever else writes.
    for first, second in zip(written[::2], written[1::2], strict=True):
        assert first[:2] == second[:2] and (first[2], second[2]) == (1, 2)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    return result


def test_check_appends_one_line_per_model_and_keeps_its_exit_code(in_root, tmp_path):
    log = str(tmp_path / "decisions.jsonl")
    args = ["check", "examples/models/", "-p", "policies/", "--now", NOW, "-q"]
    assert run(*args, "--decision-log", log).exit_code == 1
    assert run(*args, "--decision-log", log, "--waivers", "examples/waivers/").exit_code == 1
    entries = read_entries(log)
    assert len(entries) == 8
    assert [e["seq"] for e in entries] == list(range(1, 9))
    passed = run("check", "examples/models/credit-default-passes.yaml", "-p", "policies/",
                 "--now", NOW, "-q", "--decision-log", log)  # fmt: skip
    assert passed.exit_code == 0 and passed.stdout == ""
    assert verify(log).intact and verify(log).entries == 9


def test_check_fails_closed_when_the_log_cannot_be_written(in_root, tmp_path):
    log = tmp_path / "d.jsonl"
    log.write_bytes(b'{"broken": ')
    result = run("check", "examples/models/credit-default-passes.yaml", "-p", "policies/",
                 "--now", NOW, "--decision-log", str(log))  # fmt: skip
    assert result.exit_code == 2
    assert "incomplete" in result.stderr and result.stdout == ""


def test_log_verify_exit_codes(tmp_path):
    log = tmp_path / "d.jsonl"
    written = append(log, [entry(1), entry(2), entry(3)])
    result = run("log", "verify", str(log))
    assert result.exit_code == 0
    assert result.stdout == f"{log}: 3 entries, chain intact, head {written[-1]['hash']}\n"

    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2])
    result = run("log", "verify", str(log))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{log}:2: does not follow line 1's hash (an entry was deleted, inserted or "
        "reordered before it)",
        f"{log}: chain broken at line 2; the 1 entry before it is intact",
    ]

    assert run("log", "verify", str(tmp_path / "nope.jsonl")).exit_code == 2


def test_log_verify_warns_without_head(tmp_path):
    log = tmp_path / "d.jsonl"
    append(log, [entry(1)])
    os.unlink(head_path(log))
    result = run("log", "verify", str(log))
    assert result.exit_code == 0 and "head is missing" in result.stderr.replace(".head", " head")


def test_log_show_history_of_a_model(in_root, tmp_path, evaluated):
    report, records, waivers = evaluated
    log = tmp_path / "d.jsonl"
    log_decisions(log, report, records, waivers, time=TIME)
    result = run("log", "show", str(log), "--model", "credit-limit")
    assert result.exit_code == 0
    (production,) = [p for p in report.policies if p.name == "production-promotion"]
    assert result.stdout.splitlines() == [
        "line 3  2026-11-26T10:00:00Z  credit-limit@2.4.0  FAILED  staging -> production"
        "  (now 2026-11-26T00:00:00Z)",
        f"    policies: production-promotion@1.0.0 ({production.digest[:15]})",
        "    failed: production-promotion/approval.required-roles[0]",
        "    waivers: credit-limit-parity-2026q4 (until 2027-03-31T00:00:00Z)",
        "1 decision for credit-limit",
    ]
    everything = run("log", "show", str(log))
    assert everything.stdout.endswith("4 decisions\n")
    assert run("log", "show", str(log), "--model", "credit-limit@9").stdout == (
        "0 decisions for credit-limit@9\n"
    )


# --------------------------------------------------------------------------- anchors (issue 14)


def _rehash_last(log: Path, change: dict) -> None:
    """Edit the last entry and give it a hash of its own: the chain stays well formed."""
    lines = log.read_bytes().splitlines(keepends=True)
    last = {k: v for k, v in json.loads(lines[-1]).items() if k != "hash"}
    last.update(change)
    last["hash"] = entry_hash(last)
    log.write_bytes(b"".join(lines[:-1]) + canonical_json(last) + b"\n")


def test_a_rewritten_last_entry_names_exactly_the_entries_before_it(tmp_path):
    log = tmp_path / "d.jsonl"
    append(log, [entry(1), entry(2), entry(3)])
    _rehash_last(log, {"passed": True})
    outcome = verify(log)
    assert (outcome.line, outcome.intact_before) == (3, 2)
    result = run("log", "verify", str(log))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == (
        f"{log}: chain broken at line 3; the 2 entries before it are intact"
    )


def test_entries_past_the_head_file_name_exactly_the_entries_before_them(tmp_path):
    log = tmp_path / "d.jsonl"
    append(log, [entry(1), entry(2), entry(3)])
    sealed = Path(head_path(log)).read_bytes()
    append(log, [entry(4), entry(5)])
    Path(head_path(log)).write_bytes(sealed)
    outcome = verify(log)
    assert (outcome.line, outcome.intact_before) == (4, 3)
    result = run("log", "verify", str(log))
    assert result.stdout.splitlines()[-1] == (
        f"{log}: chain broken at line 4; the 3 entries before it are intact"
    )


def test_a_head_file_that_does_not_seal_its_entry_is_found(tmp_path):
    log = tmp_path / "d.jsonl"
    append(log, [entry(1), entry(2), entry(3)])
    Path(head_path(log)).write_text(json.dumps({"entries": 2, "head": GENESIS}))
    outcome = verify(log)
    assert not outcome.intact and outcome.line == 2
    assert "is not the head" in (outcome.problem or "")


def test_one_entry_is_one_entry(tmp_path):
    log = tmp_path / "d.jsonl"
    append(log, [entry(1), entry(2)])
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + b"x" + lines[1])
    result = run("log", "verify", str(log))
    assert result.stdout.splitlines()[-1] == (
        f"{log}: chain broken at line 2; the 1 entry before it is intact"
    )


@pytest.fixture
def anchored(tmp_path) -> tuple[Path, list[dict]]:
    log = tmp_path / "d.jsonl"
    return log, append(log, [entry(n) for n in range(1, 6)])


def test_an_anchor_inside_the_chain_says_how_many_entries_follow_it(anchored):
    log, written = anchored
    outcome = verify(log, head=written[2]["hash"])
    assert outcome.intact and outcome.anchor == 3
    result = run("log", "verify", str(log), "--head", written[2]["hash"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{log}: 5 entries, chain intact, head {written[-1]['hash']}",
        f"{log}: the anchor {written[2]['hash']} is entry 3; 2 entries were appended after it",
    ]
    result = run("log", "verify", str(log), "--head", written[-1]["hash"])
    assert result.stdout.splitlines()[-1] == (
        f"{log}: the anchor is the last entry: nothing was appended after it"
    )
    assert verify(log, head=GENESIS).anchor == 0


def test_a_truncated_log_with_a_rebuilt_head_file_fails_against_the_anchor(anchored):
    log, written = anchored
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2]))
    Path(head_path(log)).write_text(json.dumps({"entries": 2, "head": written[1]["hash"]}))
    assert verify(log).intact  # the truncation is consistent with the rebuilt head file
    outcome = verify(log, head=written[-1]["hash"])
    assert not outcome.intact and outcome.anchor is None
    result = run("log", "verify", str(log), "--head", written[-1]["hash"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{log}:3: the anchor {written[-1]['hash']} is not an entry of the log, which ends "
        "after 2 entries (entries deleted from the end, or the log rewritten)",
        f"{log}: does not hold the anchor; the log before it cannot be trusted",
    ]


def test_a_truncated_log_without_its_head_file_fails_against_the_anchor(anchored):
    log, written = anchored
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:4]))
    os.unlink(head_path(log))
    assert verify(log).intact
    result = run("log", "verify", str(log), "--head", written[4]["hash"])
    assert result.exit_code == 1
    # Truncated after the anchor: the anchor still holds, entries after it are not covered.
    result = run("log", "verify", str(log), "--head", written[2]["hash"])
    assert result.exit_code == 0 and result.stderr == ""


def test_an_anchor_must_be_a_digest(anchored):
    log, _ = anchored
    result = run("log", "verify", str(log), "--head", "d195a0b0")
    assert result.exit_code == 2
    assert result.stderr == (
        "policygate: error: --head: expected sha256: and 64 hex digits, got 'd195a0b0'\n"
    )
