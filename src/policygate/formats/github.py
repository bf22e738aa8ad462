"""GitHub Actions workflow commands: findings as annotations on the pull request.

Each ``fail`` or ``error`` result becomes ``::error``, ``::warning`` or
``::notice`` (from its severity) with ``file``, ``line`` (the field the rule
read, else 1) and a ``title``; a waived result becomes a ``::notice`` naming
the waiver. The last line is the plain summary line.

Values are escaped as the runner expects (``%``, CR and LF in the message;
also ``:`` and ``,`` in properties, as GitHub's toolkit does), so untrusted
model content can neither start a new command nor end a property early; and
every other control, bidirectional or format character from a record is
written as its escape (:mod:`.inert`), so none reaches the log.
"""

from __future__ import annotations

from typing import Any

from ..report import ModelReport, Report, Result, Status
from .inert import inert
from .ordering import by_attention, failures_first, result_label
from .text import by_rating, rating_label, summary_line

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """A message: line breaks encoded (a record's too), every other unsafe character inert."""
    text = inert(text, keep="\r\n")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, **_: Any) -> str:
    lines: list[str] = []
    for model in failures_first(report.models):
        for result in by_attention(model.results):
            line = _annotation(model, result)
            if line is not None:
                lines.append(line)
    for model in failures_first(report.models):
        if model.risks:  # with a risk register: both ratings, worst residual first
            lines.append(_ratings(model, report.rating_scale))
    if report.nothing_evaluated:
        reason = escape_data(report.nothing_evaluated_reason())
        lines.append(f"::error title=policygate::nothing evaluated: {reason}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _ratings(model: ModelReport, scale: tuple[str, ...]) -> str:
    """One notice per model: each risk's inherent → residual rating."""
    ratings = "\n".join(
        f"{risk.id}: {rating_label(risk)}" for risk in by_rating(model.risks or (), scale)
    )
    title = f"{model.ref}: risk ratings (inherent → residual)"
    properties = f"file={escape_property(model.source)},line=1,title={escape_property(title)}"
    return f"::notice {properties}::{escape_data(ratings)}"


def _annotation(model: ModelReport, result: Result) -> str | None:
    if result.status in (Status.FAIL, Status.ERROR):
        command = _COMMAND.get(result.severity, "warning")
        what = "could not evaluate" if result.status is Status.ERROR else "failed"
        title = f"{model.ref}: {result_label(result)} {what}"
        message = result.message or result.title or result.rule_ref
        if result.remediation:
            message += f"\nFix: {result.remediation}"
    elif result.status is Status.WAIVED and result.waiver is not None:
        w = result.waiver
        command = "notice"
        title = f"{model.ref}: {result_label(result)} waived"
        message = (
            f"{result.message or result.title}\n"
            f"Waived by {w.name} until {w.expires_at} ({w.approved_by}): {w.justification}"
        )
    else:
        return None
    properties = [f"file={escape_property(model.source)}", f"line={result.line or 1}"]
    properties.append(f"title={escape_property(title)}")
    return f"::{command} {','.join(properties)}::{escape_data(message)}"
