"""A model's risks and the state of each control, from the graph and the results.

For one model: the risks that apply to it (named by the record, or matched by
a selector), the controls those risks call for, and for every such control
and every control an evaluated rule named, its state from the results that
give evidence for it (:func:`policygate.report.control_state`): the results of
rules naming the control, or naming a control that maps to it (``maps_to``).

Fail closed, like the evaluator: a risk id the register does not define, a
malformed ``risks`` list and a selector that cannot be evaluated are ``error``
results (an undecidable selector also counts the risk as applying), and with
``require_evidence`` an unverified control that a high-risk model's risks call
for is a ``fail`` result. These results belong to the engine (policy
``policygate``): no waiver covers them, and they name no control.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import cel
from ..errors import LoadError
from ..models import ModelRecord
from ..policy import ENGINE_RULE_POLICY, Expression
from ..report import ControlState, ControlStatus, Result, RiskUse, Status, control_state
from .register import declared_risks

if TYPE_CHECKING:
    from .build import RiskGraph

# The tiers that spare a model --require-evidence. Anything else is judged as high
# risk (fail closed): "High", " high", ["high"], a tier no scale has, or none.
LOWER_TIERS = ("minimal", "limited")


@dataclass(frozen=True)
class Assessment:
    risks: tuple[RiskUse, ...]
    controls: tuple[ControlStatus, ...]
    results: tuple[Result, ...]  # the engine's own: risk errors, missing evidence


def assess_model(
    graph: RiskGraph,
    record: ModelRecord,
    results: Sequence[Result],
    decide: Callable[[Expression], bool],
    *,
    require_evidence: bool = False,
) -> Assessment:
    """``decide`` evaluates a selector for this model (raising
    :class:`policygate.cel.CELEvaluationError`); ``results`` are the model's
    results after waivers."""
    register = graph.register
    extra: list[Result] = []
    via: dict[str, set[str]] = {}
    try:
        declared = declared_risks(record)
    except LoadError as error:
        declared = ()
        extra.append(
            _engine(
                "risks.declared",
                Status.ERROR,
                error.message,
                "Risks are known",
                remediation="Write spec.risks as a list of risk ids from the register.",
                code=error.code,
            )
        )
    for risk_id, _ in declared:
        if register.risk(risk_id) is None:
            extra.append(
                _engine(
                    "risks.declared",
                    Status.ERROR,
                    f"risk {risk_id!r} is not defined in the risk register",
                    "Risks are known",
                    item=risk_id,
                    remediation="Define the risk in the register, or fix the id in spec.risks.",
                    code="unknown-risk",
                )
            )
        else:
            via.setdefault(risk_id, set()).add("record")
    for risk in register.risks:
        if risk.applies_to is None:
            continue
        try:
            applies = decide(risk.applies_to)
        except cel.CELEvaluationError as error:
            applies = True  # fail closed: the controls it calls for are called for
            extra.append(
                _engine(
                    "risks.applies_to",
                    Status.ERROR,
                    f"cannot decide whether risk {risk.id} applies: {error}",
                    "Risk applicability",
                    item=risk.id,
                    remediation="Give the model the fields the risk's applies_to reads.",
                    code=error.code,
                )
            )
        if applies:
            via.setdefault(risk.id, set()).add("applies_to")

    applied_risks = []
    called_for: dict[str, set[str]] = {}
    for risk_id in sorted(via):
        applied = register.risk(risk_id)
        assert applied is not None
        applied_risks.append(applied)
        for called in applied.controls:
            called_for.setdefault(called, set()).add(applied.id)

    # A control no risk calls for is listed only when a rule gave evidence for it:
    # a rule that was skipped (its policy does not apply) says nothing about the model.
    named = {c for r in results if r.status is not Status.SKIP for c in r.controls}
    controls = []
    for control_id in sorted(named | set(called_for)):
        sources = graph.evidence_sources(control_id)
        evidence = [r for r in results if sources.intersection(r.controls)]
        in_catalog = graph.control(control_id)
        status = ControlStatus(
            id=control_id,
            status=control_state(evidence),
            rules=tuple(sorted({r.rule_ref for r in evidence})),
            title=in_catalog.title if in_catalog else "",
            framework=control_id.partition(":")[0],
            risks=tuple(sorted(called_for.get(control_id, ()))),
            via=tuple(sorted({c for r in evidence for c in r.controls} & sources - {control_id})),
        )
        controls.append(status)
        if (
            require_evidence
            and status.risks
            and status.status is ControlState.UNVERIFIED
            and not _lower_tier(risk_tier(record))
        ):
            extra.append(_missing_evidence(status))
    # The residual rating: from the states of the controls each risk calls for
    # (policygate.graph.rating: all satisfied lowers it, anything else keeps it).
    states = {c.id: c.status.value for c in controls}
    risks = tuple(
        RiskUse(
            id=applied.id,
            title=applied.title,
            category=applied.category,
            likelihood=applied.likelihood,
            impact=applied.impact,
            owner=applied.owner,
            via=tuple(v for v in ("record", "applies_to") if v in via[applied.id]),
            controls=applied.controls,
            inherent=applied.inherent,
            residual=applied.matrix.residual(
                applied.inherent, (states[c] for c in applied.controls)
            ),
        )
        for applied in applied_risks
    )
    return Assessment(risks, tuple(controls), tuple(extra))


def risk_tier(record: ModelRecord) -> Any:
    """``spec.risk_tier`` (canonical), else a top-level ``risk_tier``; ``None`` if neither."""
    data = record.data
    if not isinstance(data, Mapping):
        return None
    spec = data.get("spec")
    if isinstance(spec, Mapping) and "risk_tier" in spec:
        return spec["risk_tier"]
    return data.get("risk_tier")


def _lower_tier(tier: Any) -> bool:
    return isinstance(tier, str) and tier in LOWER_TIERS


def _missing_evidence(status: ControlStatus) -> Result:
    risks = ", ".join(status.risks or ())
    title = f" ({status.title})" if status.title else ""
    return _engine(
        "evidence.required",
        Status.FAIL,
        f"no evaluated rule gives evidence for {status.id}{title}, "
        f"which the model's risks call for ({risks})",
        "Every control the risks of a high-risk model call for has evidence",
        item=status.id,
        remediation=f"Add a rule that names {status.id} in its controls and applies to the "
        "model, or map an evidenced control to it in a catalog (maps_to).",
    )


def _engine(
    rule: str,
    status: Status,
    message: str,
    title: str,
    *,
    item: str | None = None,
    remediation: str = "",
    code: str | None = None,
) -> Result:
    return Result(
        error_code=code if status is Status.ERROR else None,
        policy=ENGINE_RULE_POLICY,
        rule=rule,
        status=status,
        severity="error",
        title=title,
        category="other",
        message=message,
        item=item,
        remediation=remediation,
    )
