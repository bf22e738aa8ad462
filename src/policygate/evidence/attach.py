"""Reading evidence and attaching it to records: paths, the ``--evidence`` option, merging."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..documents import DEFAULT_LIMITS, Document, Limits, load_file
from ..errors import LoadError, Location, UsageError
from . import aiverify, evidently, fairlearn
from .findings import EvidenceError, Findings

if TYPE_CHECKING:
    from ..models import ModelRecord


Reader = Callable[[Document, str, str | None], Findings]


READERS: dict[str, Reader] = {
    "evidently": evidently.read,
    "fairlearn": fairlearn.read,
    "aiverify": aiverify.read,
}


EVIDENCE_FORMATS = ("evidently", "fairlearn", "aiverify")


def split_source(source: Any, where: Location | None) -> tuple[str, str]:
    """``("evidently", "reports/drift.json")`` for ``evidently:reports/drift.json``."""
    fmt, sep, path = source.partition(":") if isinstance(source, str) else ("", "", "")
    if not sep or fmt not in EVIDENCE_FORMATS or not path:
        raise EvidenceError(
            f"evidence source {_short(source)}: expected FORMAT:PATH with FORMAT one of"
            f" {', '.join(EVIDENCE_FORMATS)} (e.g. evidently:reports/drift.json)",
            where,
        )
    return fmt, path


def read_evidence(
    source: str,
    *,
    base: str | None = None,
    name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    where: Location | None = None,
) -> Findings:
    """The findings of the report ``source`` (``FORMAT:PATH``).

    With ``base`` (a record's directory) PATH must be relative and stay inside it,
    links followed (:func:`inside`); without it PATH is taken as given (the
    command line's ``--evidence``). The file is read under ``limits`` like every
    input. Each finding's ``source`` is ``source``; ``name`` labels it.
    """
    fmt, path = split_source(source, where)
    resolved = inside(path, base, where) if base is not None else path
    try:
        documents = load_file(resolved, limits)
    except LoadError as error:
        if where is None or where.path == resolved:
            raise
        raise EvidenceError(f"evidence {_short(source)}: {error}", where) from None
    if len(documents) != 1:
        raise EvidenceError(
            f"expected one {fmt} report, found {len(documents)} documents", Location(resolved)
        )
    findings = READERS[fmt](documents[0], source, name)
    if not (findings.fairness or findings.checks):
        raise EvidenceError(
            f"the {fmt} report holds nothing to judge (no fairness metric, no test or drift check)",
            Location(resolved),
        )
    return findings


def inside(path: str, base: str, where: Location | None) -> str:
    """``path`` under the directory ``base``, refused if it could lead anywhere else:
    an absolute path, a ``..`` segment, a NUL or backslash, or a link out of ``base``."""
    problem = None
    if "\x00" in path or "\\" in path:
        problem = "holds a NUL or a backslash"
    elif os.path.isabs(path) or path.startswith("~"):
        problem = "is absolute: evidence paths are relative to the record"
    elif any(part == ".." for part in path.split("/")):
        problem = "has a '..' segment: evidence stays in the record's directory"
    if problem is None:
        real_base = os.path.realpath(base)
        real = os.path.realpath(os.path.join(base, path))
        if real != real_base and not real.startswith(real_base.rstrip(os.sep) + os.sep):
            problem = "leads out of the record's directory through a link"
        else:
            return os.path.join(base, path)
    raise EvidenceError(f"evidence path {_short(path)} {problem}", where)


def attach_findings(
    data: Mapping[str, Any], findings: Sequence[Findings], entries: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """A copy of the record ``data`` with ``findings`` merged into the canonical places
    (what the record already holds is kept, the findings come after it) and ``entries``
    appended to ``spec.evidence``. ``data`` is never changed."""
    result = dict(data)
    spec = dict(result.get("spec") or {})
    result["spec"] = spec
    fairness_found = [f for f in findings if f.fairness]
    if fairness_found:
        fairness = dict(spec.get("fairness") or {})
        attributes = list(fairness.get("protected_attributes") or [])
        for found in fairness_found:
            attributes.extend(a for a in found.protected_attributes if a not in attributes)
        fairness["protected_attributes"] = attributes
        fairness["metrics"] = [
            *(fairness.get("metrics") or []),
            *(dict(m) for f in fairness_found for m in f.fairness),
        ]
        spec["fairness"] = fairness
    checks = [dict(c) for f in findings for c in f.checks]
    if checks:
        monitoring = dict(spec.get("monitoring") or {})
        monitoring["checks"] = [*(monitoring.get("checks") or []), *checks]
        spec["monitoring"] = monitoring
    if entries:
        spec["evidence"] = [*(spec.get("evidence") or []), *(dict(e) for e in entries)]
    return result


# --------------------------------------------------------------------------- records


def record_directory(record: ModelRecord) -> str | None:
    """The directory a record's relative evidence paths start from: its file's, or the
    file an importer read (``hf:models/x/README.md``); ``None`` for stdin, memory or a
    registry."""
    source = record.source
    if record.document is None:
        from ..importers import split_source as split_import

        parsed = split_import(source)
        if parsed is None:
            return None
        source = parsed[1]
    if source in ("-", "<stdin>", "<memory>") or not os.path.isfile(source):
        return None
    return os.path.dirname(os.path.abspath(source))


def attach_declared(record: ModelRecord, limits: Limits = DEFAULT_LIMITS) -> ModelRecord:
    """``record`` with the reports its ``spec.evidence`` lists read and merged in."""
    data = record.data
    spec = data.get("spec") if isinstance(data, Mapping) else None
    entries = spec.get("evidence") if isinstance(spec, Mapping) else None
    if entries is None:
        return record
    where = _where(record, ("spec", "evidence"))
    if not isinstance(entries, list):
        raise EvidenceError("spec.evidence must be a list of {source, name}", where)
    base = record_directory(record)
    findings = []
    listed: dict[tuple[str, str], int] = {}  # (format, real path): the entry that lists it
    nodes = count_nodes(data)  # the merged record is held to the node limit of one file
    for index, entry in enumerate(entries):
        at = _where(record, ("spec", "evidence", index))
        if not isinstance(entry, Mapping) or "source" not in entry:
            raise EvidenceError("an evidence entry is a mapping with a source", at)
        if base is None:
            raise EvidenceError(
                f"evidence {_short(entry['source'])}: {record.ref} was not read from a file,"
                " so it has no directory for relative evidence paths; attach the report with"
                " check --evidence instead",
                at,
            )
        fmt, path = split_source(entry["source"], at)
        report = (fmt, os.path.realpath(inside(path, base, at)))
        if report in listed:
            raise EvidenceError(
                f"evidence {_short(entry['source'])}: the report is listed twice"
                f" (spec.evidence[{listed[report]}] lists it already); list each report once",
                at,
            )
        listed[report] = index
        name = entry.get("name")
        found = read_evidence(
            entry["source"],
            base=base,
            name=str(name) if name is not None else None,
            limits=limits,
            where=at,
        )
        nodes += count_nodes([*found.fairness, *found.checks, *found.protected_attributes])
        if nodes > limits.max_nodes:
            raise EvidenceError(too_many_nodes(record, limits), at)
        findings.append(_dated(found, entry.get("checked_at")))
    check_mergeable(record, findings)
    return dataclasses.replace(record, data=attach_findings(data, findings))


# Where findings go, and what each place must be for them to be added to it.
_PLACES: tuple[tuple[tuple[str, ...], type, str], ...] = (
    (("spec",), Mapping, "a map"),
    (("spec", "fairness"), Mapping, "a map"),
    (("spec", "fairness", "metrics"), list, "a list"),
    (("spec", "fairness", "protected_attributes"), list, "a list"),
    (("spec", "monitoring"), Mapping, "a map"),
    (("spec", "monitoring", "checks"), list, "a list"),
    (("spec", "evidence"), list, "a list"),
)


def check_mergeable(
    record: ModelRecord, findings: Sequence[Findings], entries: bool = False
) -> None:
    """An :class:`EvidenceError` at the record's value where a finding would go that is
    not the map or list the findings are added to (``spec.fairness: "n/a"``)."""
    needed: set[tuple[str, ...]] = {("spec",)}
    if any(f.fairness for f in findings):
        needed |= {("spec", "fairness"), ("spec", "fairness", "metrics"),
                   ("spec", "fairness", "protected_attributes")}  # fmt: skip
    if any(f.checks for f in findings):
        needed |= {("spec", "monitoring"), ("spec", "monitoring", "checks")}
    if entries:
        needed.add(("spec", "evidence"))
    for path, kind, name in _PLACES:
        value: Any = record.data
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if path in needed and value and not isinstance(value, kind):
            raise EvidenceError(
                f"{'.'.join(path)} must be {name} for the evidence to be added to it,"
                f" not {type(value).__name__}",
                _where(record, path),
            )


def count_nodes(value: Any) -> int:
    """The values in ``value``: itself, and every item and mapping value inside it."""
    count = 0
    pending = [value]
    while pending:
        current = pending.pop()
        count += 1
        if isinstance(current, Mapping):
            pending.extend(current.values())
        elif isinstance(current, (list, tuple)):
            pending.extend(current)
    return count


def too_many_nodes(record: ModelRecord, limits: Limits) -> str:
    return (
        f"{record.ref} with its evidence merged in has more than {limits.max_nodes} values,"
        " the limit of one file (--limit max-nodes=N): a report's findings are copied into"
        " the record once for each time it is attached"
    )


def parse_evidence_option(value: str) -> tuple[str, str]:
    """``NAME@VERSION-GLOB=FORMAT:PATH`` as ``(pattern, source)``; the pattern matches
    ``name@version`` (``credit-default@3.*``), or the name alone when it has no ``@``."""
    pattern, sep, source = value.partition("=")
    if not sep or not pattern.strip() or not source:
        raise UsageError(
            f"--evidence {_short(value)}: expected NAME@VERSION-GLOB=FORMAT:PATH"
            " (e.g. 'credit-default@3.*=evidently:reports/drift.json')"
        )
    try:
        split_source(source, None)
    except EvidenceError as error:
        raise UsageError(f"--evidence {_short(value)}: {error.message}") from None
    return pattern.strip(), source


def attach_option(
    records: Sequence[ModelRecord], values: Sequence[str], limits: Limits = DEFAULT_LIMITS
) -> list[ModelRecord]:
    """``records`` with each ``--evidence`` report attached to the models it names.

    A pattern that matches no model is a usage error: a mistyped name must not leave
    a model judged without the evidence meant for it.
    """
    options = [parse_evidence_option(v) for v in values]
    if not options:
        return list(records)
    cache: dict[str, Findings] = {}
    attached: dict[int, tuple[list[Findings], list[dict[str, Any]]]] = {}
    for pattern, source in options:
        matched = [i for i, r in enumerate(records) if _matches(pattern, r)]
        if not matched:
            raise UsageError(
                f"--evidence {pattern}={source}: no model of the run matches {pattern!r}"
            )
        if source not in cache:
            _, path = split_source(source, None)
            cache[source] = read_evidence(source, name=pattern, limits=limits, where=Location(path))
        for i in matched:
            found, entries = attached.setdefault(i, ([], []))
            found.append(cache[source])
            entries.append({"source": source, "name": pattern})
    result = []
    for i, record in enumerate(records):
        if i not in attached:
            result.append(record)
            continue
        found, entries = attached[i]
        check_mergeable(record, found, entries=True)
        data = attach_findings(record.data, found, entries)
        if count_nodes(data) > limits.max_nodes:
            raise UsageError(f"--evidence: {too_many_nodes(record, limits)}")
        result.append(dataclasses.replace(record, data=data))
    return result


def _matches(pattern: str, record: ModelRecord) -> bool:
    if "@" in pattern:
        return fnmatch.fnmatchcase(f"{record.name}@{record.version}", pattern)
    return fnmatch.fnmatchcase(record.name, pattern)


def _dated(found: Findings, checked_at: Any) -> Findings:
    """Findings with the entry's ``checked_at`` where the report gives none."""
    if not isinstance(checked_at, str) or not checked_at:
        return found
    checks = tuple(
        c if "checked_at" in c else {**c, "checked_at": checked_at} for c in found.checks
    )
    return dataclasses.replace(found, checks=checks)


def _where(record: ModelRecord, path: tuple[str | int, ...]) -> Location:
    if record.document is not None:
        return record.document.location(path)
    return Location(record.source)


def _short(value: Any, keep: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= keep else f"{text[:keep]}... ({len(text)} characters)"
