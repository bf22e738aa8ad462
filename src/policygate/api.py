"""Library entry points that combine the stages: ``gate`` for deployment services
(over a loaded :class:`~policygate.run.Run` or models and policies), and
``load_inputs`` for ``--input NAME=PATH`` (kept here for its callers; it lives in
:mod:`policygate.run`)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import GateFailed
from .run import Run, evaluate, load_inputs

if TYPE_CHECKING:
    from .approvals import Approvers, Attestation
    from .cel.budget import Budget
    from .evaluate import ModelInput
    from .graph.build import RiskGraph
    from .policy import Policy
    from .report import Report
    from .waivers import Waiver


def gate(
    models: Run | Sequence[ModelInput] | ModelInput,
    policies: Sequence[Policy] | None = None,
    *,
    now: _dt.datetime | str | None = None,
    waivers: Sequence[Waiver] = (),
    inputs: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    fail_on: str = "error",
    approvers: Approvers | None = None,
    attestations: Sequence[Attestation] = (),
    risk_graph: RiskGraph | None = None,
    require_evidence: bool = False,
    budget: Budget | None = None,
    request: Mapping[str, Any] | None = None,  # access policies' request (authorize)
    set: Mapping[str, Any] | None = None,  # --set (SPEC §5): record defaults
    memo: dict[str, Any] | None = None,  # plans shared with other evaluations (evaluate's)
) -> Report:
    """Evaluate and return the report if every model passed; else raise :class:`GateFailed`.

    ``gate(run)`` evaluates a :func:`policygate.load_run` run; ``gate(models,
    policies, ...)`` takes the keywords of :func:`policygate.evaluate`.
    Fails closed: nothing evaluated (no model, no applicable rule) is a failure too.
    """
    if isinstance(models, Run):
        report = evaluate(models)
    else:
        report = evaluate(
            models, policies, now=now, waivers=waivers, inputs=inputs, params=params,
            fail_on=fail_on, approvers=approvers, attestations=attestations, request=request,
            risk_graph=risk_graph, require_evidence=require_evidence, budget=budget, set=set,
            memo=memo,
        )  # fmt: skip
    if not report.passed:
        if report.nothing_evaluated:
            reason = report.nothing_evaluated_reason()
        else:
            failed = [f"{m.name}@{m.version}" if m.version else m.name
                      for m in report.models if not m.passed]  # fmt: skip
            reason = f"failed: {', '.join(failed)}"
        raise GateFailed(report, f"policy gate failed: {reason}")
    return report


__all__ = ["gate", "load_inputs"]
