"""An access decision as the text ``policygate authorize`` prints: the verdict, the
request, each access rule's result and every reason for a denial."""

from __future__ import annotations

from ..report import Status
from .decide import AccessDecision

_MARKS = {Status.PASS: "pass", Status.FAIL: "FAIL", Status.ERROR: "ERROR", Status.SKIP: "skip",
          Status.WAIVED: "waived"}  # fmt: skip


def render_text(decision: AccessDecision) -> str:
    """The verdict, the request, each access rule's result and every reason for a denial."""
    request = decision.request
    target = request["target"]
    what = target["model"] + (f"@{target['version']}" if target["version"] else "")
    detail = next((f"{k} {target[k]}" for k in ("alias", "stage", "new_name") if target[k]), "")
    if target["tag"]["key"]:
        detail = f"tag {target['tag']['key']}"
    verdict = "allowed" if decision.allowed else "denied"
    lines = [f"{verdict}: {request['action']} {what}{' ' + detail if detail else ''}"
             f" by {request['actor']['name']}"
             f"{' (promotion)' if decision.is_promotion else ''}"]  # fmt: skip
    roles = ", ".join(request["actor"]["roles"]) or "none"
    lines.append(f"  roles: {roles}")
    for result in decision.results:
        shown = result.message and result.status is not Status.PASS
        message = f": {result.message}" if shown else ""
        lines.append(f"  {_MARKS[result.status]:<6} {result.rule_ref}{message}")
    if decision.promotion is not None:
        report = decision.promotion
        passed = "passed" if report.passed else "failed"
        lines.append(f"  promotion policies: {passed}")
    access_rules = {r.rule_ref for r in decision.results}
    for rule, message in decision.failing:
        if rule not in access_rules:
            lines.append(f"  {'FAIL':<6} {rule}: {message}")
    return "\n".join(lines) + "\n"
