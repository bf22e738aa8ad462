"""The decision log against whoever wants a failed decision gone: truncation the next
append would seal afresh, pipes that hang the auditor, lines too long to read."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate import decisionlog
from policygate.cli import main
from policygate.decisionlog import append, head_path, read_entries, verify
from policygate.errors import DecisionLogError

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-26T00:00:00Z"


def entry(n: int, passed: bool = True) -> dict:
    return {"v": 1, "model": {"name": f"model-{n}", "version": "1"}, "passed": passed}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@contextlib.contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail, rather than hang the test run, when the block blocks (on a named pipe)."""

    def expired(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------- truncation


def test_an_append_after_the_last_entries_were_deleted_is_refused(tmp_path):
    """Deleting the failed decision at the end, then letting the next gate append: the
    append sealed the shortened chain in a new head file and `log verify` said intact."""
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1), entry(2), entry(3, passed=False)])
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2]))  # the failed decision deleted
    head = Path(head_path(log)).read_bytes()
    with pytest.raises(DecisionLogError, match="does not end where its head file says"):
        append(log, [entry(4)])
    assert log.read_bytes() == b"".join(lines[:2]) and Path(head_path(log)).read_bytes() == head
    outcome = verify(log)
    assert not outcome.intact and "entry missing" in outcome.problem


def test_check_refuses_to_append_to_a_truncated_log(tmp_path):
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1), entry(2, passed=False)])
    log.write_bytes(log.read_bytes().splitlines(keepends=True)[0])
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = run("check", "examples/models/credit-default-passes.yaml", "-p", "policies/",
                     "--now", NOW, "--decision-log", str(log))  # fmt: skip
    finally:
        os.chdir(cwd)
    assert result.exit_code == 2  # a decision that cannot be recorded does not pass
    assert "does not end where its head file says" in result.stderr
    assert run("log", "verify", str(log)).exit_code == 1


def test_an_append_to_an_emptied_log_is_refused(tmp_path):
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1, passed=False)])
    log.write_bytes(b"")
    with pytest.raises(DecisionLogError, match="does not end where its head file says"):
        append(log, [entry(2)])
    log.unlink()  # deleted: a log made again under the old head file is refused too
    with pytest.raises(DecisionLogError, match="does not end where its head file says"):
        append(log, [entry(2)])


def test_an_append_to_a_log_whose_head_file_was_deleted_is_refused(tmp_path):
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1), entry(2, passed=False)])
    log.write_bytes(log.read_bytes().splitlines(keepends=True)[0])
    os.unlink(head_path(log))  # and the head file deleted with it
    with pytest.raises(DecisionLogError, match="head file .* is missing"):
        append(log, [entry(3)])
    assert not os.path.exists(head_path(log))


def test_a_log_that_ends_where_its_head_file_says_is_appended_to(tmp_path):
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1)])
    append(log, [entry(2), entry(3)])
    assert verify(log).intact and verify(log).entries == 3
    fresh = tmp_path / "fresh.jsonl"
    append(fresh, [entry(1)])  # a new log, no head file yet
    assert verify(fresh).intact


@pytest.mark.parametrize(
    "head",
    [
        {"entries": "1", "head": None},
        {"entries": True, "head": None},
        {"entries": 1.0, "head": None},
        {"entries": -1, "head": None},
        {"entries": 1, "head": "sha256:x"},
        [1, 2],
    ],
)
def test_a_head_file_of_other_types_is_unreadable(tmp_path, head):
    log = tmp_path / "decisions.jsonl"
    written = append(log, [entry(1)])
    if isinstance(head, dict) and head["head"] is None:
        head["head"] = written[0]["hash"]
    Path(head_path(log)).write_text(json.dumps(head))
    with pytest.raises(DecisionLogError, match="the head file is unreadable"):
        verify(log)
    with pytest.raises(DecisionLogError, match="the head file is unreadable"):
        append(log, [entry(2)])


# --------------------------------------------------------------------------- not a file


def test_a_log_that_is_a_named_pipe_is_refused_without_blocking(tmp_path):
    pipe = tmp_path / "decisions.jsonl"
    os.mkfifo(pipe)
    with within(5):
        for read in (verify, read_entries, lambda p: append(p, [entry(1)])):
            with pytest.raises(DecisionLogError, match=r"not a regular file \(a named pipe\)"):
                read(pipe)
        result = run("log", "show", str(pipe))
        assert result.exit_code == 2 and "a named pipe" in result.stderr
        result = run("log", "verify", str(pipe))
        assert result.exit_code == 2 and "a named pipe" in result.stderr


def test_a_head_file_that_is_a_named_pipe_is_refused_without_blocking(tmp_path):
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1)])
    os.unlink(head_path(log))
    os.mkfifo(head_path(log))
    with within(5):
        with pytest.raises(DecisionLogError, match="the head file is unreadable"):
            verify(log)
        with pytest.raises(DecisionLogError, match="the head file is unreadable"):
            append(log, [entry(2)])


def test_a_log_that_is_a_directory_or_a_device_is_refused(tmp_path):
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(DecisionLogError, match="directory"):
        verify(tmp_path / "dir.jsonl")
    with pytest.raises(DecisionLogError, match=r"not a regular file \(a device\)"):
        append("/dev/null", [entry(1)])


# --------------------------------------------------------------------------- long lines


@pytest.fixture
def small_lines(monkeypatch):
    monkeypatch.setattr(decisionlog, "MAX_LINE_BYTES", 64 * 1024)
    return 64 * 1024


def _with_long_line(log: Path, size: int) -> None:
    append(log, [entry(1), entry(2)])
    with open(log, "ab") as handle:  # a line of a million `{},` no entry is
        handle.write(b'{"a":[' + b"{}," * (size // 3) + b"{}]}\n")


def test_a_line_longer_than_any_entry_is_a_bad_line_not_read_whole(tmp_path, small_lines):
    log = tmp_path / "decisions.jsonl"
    _with_long_line(log, 3_000_000)
    tracemalloc.start()
    try:
        outcome = verify(log)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (outcome.line, outcome.intact_before) == (3, 2)
    assert "longer than 65536 bytes" in outcome.problem
    assert peak < 1_000_000  # not the 3 MB line, nor the 60 MB it parses into
    with pytest.raises(DecisionLogError, match="longer than 65536 bytes") as caught:
        read_entries(log)
    assert caught.value.location.line == 3
    result = run("log", "show", str(log))
    assert result.exit_code == 2 and f"{log}:3: longer than" in result.stderr


def test_an_append_after_a_last_line_longer_than_any_entry_is_refused(tmp_path, small_lines):
    log = tmp_path / "decisions.jsonl"
    _with_long_line(log, 3_000_000)
    with pytest.raises(DecisionLogError, match="the last line is longer than 65536 bytes"):
        append(log, [entry(3)])


def test_an_entry_longer_than_a_line_may_be_is_not_written(tmp_path, small_lines):
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1)])
    before = log.read_bytes()
    long = {"v": 1, "failed": [f"policy/rule[{n}]" for n in range(10_000)]}
    with pytest.raises(DecisionLogError, match="would be a line of .* nothing was written"):
        append(log, [entry(2), long])
    assert log.read_bytes() == before and verify(log).intact


def _peak(*args: str) -> int:
    tracemalloc.start()
    try:
        result = run(*args)
        assert result.exit_code == 0, result.output
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_log_show_streams_the_log(tmp_path):
    log, empty = tmp_path / "decisions.jsonl", tmp_path / "empty.jsonl"
    append(log, [entry(n, passed=n % 2 == 0) for n in range(20_000)])
    empty.write_bytes(b"")
    assert log.stat().st_size > 4_000_000
    run("log", "show", str(log), "--model", "nobody")  # what it imports, imported
    baseline = _peak("log", "show", str(empty), "--model", "model-7")
    peak = _peak("log", "show", str(log), "--model", "model-7")
    assert peak - baseline < 1_000_000  # every entry held at once: 20 MB more


# --------------------------------------------------------------------------- log show


@pytest.mark.parametrize(
    "line",
    [
        {"model": "credit"},
        {"model": {"name": 5}},
        {"failed": [1, 2]},
        {"policies": ["p"]},
        {"waivers": [1]},
        {"kind": "lifecycle", "target": "credit"},
    ],
)
def test_log_show_of_an_entry_of_another_shape_is_an_error_at_its_line(tmp_path, line):
    log = tmp_path / "decisions.jsonl"
    append(log, [entry(1)])
    with open(log, "a") as handle:
        handle.write(json.dumps(line) + "\n")
    result = run("log", "show", str(log))
    assert result.exit_code == 2, result.output
    assert f"{log}:2: not a decision log entry" in result.stderr
    assert "internal error" not in result.stderr


# --------------------------------------------------------------------------- odd lines


def test_a_line_nested_just_past_what_json_can_write_is_a_bad_line(tmp_path):
    """A line json reads but cannot write back (nested a little less deep than reading
    fails at) was a RecursionError out of `log verify`, not a bad line at its place."""
    log = tmp_path / "decisions.jsonl"
    for depth in range(1000, 850, -2):  # where the window lies depends on the stack
        log.write_text('{"hash":"x","v":' + "[" * depth + "]" * depth + "}\n")
        outcome = verify(log)
        assert (outcome.line, outcome.intact) == (1, False), depth


@pytest.mark.parametrize("seq", [True, 1.0])
def test_a_sequence_number_must_be_an_integer(tmp_path, seq):
    """`true` and `1.0` equal 1 in Python: a line forged with either verified."""
    forged = {"v": 1, "model": {"name": "m", "version": "1"}, "passed": True,
              "seq": seq, "prev": decisionlog.GENESIS}  # fmt: skip
    forged["hash"] = decisionlog.entry_hash(forged)
    log = tmp_path / "decisions.jsonl"
    log.write_bytes(decisionlog.canonical_json(forged) + b"\n")
    outcome = verify(log)
    assert outcome.line == 1 and "sequence number" in outcome.problem


# --------------------------------------------------------------------------- the lifecycle log


def test_the_registry_gate_refuses_what_an_append_would_refuse_before_any_write(tmp_path):
    """The gate asks `check_appendable` before it lets a registry write through, then
    appends: a log the append refuses must be refused by the question too, or the
    write goes through unlogged. A pipe was an OSError out of it (a 500)."""
    from policygate import lifecycle

    log = tmp_path / "lifecycle.jsonl"
    append(log, [entry(1), entry(2)])
    log.write_bytes(log.read_bytes().splitlines(keepends=True)[0])  # cut short
    with pytest.raises(DecisionLogError, match="does not end where its head file says"):
        lifecycle.check_appendable(log)
    pipe = tmp_path / "pipe.jsonl"
    os.mkfifo(pipe)
    with within(5), pytest.raises(DecisionLogError, match=r"not a regular file \(a named pipe\)"):
        lifecycle.check_appendable(pipe)
