"""A self-contained HTML evidence report: one file to open, print or archive.

What an auditor needs, with nothing fetched from anywhere (inline CSS, inline
SVG, and a Content-Security-Policy that forbids every external load):

- a summary first: the verdict and ``now``, the residual-risk heat map
  (inherent × residual rating of every model's risks), coverage per framework,
  and a table of the models, each linking to its section;
- one section per model: its findings with their fix, its risks and their
  ratings, one small graph per risk (the risk → the controls it calls for →
  the rules giving evidence), and the state of each control with the rules of
  the policies that applied to the model;
- once for the whole report, what is the same for every model: the risk
  register, the controls' catalog texts and coverage, the rules (title,
  severity, controls, fix), the waivers and the digest of every policy.

A thousand-model report stays a few megabytes: the CSS, the catalog and the
rule texts are written once, a model's section holds only what differs from
model to model, and a graph drawn once is referenced, not drawn again.

Everything that comes from a model, a policy or a waiver is escaped (and its
control and bidirectional characters written as escapes): model records are
untrusted input, and this page is opened by other people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from ..report import ControlStatus, ModelReport, Report, Result, RiskUse, Status, WaiverUse
from .inert import inert
from .ordering import RESULT_ORDER, by_attention, failures_first, needs_attention, result_label
from .svggraph import CONTROL_ORDER, STATUS_CLASS, Graphs, Node, evidence_graph, fits
from .text import summary_line

_CSS = """
:root { --bad: #b42318; --bad-bg: #fef3f2; --good: #067647; --good-bg: #ecfdf3;
  --warn: #b54708; --warn-bg: #fffaeb; --muted: #667085; --muted-bg: #f2f4f7;
  --line: #d0d5dd; --ink: #101828; --link: #175cd3; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0 auto; padding: 24px; max-width: 1280px; }
a { color: var(--link); }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
h2 a.top { float: right; font-size: 12px; font-weight: normal; }
h2 { overflow-wrap: break-word; }  /* only a name longer than the line breaks */
.verdict { border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
.verdict.bad { background: var(--bad-bg); border: 2px solid var(--bad); }
.verdict.good { background: var(--good-bg); border: 2px solid var(--good); }
.verdict.warn { background: var(--warn-bg); border: 2px solid var(--warn); }
.verdict p { margin: 0; }
nav.toc { margin: 8px 0 0; }
nav.toc a { margin-right: 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--muted-bg); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.msg { white-space: pre-wrap; overflow-wrap: break-word; }
.rule { display: inline-block; min-width: 14em; }
code, .mono, td.m { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px;
  overflow-wrap: normal; word-break: normal; }
.nowrap, td.id { white-space: nowrap; }
.b { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
  font-weight: 600; white-space: nowrap; border: 1px solid; }
.b.bad, td.bad { background: var(--bad-bg); color: var(--bad); }
.b.good, td.good { background: var(--good-bg); color: var(--good); }
.b.warn, td.warn { background: var(--warn-bg); color: var(--warn); }
.b.muted, td.muted { background: var(--muted-bg); color: var(--muted); }
td.bad, td.good, td.warn, td.muted { font-weight: 600; white-space: nowrap; }
table.ctl strong { color: var(--bad); }
table.ctl em { color: var(--warn); font-weight: 600; font-style: normal; }
table.ctl i { color: var(--muted); }
.note { color: var(--muted); font-size: 12.5px; margin: 2px 0 8px; }
table.heat { width: auto; }
table.heat td { min-width: 72px; text-align: center; font-size: 15px; font-weight: 600; }
table.heat td.zero { color: var(--muted); font-weight: normal; background: #fff; }
.h0 { background: #d1fadf; } .h1 { background: #fef0c7; } .h2 { background: #fddcab; }
.h3 { background: #fecdca; }
span.h0, span.h1, span.h2, span.h3 { padding: 0 6px; border-radius: 8px; font-weight: 600; }
.risks { display: flex; flex-wrap: wrap; gap: 8px 16px; }
figure { margin: 4px 0; overflow-x: auto; border: 1px solid var(--line); border-radius: 6px;
  padding: 6px 8px; max-width: 100%; }
figcaption { color: var(--muted); font-size: 12px; margin-bottom: 2px; }
/* Bare class selectors: a graph drawn again is a <use> clone, and a clone matches
   no selector that names an ancestor outside it. Text takes its font by inheritance. */
figure svg { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: var(--ink); }
.col { font-weight: 600; fill: var(--muted); }
.edge { fill: none; stroke-width: 1.3; opacity: .6; }
.edge.bad { stroke: var(--bad); opacity: .9; }
.edge.good { stroke: var(--good); }
.edge.warn { stroke: var(--warn); }
.edge.muted { stroke: var(--muted); opacity: .4; }
.sep { stroke: var(--line); stroke-dasharray: 2 4; }
.node rect { stroke-width: 1.2; }
.node.bad rect { fill: var(--bad-bg); stroke: var(--bad); }
.node.good rect { fill: var(--good-bg); stroke: var(--good); }
.node.warn rect { fill: var(--warn-bg); stroke: var(--warn); }
.node.muted rect { fill: var(--muted-bg); stroke: var(--line); }
details > summary { cursor: pointer; color: var(--link); margin: 6px 0; }
ul.results { margin: 4px 0; padding-left: 18px; }
table.ctl td:first-child, table.rsk td:first-child, table.ctl.traced td:nth-child(3) {
  white-space: nowrap; }
table.ovr td:first-child, table.ovr td:last-child { font-family: ui-monospace,
  "DejaVu Sans Mono", monospace; font-size: 12.5px; }
table.ovr td { white-space: nowrap; }
/* A name longer than 40em (a hostile one) wraps inside its cell, a shorter one never. */
table.ovr td:first-child a { display: inline-block; width: max-content; max-width: 40em;
  white-space: normal; overflow-wrap: anywhere; }
table.ovr td:last-child { white-space: normal; }
section.model:target > h2 { background: var(--muted-bg); }
table.ctl td:first-child, table.ctl td:nth-child(n+3) { font-family: ui-monospace,
  "DejaVu Sans Mono", monospace; font-size: 12.5px; }
p.sat .mono { line-height: 1.7; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { details { display: block; } details > summary { display: none; }
  figure { overflow: visible; } section.model { break-before: page; } }
"""

# default-src 'none' forbids every fetch: images, fonts, scripts, frames, connections.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render(report: Report, **_: Any) -> str:
    models = failures_first(report.models)
    anchors = model_anchors(models)
    graphs = Graphs()
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
        '<body id="top">',
        _verdict(report),
        _facts(report),
        _contents(report),
        _heat_map(report),
        _coverage(report),
        _overview(report, models, anchors),
        *(_model(report, m, anchors[i], graphs) for i, m in enumerate(models)),
        _register(report),
        _controls(report),
        _rules(report),
        _waivers(report),
        _policies(report),
        f"<footer>policygate {_e(report.version)} · evaluated as of {_e(report.now)} · "
        f"{_e(summary_line(report))}</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


# --------------------------------------------------------------------------- helpers


def _e(value: object) -> str:
    """Text and attribute values, escaped; control, bidirectional and other format
    characters written as their escapes (:mod:`.inert`): a name holding U+202E
    would otherwise reorder what the page shows after it, and a control character
    is an HTML parse error. Tabs and line breaks stay."""
    return escape(inert(value, keep="\t\n\r"), quote=True)


_BREAK_AFTER = re.compile(r"([/:])(?=.)")


def breakable_id(text: str) -> str:
    """An id (rule, control, model) escaped, that a line may break after ``/`` or
    ``:`` (and after ``-``, where the browser itself may), never mid-word: the
    CSS keeps ``overflow-wrap`` and ``word-break`` normal for ids. ``<wbr/>``, not
    ``<wbr>``: an HTML 4 parser (libxml2's, lxml's) knows no void ``wbr`` and
    would nest what follows inside it."""
    return _BREAK_AFTER.sub(r"\1<wbr/>", _e(text))


def _badge(status: str, text: str | None = None) -> str:
    css = STATUS_CLASS.get(status, "muted")
    return f'<span class="b {css}">{_e(text or status)}</span>'


def _cell(status: str, *, close: bool = True) -> str:
    """A table cell holding a status word, coloured by it."""
    return f'<td class="{STATUS_CLASS.get(status, "muted")}">{_e(status)}' + (
        "</td>" if close else ""
    )


def _whole_ids(ids: Iterable[str]) -> str:
    """Ids a line breaks between, never inside (not even after a hyphen): for the
    tables written once per report, where the bytes of a span per id do not count."""
    return ", ".join(f'<span class="nowrap">{_e(i)}</span>' for i in ids)


_SLUG = re.compile(r"[^a-z0-9._-]+")


def model_anchors(models: Sequence[ModelReport]) -> list[str]:
    """A fragment id per model, ``model-<name>-<version>``: only ASCII letters,
    digits, ``.``, ``_`` and ``-`` whatever the name holds, unique in the page
    (a repeat gets ``-2``, ``-3``...)."""
    used: set[str] = set()
    anchors = []
    for model in models:
        slug = _SLUG.sub("-", model.ref.lower()).strip("-.")[:80] or "model"
        anchor = f"model-{slug}"
        n = 1
        while anchor in used:
            n += 1
            anchor = f"model-{slug}-{n}"
        used.add(anchor)
        anchors.append(anchor)
    return anchors


def _risk_anchor(risk_id: str) -> str:
    """``risk-<id>``, one per id: risk ids are case-sensitive (``R-1`` and ``r-1``
    are two risks), so the case is kept, and any character but an ASCII letter,
    digit, ``_`` or ``-`` is written ``.<hex>.``."""
    return "risk-" + "".join(
        c if c.isascii() and (c.isalnum() or c in "_-") else f".{ord(c):x}." for c in risk_id
    )


def _verdict_word(report: Report) -> str:
    if report.nothing_evaluated:
        return "NOTHING EVALUATED"
    return "PASSED" if report.passed else "FAILED"


def _title(report: Report) -> str:
    return f"policygate report: {_verdict_word(report)} ({report.now})"


def _applied(model: ModelReport) -> set[str]:
    """The policies whose rules count for the model: those that apply, and those
    whose applicability could not be decided (their rules errored: fail closed)."""
    return {p.name for p in model.policies if p.applicable is not False}


def _rule_states(model: ModelReport) -> dict[str, Status]:
    """Each rule's worst result for the model."""
    worst: dict[str, Status] = {}
    for result in model.results:
        current = worst.get(result.rule_ref)
        if current is None or RESULT_ORDER[result.status] < RESULT_ORDER[current]:
            worst[result.rule_ref] = result.status
    return worst


def _evidence(model: ModelReport, control: ControlStatus) -> list[str]:
    """The rules giving evidence for a control, of the policies that applied."""
    applied = _applied(model)
    return [r for r in control.rules if r.partition("/")[0] in applied]


def _scale(report: Report) -> tuple[str, ...]:
    return tuple(getattr(report, "rating_scale", ()) or ())


def _rating(rating: str, scale: Sequence[str]) -> str:
    """A rating as a coloured label (the colour by its place on the scale)."""
    if not rating:
        return '<span class="muted">unrated</span>'
    return f'<span class="{_heat_class(rating, scale)}">{_e(rating)}</span>'


def _rating_cell(rating: str, scale: Sequence[str]) -> str:
    """A table cell (its end tag left out) holding a rating, coloured by it."""
    if not rating:
        return '<td class="muted">unrated'
    return f'<td class="{_heat_class(rating, scale)}">{_e(rating)}'


def _heat_class(rating: str, scale: Sequence[str]) -> str:
    if rating not in scale or len(scale) < 2:
        return "h0"
    return f"h{round(scale.index(rating) * 3 / (len(scale) - 1))}"


def _worst_residual(model: ModelReport, scale: Sequence[str]) -> str:
    rated = [r.residual for r in model.risks or () if r.residual in scale]
    return max(rated, key=scale.index) if rated else ""


# --------------------------------------------------------------------------- summary


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


def _contents(report: Report) -> str:
    links = [("models", "Models")]
    if report.risk_registers is not None:
        links = [("heat-map", "Residual risk"), *links, ("register", "Risk register")]
    if any(m.controls for m in report.models):
        links.insert(-1 if report.risk_registers is not None else 0, ("coverage", "Coverage"))
        links.append(("controls", "Controls"))
    links += [("rules", "Rules"), ("waivers", "Waivers"), ("policies", "Policies")]
    items = "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in links)
    return f'<nav class="toc" aria-label="Contents">{items}</nav>'


def _heat_map(report: Report) -> str:
    """Inherent (rows, highest first) × residual (columns, lowest first): how many
    (model, risk) pairs are in each cell."""
    if report.risk_registers is None:
        return ""
    from ..graph.rating import heat_map

    heat = heat_map(report)
    scale = heat.scale
    head = "".join(f'<th class="n" scope="col">{_e(r)}</th>' for r in scale)
    rows = []
    for i in reversed(range(len(scale))):
        cells = []
        for j, residual in enumerate(scale):
            count = heat.counts[i][j]
            css = _heat_class(residual, scale) if count else "zero"
            label = f"{scale[i]} inherent, {residual} residual: {count}"
            cells.append(f'<td class="{css}" title="{_e(label)}">{count}</td>')
        rows.append(
            f'<tr><th scope="row">{_e(scale[i])}</th>{"".join(cells)}'
            f'<td class="n zero">{sum(heat.counts[i])}</td></tr>'
        )
    unrated = (
        f" {heat.unrated} pair{'s' if heat.unrated != 1 else ''} with an unrated risk "
        "are not in the map."
        if heat.unrated
        else ""
    )
    return (
        '<section id="heat-map"><h2>Residual risk</h2>'
        f'<p class="note">Every (model, risk) pair of the report, {heat.total} in all, '
        "counted by its inherent rating (likelihood × impact: the row) and its residual "
        "rating for that model (the column): a risk whose controls are all satisfied moves "
        f"left of its inherent rating; anything else keeps it there.{_e(unrated)}</p>"
        '<table class="heat"><thead><tr><th>Inherent ↓ · residual →</th>'
        f'{head}<th class="n">Total</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</section>"
    )


def _framework(control: ControlStatus) -> str:
    return control.framework or control.id.partition(":")[0]


def _control_tally(report: Report) -> dict[str, dict[str, int]]:
    """Per control: how many models it is in each state for."""
    tally: dict[str, dict[str, int]] = {}
    for model in report.models:
        for control in model.controls:
            counts = tally.setdefault(control.id, {})
            counts[control.status.value] = counts.get(control.status.value, 0) + 1
    return tally


def _across_models(counts: Mapping[str, int]) -> str:
    """A control's state over the report: its worst state for any model."""
    return min(counts, key=lambda s: CONTROL_ORDER.get(s, 9))


def _catalog_sizes() -> dict[str, int]:
    from ..graph.catalogs import shipped_catalogs

    sizes: dict[str, int] = {}
    for catalog in shipped_catalogs():
        sizes[catalog.framework] = sizes.get(catalog.framework, 0) + len(catalog.controls)
    return sizes


def _coverage(report: Report) -> str:
    tally = _control_tally(report)
    if not tally:
        return ""
    sizes = _catalog_sizes()
    by_framework: dict[str, dict[str, int]] = {}
    for model in report.models:
        for control in model.controls:
            by_framework.setdefault(_framework(control), {})
    seen: dict[str, set[str]] = {}
    for model in report.models:
        for control in model.controls:
            seen.setdefault(_framework(control), set()).add(control.id)
    rows = []
    for framework in sorted(seen):
        states = {"satisfied": 0, "violated": 0, "waived": 0, "unverified": 0}
        for control_id in seen[framework]:
            states[_across_models(tally[control_id])] += 1
        total = max(sizes.get(framework, 0), len(seen[framework]))
        known = framework in sizes
        none = total - len(seen[framework])
        cells = "".join(
            f'<td class="n">{n}</td>'
            for n in (
                states["satisfied"],
                states["violated"],
                states["waived"],
                states["unverified"],
            )
        )
        rows.append(
            f'<tr><td class="m">{_e(framework)}</td><td class="n">{total}'
            f'{"" if known else " (seen)"}</td>{cells}<td class="n">{none}</td></tr>'
        )
    return (
        '<section id="coverage"><h2>Coverage per framework</h2>'
        '<p class="note">A control counts as satisfied when it is satisfied for every model '
        "that has evidence for it, violated when it is violated for at least one, waived or "
        "unverified likewise; no evidence: no rule and no risk of this report names it. "
        'Each control\'s title and counts per model are under <a href="#controls">Controls</a>.'
        '</p><table><thead><tr><th>Framework</th><th class="n">Controls in catalog</th>'
        '<th class="n">Satisfied</th><th class="n">Violated</th><th class="n">Waived</th>'
        '<th class="n">Unverified</th><th class="n">No evidence</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _failed_rules(model: ModelReport) -> list[str]:
    return list(
        dict.fromkeys(r.rule_ref for r in model.results if r.status in (Status.FAIL, Status.ERROR))
    )


def _overview(report: Report, models: Sequence[ModelReport], anchors: Sequence[str]) -> str:
    scale = _scale(report)
    risked = report.risk_registers is not None
    rows = []
    for model, anchor in zip(models, anchors, strict=True):
        counts = model.counts()
        tally = " · ".join(f"{n} {s}" for s, n in counts.items() if n)
        failed = _failed_rules(model)
        shown = ", ".join(breakable_id(r) for r in failed[:4])
        if len(failed) > 4:
            shown += f" and {len(failed) - 4} more"
        residual = ""
        if risked:
            residual = (
                _rating_cell(_worst_residual(model, scale), scale)
                if model.risks
                else '<td class="muted">no risk'
            )
        rows.append(
            f'<tr><td><a href="#{anchor}">{_e(model.ref)}</a>'
            f"{_cell('passed' if model.passed else 'failed', close=False)}"
            f"{residual}<td>{_e(tally)}<td>{shown}"
        )
    residual_head = "<th>Worst residual</th>" if risked else ""
    return (
        f'<section id="models"><h2>Models ({len(models)})</h2>'
        '<p class="note">Failed models first. A model\'s name leads to its section.</p>'
        '<table class="ovr"><thead><tr><th>Model</th><th>Verdict</th>'
        f"{residual_head}<th>Results</th><th>Failed rules</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        "</section>"
    )


# --------------------------------------------------------------------------- one model


def _model(report: Report, model: ModelReport, anchor: str, graphs: Graphs) -> str:
    verdict = "passed" if model.passed else "failed"
    attention = by_attention(r for r in model.results if needs_attention(r))
    parts = [
        f'<section class="model" id="{anchor}">',
        f"<h2>{_badge(verdict, verdict.upper())} {breakable_id(model.ref)}"
        '<a class="top" href="#top">↑ summary</a></h2>',
        f'<p>Source: <span class="mono">{_e(model.source)}</span>',
    ]
    for applicable, label in ((True, "apply"), (None, "undecided"), (False, "do not apply")):
        names = [p.name for p in model.policies if p.applicable is applicable]
        if names:
            parts.append(f" · Policies that {label}: {_e(', '.join(names))}")
    parts.append("</p>")
    parts.append("<h3>Findings</h3>")
    if attention:
        parts.append(_findings(attention))
    else:
        parts.append("<p>No failure, error or waiver: every evaluated rule passed.</p>")
    if model.risks:
        parts.append(_model_risks(report, model, graphs))
    elif model.risks is not None:
        parts.append("<h3>Risks</h3><p>No risk of the register applies to this model.</p>")
    else:
        parts.append(_framework_graphs(model, graphs))
    parts.append(_model_controls(model))
    parts.append(_all_results(model))
    parts.append("</section>")
    return "\n".join(parts)


def _findings(results: list[Result]) -> str:
    rows = []
    for result in results:
        finding = result.message or result.title or ""
        if result.waiver is not None:
            finding += "\n" + _waiver_note(result.waiver)
        fix = result.remediation if result.status in (Status.FAIL, Status.ERROR) else ""
        rows.append(
            f"<tr>{_cell(result.status.value, close=False)}"
            f'<td><span class="mono rule">{breakable_id(result_label(result))}</span>'
            f'<td>{_e(result.severity)}<td class="msg">{_e(finding)}<td>{_e(fix)}'
        )
    return (
        "<table><thead><tr><th>Status</th><th>Rule</th><th>Severity</th><th>Finding</th>"
        f"<th>Fix</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _waiver_note(waiver: WaiverUse) -> str:
    state = "expired" if waiver.expired else "until"
    return f"waiver {waiver.name} ({state} {waiver.expires_at}, approved by {waiver.approved_by})"


def _control_nodes(
    model: ModelReport, control_ids: Iterable[str], states: Mapping[str, Status]
) -> tuple[list[Node], dict[str, list[Node]]]:
    """The nodes of controls (worst first) and of the rules giving evidence for each."""
    by_id = {c.id: c for c in model.controls}
    nodes = []
    evidence: dict[str, list[Node]] = {}
    for control_id in control_ids:
        control = by_id.get(control_id)
        status = control.status.value if control else "unverified"
        nodes.append(Node(control_id, status))
        rules = _evidence(model, control) if control else []
        evidence[control_id] = [
            Node(ref, states[ref].value if ref in states else "skip") for ref in rules
        ]
    nodes.sort(key=lambda n: (CONTROL_ORDER.get(n.status, 9), n.label))
    return nodes, evidence


def _model_risks(report: Report, model: ModelReport, graphs: Graphs) -> str:
    scale = _scale(report)
    states = _rule_states(model)
    rows = []
    groups: list[tuple[Node, list[Node], dict[str, list[Node]]]] = []
    for risk in model.risks or ():
        nodes, evidence = _control_nodes(model, risk.controls, states)
        worst = nodes[0].status if nodes else "unverified"
        held = sum(1 for n in nodes if n.status == "satisfied")
        rows.append(
            f'<tr><td><a href="#{_risk_anchor(risk.id)}">{_e(risk.id)}</a>'
            f"{_rating_cell(risk.inherent, scale)}{_rating_cell(risk.residual, scale)}"
            f'<td class="{STATUS_CLASS.get(worst, "muted")}">{held} of {len(nodes)} satisfied'
            f"<td>{_e(', '.join(risk.via))}"
        )
        ratings = f"inherent {risk.inherent or 'unrated'}, residual {risk.residual or 'unrated'}"
        root = Node(risk.id, worst, f"{risk.id} {risk.title}: {ratings}")
        groups.append((root, nodes, evidence))
    return (
        '<h3>Risks</h3><table class="rsk"><thead><tr><th>Risk</th><th>Inherent</th>'
        "<th>Residual</th><th>Controls it calls for</th><th>Applies through</th></tr></thead>"
        "<tbody>" + "".join(rows) + "</tbody></table>" + _graphs(model, "Risk", groups, graphs)
    )


def _graphs(
    model: ModelReport,
    heading: str,
    groups: Sequence[tuple[Node, list[Node], dict[str, list[Node]]]],
    graphs: Graphs,
    *,
    tables: bool = True,
) -> str:
    """One graph per group (a risk, or a framework), stacked in one figure; a
    group too big to follow as a graph is a table instead (or, without
    ``tables``, left to the control table, which says it all)."""
    drawn = []
    shown = []
    for root, nodes, evidence in groups:
        if fits([n.label for n in nodes], evidence):
            drawn.append(evidence_graph(root, heading, nodes, evidence))
        elif tables:
            shown.append(
                f"<figure><figcaption>{_e(root.label)}: {len(nodes)} controls, too many "
                "to draw</figcaption>" + _evidence_table(nodes, evidence) + "</figure>"
            )
    figure = ""
    if drawn:
        label = f"{heading} graphs of {model.ref}: " + ", ".join(r.label for r, _, _ in groups)
        figure = f"<figure>{graphs.svg(drawn, label)}</figure>"
    return figure + "".join(shown)


def _evidence_table(nodes: Sequence[Node], evidence: Mapping[str, Sequence[Node]]) -> str:
    rows = "".join(
        f"<tr><td>{_e(n.label)}{_cell(n.status, close=False)}"
        f"<td>{_rule_list(evidence.get(n.label, ()))}"
        for n in nodes
    )
    return (
        '<table class="ctl"><thead><tr><th>Control</th><th>Status</th><th>Evidence (rules)</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _framework_graphs(model: ModelReport, graphs: Graphs) -> str:
    """Without a risk register: per framework, a graph of the controls that are
    not satisfied and their rules (the control table below has them all)."""
    states = _rule_states(model)
    by_framework: dict[str, list[str]] = {}
    for control in model.controls:
        if control.status.value != "satisfied":
            by_framework.setdefault(_framework(control), []).append(control.id)
    groups = []
    for framework, ids in sorted(by_framework.items()):
        nodes, evidence = _control_nodes(model, ids, states)
        groups.append((Node(framework, nodes[0].status, framework), nodes, evidence))
    if not groups:
        return ""
    return "<h3>Controls not satisfied</h3>" + _graphs(
        model, "Framework", groups, graphs, tables=False
    )


# How an evidence list marks a rule that did not pass (short tags: the lists repeat
# in every model's section): failed or errored, waived, skipped.
_MARK = {"bad": "strong", "warn": "em", "muted": "i"}


def _rule_list(rules: Iterable[Node], *, whole: bool = False) -> str:
    """Rule ids grouped by policy (``policy/ a, b``), a rule that did not pass
    marked; ``whole``: each id unbroken (see :func:`_whole_ids`)."""
    by_policy: dict[str, list[str]] = {}
    for rule in rules:
        policy, _, name = rule.label.partition("/")
        text = _e(name)
        tag = _MARK.get(STATUS_CLASS.get(rule.status, "muted"))
        if tag:
            text = f"<{tag}>{text}</{tag}>"
        if whole:
            text = f'<span class="nowrap">{text}</span>'
        by_policy.setdefault(policy, []).append(text)
    return "<br>".join(f"{_e(p)}/ {', '.join(names)}" for p, names in by_policy.items())


def _model_controls(model: ModelReport) -> str:
    """Every control's state; the evidence of each that is not satisfied (why it
    is not), and the ids of the satisfied ones (every rule of the policies that
    apply and give evidence for it passed or was skipped: which rules those are
    is under Controls, once for the report)."""
    if not model.controls:
        return "<h3>Control status</h3><p>No rule of this model names a control.</p>"
    states = _rule_states(model)
    items = sorted(model.controls, key=lambda c: (CONTROL_ORDER.get(c.status.value, 9), c.id))
    traced = any(c.risks is not None for c in items)  # evaluated with a risk register
    tally: dict[str, int] = {}
    rows = []
    satisfied = []
    for item in items:
        status = item.status.value
        tally[status] = tally.get(status, 0) + 1
        if status == "satisfied":
            satisfied.append(item)
            continue
        rules = [
            Node(r, states[r].value if r in states else "skip") for r in _evidence(model, item)
        ]
        called = f"<td>{'<br>'.join(_e(r) for r in item.risks or ())}" if traced else ""
        rows.append(
            f"<tr><td>{_e(item.id)}{_cell(status, close=False)}{called}<td>{_rule_list(rules)}"
        )
    counts = " · ".join(
        f"{_badge(status)} {n}"
        for status, n in sorted(tally.items(), key=lambda kv: CONTROL_ORDER.get(kv[0], 9))
    )
    parts = [f"<h3>Control status</h3><p>{counts}</p>"]
    if rows:
        called_head = "<th>Called for by</th>" if traced else ""
        parts.append(
            f'<table class="ctl{" traced" if traced else ""}"><thead><tr><th>Control</th>'
            f"<th>Status</th>{called_head}"
            "<th>Evidence (rules of the policies that apply)</th></tr>"
            "</thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
    if satisfied:
        by_framework: dict[str, list[str]] = {}
        for control in satisfied:
            by_framework.setdefault(_framework(control), []).append(control.id.partition(":")[2])
        ids = "; ".join(
            f"{_e(f)}: {', '.join(_e(c) for c in cs)}" for f, cs in by_framework.items()
        )
        parts.append(
            f'<p class="sat">{_badge("satisfied")} {len(satisfied)}: '
            f'<span class="mono">{ids}</span>'
        )
    return "".join(parts)


def _all_results(model: ModelReport) -> str:
    """How many results of each status, the skipped rules of the policies that
    apply by name, and how many rules of each policy that does not apply were
    skipped. With the findings that names every result: any other passed."""
    applied = _applied(model)
    counts = ", ".join(f"{n} {s}" for s, n in model.counts().items() if n)
    skipped: dict[str, list[str]] = {}
    elsewhere: dict[str, int] = {}
    for result in model.results:
        if result.policy not in applied:
            elsewhere[result.policy] = elsewhere.get(result.policy, 0) + 1
        elif result.status is Status.SKIP:
            names = skipped.setdefault(result.policy, [])
            if result.rule not in names:
                names.append(result.rule)
    parts = [f"<h3>Results</h3><p>{len(model.results)} results: {_e(counts)}."]
    if skipped:
        listed = "; ".join(
            f"{_e(p)}/ {', '.join(_e(r) for r in rules)}" for p, rules in skipped.items()
        )
        parts.append(f' Skipped: <span class="mono">{listed}</span>.')
    if elsewhere:
        parts.append(f" {sum(elsewhere.values())} skipped of the policies that do not apply.")
    parts.append(" Every other result passed.")
    return "".join(parts)


# --------------------------------------------------------------------------- shared


def _register(report: Report) -> str:
    if report.risk_registers is None:
        return ""
    scale = _scale(report)
    risks: dict[str, RiskUse] = {}
    applies: dict[str, int] = {}
    lowered: dict[str, int] = {}
    for model in report.models:
        for risk in model.risks or ():
            risks.setdefault(risk.id, risk)
            applies[risk.id] = applies.get(risk.id, 0) + 1
            if risk.residual != risk.inherent:
                lowered[risk.id] = lowered.get(risk.id, 0) + 1
    rows = []
    for risk_id in sorted(risks):
        risk = risks[risk_id]
        rows.append(
            f'<tr id="{_risk_anchor(risk_id)}"><td class="m id">{_e(risk_id)}</td>'
            f"<td>{_e(risk.title)}</td><td>{_e(risk.category)}</td><td>{_e(risk.likelihood)}</td>"
            f"<td>{_e(risk.impact)}</td><td>{_rating(risk.inherent, scale)}</td>"
            f"<td>{_e(risk.owner)}</td>"
            f'<td class="m">{_whole_ids(risk.controls)}</td>'
            f'<td class="n">{applies[risk_id]}</td>'
            f'<td class="n">{lowered.get(risk_id, 0)}</td></tr>'
        )
    registers = "".join(
        f'<tr><td>{_e(r.name)}</td><td>{_e(r.version)}</td><td class="m">{_e(r.source)}</td>'
        f'<td class="m">{_e(r.digest)}</td></tr>'
        for r in report.risk_registers
    )
    return (
        '<section id="register"><h2>Risk register</h2>'
        '<p class="note">The risks that apply to at least one model of the report. '
        "Lowered: the models for which every control it calls for is satisfied, so its residual "
        "rating is below the inherent one.</p>"
        "<table><thead><tr><th>Risk</th><th>Title</th><th>Category</th><th>Likelihood</th>"
        "<th>Impact</th><th>Inherent</th><th>Owner</th><th>Controls it calls for</th>"
        '<th class="n">Models</th><th class="n">Lowered</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
        + "<h3>Registers</h3><table><thead><tr><th>Register</th><th>Version</th><th>Source</th>"
        "<th>Digest</th></tr></thead><tbody>" + registers + "</tbody></table></section>"
    )


def _controls(report: Report) -> str:
    tally = _control_tally(report)
    if not tally:
        return ""
    first: dict[str, ControlStatus] = {}
    rules: dict[str, set[str]] = {}
    for model in report.models:
        for control in model.controls:
            first.setdefault(control.id, control)
            rules.setdefault(control.id, set()).update(control.rules)
    titled = any(c.title for c in first.values())
    rows = []
    for control_id in sorted(first, key=lambda c: (_framework(first[c]), c)):
        counts = tally[control_id]
        evidence = sorted(rules[control_id])
        title = f"<td>{_e(first[control_id].title or '')}</td>" if titled else ""
        numbers = "".join(
            f'<td class="n">{counts.get(s, 0)}</td>'
            for s in ("violated", "unverified", "waived", "satisfied")
        )
        rows.append(
            f'<tr><td class="m id">{_e(control_id)}</td>{title}{_cell(_across_models(counts))}'
            f'{numbers}<td class="m">{_rule_list((Node(r, "pass") for r in evidence), whole=True)}'
            "</td></tr>"
        )
    title_head = "<th>Title</th>" if titled else ""
    return (
        '<section id="controls"><h2>Controls</h2>'
        '<p class="note">Every control a rule or a risk of this report names: its state over '
        "the report (the worst for any model), how many models it is in each state for, and "
        "every rule that can give evidence for it.</p>"
        f"<table><thead><tr><th>Control</th>{title_head}<th>Over the report</th>"
        '<th class="n">Violated</th><th class="n">Unverified</th><th class="n">Waived</th>'
        '<th class="n">Satisfied</th><th>Rules</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _rules(report: Report) -> str:
    first: dict[str, Result] = {}
    counts: dict[str, dict[Status, int]] = {}
    for model in report.models:
        for result in model.results:
            first.setdefault(result.rule_ref, result)
            by = counts.setdefault(result.rule_ref, {})
            by[result.status] = by.get(result.status, 0) + 1
    if not first:
        return '<section id="rules"><h2>Rules</h2><p>No rule was evaluated.</p></section>'
    rows = []
    for ref in sorted(first):
        result = first[ref]
        by = counts[ref]
        numbers = "".join(f'<td class="n">{by.get(s, 0)}</td>' for s in RESULT_ORDER)
        rows.append(
            f'<tr><td class="m">{breakable_id(ref)}</td><td>{_e(result.title)}</td>'
            f"<td>{_e(result.severity)}</td>{numbers}"
            f'<td class="m">{_whole_ids(result.controls)}</td>'
            f"<td>{_e(result.remediation)}</td></tr>"
        )
    heads = "".join(f'<th class="n">{_e(s.value)}</th>' for s in RESULT_ORDER)
    return (
        '<section id="rules"><h2>Rules</h2>'
        '<p class="note">Every rule evaluated, with its results over all models (a rule with '
        "<code>for_each</code> has one per item).</p>"
        f"<table><thead><tr><th>Rule</th><th>Title</th><th>Severity</th>{heads}"
        "<th>Controls</th><th>Fix</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
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
            f'<tr><td class="m">{_e(name)}</td><td>{state}</td><td>{_e(waiver.expires_at)}</td>'
            f"<td>{_e(waiver.approved_by)}</td><td>{_e(waiver.justification)}</td>"
            f'<td class="m">{"<br>".join(breakable_id(c) for c in covered)}</td></tr>'
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
            f'<td class="m">{_e(policy.source)}</td><td class="m">{_e(policy.digest)}</td>'
            f'<td class="m">{_e(params_text)}</td></tr>'
        )
    return (
        '<section id="policies"><h2>Policies</h2><table><thead><tr><th>Policy</th><th>Version</th>'
        "<th>Source</th><th>Digest</th><th>Parameters</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )
