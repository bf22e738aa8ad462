"""Why did a rule give what it gave? ``policygate explain`` and ``check --explain``.

The outcome comes from :func:`policygate.evaluate`, the same call ``check``
makes, so statuses, waivers and their expiry mean exactly what they mean
there. The explanation then shows, for ``applies_to``, ``when``, ``for_each``
and the check of each element, the value of every sub-expression: each
comparison, each field read, each call. The sub-expressions come from the
expression's syntax (:func:`policygate.cel.subexpressions`) and each is
compiled and evaluated by the policy's own backend, with the variables the
rule saw. A sub-expression that reads a macro variable (``a`` in
``exists(a, ...)``) has no value on its own and is shown without one.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import cel
from .approvals import Approvers, Attestation, with_verified_approvals
from .errors import Location, UsageError
from .evaluate import evaluate, risks_variable
from .formats.inert import inert
from .graph.catalogs import ControlCatalog, all_catalogs
from .lint.fields import did_you_mean
from .message import format_value, preview
from .models import ModelRecord
from .policy import Expression, Policy, Rule
from .report import ModelReport, Result, Status
from .timestamps import format_timestamp, parse_timestamp
from .waivers import Waiver


@dataclass(frozen=True)
class Value:
    """A sub-expression and what it evaluated to (or why it could not be)."""

    text: str
    kind: str
    depth: int
    value: Any = None
    error: str | None = None
    local: bool = False
    evaluated: bool = True  # False: ``&&``, ``||`` or ``?:`` decided without it

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"expression": self.text, "kind": self.kind, "depth": self.depth}
        if self.local:
            out["local"] = True
        elif not self.evaluated:
            out["evaluated"] = False
        elif self.error is not None:
            out["error"] = self.error
        else:
            out["value"] = _jsonable(self.value)
        return out


@dataclass(frozen=True)
class Trace:
    """One expression of the rule (applies_to, when, for_each or check) evaluated."""

    name: str
    text: str
    location: Location | None
    value: Any = None
    error: str | None = None
    parts: tuple[Value, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "expression": self.text,
            "location": str(self.location) if self.location else None,
        }
        if self.error is not None:
            out["error"] = self.error
        else:
            out["value"] = _jsonable(self.value)
        out["subexpressions"] = [p.to_dict() for p in self.parts]
        return out


@dataclass(frozen=True)
class ItemTrace:
    """The check of one element of a for_each (or of the rule itself, ``item`` None)."""

    item: int | str | None
    element: Any
    status: Status | None
    message: str | None
    check: Trace

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "element": _jsonable(self.element),
            "status": self.status.value if self.status else None,
            "message": self.message,
            "check": self.check.to_dict(),
        }


@dataclass(frozen=True)
class WaiverTrace:
    name: str
    source: str
    rule: str
    models: tuple[str, ...]
    expires_at: str
    covers_model: bool
    active: bool
    applied: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "rule": self.rule,
            "models": list(self.models),
            "expires_at": self.expires_at,
            "covers_model": self.covers_model,
            "active": self.active,
            "applied": self.applied,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ControlTrace:
    id: str
    title: str
    status: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status}


@dataclass(frozen=True)
class Explanation:
    model: str
    model_source: str
    policy: str
    rule: str
    title: str
    severity: str
    location: Location | None
    status: Status | None
    results: tuple[Result, ...]
    applies_to: Trace | None = None
    applicable: bool | None = None
    when: Trace | None = None
    for_each: Trace | None = None
    items: tuple[ItemTrace, ...] = ()
    waivers: tuple[WaiverTrace, ...] = ()
    other_waivers: int = 0
    controls: tuple[ControlTrace, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "explain_version": 1,
            "model": self.model,
            "model_source": self.model_source,
            "rule": f"{self.policy}/{self.rule}",
            "title": self.title,
            "severity": self.severity,
            "location": str(self.location) if self.location else None,
            "status": self.status.value if self.status else None,
            "applies_to": self.applies_to.to_dict() if self.applies_to else None,
            "when": self.when.to_dict() if self.when else None,
            "for_each": self.for_each.to_dict() if self.for_each else None,
            "items": [i.to_dict() for i in self.items],
            "results": [r.to_dict() for r in self.results],
            "waivers": [w.to_dict() for w in self.waivers],
            "other_waivers": self.other_waivers,
            "controls": [c.to_dict() for c in self.controls],
        }


# --------------------------------------------------------------------------- entry points


def explain(
    model: ModelRecord,
    policies: Sequence[Policy],
    rule: str,
    *,
    now: _dt.datetime | str | None = None,
    waivers: Sequence[Waiver] = (),
    inputs: Mapping[str, Any] | None = None,
    fail_on: str = "error",
    catalogs: Sequence[ControlCatalog] = (),
    approvers: Approvers | None = None,
    attestations: Sequence[Attestation] = (),
    request: Mapping[str, Any] | None = None,
    **evaluation: Any,
) -> Explanation:
    """Explain ``rule`` (``RULE`` or ``POLICY/RULE``) for one model; an access rule
    for the ``request`` it judges (docs/access-policies.md). ``evaluation`` gives the
    rest of :func:`policygate.evaluate.evaluate`'s keywords (``risk_graph``,
    ``budget``...), as the run of ``check`` has them."""
    from .access import for_request

    policy, found = find_rule(policies, rule)
    moment = _moment(now)
    judged, policies = for_request(policies, request, moment, found)
    policy = next(p for p in policies if p.name == policy.name)
    report = evaluate(
        [model],
        list(policies),
        request=judged,
        now=moment,
        waivers=waivers,
        inputs=inputs,
        fail_on=fail_on,
        approvers=approvers,
        attestations=attestations,
        **evaluation,
    ).models[0]
    return _Explainer(
        model, report, moment, waivers, inputs or {}, catalogs, approvers, attestations, judged
    ).rule(policy, found)


def explain_failures(
    records: Sequence[ModelRecord],
    reports: Sequence[ModelReport],
    policies: Sequence[Policy],
    *,
    now: str,
    waivers: Sequence[Waiver] = (),
    inputs: Mapping[str, Any] | None = None,
    catalogs: Sequence[ControlCatalog] = (),
    approvers: Approvers | None = None,
    attestations: Sequence[Attestation] = (),
) -> list[Explanation]:
    """An explanation of every rule that failed or errored, for ``check --explain``.

    ``reports`` are the model reports of the run, in the order of ``records``.
    """
    by_name = {p.name: p for p in policies}
    moment = _moment(now)
    explanations = []
    for record, report in zip(records, reports, strict=True):
        explainer = _Explainer(
            record, report, moment, waivers, inputs or {}, catalogs, approvers, attestations
        )
        done: set[tuple[str, str]] = set()
        for result in report.results:
            key = (result.policy, result.rule)
            if result.status not in (Status.FAIL, Status.ERROR) or key in done:
                continue
            done.add(key)
            policy = by_name.get(result.policy)
            if policy is None:
                continue  # the engine's own results (applicability) have no expression
            try:
                rule = policy.rule(result.rule)
            except KeyError:
                continue  # schema, applies_to: no rule to explain
            explanations.append(explainer.rule(policy, rule))
    return explanations


def find_rule(policies: Sequence[Policy], ref: str) -> tuple[Policy, Rule]:
    """The policy and rule ``ref`` names; a usage error when it names none or several."""
    name, sep, rule_id = ref.rpartition("/")
    candidates = [p for p in policies if not sep or p.name == name]
    found = [(p, r) for p in candidates for r in p.rules if r.id == rule_id]
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"{p.name}/{r.id}" for p, r in found)
        raise UsageError(f"rule {ref!r} is in several policies ({names}): write POLICY/RULE")
    known = [f"{p.name}/{r.id}" if sep else r.id for p in candidates for r in p.rules]
    hint = did_you_mean(ref, known)
    suffix = f"; did you mean {hint!r}?" if hint else ""
    raise UsageError(f"no rule {ref!r} in the loaded policies{suffix}")


def _moment(now: _dt.datetime | str | None) -> _dt.datetime:
    if now is None:
        return _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    if isinstance(now, str):
        try:
            return parse_timestamp(now)
        except ValueError as error:
            raise UsageError(f"now: {error}") from None
    return now


# --------------------------------------------------------------------------- the work


class _Explainer:
    def __init__(
        self,
        record: ModelRecord,
        report: ModelReport,
        now: _dt.datetime,
        waivers: Sequence[Waiver],
        inputs: Mapping[str, Any],
        catalogs: Sequence[ControlCatalog],
        approvers: Approvers | None,
        attestations: Sequence[Attestation],
        request: Mapping[str, Any] | None = None,
    ) -> None:
        self.request = request
        self.record = record
        self.report = report
        self.now = now
        self.waivers = waivers
        self.inputs = inputs
        self.catalogs = catalogs
        # What the rules saw: the record with its approvals marked as evaluate marks them.
        self.data = with_verified_approvals(
            record.data,
            name=record.name,
            version=record.version,
            now=now,
            approvers=approvers,
            attestations=attestations,
        )

    def rule(self, policy: Policy, rule: Rule) -> Explanation:
        backend = cel.get_backend()
        activation = backend.activation(
            model=self.data, params={}, now=self.now, inputs=self.inputs
        ).bind(
            params=dict(policy.params),
            # what a rule reading risks saw: the ratings the report gives (SPEC §12)
            risks=risks_variable(self.report.risks, self.report.controls),
        )
        if self.request is not None:
            activation = activation.bind(request=self.request)
        results = tuple(
            r for r in self.report.results if r.policy == policy.name and r.rule == rule.id
        )
        use = next((u for u in self.report.policies if u.name == policy.name), None)
        explanation: dict[str, Any] = {
            "model": self.record.ref,
            "model_source": self.record.source,
            "policy": policy.name,
            "rule": rule.id,
            "title": rule.title,
            "severity": rule.severity,
            "location": rule.location,
            "status": _worst(results),
            "results": results,
            "applicable": use.applicable if use else None,
        }
        tracer = _Tracer(backend)
        if policy.applies_to is not None:
            explanation["applies_to"] = tracer.trace("applies_to", policy.applies_to, activation)
        if use is None or use.applicable:
            explanation.update(self._evaluated(tracer, rule, activation, results))
        explanation["waivers"], explanation["other_waivers"] = self._waivers(policy, rule, results)
        explanation["controls"] = self._controls(rule)
        return Explanation(**explanation)

    def _evaluated(
        self, tracer: _Tracer, rule: Rule, activation: cel.Activation, results: tuple[Result, ...]
    ) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if rule.when is not None:
            found["when"] = when = tracer.trace("when", rule.when, activation)
            if when.value is not True:
                return found
        if rule.for_each is None:
            check = tracer.trace("check", rule.check, activation)
            result = results[0] if results else None
            found["items"] = (ItemTrace(None, None, _status(result), _message(result), check),)
            return found
        backend = tracer.backend
        try:
            collection = rule.for_each.program.evaluate(activation)
            elements = backend.elements(collection)
        except cel.CELEvaluationError as error:
            found["for_each"] = Trace(
                "for_each",
                rule.for_each.text,
                rule.for_each.location,
                error=str(error),
                parts=tracer.parts(rule.for_each.text, activation),
            )
            return found
        found["for_each"] = tracer.trace("for_each", rule.for_each, activation)
        items = []
        for position, (key, element) in enumerate(elements):
            index = key if isinstance(key, int) else position
            bound = activation.bind(item=element, index=index, key=key)
            result = next((r for r in results if r.item == key), None)
            items.append(
                ItemTrace(
                    key,
                    tracer.value_of("item", bound)[0],
                    _status(result),
                    _message(result),
                    tracer.trace("check", rule.check, bound),
                )
            )
        found["items"] = tuple(items)
        return found

    def _waivers(
        self, policy: Policy, rule: Rule, results: tuple[Result, ...]
    ) -> tuple[tuple[WaiverTrace, ...], int]:
        traces = []
        others = 0
        failing = [r for r in results if r.status in (Status.FAIL, Status.ERROR, Status.WAIVED)]
        for waiver in self.waivers:
            if not waiver.covers_rule(policy.name, rule.id):
                others += 1
                continue
            covers = waiver.covers(policy.name, rule.id, self.record.name, self.record.version)
            active = waiver.active(self.now)
            applied = any(
                r.waiver is not None and r.waiver.name == waiver.name and not r.waiver.expired
                for r in results
            )
            expiry = format_timestamp(waiver.expires_at)
            if not covers:
                reason = (
                    f"not applied: covers models {', '.join(waiver.models)}, not {self.record.ref}"
                )
            elif not active and waiver.granted_at is not None and waiver.pending(self.now):
                granted = format_timestamp(waiver.granted_at)
                reason = f"not applied: not valid before {granted} (granted_at)"
            elif not active:
                reason = f"not applied: expired {expiry}; an expired waiver waives nothing"
            elif applied:
                count = sum(1 for r in results if r.status is Status.WAIVED)
                reason = f"applied: waived {count} result{'s' if count != 1 else ''} until {expiry}"
            elif not failing:
                reason = f"not needed: nothing failed (active until {expiry})"
            else:
                reason = "not applied: another waiver covered the results"
            traces.append(
                WaiverTrace(
                    waiver.name,
                    waiver.source,
                    waiver.rule,
                    waiver.models,
                    expiry,
                    covers,
                    active,
                    applied,
                    reason,
                )
            )
        return tuple(traces), others

    def _controls(self, rule: Rule) -> tuple[ControlTrace, ...]:
        titles = {
            c.id: c.title for catalog in all_catalogs(self.catalogs) for c in catalog.controls
        }
        states = {c.id: c.status.value for c in self.report.controls}
        return tuple(ControlTrace(c, titles.get(c, ""), states.get(c)) for c in rule.controls)


class _Tracer:
    """Evaluates an expression once, through the evaluator's observer (as OPA's
    topdown tracer does): the values shown for its sub-expressions are those the
    evaluation itself computed, and a part it never needed is shown as such."""

    def __init__(self, backend: cel.Backend) -> None:
        self.backend = backend
        self._programs: dict[str, cel.Program] = {}

    def trace(self, name: str, expression: Expression, activation: cel.Activation) -> Trace:
        value, error, parts = self._traced(expression.program, activation)
        return Trace(name, expression.text, expression.location, value, error, parts)

    def parts(self, text: str, activation: cel.Activation) -> tuple[Value, ...]:
        return self._traced(self._program(text), activation)[2]

    def _traced(
        self, program: cel.Program, activation: cel.Activation
    ) -> tuple[Any, str | None, tuple[Value, ...]]:
        value, error, seen = program.trace(activation)  # type: ignore[attr-defined]
        if error is None:
            value = self.backend.to_python(value)
        try:
            nodes = cel.subexpressions(program.text)
        except cel.CELSyntaxError:
            return value, error, ()
        values = []
        inside: tuple[int, int] = (-1, -1)  # the outermost node shown as "per element"
        for node in nodes:
            shown = " ".join(node.text.split())
            if node.local:
                if not (inside[0] <= node.start and node.end <= inside[1]):
                    inside = (node.start, node.end)
                    values.append(Value(shown, node.kind, node.depth, local=True))
                continue
            found = seen.get(node.key) if node.key is not None else None
            if found is None:
                values.append(Value(shown, node.kind, node.depth, evaluated=False))
                continue
            part, failed = found
            if failed is None:
                part = self.backend.to_python(part)
            values.append(Value(shown, node.kind, node.depth, part, failed))
        return value, error, tuple(values)

    def value_of(self, text: str, activation: cel.Activation) -> tuple[Any, str | None]:
        """The plain value of ``text`` (compiled once), or the error evaluating it."""
        value, error, _ = self._program(text).trace(activation)  # type: ignore[attr-defined]
        return (self.backend.to_python(value) if error is None else None), error

    def _program(self, text: str) -> cel.Program:
        program = self._programs.get(text)
        if program is None:
            program = self._programs[text] = self.backend.compile(text)
        return program


_SERIOUSNESS = (Status.ERROR, Status.FAIL, Status.WAIVED, Status.PASS, Status.SKIP)


def _worst(results: Sequence[Result]) -> Status | None:
    statuses = {r.status for r in results}
    return next((s for s in _SERIOUSNESS if s in statuses), None)


def _status(result: Result | None) -> Status | None:
    return result.status if result else None


def _message(result: Result | None) -> str | None:
    return result.message if result else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, _dt.timedelta):
        return format_value(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------- text


def show(value: Any, limit: int = 120) -> str:
    """A value as it reads in an explanation: JSON, strings quoted, long ones cut.
    Only as much of the value is read as can show (:func:`~.message.preview`): a
    record's megabyte field is shown once per item of a ``for_each`` rule."""
    shown = _jsonable(preview(value, limit, limit))
    text = json.dumps(shown, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_text(explanations: Sequence[Explanation], *, verbose: bool = False) -> str:
    """The explanations for a terminal: every line inert (:mod:`.formats.inert`), since
    names, messages, values and waivers come from records."""
    blocks = [_text(e, verbose) for e in explanations]
    return "\n".join(blocks)


def render_json(explanations: Sequence[Explanation]) -> str:
    data: Any = [e.to_dict() for e in explanations]
    if len(explanations) == 1:
        data = data[0]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _text(e: Explanation, verbose: bool) -> str:
    status = e.status.value if e.status else "no result"
    lines = [
        f"rule {e.policy}/{e.rule} ({e.severity}) at {e.location}"
        if e.location
        else f"rule {e.policy}/{e.rule} ({e.severity})",
        f"  {e.title}" if e.title else "",
        f"model {e.model}  {e.model_source}",
        f"status: {status}",
    ]
    lines = [line for line in lines if line]
    if e.applies_to is not None:
        lines.extend(_trace(e.applies_to, "  "))
    if e.applicable is False:
        lines.append("  the policy does not apply to this model: every rule is skip")
    if e.when is not None:
        lines.extend(_trace(e.when, "  "))
        if e.when.value is not True:
            lines.append("  when is not true: the check did not run")
    if e.for_each is not None:
        lines.extend(_trace(e.for_each, "  "))
        if e.for_each.error is None and not e.items:
            lines.append("  for_each is empty: the rule is skip")
    for item in e.items:
        failing = item.status in (Status.FAIL, Status.ERROR, Status.WAIVED)
        if item.item is None:
            lines.extend(_trace(item.check, "  "))
        elif failing or verbose:
            head = f"  item [{item.item}] {item.status.value if item.status else ''}: "
            lines.append(head + show(item.element, 100))
            lines.extend(_trace(item.check, "    "))
        else:
            lines.append(f"  item [{item.item}] {item.status.value if item.status else ''}")
        if item.message and item.status is not Status.PASS:
            lines.append(f"{'    ' if item.item is not None else '  '}message: {item.message}")
    if e.waivers or e.other_waivers:
        lines.append("waivers:")
        for w in e.waivers:
            lines.append(f"  {w.name} ({w.rule}, {w.source}): {w.reason}")
        if e.other_waivers:
            count = e.other_waivers
            lines.append(f"  {count} other waiver{'s' if count != 1 else ''} do not name this rule")
    else:
        lines.append("waivers: none given")
    if e.controls:
        lines.append("controls that depend on this rule:")
        width = max(len(c.id) for c in e.controls)
        for c in e.controls:
            state = f"{c.status:<10}" if c.status else f"{'':<10}"
            lines.append(f"  {c.id:<{width}}  {state}  {c.title}".rstrip())
    return "\n".join(inert(line) for line in lines) + "\n"


def _trace(trace: Trace, indent: str) -> list[str]:
    head = " ".join(trace.text.split())
    outcome = f"error: {trace.error}" if trace.error is not None else show(trace.value)
    lines = [f"{indent}{trace.name}: {head}", f"{indent}  = {outcome}"]
    rows = []
    for part in trace.parts:
        if part.depth == 0 and part.text == head:
            continue  # the whole expression: its value is on the line above
        if part.local:
            shown = "(per element)"
        elif not part.evaluated:
            shown = "(not evaluated)"
        else:
            shown = f"error: {part.error}" if part.error is not None else show(part.value)
        rows.append((f"{indent}    {'  ' * part.depth}{part.text}", shown))
    width = min(max((len(left) for left, _ in rows), default=0), 72)
    for left, right in rows:
        if len(left) > width:
            lines.append(left)
            lines.append(f"{'':<{width}}  {right}")
        else:
            lines.append(f"{left:<{width}}  {right}")
    return lines
