"""SARIF 2.1.0, for GitHub code scanning and every other SARIF reader.

- ``tool.driver.rules`` declares every rule the run evaluated (not only those
  that fired, so code scanning can close an alert whose rule now passes), each
  with its title, help text (remediation and controls) and the control ids as
  ``properties.tags``.
- One result per ``fail`` or ``error`` (``kind: fail``), and one per ``waived``
  result with an accepted external suppression that carries the waiver's
  justification; passes and skips are not findings.
- ``level`` follows the rule's severity: ``error`` → ``error``, ``warning`` →
  ``warning``, ``info`` → ``note``.
- Each result points into the model file at the line of the field the rule
  read (:mod:`policygate.fieldpaths`), else at the top of the file. Relative
  paths are given against ``%SRCROOT%``, as code scanning expects.
- ``invocations`` carry the exit code the gate returns.
- At most :data:`MAX_RESULTS` results, GitHub code scanning's limit for a run
  (it rejects a run of more whole): over it, each model with a finding keeps its
  most serious one, and a notification counts the results left out.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any
from urllib.parse import quote

from ..report import ModelReport, Report, Result, Status
from .markdown import escape as _md

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_STDIN = ("-", "<stdin>", "<memory>")


MAX_RESULTS = 25_000
"""GitHub code scanning rejects a whole SARIF run holding more results than this."""


def render(report: Report, max_results: int = MAX_RESULTS, **_: Any) -> str:
    rules, index = _rules(report)
    findings = [
        (model, result)
        for model in report.models
        for result in model.results
        if result.status in (Status.FAIL, Status.ERROR, Status.WAIVED)
    ]
    kept, left_out = _within_limit(findings, max_results)
    results = [_result(model, result, index[result.rule_ref]) for model, result in kept]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "policygate",
                "version": report.version,
                "semanticVersion": report.version,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report, left_out)],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "now": report.now,
            "failOn": report.fail_on,
            "engine": report.engine,
            "passed": report.passed,
            "policies": [
                {"name": p.name, "version": p.version, "source": p.source, "digest": p.digest}
                for p in report.policies
            ],
            **(_risk_ratings(report) if report.risk_registers is not None else {}),
        },
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _risk_ratings(report: Report) -> dict[str, Any]:
    """With a risk register: the rating scale and each model's risks with both ratings."""
    return {
        "ratingScale": list(report.rating_scale),
        "riskRatings": [
            {
                "model": model.name,
                "modelVersion": model.version,
                "risks": [
                    {
                        "id": risk.id,
                        "title": risk.title,
                        "likelihood": risk.likelihood,
                        "impact": risk.impact,
                        "inherent": risk.inherent,
                        "residual": risk.residual,
                    }
                    for risk in model.risks or ()
                ],
            }
            for model in report.models
        ],
    }


def _rules(report: Report) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every rule with a result in the report, in order of first appearance."""
    first: dict[str, Result] = {}
    for model in report.models:
        for result in model.results:
            first.setdefault(result.rule_ref, result)
    rules = [_rule(ref, result) for ref, result in first.items()]
    return rules, {ref: i for i, ref in enumerate(first)}


def _rule(ref: str, result: Result) -> dict[str, Any]:
    title = result.title or ref
    help_lines = [title + "."]
    if result.remediation:
        help_lines.append(f"Remediation: {result.remediation}")
    if result.controls:
        help_lines.append(f"Controls: {', '.join(result.controls)}")
    markdown = [f"**{_md(title)}**", ""]
    if result.remediation:
        markdown += [f"Remediation: {_md(result.remediation)}", ""]
    if result.controls:
        markdown.append("Controls: " + ", ".join(f"`{c}`" for c in result.controls))
    return {
        "id": ref,
        "name": ref,
        "shortDescription": {"text": title},
        "fullDescription": {
            "text": f"{title} (policy {result.policy}, category {result.category}, "
            f"severity {result.severity})"
        },
        "help": {"text": "\n".join(help_lines), "markdown": "\n".join(markdown).strip()},
        "defaultConfiguration": {"level": _LEVEL.get(result.severity, "warning")},
        "properties": {
            "tags": ["policygate", result.category, *result.controls],
            "policy": result.policy,
            "category": result.category,
            "severity": result.severity,
            "controls": list(result.controls),
            "remediation": result.remediation,
        },
    }


def _result(model: ModelReport, result: Result, rule_index: int) -> dict[str, Any]:
    text = result.message or result.title or f"{result.rule_ref}: {result.status.value}"
    if result.status is Status.ERROR:
        text = f"{model.ref}: could not evaluate {result.rule_ref}: {text}"
    else:
        text = f"{model.ref}: {text}"
    region: dict[str, Any] = {"startLine": result.line if result.line else 1}
    sarif: dict[str, Any] = {
        "ruleId": result.rule_ref,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": _LEVEL.get(result.severity, "warning"),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": _artifact(model.source), "region": region},
                "logicalLocations": [
                    {"name": model.ref, "kind": "module", "fullyQualifiedName": model.ref}
                ],
            }
        ],
        "partialFingerprints": {"policygateResult/v1": _fingerprint(model, result)},
        "properties": {
            "model": model.name,
            "modelVersion": model.version,
            "status": result.status.value,
            "severity": result.severity,
            "item": result.item,
            "controls": list(result.controls),
        },
    }
    if result.status is Status.ERROR:  # the stable code, as lint's errorCode
        sarif["properties"]["errorCode"] = result.error_code
    if result.waiver is not None:
        w = result.waiver
        waiver = {
            "name": w.name,
            "source": w.source,
            "approvedBy": w.approved_by,
            "expiresAt": w.expires_at,
            "expired": w.expired,
            "justification": w.justification,
        }
        sarif["properties"]["waiver"] = waiver
        if result.status is Status.WAIVED:
            sarif["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"waiver {w.name} by {w.approved_by}, "
                    f"until {w.expires_at}: {w.justification}",
                }
            ]
    return sarif


def _artifact(source: str) -> dict[str, Any]:
    if source in _STDIN:
        return {"uri": "stdin"}
    if os.path.isabs(source):
        return {"uri": "file://" + quote(source.replace(os.sep, "/"))}
    path = os.path.normpath(source).replace(os.sep, "/")
    return {"uri": quote(path), "uriBaseId": SRCROOT}


def _fingerprint(model: ModelReport, result: Result) -> str:
    """Stable across runs and line moves: the model, the rule and the item."""
    key = json.dumps([model.name, result.rule_ref, result.item], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _invocation(report: Report, left_out: int = 0) -> dict[str, Any]:
    exit_code = report.exit_code()
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.nothing_evaluated,
        "exitCode": exit_code,
        "exitCodeDescription": {0: "passed", 1: "failed", 2: "nothing evaluated"}[exit_code],
    }
    notes: list[dict[str, Any]] = []
    if report.nothing_evaluated:
        notes.append(
            {
                "level": "error",
                "message": {"text": f"nothing evaluated: {report.nothing_evaluated_reason()}"},
            }
        )
    if left_out:
        text = (
            f"{left_out:,} more result{'s' if left_out != 1 else ''} not listed: a run may hold "
            "at most what GitHub code scanning accepts; each model with a finding keeps at "
            "least one, and every result is in the full report (-f json)"
        )
        notes.append({"level": "warning", "message": {"text": text}})
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


_RANK = {Status.ERROR: 0, Status.FAIL: 1, Status.WAIVED: 2}
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def _within_limit(
    findings: list[tuple[ModelReport, Result]], limit: int
) -> tuple[list[tuple[ModelReport, Result]], int]:
    """At most ``limit`` findings, in their order, and how many were left out. Over
    the limit, each model's first finding that counts most (an error or failure
    before a waived one, a higher severity first) is kept, then the others that
    count most, so no failing model is left without a result."""
    if len(findings) <= limit:
        return findings, 0

    def rank(position: int) -> tuple[int, int, int]:
        result = findings[position][1]
        return (_RANK[result.status], _SEVERITY_RANK.get(result.severity, 1), position)

    best: dict[int, int] = {}
    for position, (model, _) in enumerate(findings):
        key = id(model)
        if key not in best or rank(position) < rank(best[key]):
            best[key] = position
    chosen = sorted(best.values(), key=rank)[:limit]
    taken = set(chosen)
    rest = sorted((p for p in range(len(findings)) if p not in taken), key=rank)
    chosen += rest[: limit - len(chosen)]
    return [findings[p] for p in sorted(chosen)], len(findings) - len(chosen)
