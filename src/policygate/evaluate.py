"""models × policies → Report. No I/O, no printing: data in, a value out.

Records and policies come loaded (:func:`policygate.run.load_run`, or
:func:`policygate.load_models`); a path is refused here, never read, and
neither the environment nor a file is consulted. The one outside value is the
clock when ``now`` is not given (a :class:`~policygate.run.Run` fixes it).

Fail closed throughout: an expression that cannot be evaluated is an ``error``
result, and a model that no rule was evaluated for does not pass.

Two passes per model (SPEC §12): first every rule that does not read ``risks``;
their results give the control states and so the risks' residual ratings; then
the rules that read ``risks`` (or whose policy's ``applies_to`` does), which see
the rated risks. Their own results feed no rating (they may name no control: a
load error), and they are reported in their policy's rule order.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import cel
from .approvals.verify import with_verified_approvals
from .cel.budget import DEFAULT_BUDGET, Budget, Meter
from .cel.interface import SKIPPED, UNDECIDED
from .errors import UsageError, format_json_path
from .fieldpaths import evidence_line
from .message import PLACEHOLDER_CHARACTERS, placeholder_text, shortened
from .models import ModelRecord, apply_set, model_from_data
from .policy import ENGINE_RULE_POLICY, Expression, Policy, Rule, apply_params
from .report import (
    FAIL_ON,
    ControlStatus,
    ModelReport,
    PolicyRef,
    PolicyUse,
    Report,
    Result,
    RiskUse,
    Staged,
    Status,
    WaiverUse,
    control_statuses,
)
from .timestamps import format_timestamp, parse_timestamp, utc_now
from .validation import schema_errors

if TYPE_CHECKING:
    from .approvals import Approvers, Attestation
    from .graph.build import RiskGraph
    from .graph.evidence import Assessment
    from .waivers import Waiver

ModelInput = ModelRecord | Mapping[str, Any] | str | os.PathLike[str]

_FINDINGS = (Status.FAIL, Status.ERROR)
_UNDECIDING = (Status.SKIP, Status.WAIVED)  # (a model with only these had nothing evaluated)


def risks_variable(
    risks: Sequence[RiskUse] | None, controls: Sequence[ControlStatus] = ()
) -> list[dict[str, Any]]:
    """What rules read as ``risks`` (SPEC §12): one map per risk that applies to the
    model, with its ratings and the state of each control it calls for
    (``control_states``); an empty list without a risk register."""
    states = {c.id: c.status.value for c in controls}
    return [
        {
            "id": risk.id,
            "title": risk.title,
            "category": risk.category,
            "likelihood": risk.likelihood,
            "impact": risk.impact,
            "inherent": risk.inherent,
            "residual": risk.residual,
            "owner": risk.owner,
            "via": list(risk.via),
            "controls": list(risk.controls),
            "control_states": {c: states.get(c, "unverified") for c in risk.controls},
        }
        for risk in risks or ()
    ]


def reads_risks(policy: Policy) -> bool:
    """Whether the policy's ``applies_to`` reads ``risks``: all its rules then do."""
    return policy.applies_to is not None and "risks" in cel.free_variables(
        policy.applies_to.program
    )


def evaluate(
    models: Sequence[ModelInput] | ModelInput,
    policies: Sequence[Policy],
    *,
    now: _dt.datetime | str | None = None,
    waivers: Sequence[Waiver] = (),
    inputs: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    fail_on: str = "error",
    risk_graph: RiskGraph | None = None,
    require_evidence: bool = False,
    approvers: Approvers | None = None,
    attestations: Sequence[Attestation] = (),
    budget: Budget | None = None,
    request: Mapping[str, Any] | None = None,
    set: Mapping[str, Any] | None = None,  # --set (SPEC §5): record defaults
    memo: dict[str, Any] | None = None,
) -> Report:
    """Evaluate every model against every policy and return the report.

    ``models`` are records, plain dicts or paths; ``now`` is a datetime or an
    RFC 3339 string (default: the current UTC time, to the second). With a
    ``risk_graph`` (:func:`policygate.graph.build_risk_graph`) each model also
    gets its risks and the state of every control they call for;
    ``require_evidence`` then fails a high-risk model on an unverified one.
    ``approvers`` (an approvers directory) and ``attestations`` decide which
    approvals the rules see as ``verified`` (docs/approvals.md); without a
    directory none is. ``budget`` bounds what each rule may spend (SECURITY.md);
    a rule that exceeds it gets an ``error`` result. ``request`` is what access
    policies' rules read as ``request`` (:func:`policygate.authorize`, SPEC §8).
    ``memo`` is a dict the evaluation keeps what it plans once per policy in
    (each rule's quick evaluations, its pass): evaluations of the same policy
    objects that share it plan them once (a :class:`policygate.run.Run` holds
    one for all its ``with_records`` runs, an audit's sources).
    """
    if require_evidence and risk_graph is None:
        raise UsageError("require_evidence needs a risk register (risk_graph)")
    if fail_on not in FAIL_ON:
        raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    if waivers:  # (the module is loaded only by runs that have waivers)
        from .waivers import check_unique_names

        check_unique_names(waivers)
    moment = _as_now(now)
    records = _as_records(models)
    if set:  # record defaults: fill what a record does not say (models.apply_set)
        records = [apply_set(record, set) for record in records]
    if params:
        policies = apply_params(policies, params)
    evaluator = _Evaluator(
        moment, tuple(waivers), dict(inputs or {}), fail_on, risk_graph, require_evidence,
        memo=None if params else memo,  # (params made new policy objects: nothing to share)
    )
    evaluator.approvers, evaluator.attestations = approvers, tuple(attestations)
    evaluator.budget = budget or DEFAULT_BUDGET
    evaluator.request = request
    model_reports = tuple(evaluator.model(record, policies) for record in records)
    return Report(
        now=format_timestamp(moment),
        fail_on=fail_on,
        models=model_reports,
        engine=cel.ENGINE,
        policies=tuple(
            PolicyRef(p.name, p.version, p.source, p.digest, dict(p.params)) for p in policies
        ),
        risk_registers=risk_graph.register.documents if risk_graph is not None else None,
        rating_scale=risk_graph.register.rating_scale if risk_graph is not None else (),
    )


def _as_now(now: _dt.datetime | str | None) -> _dt.datetime:
    if now is None:
        return utc_now()
    if isinstance(now, str):
        try:
            return parse_timestamp(now)
        except ValueError as error:
            raise UsageError(f"now: {error}") from None
    if now.tzinfo is None:
        raise UsageError("now must be timezone-aware (UTC)")
    return now.astimezone(_dt.UTC)


def _as_records(models: Sequence[ModelInput] | ModelInput) -> list[ModelRecord]:
    if isinstance(models, (ModelRecord, Mapping, str, os.PathLike)):
        models = [models]
    records: list[ModelRecord] = []
    for model in models:
        if isinstance(model, ModelRecord):
            records.append(model)
        elif isinstance(model, Mapping):
            records.append(model_from_data(dict(model)))
        else:  # loading is not evaluating: load_run (or policygate.evaluate) reads files
            raise UsageError(f"evaluate takes model records or mappings, not the path "
                             f"{os.fspath(model)!r}: load it with policygate.load_models")
    return records


# What a rule's quick evaluation runs: its when (if any) and its check (none for a for_each).
_Quick = tuple[cel.Program | None, cel.Program | None]


def _quick_misses(
    backend: cel.Backend,
    activation: cel.Activation,
    programs: Sequence[_Quick],
    limit: int,
    deadline: Callable[[], bool] | None,
) -> list[tuple[int, Any]]:
    """The rules' quick values that are not a plain ``true``, with their positions:
    the backend's own ``quick_misses`` when it has one, else from ``quick_rules``."""
    misses = getattr(backend, "quick_misses", None)
    if misses is not None:
        found: list[tuple[int, Any]] = misses(activation, programs, limit, deadline)
        return found
    values = backend.quick_rules(activation, programs, limit, deadline)
    return [(n, value) for n, value in enumerate(values) if value is not True]


_MEMO_POLICIES = 10_000  # a memo planning more policies than this starts again


class _Evaluator:
    def __init__(
        self,
        now: _dt.datetime,
        waivers: tuple[Waiver, ...],
        inputs: dict[str, Any],
        fail_on: str,
        risk_graph: RiskGraph | None = None,
        require_evidence: bool = False,
        memo: dict[str, Any] | None = None,
    ) -> None:
        self.now = now
        self.waivers = waivers
        self.inputs = inputs
        self.fail_on = fail_on
        self.risk_graph = risk_graph
        self.require_evidence = require_evidence
        self.approvers: Approvers | None = None
        self.attestations: tuple[Attestation, ...] = ()
        self.budget = DEFAULT_BUDGET
        self._deadline: Callable[[], bool] | None = None
        # Per policy (by id, holding it so that the id stays its own): its rules' quick
        # evaluations and passes, and its rules evaluated first and those that read
        # risks. Neither depends on anything but the policy, so a memo can share them.
        if memo is None:
            memo = {}
        elif len(memo.get("plans", ())) > _MEMO_POLICIES:  # other policies each time
            memo.clear()
        self._plans: dict[int, tuple[Policy, tuple[Rule, ...], list[Result], tuple[_Quick, ...]]]
        self._plans = memo.setdefault("plans", {})
        self._splits: dict[int, tuple[Policy, Policy | None, Policy | None]]
        self._splits = memo.setdefault("splits", {})
        self.request: Mapping[str, Any] | None = None
        self._results: dict[tuple[int, int, Status, str | None, int | str | None], Result] = {}
        # Per (policy, rule): its failure, the message left to render when it has one.
        self._failures: dict[tuple[int, int], Result] = {}
        self._item_passes: dict[tuple[int, int], dict[int | str, Result]] = {}
        self._controls_named: tuple[Sequence[Policy], bool] | None = None
        self._uses: dict[str, PolicyUse] = {}
        self._waivers_by_rule: dict[tuple[str, str], tuple[Waiver, ...]] = {}
        self._covered_for: ModelRecord | None = None  # the model self._covered is of
        self._covered: dict[int, bool] = {}

    def model(self, record: ModelRecord, policies: Sequence[Policy]) -> ModelReport:
        # The quick evaluations' backstop: the rule seconds, counted from the model's
        # start (past it, each rule is evaluated with its own meter and deadline).
        until = time.monotonic() + self.budget.seconds
        self._deadline = lambda: time.monotonic() > until
        per_policy: list[list[Result]] = []
        uses: list[PolicyUse | None] = []
        late: list[tuple[int, Policy, Policy]] = []
        backend = cel.get_backend()
        # What the rules see: approvals marked verified or not, by the engine only.
        model_data = with_verified_approvals(
            record.data,
            name=record.name,
            version=record.version,
            now=self.now,
            approvers=self.approvers,
            attestations=self.attestations,
        )
        base = backend.activation(model=model_data, params={}, now=self.now, inputs=self.inputs)
        if self.request is not None:
            base = base.bind(request=self.request)
        for index, policy in enumerate(policies):
            first, later = self._split(policy)
            use, found = None, list[Result]()
            if first is not None:
                use, found = self._policy(record, first, backend, base.bind(params=policy.params))
            # A policy whose applies_to could not be decided has its one error already.
            if later is not None and (use is None or use.applicable is not None):
                late.append((index, policy, later))
            uses.append(use)
            per_policy.append(found)

        if self.waivers:
            per_policy = [[self._waive(record, r) for r in found] for found in per_policy]
        assessment = None
        if self.risk_graph is not None:
            assessment = self._assess(record, [r for found in per_policy for r in found], base)
        if late:  # the rules that read risks, on the ratings the others' evidence gave
            rated = base.bind(
                risks=risks_variable(assessment.risks, assessment.controls) if assessment else []
            )
            for index, policy, later in late:
                if self.risk_graph is None and reads_risks(policy):
                    # Its applies_to would see no risks: whether it applies is not known.
                    use = PolicyUse(policy.name, None)
                    found = [_undecided_without_register(policy)]
                else:
                    bound = rated.bind(params=policy.params)
                    use, found = self._policy(record, later, backend, bound)
                    if self.risk_graph is None:
                        found = [_without_register(r) for r in found]
                if self.waivers:
                    found = [self._waive(record, r) for r in found]
                uses[index] = uses[index] or use
                order = {rule.id: n for n, rule in enumerate(policy.rules)}
                per_policy[index] = sorted(
                    [*per_policy[index], *found], key=lambda r: order.get(r.rule, -1)
                )
        # (One policy's list is the model's own, made for it: taken as it is.)
        results = per_policy[0] if len(per_policy) == 1 else [r for f in per_policy for r in f]
        # After waivers: a model whose every result was skipped or waived had nothing
        # decided on its own evidence, and does not pass by waivers alone.
        evaluated = False
        for result in results:
            if result.status not in _UNDECIDING:
                evaluated = True
                break
        if not evaluated and policies:
            waived = any(r.status is Status.WAIVED for r in results)
            results.append(
                Result(
                    policy=ENGINE_RULE_POLICY,
                    rule="applicability",
                    status=Status.ERROR,
                    title="At least one rule applies to the model",
                    error_code="nothing-evaluated",
                    message=(
                        "every rule that applies to this model was waived; a model that "
                        "nothing was evaluated for does not pass"
                        if waived
                        else "no rule of the loaded policies applies to this model; "
                        "a model that nothing was evaluated for does not pass"
                    ),
                    remediation="Check the model's risk tier and the policies' applies_to/when.",
                )
            )
        # No rule names a control: no result does (only a rule's results name any).
        controls = control_statuses(results) if self._names_controls(policies) else ()
        risks = None
        if assessment is not None:
            results.extend(assessment.results)
            controls, risks = assessment.controls, assessment.risks
        passed = True
        for result in results:
            if result.status in _FINDINGS and result.fails_at(self.fail_on):
                passed = False
                break
        return ModelReport.made(
            name=record.name,
            version=record.version,
            source=record.source,
            passed=passed,
            policies=tuple([use for use in uses if use is not None]),
            results=tuple(results),
            controls=controls,
            evaluated=evaluated,
            risks=risks,
        )

    def _names_controls(self, policies: Sequence[Policy]) -> bool:
        """Whether a rule of ``policies`` names a control (asked once per sequence)."""
        found = self._controls_named
        if found is None or found[0] is not policies:
            named = any(rule.controls for policy in policies for rule in policy.rules)
            found = self._controls_named = (policies, named)
        return found[1]

    def _split(self, policy: Policy) -> tuple[Policy | None, Policy | None]:
        """The policy as two views: the rules evaluated first, and those that read
        ``risks`` (all of them when its applies_to does); ``None`` for an empty one."""
        found = self._splits.get(id(policy))
        if found is None or found[0] is not policy:
            first: Policy | None = policy
            later: Policy | None = None
            if reads_risks(policy):
                first, later = None, policy
            elif any(rule.reads_risks for rule in policy.rules):
                first = replace(policy, rules=tuple(r for r in policy.rules if not r.reads_risks))
                later = replace(
                    policy,
                    rules=tuple(r for r in policy.rules if r.reads_risks),
                    model_schema=None,  # checked once, with the first view
                )
            found = self._splits[id(policy)] = (policy, first, later)
        return found[1], found[2]

    def _assess(
        self, record: ModelRecord, results: list[Result], base: cel.Activation
    ) -> Assessment:
        """Risks and control states from the risk graph; its selectors see the
        same ``model``, ``now`` and ``inputs`` as policies (``params`` is empty)."""
        assert self.risk_graph is not None
        backend = cel.get_backend()
        activation = base

        def decide(expression: Expression) -> bool:
            return backend.truth(expression.program.evaluate(activation, self.budget.meter()))

        return self.risk_graph.assess(
            record, results, decide, require_evidence=self.require_evidence
        )

    # -- one policy --------------------------------------------------------------

    def _policy(
        self,
        record: ModelRecord,
        policy: Policy,
        backend: cel.Backend,
        activation: cel.Activation,
    ) -> tuple[PolicyUse, list[Result]]:
        if policy.applies_to is not None:
            try:
                meter = self.budget.meter()
                applies = backend.truth(policy.applies_to.program.evaluate(activation, meter))
            except cel.CELEvaluationError as error:
                return PolicyUse(policy.name, None), [
                    Result(
                        policy=policy.name,
                        rule="applies_to",
                        status=Status.ERROR,
                        title="Policy applicability",
                        category="metadata",
                        message=f"cannot decide whether the policy applies: {error}",
                        remediation="Give the model the fields that applies_to reads.",
                        waivable=False,
                        error_code=error.code,
                    )
                ]
            if not applies:
                reason = "policy does not apply (applies_to is false)"
                skipped = [_result(policy, rule, Status.SKIP, reason) for rule in policy.rules]
                return PolicyUse(policy.name, False), skipped

        results: list[Result] = []
        if policy.model_schema is not None:
            results.extend(self._schema(record, policy))
        rules, passes, programs = self._plan(policy)
        # Most rules pass: their values without a meter first (Backend.quick_rules).
        # Anything but a plain answer (an error, the budget, a non-bool; a for_each)
        # is evaluated again by _rule, which gives the same value or the error.
        misses = _quick_misses(backend, activation, programs, self.budget.cost, self._deadline)
        start = 0  # (the rules between two misses passed: their passes, as they are)
        for position, value in misses:
            if position > start:
                results.extend(passes[start:position])
            start = position + 1
            rule = rules[position]
            if value is False:  # a plain false: the failure, its message rendered
                found = [self._failure(policy, rule, backend, activation, None)]
            elif value is SKIPPED:
                found = [self._result(policy, rule, Status.SKIP, "when is false")]
            else:
                found = self._rule(policy, rule, backend, activation)
            if rule.enforce_from is None and record.document is None:
                results.extend(found)  # (nothing to stage, no file to point in)
                continue
            for result in found:
                if rule.enforce_from is not None and result.status in _FINDINGS:
                    result = self._staged(rule, result)
                if result.status in _FINDINGS and record.document is not None:  # say where
                    line = evidence_line(record.document, rule, result.item)
                    if line is not None:
                        result = replace(result, line=line)
                results.append(result)
        results.extend(passes[start:] if start else passes)
        return self._applied(policy), results

    def _applied(self, policy: Policy) -> PolicyUse:
        """The policy's use as applied, made once per evaluation (a frozen value)."""
        found = self._uses.get(policy.name)
        if found is None:
            found = self._uses[policy.name] = PolicyUse(policy.name, True)
        return found

    def _result(
        self,
        policy: Policy,
        rule: Rule,
        status: Status,
        message: str | None,
        item: int | str | None = None,
    ) -> Result:
        """A pass or a skip, built once per evaluation and shared (results are frozen)."""
        key = (id(policy), id(rule), status, message, item)
        found = self._results.get(key)
        if found is None:
            found = self._results[key] = _result(policy, rule, status, message, item)
        return found

    def _schema(self, record: ModelRecord, policy: Policy) -> list[Result]:
        assert policy.model_schema is not None
        common = {
            "policy": policy.name,
            "rule": "schema",
            "title": "Model record matches the policy's model schema",
            "category": "metadata",
            "remediation": f"Make the model record valid against {policy.model_schema.reference}.",
        }
        violations = list(schema_errors(policy.model_schema.validator, record.data))
        if not violations:
            return [Result(status=Status.PASS, **common)]  # type: ignore[arg-type]
        return [
            Result(
                status=Status.FAIL,
                message=f"{format_json_path(path)}: {message}",
                item=format_json_path(path),
                line=record.document.location(path).line if record.document else None,
                **common,  # type: ignore[arg-type]
            )
            for path, message in violations
        ]

    # -- one rule ----------------------------------------------------------------

    def _staged(self, rule: Rule, result: Result) -> Result:
        """A failure of a rule enforced from a later date: a warning until then,
        saying from when it fails at the rule's own severity."""
        assert rule.enforce_from is not None
        if self.now >= rule.enforce_from:
            return result
        date = format_timestamp(rule.enforce_from).removesuffix("T00:00:00Z")  # a date: as written
        severity = "warning" if result.severity == "error" else result.severity
        note = f"enforced from {date}: {result.severity} from then"
        message = f"{result.message} ({note})" if result.message else note
        staged = Staged(date=date, severity=result.severity)
        return replace(result, severity=severity, message=message, staged=staged)

    def _plan(self, policy: Policy) -> tuple[tuple[Rule, ...], list[Result], tuple[_Quick, ...]]:
        """The rules, each one's pass, and the programs its quick evaluation runs (its
        when and check; none for a ``for_each``), made once per evaluation of many
        models."""
        found = self._plans.get(id(policy))
        if found is None or found[0] is not policy:
            passes = [self._result(policy, rule, Status.PASS, None) for rule in policy.rules]
            programs: tuple[_Quick, ...] = tuple(  # (a tuple: the backend plans it once)
                (None, None)
                if rule.for_each is not None
                else (rule.when.program if rule.when else None, rule.check.program)
                for rule in policy.rules
            )
            found = self._plans[id(policy)] = (policy, tuple(policy.rules), passes, programs)
        return found[1], found[2], found[3]

    def _rule(
        self, policy: Policy, rule: Rule, backend: cel.Backend, activation: cel.Activation
    ) -> list[Result]:
        if rule.for_each is not None and rule.when is None:
            outcomes = rule.for_each.program.quick_each(
                activation, rule.check.program, self.budget.cost, self._deadline
            )
            if type(outcomes) is list:
                # Each item's pass, built once per evaluation (as _result does).
                passes = self._item_passes.get((id(policy), id(rule)))
                if passes is None:
                    passes = self._item_passes[id(policy), id(rule)] = {}
                results = []
                for position, (key, element, ok) in enumerate(outcomes):
                    if ok:
                        passed = passes.get(key)
                        if passed is None:
                            passed = passes[key] = _result(policy, rule, Status.PASS, None, key)
                        results.append(passed)
                    else:
                        index = key if isinstance(key, int) else position
                        bound = activation.bind(item=element, index=index, key=key)
                        results.append(self._failure(policy, rule, backend, bound, None, key))
                return results
        meter = self.budget.meter()  # everything this rule evaluates shares its deadline
        if rule.when is not None:
            try:
                if not backend.truth(rule.when.program.evaluate(activation, meter)):
                    return [self._result(policy, rule, Status.SKIP, "when is false")]
            except cel.CELEvaluationError as error:
                message = f"cannot evaluate when: {error}"
                error_result = _result(policy, rule, Status.ERROR, message, code=error.code)
                return [replace(error_result, waivable=False)]
        if rule.for_each is None:
            return [self._check(policy, rule, backend, activation, None, meter)]
        try:
            elements = backend.elements(rule.for_each.program.evaluate(activation, meter))
        except cel.CELEvaluationError as error:
            message = f"cannot evaluate for_each: {error}"
            return [_result(policy, rule, Status.ERROR, message, code=error.code)]
        if not elements:
            return [self._result(policy, rule, Status.SKIP, "for_each is empty")]
        results = []
        for position, (key, element) in enumerate(elements):
            if meter.timed_out:  # one error for the rest, not one per item of a huge list
                left = len(elements) - position
                message = f"cannot evaluate check: {meter.exceeded} ({left} items not evaluated)"
                results.append(
                    _result(policy, rule, Status.ERROR, message, key, code="deadline-exceeded")
                )
                break
            if isinstance(key, int):
                bound = activation.bind(item=element, index=key, key=key)
            else:
                bound = activation.bind(item=element, index=position, key=key)
            results.append(self._check(policy, rule, backend, bound, key, meter))
        return results

    def _check(
        self,
        policy: Policy,
        rule: Rule,
        backend: cel.Backend,
        activation: cel.Activation,
        item: int | str | None,
        meter: Meter,
    ) -> Result:
        try:
            ok = backend.truth(rule.check.program.evaluate(activation, meter))
        except cel.CELEvaluationError as error:
            message = f"cannot evaluate check: {error}"
            return _result(policy, rule, Status.ERROR, message, item, code=error.code)
        return self._verdict(policy, rule, ok, backend, activation, meter, item)

    def _verdict(
        self,
        policy: Policy,
        rule: Rule,
        ok: bool,
        backend: cel.Backend,
        activation: cel.Activation,
        meter: Meter,
        item: int | str | None = None,
    ) -> Result:
        """A check's pass, or its failure with the rule's message rendered on
        ``activation`` (the one the check saw)."""
        if ok:
            return self._result(policy, rule, Status.PASS, None, item)
        return self._failure(policy, rule, backend, activation, meter, item)

    def _failure(
        self,
        policy: Policy,
        rule: Rule,
        backend: cel.Backend,
        activation: cel.Activation,
        meter: Meter | None,
        item: int | str | None = None,
    ) -> Result:
        """The rule's failure, its message rendered on ``activation`` with ``meter``
        (a new one for the rule when ``None``). Made from the rule's failure, built
        once per evaluation: without a message of its own that is all of it."""
        failure = self._failures.get((id(policy), id(rule)))
        if failure is None:
            message: str | None = f"check failed: {rule.check.text.strip()}"
            if rule.message is not None:
                message = None  # rendered per model
            failure = self._failures[id(policy), id(rule)] = _result(
                policy, rule, Status.FAIL, message
            )
        if rule.message is None:
            return failure if item is None else failure.reworded(failure.message, item)
        if meter is None:
            meter = self.budget.meter()
        message = _fail_message(rule, backend, activation, meter, self._deadline)
        return failure.reworded(message, item)

    # -- waivers -----------------------------------------------------------------

    def _waive(self, record: ModelRecord, result: Result) -> Result:
        # The engine's own fail-closed result is no rule's failure, and an applies_to or
        # when that could not be decided is no failure of the rule: no waiver covers them.
        if (
            result.status not in (Status.FAIL, Status.ERROR)
            or result.policy == ENGINE_RULE_POLICY
            or not result.waivable
        ):
            return result
        matching = self._waivers_covering(record, result.policy, result.rule)
        if not matching:
            return result
        active = [w for w in matching if w.active(self.now)]
        if active:
            return _with_waiver(result, active[0], expired=False, status=Status.WAIVED)
        expired = [w for w in matching if not w.pending(self.now)]
        if not expired:  # granted later than now: it waives nothing yet, and says so
            first = min(matching, key=lambda w: w.granted_at or w.expires_at)
            when = format_timestamp(first.granted_at or first.expires_at)
            note = f"waiver {first.name!r} is not valid before {when} (granted_at)"
            return replace(result, message=f"{result.message} ({note})" if result.message else note)
        latest = max(expired, key=lambda w: w.expires_at)
        note = f"waiver {latest.name!r} expired {format_timestamp(latest.expires_at)}"
        message = f"{result.message} ({note})" if result.message else note
        return _with_waiver(result, latest, expired=True, status=result.status, message=message)

    def _waivers_covering(self, record: ModelRecord, policy: str, rule: str) -> list[Waiver]:
        # Each waiver's rule is matched once per rule, its models once per model: a
        # waiver file of 100,000 patterns costs that many matches per model, not per
        # failing result.
        by_rule = self._waivers_by_rule.get((policy, rule))
        if by_rule is None:
            by_rule = tuple(w for w in self.waivers if w.covers_rule(policy, rule))
            self._waivers_by_rule[policy, rule] = by_rule
        if self._covered_for is not record:
            self._covered_for, self._covered = record, {}
        covered = self._covered
        found = []
        for waiver in by_rule:
            hit = covered.get(id(waiver))
            if hit is None:
                hit = covered[id(waiver)] = waiver.covers_model(record.name, record.version)
            if hit:
                found.append(waiver)
        return found


def _with_waiver(
    result: Result, waiver: Waiver, *, expired: bool, status: Status, message: str | None = None
) -> Result:
    use = WaiverUse(
        name=waiver.name,
        source=waiver.source,
        justification=waiver.justification,
        approved_by=waiver.approved_by,
        expires_at=format_timestamp(waiver.expires_at),
        expired=expired,
    )
    return replace(
        result,
        status=status,
        waiver=use,
        message=result.message if message is None else message,
        error_code=result.error_code if status is Status.ERROR else None,
    )


def _result(
    policy: Policy,
    rule: Rule,
    status: Status,
    message: str | None,
    item: int | str | None = None,
    *,
    code: str | None = None,
) -> Result:
    return Result(
        error_code=code,
        policy=policy.name,
        rule=rule.id,
        status=status,
        severity=rule.severity,
        title=rule.title,
        category=rule.category,
        message=message,
        item=item,
        controls=rule.controls,
        remediation=rule.remediation,
    )


def _fail_message(
    rule: Rule,
    backend: cel.Backend,
    activation: cel.Activation,
    meter: Meter,
    deadline: Callable[[], bool] | None = None,
) -> str:
    """The rule's message, each placeholder evaluated with ``meter`` as
    ``Program.evaluate`` does: the meter begun, the value, the meter's time
    checked. The value is the quick one when there is one (``deadline`` is the
    quick evaluations' backstop); anything else is evaluated with the meter,
    which gives the same value or the error the placeholder shows."""
    assert rule.message is not None  # (without one, _Evaluator._failure says "check failed")
    programs = iter(rule.message.programs)
    cost = meter.budget.cost
    to_python = backend.to_python
    out: list[str] = []  # (render_template's join, each placeholder's value in turn)
    for part in rule.message.parts:
        if type(part) is str:
            out.append(part)
            continue
        program = next(programs)
        try:
            meter.begin()  # (evaluate's first step: a rule past its time says so)
            value = program.quick(activation, cost, deadline)
            if value is UNDECIDED:
                value = program.evaluate(activation, meter)
            else:
                meter.charge(0)  # (evaluate's last step: the time, checked after the value)
            kind = type(value)
            if kind is str:  # (placeholder_text of a string or a double, inlined)
                out.append(value if len(value) <= PLACEHOLDER_CHARACTERS else shortened(value))
            elif kind is float and value.is_integer() and abs(value) < 1e15:
                out.append(repr(int(value)))
            elif kind is float:
                out.append(repr(value))
            else:
                out.append(placeholder_text(value, to_python))
        except cel.CELEvaluationError as error:
            out.append(f"<{error}>")
    return "".join(out)


def rules_of(policies: Iterable[Policy]) -> list[str]:
    """Every ``policy/rule`` reference, for listings and coverage."""
    return [f"{p.name}/{r.id}" for p in policies for r in p.rules]


_NO_REGISTER = (
    "no risk register was given (--risk-register): without one no model has risks to judge"
)
_GIVE_REGISTER = ("Evaluate with the risk register that rates this model's risks "
                  "(--risk-register, or risk_registers in the configuration file).")


def _undecided_without_register(policy: Policy) -> Result:
    """A policy whose ``applies_to`` reads ``risks``, evaluated without a register:
    ``risks.exists(...)`` would be false and the policy silently not apply."""
    return Result(
        policy=policy.name,
        rule="applies_to",
        status=Status.ERROR,
        title="Policy applicability",
        category="metadata",
        message="cannot decide whether the policy applies: its applies_to reads risks, "
        f"and {_NO_REGISTER}",
        remediation=_GIVE_REGISTER,
        waivable=False,
        error_code="no-risk-register",
    )


def _without_register(result: Result) -> Result:
    """A rule that reads ``risks`` judged without a risk register: ``risks`` is an
    empty list then, so ``!risks.exists(r, r.residual == "critical")`` would pass
    every model unjudged. Fail closed: what it decided is an ``error``; a rule its
    policy's ``applies_to`` or its ``when`` left out stays ``skip``."""
    if result.status is Status.SKIP:
        return result
    return replace(
        result,
        status=Status.ERROR,
        error_code="no-risk-register",
        message=f"the rule reads risks, and {_NO_REGISTER}",
        remediation=_GIVE_REGISTER,
    )
