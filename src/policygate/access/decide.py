"""One registry request judged (SPEC §8): the access rules that judge its action,
and, for a promotion, the promotion policies on the target version's record.

Fail closed throughout: a rule that errors denies; a promotion without a model
record, or with no promotion policy to judge it, is denied; a request that
cannot be read is a usage error, never a decision.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..documents import DEFAULT_LIMITS, Limits
from ..errors import UsageError
from ..evaluate import ModelInput, _as_now, evaluate
from ..models import ModelRecord, load_models, model_from_data
from ..policy import ENGINE_RULE_POLICY, Policy, Rule, apply_params, load_policies
from ..report import FAIL_ON, Report, Result, Status
from ..timestamps import format_timestamp
from .request import normalize_request

if TYPE_CHECKING:
    from ..approvals import Approvers, Attestation
    from ..cel.budget import Budget
    from ..graph.build import RiskGraph
    from ..waivers import Waiver

PolicySource = Policy | str | os.PathLike[str]

DECISION_POLICY = "policygate"
"""The ``policy`` of what authorize itself decides (a promotion it cannot judge)."""
DECISION_RULES = ("promotion.model", "promotion.policies", "promotion.applicability",
                  "promotion")  # fmt: skip
"""Its rules: a promotion without a record, without policies, with nothing evaluated."""


@dataclass(frozen=True)
class AccessDecision:
    """The verdict on one registry request.

    ``results`` are the access rules' results (the same :class:`Result` as
    ``check`` gives), ``promotion`` the promotion policies' report when the
    request is a promotion and a model record was given, ``failing`` every
    ``(policy/rule, message)`` that denied it, access rules first.
    """

    allowed: bool
    request: Mapping[str, Any] = field(repr=False)
    results: tuple[Result, ...] = ()
    promotion: Report | None = field(default=None, repr=False)
    failing: tuple[tuple[str, str], ...] = ()
    is_promotion: bool = False
    now: str = ""

    @property
    def action(self) -> str:
        return str(self.request["action"])

    def all_results(self) -> tuple[Result, ...]:
        """The access rules' results, the promotion policies' and, as ``error``
        results of policy ``policygate``, each denial authorize made itself."""
        promotion = self.promotion.models[0].results if self.promotion is not None else ()
        own = tuple(
            Result(policy=DECISION_POLICY, rule=rule.partition("/")[2], status=Status.ERROR,
                   title="A promotion is judged on the model record", category="approval",
                   message=message, error_code="nothing-evaluated")
            for rule, message in self.failing
            if rule.partition("/")[0] == DECISION_POLICY
            and rule.partition("/")[2] in DECISION_RULES
        )  # fmt: skip
        return (*self.results, *promotion, *own)

    def message(self) -> str:
        """One line for a denial (an MLflow 403, a CLI error): every failing rule."""
        if self.allowed:
            return f"{self.action} allowed"
        reasons = "; ".join(f"{rule}: {text}" for rule, text in self.failing)
        return f"{self.action} denied by policygate: {reasons}"

    def to_dict(self) -> dict[str, Any]:
        """The ``/v1/authorize`` body: ``allowed`` and ``results`` (SPEC §10), and
        what a caller needs to say why."""
        return {
            "allowed": self.allowed,
            "action": self.action,
            "now": self.now,
            "is_promotion": self.is_promotion,
            "results": [result.to_dict() for result in self.results],
            "failing": [{"rule": rule, "message": text} for rule, text in self.failing],
            "promotion": self.promotion.to_dict() if self.promotion is not None else None,
            "request": dict(self.request),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def load_access_policies(
    paths: Sequence[str | os.PathLike[str]],
    *,
    params: Mapping[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Policy]:
    """Every ``kind: AccessPolicy`` under ``paths`` (promotion policies beside them are
    passed over); none found is an error, as for :func:`policygate.load_policies`."""
    return load_policies(paths, params=params, limits=limits, kind="AccessPolicy")


def authorize(
    request: Mapping[str, Any],
    *,
    access_policies: Sequence[PolicySource],
    policies: Sequence[PolicySource] = (),
    model: ModelInput | None = None,
    protected_aliases: Sequence[str] = (),
    protected_stages: Sequence[str] = (),
    waivers: Sequence[Waiver] = (),
    approvers: Approvers | None = None,
    now: _dt.datetime | str | None = None,
    params: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    attestations: Sequence[Attestation] = (),
    fail_on: str = "error",
    budget: Budget | None = None,
    trust_request_roles: bool = False,
    risk_graph: RiskGraph | None = None,
) -> AccessDecision:
    """Judge one registry request (SPEC §8).

    ``access_policies`` and ``policies`` are loaded policies (load them once with
    :func:`load_access_policies` and :func:`policygate.load_policies` and reuse
    them) or paths to load. The request is allowed when every access rule that
    judges its action passes (a rule whose ``when`` is false does not judge it);
    a promotion (``protected_aliases``, ``protected_stages``) must besides pass
    the promotion policies on ``model``. Waivers apply to the promotion policies
    only: a waiver accepts a risk in a model, it grants no one a permission.
    ``approvers`` gives the actor's roles (see :mod:`.request`); ``risk_graph``
    (:func:`policygate.graph.build.load_risk_graph`) gives the promotion policies
    their ``risks``, as in ``check``.
    """
    if fail_on not in FAIL_ON:
        raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    if fail_on == "never":  # report-only would allow every request
        raise UsageError("fail_on 'never' reports without failing: an access decision "
                         "cannot be made with it (use error, warning or info)")  # fmt: skip
    moment = _as_now(now)
    access = _loaded(access_policies, "AccessPolicy")
    promotion_policies = _loaded(policies, "Policy") if policies else []
    if not access:
        raise UsageError("authorize needs at least one access policy (kind: AccessPolicy)")
    if params:
        both = apply_params([*access, *promotion_policies], params)
        access, promotion_policies = both[: len(access)], both[len(access) :]
    normalized = normalize_request(
        request, now=moment, approvers=approvers, trust_request_roles=trust_request_roles,
        protected_aliases=protected_aliases, protected_stages=protected_stages,
    )  # fmt: skip
    record = _record(model) if model is not None else None
    action = normalized["action"]
    judged = [p for p in (judging(policy, action) for policy in access) if p is not None]
    subject = record if record is not None else model_from_data({}, "<no model>")
    report = evaluate(
        subject, judged, now=moment, inputs=inputs, fail_on=fail_on, budget=budget,
        approvers=approvers, attestations=attestations, request=normalized,
    )  # fmt: skip
    results = tuple(
        r for r in report.models[0].results
        if not (r.policy == ENGINE_RULE_POLICY and r.rule == "applicability")
    )  # fmt: skip
    failing = [(r.rule_ref, r.message or r.status.value) for r in results if r.fails_at(fail_on)]

    promotion: Report | None = None
    if normalized["promotion"]:
        if record is None:
            failing.append((f"{DECISION_POLICY}/promotion.model",
                            "a promotion is judged on the target version's model record, "
                            "and none was given"))  # fmt: skip
        elif not promotion_policies:
            failing.append((f"{DECISION_POLICY}/promotion.policies",
                            "a promotion is judged by the promotion policies, and none "
                            "was loaded"))  # fmt: skip
        else:
            promotion = evaluate(
                record, promotion_policies, now=moment, waivers=waivers, inputs=inputs,
                fail_on=fail_on, budget=budget, approvers=approvers, attestations=attestations,
                risk_graph=risk_graph,
            )  # fmt: skip
            failing.extend(_promotion_failures(promotion, fail_on))
    return AccessDecision(
        allowed=not failing,
        request=normalized,
        results=results,
        promotion=promotion,
        failing=tuple(failing),
        is_promotion=bool(normalized["promotion"]),
        now=format_timestamp(moment),
    )


def _promotion_failures(report: Report, fail_on: str) -> list[tuple[str, str]]:
    if report.passed:
        return []
    if report.nothing_evaluated:
        return [(f"{DECISION_POLICY}/promotion.applicability", report.nothing_evaluated_reason())]
    found = [
        (result.rule_ref, result.message or result.status.value)
        for model in report.models
        for result in model.results
        if result.fails_at(fail_on)
    ]
    return found or [(f"{DECISION_POLICY}/promotion", "the model did not pass the policies")]


_BY_ACTION: dict[tuple[int, str], tuple[Policy, Policy | None]] = {}


def judging(policy: Policy, action: str) -> Policy | None:
    """``policy`` with only the rules that judge ``action`` (``None``: no rule does);
    a promotion policy as it is. Made once per policy and action, so a policy set
    loaded once is narrowed once."""
    if policy.kind != "AccessPolicy":
        return policy
    key = (id(policy), action)
    found = _BY_ACTION.get(key)
    if found is None or found[0] is not policy:
        rules = tuple(rule for rule in policy.rules if rule.judges(action))
        if len(rules) == len(policy.rules):
            narrowed: Policy | None = policy
        else:
            narrowed = replace(policy, rules=rules) if rules else None
        if len(_BY_ACTION) >= 4096:
            _BY_ACTION.clear()
        found = _BY_ACTION[key] = (policy, narrowed)
    return found[1]


def for_request(
    policies: Sequence[Policy],
    request: Mapping[str, Any] | None,
    now: _dt.datetime,
    rule: Rule | None = None,
) -> tuple[dict[str, Any] | None, list[Policy]]:
    """What ``explain`` and ``diff`` evaluate with a request: the request as the rules
    see it (its roles as written: these are what-if tools, not decisions) and the
    policies with only the access rules that judge its action. Access policies
    without a request, or a ``rule`` that does not judge the action, are usage errors."""
    access = [p for p in policies if p.kind == "AccessPolicy"]
    if request is None:
        if access:
            raise UsageError(f"{access[0].name!r} is an access policy: its rules judge a "
                             "request; give one (--request FILE)")  # fmt: skip
        return None, list(policies)
    normalized = normalize_request(request, now=now, trust_request_roles=True)
    action = normalized["action"]
    if rule is not None and not rule.judges(action):
        raise UsageError(f"rule {rule.id!r} does not judge {action} (it judges "
                         f"{', '.join(rule.actions)})")  # fmt: skip
    return normalized, [p for p in (judging(x, action) for x in policies) if p is not None]


def _loaded(sources: Sequence[PolicySource], kind: str) -> list[Policy]:
    if isinstance(sources, (str, os.PathLike, Policy)):
        sources = [sources]
    paths = [s for s in sources if not isinstance(s, Policy)]
    loaded = [s for s in sources if isinstance(s, Policy)]
    if paths:
        loaded.extend(load_policies(paths, kind=kind))
    for policy in loaded:
        if policy.kind != kind:
            role = "access_policies" if kind == "AccessPolicy" else "policies"
            raise UsageError(
                f"{role}: {policy.name!r} is a {policy.kind}, not a {kind} ({policy.source})"
            )
    return loaded


def _record(model: ModelInput) -> ModelRecord:
    if isinstance(model, ModelRecord):
        return model
    if isinstance(model, Mapping):
        return model_from_data(dict(model))
    records = load_models([model])
    if len(records) != 1:
        raise UsageError(f"model: expected one model record in {model}, found {len(records)}")
    return records[0]


__all__ = ["AccessDecision", "authorize", "for_request", "judging", "load_access_policies"]
