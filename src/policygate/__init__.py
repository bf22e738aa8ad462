"""policygate: policy-as-code for ML model governance.

The public API (SPEC §7)::

    policies = policygate.load_policies(["policies/"])
    report = policygate.evaluate(["examples/models/credit-default-passes.yaml"], policies)
    run = policygate.load_run(policygate.RunSpec(models=(...,), policies=(...,)))
    report = policygate.evaluate(run)       # one run, as every command builds it
    report.passed, report.models[0].results, report.to_dict()
    policygate.render(report, "json")
    policygate.gate(model_dict, policies)   # raises GateFailed unless it passes
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .access import AccessDecision, authorize, load_access_policies
    from .api import gate, load_inputs
    from .approvals import Approvers, Attestation, load_approvers, load_attestations
    from .cel.budget import Budget
    from .cel.expression import Uint, cel_evaluate
    from .cel.lang.errors import CELEvaluationError
    from .documents import Limits
    from .errors import (
        CELError,
        GateFailed,
        LoadError,
        Location,
        NothingEvaluatedError,
        PolicyError,
        PolicygateError,
        SchemaError,
        UsageError,
    )
    from .formats import render
    from .integrations.mlflow import promote
    from .models import ModelRecord, load_models
    from .policy import Policy, Rule, load_policies
    from .report import ModelReport, Report, Result, Status
    from .run import Run, RunSpec, evaluate, load_run
    from .waivers import Waiver, load_waivers

# Each public name and the module it comes from, imported on first use (PEP 562),
# so that ``import policygate`` (and every command) pays only for what it uses.
_EXPORTS: dict[str, str] = {
    "AccessDecision": "access", "authorize": "access", "load_access_policies": "access",
    "gate": "api", "load_inputs": "api",
    "Approvers": "approvals", "Attestation": "approvals", "load_approvers": "approvals",
    "load_attestations": "approvals",
    "Budget": "cel.budget",
    "cel_evaluate": "cel.expression", "Uint": "cel.expression",
    "CELEvaluationError": "cel.lang.errors", "CELError": "errors",
    "Limits": "documents",
    "GateFailed": "errors", "LoadError": "errors", "Location": "errors",
    "NothingEvaluatedError": "errors", "PolicyError": "errors", "PolicygateError": "errors",
    "SchemaError": "errors", "UsageError": "errors",
    "evaluate": "run", "load_run": "run", "Run": "run", "RunSpec": "run",
    "render": "formats",
    "promote": "integrations.mlflow",  # imports MLflow only when called
    "ModelRecord": "models", "load_models": "models",
    "Policy": "policy", "Rule": "policy", "load_policies": "policy",
    "ModelReport": "report", "Report": "report", "Result": "report", "Status": "report",
    "Waiver": "waivers", "load_waivers": "waivers",
}  # fmt: skip


class _Package(types.ModuleType):
    """Keeps ``policygate.evaluate`` the function: importing the submodule of the same
    name would otherwise set the package's attribute to the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "__version__",
    "Budget",
    "CELError",
    "CELEvaluationError",
    "Uint",
    "cel_evaluate",
    "Limits",
    "authorize",
    "evaluate",
    "gate",
    "load_access_policies",
    "load_approvers",
    "load_attestations",
    "load_inputs",
    "load_models",
    "load_policies",
    "load_run",
    "load_waivers",
    "promote",
    "render",
    "GateFailed",
    "LoadError",
    "Location",
    "NothingEvaluatedError",
    "PolicyError",
    "PolicygateError",
    "SchemaError",
    "UsageError",
    "AccessDecision",
    "Approvers",
    "Attestation",
    "ModelRecord",
    "ModelReport",
    "Policy",
    "Report",
    "Result",
    "Rule",
    "Run",
    "RunSpec",
    "Status",
    "Waiver",
]
