"""Library entry points that combine the stages: ``gate`` for deployment services,
``load_inputs`` for ``--input NAME=PATH``."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .approvals import Approvers, Attestation
from .cel.budget import Budget
from .documents import DEFAULT_LIMITS, Limits, load_file
from .errors import GateFailed, LoadError, UsageError
from .evaluate import ModelInput, evaluate
from .policy import Policy
from .report import Report
from .waivers import Waiver

if TYPE_CHECKING:
    from .graph.build import RiskGraph


def gate(
    models: Sequence[ModelInput] | ModelInput,
    policies: Sequence[Policy],
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
) -> Report:
    """Evaluate and return the report if every model passed; else raise :class:`GateFailed`.

    Fails closed: nothing evaluated (no model, no applicable rule) is a failure too.
    """
    report = evaluate(
        models, policies, now=now, waivers=waivers, inputs=inputs, params=params, fail_on=fail_on,
        approvers=approvers, attestations=attestations, request=request,
        risk_graph=risk_graph, require_evidence=require_evidence, budget=budget, set=set,
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


def load_inputs(assignments: Sequence[str], limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """``NAME=PATH`` pairs into ``{name: data}``; a file of several documents gives a list."""
    inputs: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, path = assignment.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise UsageError(f"--input {assignment!r}: expected NAME=PATH")
        if not name.isidentifier():
            raise UsageError(f"--input {assignment!r}: {name!r} is not a valid name")
        if name in inputs:
            raise UsageError(f"--input {name} given twice")
        documents = load_file(path, limits)
        if not documents:
            raise LoadError(f"--input {name}: {path} holds no document")
        inputs[name] = documents[0].data if len(documents) == 1 else [d.data for d in documents]
    return inputs
