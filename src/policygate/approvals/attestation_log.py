"""The attestation log: every signed decision, hash-chained, so that deleting one is found.

A model record (or an attestation file) is edited by whoever can edit it: a
signed rejection deleted from it leaves no trace in the record itself.
``policygate approve --attestation-log PATH`` therefore also appends each
decision it signs, approved or rejected, to a log kept elsewhere, chained
exactly like the decision log (:mod:`policygate.decisionlog`: same genesis,
same ``seq``/``prev``/``hash``, same head file, same ``log verify``).

``check --attestation-log PATH`` then requires every decision logged for a
record's ``name@version`` to be among the record's approvals (or the
attestations given), as signed: the same signed fields and the same
signature. It compares decisions made for *any* state of the record, not only
the current record digest: a rejection of an earlier state still stands under
the shipped rules (see docs/approvals.md), so deleting it must be found too.

One entry::

    {"v": 1, "kind": "signed-decision", "time": "...",
     "model": {"name": "...", "version": "...", "record_digest": "sha256:..."},
     "approval": {...the approval as signed, signature included...},
     "seq": N, "prev": "sha256:...", "hash": "sha256:..."}
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..decisionlog import append, is_digest, read_entries, verify
from ..errors import (
    DecisionLogError,
    ErrorGroup,
    LoadError,
    Location,
    PolicygateError,
    UsageError,
)
from ..policy import canonical_json
from ..timestamps import format_timestamp, utc_now
from .attestations import Attestation
from .digest import normalise, signed_fields
from .verify import concerning as attestations_of

ENTRY_KIND = "signed-decision"
LOG_VERSION = 1


@dataclass(frozen=True)
class LoggedDecision:
    """One signed decision read back from an attestation log."""

    line: int
    name: str
    version: str
    record_digest: str
    approval: Mapping[str, Any] = field(repr=False)

    def concerns(self, name: str, version: str) -> bool:
        return self.name == name and self.version == version


def attestation_entry(
    name: str, version: str, approval: Mapping[str, Any], *, time: _dt.datetime | None = None
) -> dict[str, Any]:
    """The log entry (not yet chained) of a signed ``approval`` of ``name@version``."""
    signature = approval.get("signature")
    if not isinstance(signature, Mapping) or not isinstance(signature.get("record_digest"), str):
        raise ValueError("only a signed approval is logged")
    return {
        "v": LOG_VERSION,
        "kind": ENTRY_KIND,
        "time": format_timestamp(time or utc_now()),
        "model": {"name": name, "version": version, "record_digest": signature["record_digest"]},
        "approval": {**signed_fields(approval), "signature": dict(signature)},
    }


def log_attestation(
    path: str | os.PathLike[str],
    name: str,
    version: str,
    approval: Mapping[str, Any],
    *,
    time: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Append the signed ``approval`` of ``name@version`` to the log at ``path``; the entry."""
    (written,) = append(path, [attestation_entry(name, version, approval, time=time)])
    return written


def read_attestation_log(
    path: str | os.PathLike[str], *, head: str | None = None
) -> list[LoggedDecision]:
    """Every decision of an intact, anchored attestation log; else a :class:`DecisionLogError`.

    Anchored means: checked against ``head`` (a hash kept elsewhere) when
    given, else against the log's head file, which must then exist: without
    either, deleting the last entries could not be found, and a gate that
    cannot tell does not pass.
    """
    name = os.fspath(path)
    outcome = verify(name, head=head)
    if not outcome.intact:
        raise DecisionLogError(
            f"attestation log: {outcome.problem}; nothing it records can be relied on",
            Location(name, outcome.line),
        )
    if head is None and not outcome.head_file:
        raise DecisionLogError(
            f"attestation log: its head file {name}.head is missing, so deleting its last "
            "entries could not be found; give the head you kept with --attestation-head DIGEST",
            Location(name),
        )
    decisions = []
    for line, entry in enumerate(read_entries(name), start=1):
        decisions.append(_decision(entry, name, line))
    return decisions


def _decision(entry: Mapping[str, Any], path: str, line: int) -> LoggedDecision:
    model = entry.get("model")
    approval = entry.get("approval")
    if (
        entry.get("kind") != ENTRY_KIND
        or not isinstance(model, Mapping)
        or not all(isinstance(model.get(k), str) for k in ("name", "version", "record_digest"))
        or not isinstance(approval, Mapping)
    ):
        raise DecisionLogError(
            f"attestation log: not a signed-decision entry (kind {entry.get('kind')!r}); "
            "is this a decision log?",
            Location(path, line),
        )
    return LoggedDecision(line, model["name"], model["version"], model["record_digest"], approval)


def _key(approval: Mapping[str, Any]) -> bytes | None:
    """What must match: every signed field and the signature, as the engine compares them."""
    try:
        return canonical_json(
            normalise({**signed_fields(approval), "signature": approval.get("signature")})
        )
    except (TypeError, ValueError):
        return None


def missing_from_records(
    records: Iterable[Any],
    logged: Sequence[LoggedDecision],
    attestations: Sequence[Attestation] = (),
    *,
    log: str = "",
) -> list[PolicygateError]:
    """One error per logged decision of a record's ``name@version`` that it does not carry.

    ``records`` are :class:`~policygate.models.ModelRecord` values; a record's
    decisions are its ``spec.approvals`` and the ``attestations`` naming it.
    """
    errors: list[PolicygateError] = []
    by_model: dict[tuple[str, str], list[LoggedDecision]] = {}
    for decision in logged:  # once, not once per record
        by_model.setdefault((decision.name, decision.version), []).append(decision)
    given = tuple(attestations)
    for record in records:
        concerning = by_model.get((record.name, record.version))
        if not concerning:
            continue
        present = {_key(a) for a in _approvals(record.data) if isinstance(a, Mapping)}
        present.update(
            _key(a.approval) for a in attestations_of(given, record.name, record.version)
        )
        document = getattr(record, "document", None)
        where = document.location() if document is not None else Location(record.source)
        for decision in concerning:
            if _key(decision.approval) in present:
                continue
            approval = decision.approval
            errors.append(
                LoadError(
                    f"{record.ref}: the signed {approval.get('decision')!r} by "
                    f"{approval.get('approver')} as {approval.get('role')} "
                    f"(granted {approval.get('granted_at')}) logged at {log}:{decision.line} "
                    "is not among the record's approvals or attestations (deleted or "
                    "altered?); a record must carry every decision logged for it",
                    where,
                )
            )
    return errors


def _approvals(data: Any) -> list[Any]:
    spec = data.get("spec") if isinstance(data, Mapping) else None
    approvals = spec.get("approvals") if isinstance(spec, Mapping) else None
    return approvals if isinstance(approvals, list) else []


def require_logged_decisions(
    path: str | os.PathLike[str],
    records: Iterable[Any],
    attestations: Sequence[Attestation] = (),
    *,
    head: str | None = None,
) -> list[LoggedDecision]:
    """Read the log at ``path`` and raise if a record lacks a decision logged for it."""
    name = os.fspath(path)
    logged = read_attestation_log(name, head=head)
    errors = missing_from_records(records, logged, attestations, log=name)
    if errors:
        raise ErrorGroup.of(errors)
    return logged


def validate_head(text: str | None, option: str = "--attestation-head") -> str | None:
    """``text`` if it is written like an entry hash (or ``None``); else a usage error."""
    if text is not None and not is_digest(text):
        raise UsageError(f"{option}: expected sha256: and 64 hex digits, got {text!r}")
    return text


def describe(entry: Mapping[str, Any]) -> str:
    """One line for ``log show``: who decided what for which model version.

    Every value comes from the log, which is untrusted: a character that could
    rewrite a terminal line is written as its escape (:mod:`policygate.formats.inert`).
    """
    found_model, found_approval = entry.get("model"), entry.get("approval")
    model: Mapping[str, Any] = found_model if isinstance(found_model, Mapping) else {}
    approval: Mapping[str, Any] = found_approval if isinstance(found_approval, Mapping) else {}
    ref = f"{_plain(model.get('name', '?'))}@{_plain(model.get('version', '?'))}"
    return (
        f"{_plain(entry.get('time'))}  {ref}  {_plain(approval.get('decision', '?')).upper()}  "
        f"{_plain(approval.get('role'))} by {_plain(approval.get('approver'))}  "
        f"(granted {_plain(approval.get('granted_at'))}, record "
        f"{_plain(model.get('record_digest', ''))[:19]})"
    )


def _plain(value: Any) -> str:
    from ..formats.inert import inert  # the one escaping of every terminal output

    return inert(value)


def is_attestation_entry(entry: Mapping[str, Any]) -> bool:
    return entry.get("kind") == ENTRY_KIND
