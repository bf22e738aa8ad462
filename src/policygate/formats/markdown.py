"""Markdown for pull-request comments and ``$GITHUB_STEP_SUMMARY`` (GitHub flavour).

A verdict line, the summary counts, then one section per model, failing
models first: a table of what needs attention (errors, failures, waived
results) with the fix, and the full result list and the control statuses
collapsed in ``<details>``.

Model content is untrusted and ends up in a page other people read, so every
value is escaped: HTML is inert, Markdown punctuation is literal, table cells
cannot be broken out of, and ``@name`` cannot notify anyone. Control,
bidirectional and format characters are written as their escapes
(:mod:`.inert`); line breaks stay line breaks (``<br>`` in a table cell).
"""

from __future__ import annotations

import re
from typing import Any

from ..report import ModelReport, Report, Result, Status
from .inert import inert
from .ordering import by_attention, failures_first, needs_attention, result_label
from .text import by_rating, summary_line

_ICON = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.ERROR: "🛑",
    Status.WAIVED: "⚠️",
    Status.SKIP: "⏭️",
}
# GitHub turns "@name" into a notification and "#12" into a cross-reference;
# a zero-width space after the sigil keeps the text and drops the side effect.
_MENTION = re.compile(r"(^|\W)([@#])(?=\w)")
_HEADER = "| Status | Rule | Severity | Finding | Fix |\n|---|---|---|---|---|"


def escape(text: object) -> str:
    """``text`` as literal Markdown: no HTML, no emphasis, no links, no mentions."""
    value = inert(text, keep="\r\n")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MENTION.sub("\\1\\2\u200b", value)
    for char in "\\`*_[]#|~":
        value = value.replace(char, "\\" + char)
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _cell(text: object) -> str:
    """One table cell: escaped, on one line."""
    return escape(text).replace("\n", "<br>")


MAX_CHARS = 65_536
"""GitHub refuses a comment or a job summary longer than this (characters)."""
_NOTE_ROOM = 600  # kept for the note that says what was left out


def render(report: Report, max_chars: int = MAX_CHARS, **_: Any) -> str:
    """The report, within ``max_chars``: failing models first, each in full; when
    that is too long, each with only what needs attention, as many as fit (the
    last one shown cut to its first findings if all of them do not), and a note
    of what was left out. Nothing past the limit is rendered: a model with
    20,000 failing items costs no more than the rows that are shown."""
    lines = [_verdict(report), "", _cell(summary_line(report)), ""]
    meta = [f"now {_cell(report.now)}", f"fail on {_cell(report.fail_on)}"]
    policies = [f"{p.name}@{p.version}" if p.version else p.name for p in report.policies]
    if policies:
        meta.append("policies " + _cell(", ".join(policies)))
    lines += [" · ".join(meta), ""]
    models = list(failures_first(report.models))
    scale = report.rating_scale
    whole, used = list(lines), _size(lines)
    for model in models:
        section = _model(model, scale, room=max_chars - used)
        if section is None:
            break
        whole += section
        used += _size(section)
    else:
        return _joined(whole)
    used, budget = _size(lines), max_chars - _NOTE_ROOM
    for shown, model in enumerate(models):
        section = _model(model, scale, details=False, room=budget - used)
        if section is None:
            lines += _left_out(len(models) - shown, sum(not m.passed for m in models[shown:]))
            break
        lines += section
        used += _size(section)
    else:
        lines += _left_out(0, 0)
    return _joined(lines)


def _joined(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _left_out(hidden: int, failed: int) -> list[str]:
    """The note at the end of a report cut to fit GitHub's limit."""
    more = f"; {hidden} more model{'s' if hidden != 1 else ''} ({failed} failed) not shown"
    return [
        f"> ✂️ Cut to GitHub's {MAX_CHARS:,}-character limit: each model shows only what "
        f"needs attention, without its full result and control lists{more if hidden else ''}. "
        "Every result is in the full report: `-f json`, or `--report html=PATH` "
        "(the summary line above counts them all).",
        "",
    ]


def _verdict(report: Report) -> str:
    summary = report.summary()
    if report.nothing_evaluated:
        reason = _cell(report.nothing_evaluated_reason())
        return f"## 🛑 policygate: nothing evaluated ({reason})"
    if report.passed:
        return f"## ✅ policygate: passed — {summary['models']} of {summary['models']} models pass"
    return (
        f"## ❌ policygate: failed — {summary['failed']} of {summary['models']} "
        f"model{'s' if summary['models'] != 1 else ''} failed"
    )


_CUT_ROW = 120  # room kept for the row that says how many findings a cut model hides


def _model(
    model: ModelReport,
    scale: tuple[str, ...] = (),
    details: bool = True,
    room: int | None = None,
) -> list[str] | None:
    """The model's section; with ``room`` (characters), ``None`` when it does not
    fit in it, found before the rows past it are rendered. Without ``details``
    (what needs attention only), a section that does not fit whole is cut to the
    findings that do, and a row that says how many more there are; ``None`` only
    when not even its first finding fits."""
    verdict = "✅ passed" if model.passed else "❌ failed"
    lines = [f"### {_cell(model.ref)} — {verdict}", "", f"Source: {_cell(model.source)}", ""]
    counts = model.counts()
    tally = ", ".join(f"{counts[s.value]} {s.value}" for s in Status)
    attention = by_attention(r for r in model.results if needs_attention(r))
    lines.append(_HEADER)
    limit = float("inf") if room is None else room
    used = _size(lines)
    if attention:
        for position, result in enumerate(attention):
            row = _row(result)
            used += len(row) + 1
            if used > limit - (0 if details else _CUT_ROW):
                if details or position == 0:
                    return None
                hidden = len(attention) - position
                lines.append(
                    f"| ✂️ | {hidden:,} more finding{'s' if hidden != 1 else ''} of this "
                    "model not shown | | in the full report | |"
                )
                return lines + [""]
            lines.append(row)
    else:
        lines.append(f"| ✅ pass | every rule | — | {tally} | — |")
    lines.append("")
    if model.risks is not None:  # evaluated with a risk register
        lines += _risks(model, scale)
    if _size(lines) > limit:
        return None
    if not details:
        return lines
    # A policy that does not apply skips every rule: one row says so, not one per rule.
    skipped = {p.name for p in model.policies if p.applicable is False}
    listed = [r for r in model.results if not (r.status is Status.SKIP and r.policy in skipped)]
    lines += ["<details>", f"<summary>All results ({len(model.results)}): {tally}</summary>", ""]
    lines.append(_HEADER)
    used = _size(lines)
    for result in by_attention(listed):
        lines.append(_row(result))
        used += len(lines[-1]) + 1
        if used > limit:  # (a model of many results: the rows past the room not rendered)
            return None
    lines += [_not_applicable(model, name) for name in sorted(skipped)]
    lines += ["", "</details>", ""]
    if model.controls:
        states: dict[str, int] = {}
        for control in model.controls:
            states[control.status.value] = states.get(control.status.value, 0) + 1
        tally = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        lines += [
            "<details>",
            f"<summary>Controls: {tally}</summary>",
            "",
            "| Control | Status | Evidence |",
            "|---|---|---|",
            *(
                f"| {_cell(c.id)} | {_cell(c.status.value)} | {_cell(', '.join(c.rules))} |"
                for c in model.controls
            ),
            "",
            "</details>",
            "",
        ]
    return None if _size(lines) > limit else lines


def _risks(model: ModelReport, scale: tuple[str, ...]) -> list[str]:
    """The model's risks with both ratings, worst residual first."""
    risks = by_rating(model.risks or (), scale)
    if not risks:
        return ["Risks: none", ""]
    return [
        "| Risk | Inherent | Residual | Likelihood × impact | Title |",
        "|---|---|---|---|---|",
        *(
            f"| {_cell(r.id)} | {_cell(r.inherent or 'unrated')} | "
            f"{_cell(r.residual or 'unrated')} | "
            f"{_cell(f'{r.likelihood} × {r.impact}' if r.likelihood else '—')} | "
            f"{_cell(r.title)} |"
            for r in risks
        ),
        "",
    ]


def _not_applicable(model: ModelReport, policy: str) -> str:
    rules = sum(r.policy == policy for r in model.results)
    return (
        f"| {_ICON[Status.SKIP]} skip | {_cell(policy)} ({rules} rule{'s' if rules != 1 else ''}) "
        "| — | the policy does not apply to the model |  |"
    )


def _row(result: Result) -> str:
    finding = result.message or result.title or ""
    if result.waiver is not None:
        w = result.waiver
        state = "expired" if w.expired else "until"
        finding += f"\nwaiver {w.name} ({state} {w.expires_at}, {w.approved_by})"
    fix = result.remediation if result.status in (Status.FAIL, Status.ERROR) else ""
    return (
        f"| {_ICON[result.status]} {result.status.value} | {_cell(result_label(result))} "
        f"| {_cell(result.severity)} | {_cell(finding)} | {_cell(fix)} |"
    )
