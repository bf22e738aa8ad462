"""A self-contained HTML evidence report: one file to open, print or archive.

What a compliance officer needs to see, with nothing fetched from anywhere
(inline CSS, inline SVG, and a Content-Security-Policy that forbids every
external load): the verdict, ``now``, each model's findings with their fix,
its risks and control statuses, the model → risk → control → rule graph, the
waivers that applied and when they expire, and the digest of every policy.

Everything that comes from a model, a policy or a waiver is escaped: model
records are untrusted input, and this page is opened by other people.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from ..report import ModelReport, Report, Result, Status, WaiverUse
from .ordering import by_attention, failures_first, needs_attention, result_label
from .svggraph import CONTROL_ORDER, STATUS_CLASS, model_graph
from .text import summary_line

_CSS = """
:root { --bad: #b42318; --bad-bg: #fef3f2; --good: #067647; --good-bg: #ecfdf3;
  --warn: #b54708; --warn-bg: #fffaeb; --muted: #667085; --muted-bg: #f2f4f7;
  --line: #d0d5dd; --ink: #101828; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0 auto; padding: 24px; max-width: 1280px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.verdict { border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
.verdict.bad { background: var(--bad-bg); border: 2px solid var(--bad); }
.verdict.good { background: var(--good-bg); border: 2px solid var(--good); }
.verdict.warn { background: var(--warn-bg); border: 2px solid var(--warn); }
.verdict p { margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--muted-bg); font-weight: 600; }
.msg { white-space: pre-wrap; overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; }
.rule { display: inline-block; min-width: 16em; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
.badge.bad { background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); }
.badge.good { background: var(--good-bg); color: var(--good); border: 1px solid var(--good); }
.badge.warn { background: var(--warn-bg); color: var(--warn); border: 1px solid var(--warn); }
.badge.muted { background: var(--muted-bg); color: var(--muted); border: 1px solid var(--line); }
figure { margin: 8px 0; overflow-x: auto; border: 1px solid var(--line); border-radius: 6px;
  padding: 8px; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
svg.graph text { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: var(--ink); }
svg.graph text.col { font-weight: 600; fill: var(--muted); }
svg.graph .edge { fill: none; stroke-width: 1.2; opacity: .55; }
svg.graph .edge.bad { stroke: var(--bad); opacity: .9; }
svg.graph .edge.good { stroke: var(--good); }
svg.graph .edge.warn { stroke: var(--warn); }
svg.graph .edge.muted { stroke: var(--muted); opacity: .35; }
svg.graph .edge.direct { stroke-dasharray: 4 3; }
svg.graph .node rect { stroke-width: 1.2; }
svg.graph .node.bad rect { fill: var(--bad-bg); stroke: var(--bad); }
svg.graph .node.good rect { fill: var(--good-bg); stroke: var(--good); }
svg.graph .node.warn rect { fill: var(--warn-bg); stroke: var(--warn); }
svg.graph .node.muted rect { fill: var(--muted-bg); stroke: var(--line); }
details > summary { cursor: pointer; color: #175cd3; margin: 6px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { details { display: block; } details > summary { display: none; }
  figure { overflow: visible; } }
"""

# default-src 'none' forbids every fetch: images, fonts, scripts, frames, connections.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render(report: Report, **_: Any) -> str:
    models = failures_first(report.models)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_title(report))}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        _verdict(report),
        _facts(report),
        _overview(models),
        *(_model(model, index) for index, model in enumerate(models)),
        _waivers(report),
        _policies(report),
        f"<footer>policygate {_e(report.version)} · evaluated as of {_e(report.now)} · "
        f"{_e(summary_line(report))}</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _badge(status: str, text: str | None = None) -> str:
    css = STATUS_CLASS.get(status, "muted")
    return f'<span class="badge {css}">{_e(text or status)}</span>'


def _verdict_word(report: Report) -> str:
    if report.nothing_evaluated:
        return "NOTHING EVALUATED"
    return "PASSED" if report.passed else "FAILED"


def _title(report: Report) -> str:
    return f"policygate report: {_verdict_word(report)} ({report.now})"


def _verdict(report: Report) -> str:
    summary = report.summary()
    if report.nothing_evaluated:
        css, detail = "warn", f"Nothing evaluated: {report.nothing_evaluated_reason()}."
    elif report.passed:
        css, detail = "good", f"All {summary['models']} models passed the gate."
    else:
        css = "bad"
        detail = f"{summary['failed']} of {summary['models']} models failed the gate."
    return (
        f'<header class="verdict {css}" id="verdict"><h1>Gate {_e(_verdict_word(report))}</h1>'
        f"<p>{_e(detail)} Exit code {report.exit_code()}.</p></header>"
    )


def _facts(report: Report) -> str:
    facts = [
        ("Evaluated as of (now)", report.now),
        ("Fails on", _fail_on(report.fail_on)),
        ("Summary", summary_line(report)),
        ("Engine", report.engine),
        ("policygate", report.version),
    ]
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return f'<section id="run"><dl class="facts">{rows}</dl></section>'


def _fail_on(fail_on: str) -> str:
    if fail_on == "never":
        return "never (report only)"
    return f"a fail or error of {fail_on} severity or above"


_APPLICABLE = {True: "applies", False: "not applicable", None: "undecided"}


def _overview(models: list[ModelReport]) -> str:
    rows = []
    for index, model in enumerate(models):
        counts = model.counts()
        tally = ", ".join(f"{n} {s}" for s, n in counts.items())
        verdict = _badge("passed" if model.passed else "failed")
        rows.append(
            f'<tr><td><a href="#model-{index}">{_e(model.ref)}</a></td><td>{verdict}</td>'
            f'<td class="mono">{_e(model.source)}</td><td>{_e(tally)}</td></tr>'
        )
    return (
        '<section id="models"><h2>Models</h2><table><thead><tr><th>Model</th><th>Verdict</th>'
        "<th>Source</th><th>Results</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _model(model: ModelReport, index: int) -> str:
    verdict = "passed" if model.passed else "failed"
    data = model.to_dict()
    attention = by_attention(r for r in model.results if needs_attention(r))
    parts = [
        f'<section class="model" id="model-{index}">',
        f"<h2>{_badge(verdict, verdict.upper())} {_e(model.ref)}</h2>",
        f'<p>Source: <span class="mono">{_e(model.source)}</span>',
    ]
    applicability = [f"{p.name} ({_APPLICABLE[p.applicable]})" for p in model.policies]
    if applicability:
        parts.append(f" · Policies: {_e(', '.join(applicability))}")
    parts.append("</p>")
    parts.append("<h3>Findings</h3>")
    if attention:
        parts.append(_results_table(attention, with_fix=True))
    else:
        parts.append("<p>No failure, error or waiver: every evaluated rule passed.</p>")
    risks = data.get("risks")
    if risks:
        parts.append(_risks_table(risks))
    parts.append(_controls_table(data.get("controls") or []))
    parts.append(
        "<figure>"
        + model_graph(model)
        + "<figcaption>Model → "
        + ("risks → " if risks else "")
        + "controls → rules. Red: failed, errored or violated; amber: waived or unverified; "
        "green: passed or satisfied; grey: skipped. Rules of policies that do not apply "
        "are left out; a dashed edge leads to what no risk of the model calls for. "
        "Hover a node for its full name."
        "</figcaption></figure>"
    )
    parts.append(
        f"<details><summary>All results ({len(model.results)})</summary>"
        + _results_table(by_attention(model.results), with_fix=False)
        + "</details>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def _results_table(results: list[Result], *, with_fix: bool) -> str:
    head = "<th>Status</th><th>Rule</th><th>Severity</th><th>Finding</th><th>Controls</th>"
    if with_fix:
        head += "<th>Fix</th>"
    rows = []
    for result in results:
        finding = result.message or result.title or ""
        if result.waiver is not None:
            finding += "\n" + _waiver_note(result.waiver)
        cells = [
            _badge(result.status.value),
            f'<span class="mono rule" title="{_e(result.title)}">{_e(result_label(result))}</span>',
            _e(result.severity),
            f'<div class="msg">{_e(finding)}</div>',
            _e(", ".join(result.controls)),
        ]
        if with_fix:
            fix = result.remediation if result.status in (Status.FAIL, Status.ERROR) else ""
            cells.append(_e(fix))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _waiver_note(waiver: WaiverUse) -> str:
    state = "expired" if waiver.expired else "until"
    return f"waiver {waiver.name} ({state} {waiver.expires_at}, approved by {waiver.approved_by})"


def _controls_table(controls: list[Any]) -> str:
    if not controls:
        return "<h3>Control status</h3><p>No rule of this model names a control.</p>"
    items = [c if isinstance(c, Mapping) else {"id": str(c)} for c in controls]
    items.sort(key=lambda c: (CONTROL_ORDER.get(str(c.get("status")), 9), str(c.get("id"))))
    titled = any(c.get("title") for c in items)
    traced = any(c.get("risks") is not None for c in items)  # evaluated with a risk register
    tally: dict[str, int] = {}
    rows = []
    for item in items:
        status = str(item.get("status", "unverified"))
        tally[status] = tally.get(status, 0) + 1
        rules = ", ".join(str(r) for r in item.get("rules") or ())
        title = f"<td>{_e(item.get('title', ''))}</td>" if titled else ""
        risks = ", ".join(str(r) for r in item.get("risks") or ())
        called = f'<td class="mono">{_e(risks)}</td>' if traced else ""
        rows.append(
            f'<tr><td class="mono nowrap">{_e(item.get("id", ""))}</td>{title}'
            f'<td>{_badge(status)}</td>{called}<td class="mono">{_e(rules)}</td></tr>'
        )
    counts = " · ".join(
        f"{_badge(status)} {n}"
        for status, n in sorted(tally.items(), key=lambda kv: CONTROL_ORDER.get(kv[0], 9))
    )
    title_head = "<th>Title</th>" if titled else ""
    called_head = "<th>Called for by</th>" if traced else ""
    return (
        f"<h3>Control status</h3><p>{counts}</p><table><thead><tr><th>Control</th>{title_head}"
        f"<th>Status</th>{called_head}<th>Evidence (rules)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


_RISK_FACTS = ("category", "likelihood", "impact", "owner")


def _risks_table(risks: list[Any]) -> str:
    items = [r if isinstance(r, Mapping) else {"id": str(r)} for r in risks]
    facts = [f for f in _RISK_FACTS if any(item.get(f) for item in items)]
    rows = []
    for item in items:
        controls = ", ".join(
            str(c.get("id")) if isinstance(c, Mapping) else str(c)
            for c in item.get("controls") or ()
        )
        extra = "".join(f"<td>{_e(item.get(f) or '')}</td>" for f in facts)
        rows.append(
            f'<tr><td class="mono nowrap">{_e(item.get("id", ""))}</td>'
            f'<td>{_e(item.get("title", ""))}</td>{extra}<td class="mono">{_e(controls)}</td></tr>'
        )
    heads = "".join(f"<th>{_e(f.capitalize())}</th>" for f in facts)
    return (
        f"<h3>Risks</h3><table><thead><tr><th>Risk</th><th>Title</th>{heads}"
        "<th>Controls it calls for</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _waivers(report: Report) -> str:
    uses: dict[str, tuple[WaiverUse, list[str]]] = {}
    for model in report.models:
        for result in model.results:
            if result.waiver is not None:
                entry = uses.setdefault(result.waiver.name, (result.waiver, []))
                entry[1].append(f"{model.ref}: {result_label(result)}")
    if not uses:
        none = "<p>No waiver applied to any result.</p>"
        return f'<section id="waivers"><h2>Waivers</h2>{none}</section>'
    rows = []
    for name in sorted(uses):
        waiver, covered = uses[name]
        state = _badge("unverified", "expired") if waiver.expired else _badge("waived", "active")
        rows.append(
            f'<tr><td class="mono">{_e(name)}</td><td>{state}</td><td>{_e(waiver.expires_at)}</td>'
            f"<td>{_e(waiver.approved_by)}</td><td>{_e(waiver.justification)}</td>"
            f'<td class="mono">{_e(chr(10).join(covered))}</td></tr>'
        )
    return (
        '<section id="waivers"><h2>Waivers</h2><table><thead><tr><th>Waiver</th><th>State</th>'
        "<th>Expires</th><th>Approved by</th><th>Justification</th><th>Results it covered</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )


def _policies(report: Report) -> str:
    rows = []
    for policy in report.policies:
        params = getattr(policy, "params", None)
        params_text = json.dumps(dict(params), sort_keys=True, ensure_ascii=False) if params else ""
        rows.append(
            f"<tr><td>{_e(policy.name)}</td><td>{_e(policy.version)}</td>"
            f'<td class="mono">{_e(policy.source)}</td><td class="mono">{_e(policy.digest)}</td>'
            f'<td class="mono">{_e(params_text)}</td></tr>'
        )
    registers = [
        f'<tr><td>{_e(r.name)}</td><td>{_e(r.version)}</td><td class="mono">{_e(r.source)}</td>'
        f'<td class="mono">{_e(r.digest)}</td></tr>'
        for r in getattr(report, "risk_registers", None) or ()
    ]
    register_table = (
        "<h3>Risk registers</h3><table><thead><tr><th>Register</th><th>Version</th><th>Source</th>"
        "<th>Digest</th></tr></thead><tbody>" + "".join(registers) + "</tbody></table>"
        if registers
        else ""
    )
    return (
        '<section id="policies"><h2>Policies</h2><table><thead><tr><th>Policy</th><th>Version</th>'
        "<th>Source</th><th>Digest</th><th>Parameters</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + register_table
        + "</section>"
    )
