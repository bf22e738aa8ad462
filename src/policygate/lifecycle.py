"""The lifecycle log (SPEC §9): every registry request the admission gate judged.

One line per judged request, allowed or denied, chained exactly as the
decision log is (:mod:`policygate.decisionlog`: the same canonical lines,
``seq``/``prev``/``hash``, ``flock`` on append, the ``.head`` file, and
``policygate log verify``). An entry says when, who (and the roles the gate
saw), which action on which target, the verdict and every failing rule, the
digest of the model record judged and of each policy and waiver used, and an
``event``:

``registered``
    a model or a version was created;
``updated``
    a description, a name, an alias or stage nobody protects;
``promoted``
    a protected alias or stage now points at the version;
``rolled-back``
    a protected alias (or stage) moved to an older version than the one that
    held it;
``retired``
    a version archived, or a protected alias removed;
``deleted``, ``tagged``
    as they say;
``denied``
    the gate refused the request (nothing changed).

An allowed request is written once the registry has answered it: ``applied``
says whether the registry made the change (an allowed request the registry
then refused, a version that does not exist, changed nothing). The gate holds
:class:`WriteLock` around judging, writing and logging, so the order of the
log is the order in which the registry changed, across every worker.

:func:`timeline` answers "what held each protected alias, and when, and who
put it there"; :func:`out_of_band` compares a registry's aliases and stages
with the log and finds the changes that did not go through the gate.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import decisionlog
from .errors import DecisionLogError, Location

KIND = "lifecycle"
LOG_VERSION = 1
EVENTS = (
    "registered",
    "updated",
    "promoted",
    "rolled-back",
    "retired",
    "deleted",
    "tagged",
    "denied",
)
ARCHIVED = "archived"


# --------------------------------------------------------------------------- events


def classify(
    action: str,
    *,
    allowed: bool,
    protected: bool = False,
    version: str = "",
    previous: str | None = None,
    stage: str = "",
) -> str:
    """The event of a judged request (see the module's docstring).

    ``protected`` says whether the alias or stage it names is protected,
    ``previous`` the version that held that alias (or the newest in that stage)
    before the request.
    """
    if not allowed:
        return "denied"
    if action in ("create-model", "create-version"):
        return "registered"
    if action in ("delete-model", "delete-version"):
        return "deleted"
    if action in ("set-tag", "delete-tag"):
        return "tagged"
    if action == "transition-stage" and stage.casefold() == ARCHIVED:
        return "retired"
    if action in ("set-alias", "transition-stage") and protected:
        older = previous is not None and _version_key(version) < _version_key(previous)
        return "rolled-back" if older else "promoted"
    if action == "delete-alias" and protected:
        return "retired"
    return "updated"


def _version_key(version: str) -> tuple[int, int | str]:
    """Versions in MLflow's order: numbers numerically, anything else after them."""
    return (0, int(version)) if version.isascii() and version.isdigit() else (1, version)


def entry(
    *,
    time: str,
    event: str,
    action: str,
    actor: Mapping[str, Any],
    target: Mapping[str, Any],
    allowed: bool,
    applied: bool,
    protected: bool = False,
    previous: str | None = None,
    failed: Sequence[tuple[str, str]] = (),
    model: Mapping[str, Any] | None = None,
    policies: Sequence[Mapping[str, Any]] = (),
    waivers: Sequence[Mapping[str, Any]] = (),
    promotion: Mapping[str, Any] | None = None,
    status: int | None = None,
    registry: str = "mlflow",
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One lifecycle entry, not yet chained (no ``seq``/``prev``/``hash``)."""
    from . import __version__

    if event not in EVENTS:
        raise ValueError(f"unknown lifecycle event {event!r}")
    return {
        "v": LOG_VERSION,
        "kind": KIND,
        "time": time,
        "event": event,
        "action": action,
        "registry": registry,
        "actor": dict(actor),
        "target": dict(target),
        "protected": protected,
        "previous": previous,
        "allowed": allowed,
        "applied": applied,
        "status": status,
        "failed": [{"rule": rule, "message": message} for rule, message in failed],
        "model": dict(model) if model is not None else None,
        "policies": [dict(p) for p in policies],
        "waivers": [dict(w) for w in waivers],
        "promotion": dict(promotion) if promotion is not None else None,
        "details": dict(details or {}),
        "policygate_version": __version__,
    }


def append(path: str | os.PathLike[str], entries: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Chain ``entries`` onto the lifecycle log at ``path`` (the decision log's chain)."""
    return decisionlog.append(path, entries)


def check_appendable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`DecisionLogError` unless the log can be opened for appending and its
    last line is a whole entry: the check :func:`append` makes, without writing."""
    name = os.fspath(path)
    fd = decisionlog._open_regular(name, os.O_RDWR | os.O_APPEND | os.O_CREAT, "cannot open")
    try:
        decisionlog._tail(fd, name)
    finally:
        os.close(fd)


class WriteLock:
    """The gate's write lock (``PATH.lock`` beside the log), held across judging,
    writing and logging one request.

    Every gate process serving the same registry takes it, so two requests are
    judged, applied and logged one after the other: the log's order is the
    registry's, and a request is judged on the state it changes. ``flock``
    locks belong to an open file, so threads of one process exclude each other
    too.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path) + ".lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            raise DecisionLogError("the lifecycle log needs POSIX file locks (fcntl)") from None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise DecisionLogError(f"cannot open: {error.strerror}", Location(self.path)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as error:
            os.close(fd)
            raise DecisionLogError(f"cannot lock: {error.strerror}", Location(self.path)) from None
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing releases the lock

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lifecycle_entries(entries: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, Mapping]]:
    """``(line, entry)`` of every lifecycle entry of a log, in order."""
    for line, found in enumerate(entries, start=1):
        if found.get("kind") == KIND:
            yield line, found


def describe(found: Mapping[str, Any]) -> list[str]:
    """One entry in a line or two, for ``policygate log show`` (which makes each inert)."""
    target = found.get("target") or {}
    actor = found.get("actor") or {}
    where = str(target.get("model") or "?")
    if target.get("version"):
        where += f"/{target['version']}"
    for key in ("alias", "stage", "new_name"):
        if target.get(key):
            where += f" {key} {target[key]}"
    tag = target.get("tag") or {}
    if tag.get("key"):
        where += f" tag {tag['key']}"
    verdict = "ALLOWED" if found.get("allowed") else "DENIED"
    if found.get("allowed") and not found.get("applied"):
        verdict += f" (not applied: HTTP {found.get('status')})"
    text = (
        f"{found.get('time')}  {found.get('event')}  {found.get('action')} {where}  "
        f"by {actor.get('name') or '?'}  {verdict}"
    )
    if found.get("previous"):
        text += f"  (was version {found['previous']})"
    failed = [f"{f.get('rule')}: {f.get('message')}" for f in found.get("failed") or ()]
    return [text, "    failed: " + "; ".join(failed)] if failed else [text]


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Holding:
    """One version holding one alias (or one stage) of one model, from ``since`` to ``until``.

    ``line`` and ``decision`` (the entry's hash) name the entry that put it
    there; ``until`` is ``None`` while it still holds, ``ended_by`` says what
    ended it (the event, the actor and the line).
    """

    model: str
    slot: str  # "alias" or "stage"
    name: str
    version: str
    since: str
    actor: str
    event: str
    line: int
    decision: str
    protected: bool
    report_digest: str | None = None
    until: str | None = None
    ended_by: str | None = None


@dataclass(frozen=True)
class Attempt:
    """A denied request on an alias or stage: who tried, which version, why not."""

    model: str
    slot: str
    name: str
    version: str
    time: str
    actor: str
    line: int
    failed: tuple[str, ...]


@dataclass
class _State:
    """What the log says each model's aliases and stages are, replayed in order."""

    holdings: list[Holding] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    open: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    # (model, slot, name, version) -> index in holdings; an alias has one open version

    def close(self, index: int, time: str, why: str) -> None:
        held = self.holdings[index]
        self.holdings[index] = Holding(**{**held.__dict__, "until": time, "ended_by": why})

    def close_where(self, time: str, why: str, **match: str) -> None:
        for key, index in list(self.open.items()):
            model, slot, name, version = key
            values = {"model": model, "slot": slot, "name": name, "version": version}
            if all(values[k] == v for k, v in match.items()):
                self.close(index, time, why)
                del self.open[key]

    def open_holding(self, holding: Holding) -> None:
        self.holdings.append(holding)
        self.open[(holding.model, holding.slot, holding.name, holding.version)] = (
            len(self.holdings) - 1
        )

    def rename(self, old: str, new: str) -> None:
        for (model, slot, name, version), index in list(self.open.items()):
            if model == old:
                del self.open[(model, slot, name, version)]
                held = self.holdings[index]
                self.holdings[index] = Holding(**{**held.__dict__, "model": new})
                self.open[(new, slot, name, version)] = index


def replay(entries: Iterable[Mapping[str, Any]]) -> _State:
    """Replay the applied changes of a lifecycle log: every holding and denied attempt."""
    state = _State()
    for line, found in lifecycle_entries(entries):
        _apply(state, line, found)
    return state


def _apply(state: _State, line: int, found: Mapping[str, Any]) -> None:
    target = found.get("target") or {}
    model = str(target.get("model") or "")
    version = str(target.get("version") or "")
    action = found.get("action")
    time = str(found.get("time") or "")
    actor = str((found.get("actor") or {}).get("name") or "?")
    slot, name = _slot(action, target)
    if not found.get("allowed"):
        if slot:
            failed = tuple(str(f.get("rule")) for f in found.get("failed") or ())
            state.attempts.append(Attempt(model, slot, name, version, time, actor, line, failed))
        return
    if not found.get("applied"):
        return
    why = f"{found.get('event')} by {actor} (line {line})"
    if action == "set-alias":
        if (model, "alias", name, version) in state.open:
            return  # pointed again at the version that holds it: nothing moved
        state.close_where(time, why, model=model, slot="alias", name=name)
        state.open_holding(_holding(found, line, model, "alias", name, version, actor))
    elif action == "delete-alias":
        state.close_where(time, why, model=model, slot="alias", name=name)
    elif action == "transition-stage":
        state.close_where(time, why, model=model, slot="stage", version=version)
        if (found.get("details") or {}).get("archive_existing_versions"):
            state.close_where(time, why, model=model, slot="stage", name=name)
        if name.casefold() not in ("none", ARCHIVED):
            state.open_holding(_holding(found, line, model, "stage", name, version, actor))
    elif action == "delete-version":
        state.close_where(time, why, model=model, version=version)
    elif action == "delete-model":
        state.close_where(time, why, model=model)
    elif action == "rename-model":
        state.rename(model, str(target.get("new_name") or ""))


def _slot(action: Any, target: Mapping[str, Any]) -> tuple[str, str]:
    if action in ("set-alias", "delete-alias"):
        return "alias", str(target.get("alias") or "")
    if action == "transition-stage":
        return "stage", str(target.get("stage") or "")
    return "", ""


def _holding(
    found: Mapping[str, Any], line: int, model: str, slot: str, name: str, version: str, actor: str
) -> Holding:
    promotion = found.get("promotion") or {}
    return Holding(
        model=model,
        slot=slot,
        name=name,
        version=version,
        since=str(found.get("time") or ""),
        actor=actor,
        event=str(found.get("event") or ""),
        line=line,
        decision=str(found.get("hash") or ""),
        protected=bool(found.get("protected")),
        report_digest=promotion.get("report_digest"),
    )


def timeline(
    entries: Iterable[Mapping[str, Any]], model: str, alias: str | None = None
) -> tuple[list[Holding], list[Attempt]]:
    """Which version held each protected alias and stage of ``model`` over time (all of
    them, protected or not, for the one ``alias`` asked for), and the denied attempts."""
    state = replay(entries)

    def wanted(slot: str, name: str, protected: bool) -> bool:
        if alias is not None:
            return slot == "alias" and name == alias
        return protected

    holdings = [h for h in state.holdings if h.model == model and wanted(h.slot, h.name,
                                                                          h.protected)]  # fmt: skip
    protected_names = {(h.slot, h.name) for h in state.holdings if h.protected}
    attempts = [
        a
        for a in state.attempts
        if a.model == model
        and wanted(a.slot, a.name, (a.slot, a.name) in protected_names or alias is not None)
    ]
    return holdings, attempts


def render_timeline(
    holdings: Sequence[Holding], attempts: Sequence[Attempt], model: str
) -> list[str]:
    """The lines ``policygate log timeline`` prints, grouped by alias or stage, oldest first."""
    groups: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    for held in holdings:
        until = held.until or "now"
        decision = held.decision[:19] + "…" if held.decision else "?"
        line = (
            f"  {held.since} .. {until}  version {held.version}  {held.event} by {held.actor}"
            f"  (decision: line {held.line}, {decision})"
        )
        if held.until is not None and held.ended_by:
            line += f"; ended: {held.ended_by}"
        groups.setdefault((held.slot, held.name), []).append((held.since, held.line, line))
    for tried in attempts:
        rules = ", ".join(tried.failed) or "?"
        line = (
            f"  {tried.time}  denied: {tried.actor} asked for version {tried.version or '-'}"
            f"  (line {tried.line}; {rules})"
        )
        groups.setdefault((tried.slot, tried.name), []).append((tried.time, tried.line, line))
    lines = []
    for (slot, name), rows in sorted(groups.items()):
        lines.append(f"{model} {slot} {name}:")
        lines.extend(text for _, _, text in sorted(rows, key=lambda r: r[1]))
    return lines


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class Finding:
    """A protected alias or stage whose state the log does not account for."""

    model: str
    slot: str
    name: str
    version: str | None  # what the registry says now; None: the registry has none
    logged: str | None  # what the log's last applied change says; None: no such change

    @property
    def message(self) -> str:
        where = f"{self.model} {self.slot} {self.name}"
        if self.version is None:
            return (
                f"{where}: the lifecycle log has version {self.logged} holding it, the "
                "registry has none (removed outside the gate)"
            )
        if self.logged is None:
            return (
                f"{where} points at version {self.version}: no allowed promotion in the "
                "lifecycle log (changed outside the gate)"
            )
        return (
            f"{where} points at version {self.version}, the lifecycle log's last allowed "
            f"change put version {self.logged} there (changed outside the gate)"
        )


def out_of_band(
    entries: Iterable[Mapping[str, Any]],
    aliases: Mapping[str, Mapping[str, str]],
    stages: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    *,
    protected_aliases: Sequence[str] | None = None,
    protected_stages: Sequence[str] = (),
) -> list[Finding]:
    """Every protected alias (and stage) of the registry that the log does not explain.

    ``aliases`` is the registry now: model -> alias -> version; ``stages``
    model -> stage -> versions. ``protected_aliases`` ``None`` checks every
    alias the registry or the log names. Models are those of ``aliases`` (a
    model the registry no longer has is not reported: deleting one goes through
    the gate or shows as its absence).
    """
    state = replay(entries)
    logged_alias: dict[tuple[str, str], str] = {}
    logged_stage: dict[tuple[str, str], set[str]] = {}
    for (model, slot, name, version), _ in state.open.items():
        if slot == "alias":
            logged_alias[(model, name)] = version
        else:
            logged_stage.setdefault((model, name.casefold()), set()).add(version)

    def alias_protected(name: str) -> bool:
        return protected_aliases is None or name in protected_aliases

    findings = []
    for model in sorted(aliases):
        current = aliases[model]
        for name in sorted(set(current) | {a for m, a in logged_alias if m == model}):
            if not alias_protected(name):
                continue
            now, logged = current.get(name), logged_alias.get((model, name))
            if now != logged:
                findings.append(Finding(model, "alias", name, now, logged))
    wanted_stages = {s.casefold(): s for s in protected_stages}
    for model in sorted((stages or {}).keys()):
        for stage, versions in sorted((stages or {})[model].items()):
            key = stage.casefold()
            if key not in wanted_stages:
                continue
            known = logged_stage.get((model, key), set())
            for version in sorted(set(versions) - known, key=_version_key):
                findings.append(Finding(model, "stage", stage, version, None))
    return findings


def read(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every entry of the log at ``path``, in order (verify it with ``log verify``)."""
    return decisionlog.read_entries(path)


__all__ = [
    "EVENTS",
    "KIND",
    "Attempt",
    "Finding",
    "Holding",
    "append",
    "check_appendable",
    "classify",
    "describe",
    "entry",
    "out_of_band",
    "read",
    "render_timeline",
    "replay",
    "timeline",
    "WriteLock",
]
