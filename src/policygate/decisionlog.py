"""The decision log: an append-only, hash-chained audit trail of gate decisions.

One JSON line per model decision (``check --decision-log PATH``): when, as of
which ``now``, which model version (and the SHA-256 of its document in
canonical JSON), under which policies and waivers (their digests), with what
outcome and counts. Each entry carries the hash of the entry before it; the
first one carries :data:`GENESIS`, a fixed value, so the chain is anchored.

Why it can be trusted, and how far:

- Every line is the canonical JSON of its entry (sorted keys, no spaces), and
  ``hash`` is the SHA-256 of the entry without ``hash``. Editing any byte of a
  line changes its content or its form; deleting, inserting or reordering
  lines breaks a ``prev`` link or a ``seq`` number. :func:`verify` names the
  first line where that happens.
- Deleting the *last* entries leaves a valid shorter chain, so every append
  also records the count and the head hash in ``PATH.head``; :func:`verify`
  checks the log against it. Keep the head (or the hash ``log verify`` prints)
  somewhere else too: the hashes are not keyed, so whoever can rewrite both
  files can forge a consistent history. The log proves that history was not
  changed *since* a head you hold.
- Appends take an exclusive ``flock`` on the log, read its last entry, write
  the new lines with one ``O_APPEND`` write and ``fsync`` them, then replace
  the head file atomically: two gates writing at once give one intact chain.
  A log whose last line is incomplete (an interrupted write) is refused for
  appending until someone looks at it with ``log verify``, and so is a log that
  does not end where its head file says (entries deleted from the end, or the
  head file deleted): appending would seal the shortened chain afresh.
- A line holds at most :data:`MAX_LINE_BYTES`: an entry that would be longer
  is not written (the decision is not recorded, so it does not pass), and a
  longer line is a bad line to :func:`verify`, found without reading it whole.
  The log and its head file must be regular files: a named pipe is refused
  without blocking on it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import DecisionLogError, Location
from .files import write_atomic
from .models import ModelRecord
from .policy import canonical_json
from .report import Report, Status
from .timestamps import format_timestamp, utc_now
from .waivers import Waiver

LOG_VERSION = 1
GENESIS = "sha256:" + hashlib.sha256(b"policygate decision log v1").hexdigest()
_HASH_KEY = "hash"
# The longest line an entry may be, its newline included. An entry records names,
# digests and rule labels, a few kilobytes; this bounds what reading one line of a
# log costs (a line of ``{},`` takes about 20 times its size once parsed).
MAX_LINE_BYTES = 16 * 1024 * 1024
_MAX_HEAD_BYTES = 4096


def head_path(path: str | os.PathLike[str]) -> str:
    """Where the head (entry count and last hash) of the log at ``path`` is kept."""
    return os.fspath(path) + ".head"


def digest(data: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(data)).hexdigest()


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The hash of an entry: SHA-256 of its canonical JSON without the ``hash`` key."""
    return digest({k: v for k, v in entry.items() if k != _HASH_KEY})


def waiver_digest(waiver: Waiver) -> str:
    """A waiver's digest, over every field the engine acts on (``granted_at`` when it
    has one, so the digests of waivers without it are as they were)."""
    fields = {
        "name": waiver.name,
        "rule": waiver.rule,
        "models": list(waiver.models),
        "justification": waiver.justification,
        "approved_by": waiver.approved_by,
        "expires_at": format_timestamp(waiver.expires_at),
    }
    if waiver.granted_at is not None:
        fields["granted_at"] = format_timestamp(waiver.granted_at)
    return digest(fields)


# --------------------------------------------------------------------------- entries


def decision_entries(
    report: Report,
    records: Sequence[ModelRecord],
    waivers: Sequence[Waiver] = (),
    *,
    time: _dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """One entry per model of ``report`` (not yet chained: no ``seq``/``prev``/``hash``).

    ``records`` are the evaluated model records, in the report's order.
    """
    if len(records) != len(report.models):
        raise ValueError("records must be the report's models, in order")
    when = format_timestamp(time or utc_now())
    waiver_digests = {w.name: waiver_digest(w) for w in waivers}
    policies = {p.name: p for p in report.policies}
    entries = []
    for record, model in zip(records, report.models, strict=True):
        metadata = record.data.get("metadata") if isinstance(record.data, Mapping) else None
        metadata = metadata if isinstance(metadata, Mapping) else {}
        used: dict[str, dict[str, Any]] = {}
        for result in model.results:
            if result.waiver is not None:
                used.setdefault(
                    result.waiver.name,
                    {
                        "name": result.waiver.name,
                        "digest": waiver_digests.get(result.waiver.name),
                        "expires_at": result.waiver.expires_at,
                        "expired": result.waiver.expired,
                    },
                )
        entries.append(
            {
                "v": LOG_VERSION,
                "time": when,
                "now": report.now,
                "model": {
                    "name": model.name,
                    "version": model.version,
                    "source": model.source,
                    "digest": digest(record.data),
                    "stage": _text_or_none(metadata.get("stage")),
                    "target_stage": _text_or_none(metadata.get("target_stage")),
                },
                "passed": model.passed,
                "fail_on": report.fail_on,
                "counts": model.counts(),
                "failed": sorted(
                    {
                        _label(r.rule_ref, r.item)
                        for r in model.results
                        if r.fails_at(report.fail_on)
                    }
                ),
                "waived": sorted(
                    {_label(r.rule_ref, r.item) for r in model.results if r.status is Status.WAIVED}
                ),
                "policies": [
                    {
                        "name": use.name,
                        "version": policies[use.name].version if use.name in policies else "",
                        "digest": policies[use.name].digest if use.name in policies else None,
                        # the values the rules read: a --param (or a serve client's
                        # params) changes them and not the digest of the files
                        "params": dict(policies[use.name].params) if use.name in policies else {},
                        "applicable": use.applicable,
                    }
                    for use in model.policies
                ],
                "waivers": [used[name] for name in sorted(used)],
                "engine": report.engine,
                "policygate_version": report.version,
            }
        )
    return entries


def _label(rule_ref: str, item: int | str | None) -> str:
    return rule_ref + (f"[{item}]" if item is not None else "")


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------------------- appending


def append(path: str | os.PathLike[str], entries: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Chain ``entries`` onto the log at ``path`` (created if missing); return them as written."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        raise DecisionLogError("the decision log needs POSIX file locks (fcntl)") from None
    name = os.fspath(path)
    fd = _open_regular(name, os.O_RDWR | os.O_APPEND | os.O_CREAT, "cannot open")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, prev = _tail(fd, name)
        written = []
        lines = []
        for entry in entries:
            seq += 1
            chained = {**entry, "seq": seq, "prev": prev}
            chained[_HASH_KEY] = prev = entry_hash(chained)
            written.append(chained)
            lines.append(canonical_json(chained) + b"\n")
            if len(lines[-1]) > MAX_LINE_BYTES:
                raise DecisionLogError(
                    f"entry {seq} would be a line of {len(lines[-1])} bytes, more than the "
                    f"{MAX_LINE_BYTES} a log line may hold; nothing was written",
                    Location(name),
                )
        data = b"".join(lines)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        write_atomic(head_path(name), _head_text(seq, prev))
        return written
    except OSError as error:
        raise DecisionLogError(f"cannot append: {error.strerror}", Location(name)) from None
    finally:
        os.close(fd)  # closing releases the lock


def log_decisions(
    path: str | os.PathLike[str],
    report: Report,
    records: Sequence[ModelRecord],
    waivers: Sequence[Waiver] = (),
    *,
    time: _dt.datetime | None = None,
) -> list[dict]:
    """Append one entry per model decision of ``report`` to the log at ``path``."""
    return append(path, decision_entries(report, records, waivers, time=time))


def _head_text(entries: int, head: str) -> str:
    return json.dumps({"entries": entries, "head": head}, sort_keys=True) + "\n"


def _tail(fd: int, name: str) -> tuple[int, str]:
    """(seq, hash) of the last entry, or (0, GENESIS) for an empty log, once the log is
    seen to end where its head file says: a log cut short (or emptied) since, or
    whose head file is gone, is refused, as appending would seal it afresh. ``fd`` is
    one :func:`_open_regular` gave."""
    size = os.lseek(fd, 0, os.SEEK_END)
    seq, last = _last_entry(fd, name, size) if size else (0, GENESIS)
    sealed = _read_head(name)
    if sealed is None:
        if seq:
            raise DecisionLogError(
                f"its head file {head_path(name)} is missing, so entries deleted from its "
                "end could not be found; run `policygate log verify` and restore the head "
                "file before appending",
                Location(name),
            )
    elif sealed != (seq, last):
        raise DecisionLogError(
            f"the log does not end where its head file says ({sealed[0]} "
            f"{_entries(sealed[0])}, head {sealed[1]}; the log ends after {seq}): entries "
            "deleted from its end, or appended outside policygate; run `policygate log "
            "verify` and repair the log before appending",
            Location(name),
        )
    return seq, last


def _last_entry(fd: int, name: str, size: int) -> tuple[int, str]:
    """(seq, hash) of the last line of a log of ``size`` bytes, read from the end in
    chunks (as far as the line goes, at most :data:`MAX_LINE_BYTES`)."""
    if os.pread(fd, 1, size - 1) != b"\n":
        raise DecisionLogError(
            "the last line is incomplete (an interrupted write?); "
            "run `policygate log verify` and repair the log before appending",
            Location(name),
        )
    chunks: list[bytes] = []
    position, held = size - 1, 0
    while position > 0:
        step = min(65536, position)
        position -= step
        chunk = os.pread(fd, step, position)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            chunks.append(chunk[cut + 1 :])
            break
        chunks.append(chunk)
        held += len(chunk)
        if held >= MAX_LINE_BYTES:
            raise DecisionLogError(
                f"the last line is longer than {MAX_LINE_BYTES} bytes, which no entry is; "
                "run `policygate log verify`",
                Location(name),
            )
    try:
        entry = json.loads(b"".join(reversed(chunks)))
        seq, last = entry["seq"], entry[_HASH_KEY]
    except (ValueError, TypeError, KeyError, RecursionError):
        seq = last = None
    if type(seq) is not int or seq < 1 or not isinstance(last, str) or not is_digest(last):
        raise DecisionLogError(
            "the last line is not a decision log entry; run `policygate log verify`",
            Location(name),
        )
    return seq, last


def _open_regular(name: str, flags: int, doing: str) -> int:
    """A descriptor of the regular file ``name``, opened without blocking (a named
    pipe would wait for a writer) and refused if it is anything else."""
    try:
        fd = os.open(name, flags | getattr(os, "O_NONBLOCK", 0), 0o644)
    except OSError as error:
        raise DecisionLogError(f"{doing}: {error.strerror}", Location(name)) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = (
            "a directory" if stat.S_ISDIR(mode)
            else "a named pipe" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a file"
        )  # fmt: skip
        raise DecisionLogError(f"{doing}: not a regular file ({kind})", Location(name))
    return fd


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: the first bad line (``problem``), or an intact chain.

    ``entries`` and ``head`` are the count and the last hash of the well-formed
    chain read; ``anchor`` is the entry (0 for the genesis value) whose hash is
    the ``head`` asked for, ``None`` when none was asked for or none matches.
    """

    path: str
    entries: int
    head: str
    line: int | None = None
    problem: str | None = None
    head_file: bool = True
    anchor: int | None = None
    anchor_asked: bool = False

    @property
    def intact(self) -> bool:
        return self.problem is None

    @property
    def intact_before(self) -> int:
        """How many entries before the bad line are intact (all of them when none is bad)."""
        return self.entries if self.line is None else self.line - 1

    @property
    def anchor_missing(self) -> bool:
        return self.anchor_asked and self.anchor is None


def _lines(path: str) -> Iterator[tuple[int, bytes]]:
    """The numbered lines of the log, one at a time. A line longer than
    :data:`MAX_LINE_BYTES` is given as its first ``MAX_LINE_BYTES + 1`` bytes, and
    is the last given: it is no entry, and what follows it is not a line of the log."""
    fd = _open_regular(path, os.O_RDONLY, "cannot read")
    try:
        with open(fd, "rb") as handle:
            number = 0
            while raw := handle.readline(MAX_LINE_BYTES + 1):
                number += 1
                yield number, raw
                if len(raw) > MAX_LINE_BYTES:
                    return
    except OSError as error:
        raise DecisionLogError(f"cannot read: {error.strerror}", Location(path)) from None


def _too_long(raw: bytes) -> str | None:
    if len(raw) > MAX_LINE_BYTES:
        return f"longer than {MAX_LINE_BYTES} bytes, which no entry is (not written by policygate)"
    return None


def is_digest(text: str) -> bool:
    """Whether ``text`` is written like an entry hash: ``sha256:`` and 64 lowercase hex digits."""
    hex_part = text[len("sha256:") :]
    return (
        text.startswith("sha256:")
        and len(hex_part) == 64
        and all(c in "0123456789abcdef" for c in hex_part)
    )


def verify(path: str | os.PathLike[str], *, head: str | None = None) -> Verification:
    """Walk the chain from the genesis value; stop at the first line that breaks it.

    The log is checked against its head file when there is one, and against
    ``head`` (an anchor kept elsewhere) when given: ``head`` must be the hash of
    one of its entries (or the genesis value), else entries were deleted from
    the end or the log was rewritten. Entries after the anchor are reported
    (``anchor``), not refused: a log grows after its head is noted.
    """
    name = os.fspath(path)
    sealed = _read_head(name)
    sealed_count = sealed[0] if sealed is not None else None
    anchor = 0 if head == GENESIS else None
    sealed_hash = GENESIS if sealed_count == 0 else None
    prev, count = GENESIS, 0
    for number, raw in _lines(name):
        problem, entry = _check_line(raw, number, prev)
        if problem is not None:
            return Verification(name, count, prev, number, problem, anchor=anchor,
                                anchor_asked=head is not None)  # fmt: skip
        prev, count = entry[_HASH_KEY], number
        if head is not None and anchor is None and prev == head:
            anchor = number
        if number == sealed_count:
            sealed_hash = prev
    found: dict[str, Any] = {"anchor": anchor, "anchor_asked": head is not None}
    if head is not None and anchor is None:
        return Verification(
            name,
            count,
            prev,
            count + 1,
            f"the anchor {head} is not an entry of the log, which ends after {count} "
            f"{_entries(count)} (entries deleted from the end, or the log rewritten)",
            head_file=sealed is not None,
            **found,
        )
    if sealed is None:
        return Verification(name, count, prev, head_file=False, **found)
    expected_count, expected_head = sealed
    if count < expected_count:
        return Verification(
            name,
            count,
            prev,
            count + 1,
            f"entry missing: the log ends after {count} {_entries(count)}, its head file "
            f"records {expected_count} (entries deleted from the end?)",
            **found,
        )
    if sealed_hash != expected_head:
        where = expected_count or 1
        return Verification(
            name,
            count,
            prev,
            where,
            f"entry {expected_count}'s hash {sealed_hash} is not the head {expected_head} "
            "recorded in the head file (the log or its head file was rewritten)"
            if expected_count
            else f"the head file records no entry but the head {expected_head}",
            **found,
        )
    if count > expected_count:
        return Verification(
            name,
            count,
            prev,
            expected_count + 1,
            f"entry not sealed by the head file, which records {expected_count} "
            f"{_entries(expected_count)} (appended outside policygate, or a write "
            "interrupted before the head was updated)",
            **found,
        )
    return Verification(name, count, prev, **found)


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


def _check_line(raw: bytes, number: int, prev: str) -> tuple[str | None, dict[str, Any]]:
    """The problem of line ``number`` (``None`` if it is the entry after ``prev``), and
    the entry it holds."""
    if (too_long := _too_long(raw)) is not None:
        return too_long, {}
    if not raw.endswith(b"\n"):
        return "incomplete line (no newline at the end: an interrupted write?)", {}
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):  # nested past what json can read
        return "not valid JSON (edited or corrupted)", {}
    if not isinstance(entry, dict) or not isinstance(entry.get(_HASH_KEY), str):
        return "not a decision log entry", {}
    try:
        canonical = canonical_json(entry)
        hashed = entry_hash(entry)
    except (ValueError, RecursionError):  # read, but nested past what json can write
        return "not a decision log entry", {}
    if canonical != raw[:-1]:
        return "not in canonical form (edited)", entry
    if hashed != entry[_HASH_KEY]:
        return "content does not match its hash (edited)", entry
    if entry.get("prev") != prev:
        before = "the genesis value" if number == 1 else f"line {number - 1}'s hash"
        return (
            f"does not follow {before} (an entry was deleted, inserted or reordered before it)",
            entry,
        )
    seq = entry.get("seq")
    if type(seq) is not int or seq != number:  # not true, nor 1.0, for 1
        shown = repr(seq)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return f"sequence number {shown}, expected {number}", entry
    return None, entry


def _read_head(name: str) -> tuple[int, str] | None:
    """(entries, head) as the head file of the log ``name`` records them, or ``None``
    when it has none."""
    where = Location(head_path(name))
    try:
        fd = _open_regular(head_path(name), os.O_RDONLY, "cannot read")
    except DecisionLogError:
        if not os.path.lexists(head_path(name)):
            return None
        raise DecisionLogError("the head file is unreadable", where) from None
    try:
        with open(fd, "rb") as handle:
            data = json.loads(handle.read(_MAX_HEAD_BYTES + 1))
        entries, head = data["entries"], data["head"]
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        entries = head = None
    if type(entries) is not int or entries < 0 or not isinstance(head, str) or not is_digest(head):
        raise DecisionLogError("the head file is unreadable", where)
    return entries, head


def read_entries(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every entry of the log, in order (no verification: see :func:`verify`)."""
    return [entry for _, entry in iter_entries(path)]


def iter_entries(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each entry of the log with its line number, one at a time, in order (no
    verification: see :func:`verify`)."""
    name = os.fspath(path)
    for number, raw in _lines(name):
        if (too_long := _too_long(raw)) is not None:
            raise DecisionLogError(too_long, Location(name, number))
        try:
            entry = json.loads(raw)
        except (ValueError, RecursionError):
            raise DecisionLogError("not valid JSON", Location(name, number)) from None
        if not isinstance(entry, dict):
            raise DecisionLogError("not a decision log entry", Location(name, number))
        yield number, entry
