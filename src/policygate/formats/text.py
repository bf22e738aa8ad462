"""The report for people at a terminal: failing models first, problems before
counts, one summary line that counts every status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..report import ModelReport, Report, Result, RiskUse, Status
from .inert import inert as _inert
from .ordering import RESULT_ORDER as _RESULT_ORDER
from .ordering import SEVERITY_ORDER as _SEVERITY_ORDER

_STYLES = {
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "blue": "\x1b[34m",
    "dim": "\x1b[2m",
    "bold": "\x1b[1m",
}
_RESET = "\x1b[0m"

_STATUS_STYLE = {
    Status.FAIL: "red",
    Status.ERROR: "red",
    Status.WAIVED: "yellow",
    Status.PASS: "green",
    Status.SKIP: "dim",
}


def render(report: Report, *, color: bool = False, verbose: bool = False, **_: Any) -> str:
    """``verbose`` also lists passing and skipped results."""
    paint = _painter(color)
    lines: list[str] = []
    models = sorted(report.models, key=lambda m: m.passed)  # stable: failures first
    for model in models:
        lines.extend(_model(model, paint, verbose, report.rating_scale))
        lines.append("")
    if report.nothing_evaluated:
        reason = _inert(report.nothing_evaluated_reason())
        lines.append(paint("yellow", f"nothing evaluated: {reason}"))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def summary_line(report: Report, paint: Any = None) -> str:
    """``3 models, 2 passed, 1 failed · 41 pass, 2 fail, 1 error, 5 skip, 1 waived``."""
    summary = report.summary()
    counts = summary["results"]
    models = summary["models"]
    head = (
        f"{models} model{'s' if models != 1 else ''}, "
        f"{summary['passed']} passed, {summary['failed']} failed"
    )
    tail = ", ".join(f"{counts[s.value]} {s.value}" for s in Status)
    return f"{head} · {tail}"


def _model(
    model: ModelReport, paint: Any, verbose: bool, scale: tuple[str, ...] = ()
) -> list[str]:
    # Model records are untrusted: every string from one goes through _inert, so a
    # line break or a terminal escape in it cannot print a line that looks like a verdict.
    verdict = paint("green", "PASSED") if model.passed else paint("red", "FAILED")
    ref = _inert(f"{model.name}@{model.version}" if model.version else model.name)
    lines = [f"{verdict}  {paint('bold', ref)}  {paint('dim', _inert(model.source))}"]
    not_applicable = [p.name for p in model.policies if p.applicable is False]
    if not_applicable:
        lines.append(paint("dim", _inert(f"  not applicable: {', '.join(not_applicable)}")))
    shown = [
        r
        for r in model.results
        if verbose or r.status in (Status.FAIL, Status.ERROR, Status.WAIVED) or r.waiver
    ]
    shown.sort(key=lambda r: (_RESULT_ORDER[r.status], _SEVERITY_ORDER.get(r.severity, 3)))
    for result in shown:
        lines.extend(_result(result, paint))
    counts = model.counts()
    lines.append("  " + ", ".join(f"{counts[s.value]} {s.value}" for s in Status))
    if model.risks is not None:  # evaluated with a risk register
        lines.extend(_risks_and_controls(model, paint, scale))
        return lines
    violated = [c.id for c in model.controls if c.status.value == "violated"]
    if violated:
        lines.append(_inert(f"  controls violated: {', '.join(violated)}"))
    return lines


def _result(result: Result, paint: Any) -> list[str]:
    label = paint(_STATUS_STYLE[result.status], f"{result.status.value.upper():<6}")
    ref = _inert(result.rule_ref + (f"[{result.item}]" if result.item is not None else ""))
    severity = paint("dim", f"({result.severity})")
    lines = [f"  {label} {ref} {severity}"]
    detail = result.message or result.title
    if detail:
        lines.append(f"         {_inert(detail)}")
    if result.waiver is not None:
        w = result.waiver
        state = "expired" if w.expired else "until"
        lines.append(
            paint(
                "yellow",
                _inert(f"         waiver {w.name} ({state} {w.expires_at}, {w.approved_by})"),
            )
        )
    if result.status in (Status.FAIL, Status.ERROR) and result.remediation:
        lines.append(paint("blue", _inert(f"         fix: {result.remediation}")))
    return lines


def _painter(color: bool) -> Any:
    def paint(style: str, text: str) -> str:
        if not color or not text:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"

    return paint


_CONTROL_STYLE = {
    "violated": "red",
    "waived": "yellow",
    "unverified": "yellow",
    "satisfied": "green",
}
_CONTROL_ORDER = ("violated", "waived", "unverified", "satisfied")


def _risks_and_controls(model: ModelReport, paint: Any, scale: tuple[str, ...]) -> list[str]:
    """The model's risks with their ratings (worst residual first), then every
    control they call for with its state (worst first), then the other controls a
    rule named that are violated or waived."""
    lines = _risk_lines(model, scale)
    called = [c for c in model.controls if c.risks]
    called.sort(key=lambda c: _CONTROL_ORDER.index(c.status.value))
    counts = ", ".join(
        f"{sum(1 for c in called if c.status.value == state)} {state}" for state in _CONTROL_ORDER
    )
    lines.append(f"  controls called for: {counts}" if called else "  controls called for: none")
    width = max((len(c.id) for c in called), default=0)
    for control in called:
        state = control.status.value
        label = paint(_CONTROL_STYLE[state], f"{state:<10}")
        why = ", ".join(control.risks or ())
        if control.via:
            why += f"; via {', '.join(control.via)}"
        title = f"  {control.title}" if control.title else ""
        lines.append(f"    {label} {_inert(f'{control.id:<{width}}{title}  ({why})')}")
    for state in ("violated", "waived"):
        others = [c.id for c in model.controls if not c.risks and c.status.value == state]
        if others:
            lines.append(_inert(f"  other controls {state}: {', '.join(others)}"))
    return lines


def rating_label(risk: RiskUse) -> str:
    """``critical → high`` (inherent → residual), or ``unrated``."""
    if not risk.inherent:
        return "unrated"
    return f"{risk.inherent} → {risk.residual}"


def by_rating(risks: Iterable[RiskUse], scale: Sequence[str]) -> list[RiskUse]:
    """Worst residual first, then worst inherent, then by id; unrated last."""

    def rank(rating: str) -> int:
        return scale.index(rating) if rating in scale else -1

    return sorted(risks, key=lambda r: (-rank(r.residual), -rank(r.inherent), r.id))


def _risk_lines(model: ModelReport, scale: tuple[str, ...]) -> list[str]:
    risks = by_rating(model.risks or (), scale)
    if not risks:
        return ["  risks: none"]
    lines = [f"  risks: {len(risks)} (inherent → residual)"]
    width = max(len(rating_label(r)) for r in risks)
    ids = max(len(r.id) for r in risks)
    for risk in risks:
        title = f"  {risk.title}" if risk.title else ""
        lines.append(_inert(f"    {rating_label(risk):<{width}}  {risk.id:<{ids}}{title}").rstrip())
    return lines
