"""policygate: policy-as-code for ML model governance.

The public API (SPEC §7)::

    policies = policygate.load_policies(["policies/"])
    report = policygate.evaluate(["examples/models/credit-default-passes.yaml"], policies)
    report.passed, report.models[0].results, report.to_dict()
    policygate.render(report, "json")
    policygate.gate(model_dict, policies)   # raises GateFailed unless it passes
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import gate, load_inputs  # noqa: E402
from .approvals import Approvers, Attestation, load_approvers, load_attestations  # noqa: E402
from .cel.budget import Budget  # noqa: E402
from .documents import Limits  # noqa: E402
from .errors import (  # noqa: E402
    GateFailed,
    LoadError,
    Location,
    NothingEvaluatedError,
    PolicyError,
    PolicygateError,
    SchemaError,
    UsageError,
)
from .evaluate import evaluate  # noqa: E402
from .formats import render  # noqa: E402
from .integrations.mlflow import promote  # noqa: E402  (imports MLflow only when called)
from .models import ModelRecord, load_models  # noqa: E402
from .policy import Policy, Rule, load_policies  # noqa: E402
from .report import ModelReport, Report, Result, Status  # noqa: E402
from .waivers import Waiver, load_waivers  # noqa: E402

__all__ = [
    "__version__",
    "Budget",
    "Limits",
    "evaluate",
    "gate",
    "load_approvers",
    "load_attestations",
    "load_inputs",
    "load_models",
    "load_policies",
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
    "Approvers",
    "Attestation",
    "ModelRecord",
    "ModelReport",
    "Policy",
    "Report",
    "Result",
    "Rule",
    "Status",
    "Waiver",
]
