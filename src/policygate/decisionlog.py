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
  appending until someone looks at it with ``log verify``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
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
    try:
        fd = os.open(name, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise DecisionLogError(f"cannot open: {error.strerror}", Location(name)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, prev = _tail(fd, name)
        written = []
        for entry in entries:
            seq += 1
            chained = {**entry, "seq": seq, "prev": prev}
            chained[_HASH_KEY] = prev = entry_hash(chained)
            written.append(chained)
        data = b"".join(canonical_json(e) + b"\n" for e in written)
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
    """(seq, hash) of the last entry, or (0, GENESIS) for an empty log."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return 0, GENESIS
    chunk = 65536
    data = b""
    position = size
    while position > 0:
        step = min(chunk, position)
        position -= step
        data = os.pread(fd, step, position) + data
        if data.count(b"\n") >= 2 or position == 0:
            break
    if not data.endswith(b"\n"):
        raise DecisionLogError(
            "the last line is incomplete (an interrupted write?); "
            "run `policygate log verify` and repair the log before appending",
            Location(name),
        )
    last = data[:-1].rsplit(b"\n", 1)[-1]
    line = data.count(b"\n") if position == 0 else None
    try:
        entry = json.loads(last)
        return int(entry["seq"]), str(entry[_HASH_KEY])
    except (ValueError, TypeError, KeyError, RecursionError):
        raise DecisionLogError(
            "the last line is not a decision log entry; run `policygate log verify`",
            Location(name, line),
        ) from None


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
    try:
        with open(path, "rb") as handle:
            yield from enumerate(handle, start=1)
    except OSError as error:
        raise DecisionLogError(f"cannot read: {error.strerror}", Location(path)) from None


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
        problem = _check_line(raw, number, prev)
        if problem is not None:
            return Verification(name, count, prev, number, problem, anchor=anchor,
                                anchor_asked=head is not None)  # fmt: skip
        entry = json.loads(raw)
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


def _check_line(raw: bytes, number: int, prev: str) -> str | None:
    if not raw.endswith(b"\n"):
        return "incomplete line (no newline at the end: an interrupted write?)"
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):  # nested past what json can read
        return "not valid JSON (edited or corrupted)"
    if not isinstance(entry, dict) or not isinstance(entry.get(_HASH_KEY), str):
        return "not a decision log entry"
    try:
        canonical = canonical_json(entry)
    except ValueError:
        return "not a decision log entry"
    if canonical != raw[:-1]:
        return "not in canonical form (edited)"
    if entry_hash(entry) != entry[_HASH_KEY]:
        return "content does not match its hash (edited)"
    if entry.get("prev") != prev:
        before = "the genesis value" if number == 1 else f"line {number - 1}'s hash"
        return f"does not follow {before} (an entry was deleted, inserted or reordered before it)"
    if entry.get("seq") != number:
        return f"sequence number {entry.get('seq')!r}, expected {number}"
    return None


def _read_head(name: str) -> tuple[int, str] | None:
    try:
        with open(head_path(name), encoding="utf-8") as handle:
            data = json.load(handle)
        return int(data["entries"]), str(data["head"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError):
        raise DecisionLogError("the head file is unreadable", Location(head_path(name))) from None


def read_entries(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every entry of the log, in order (no verification: see :func:`verify`)."""
    name = os.fspath(path)
    entries = []
    for number, raw in _lines(name):
        try:
            entry = json.loads(raw)
        except (ValueError, RecursionError):
            raise DecisionLogError("not valid JSON", Location(name, number)) from None
        if not isinstance(entry, dict):
            raise DecisionLogError("not a decision log entry", Location(name, number))
        entries.append(entry)
    return entries
