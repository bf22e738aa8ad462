"""Text and JSON for the answers of :mod:`.queries` and for catalog listings.

Pure functions from values to strings; the CLI prints them. JSON is indented,
keeps the values' own key order and ends with a newline, so the same inputs
give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..formats.inert import inert
from .build import CONTROL, MODEL, RISK
from .catalogs import ControlCatalog
from .queries import STATES, Coverage, Gaps, Impact


def to_json(value: Any) -> str:
    data = value.to_dict() if hasattr(value, "to_dict") else value
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def gaps_text(gaps: Gaps) -> str:
    lines = [f"risks with no control ({len(gaps.risks_without_controls)})"]
    for risk in gaps.risks_without_controls:
        lines.append(f"  {risk.risk}  {risk.title}  {risk.source}".rstrip())
    unevidenced = gaps.controls_without_evidence
    lines.append(f"controls called for that no rule gives evidence for ({len(unevidenced)})")
    for control in gaps.controls_without_evidence:
        lines.append(
            f"  {control.control}  {control.title}  (called for by {', '.join(control.risks)})"
        )
    lines.append(f"models with risks outside the register ({len(gaps.models_with_unknown_risks)})")
    for model in gaps.models_with_unknown_risks:
        lines.append(f"  {model.model}  {', '.join(model.risks)}  {model.source}".rstrip())
    return _inert_lines(lines)


def impact_text(impact: Impact) -> str:
    total = sum(len(ids) for ids in impact.affected.values())
    lines = [f"{impact.node} reaches {total} node{'s' if total != 1 else ''}"]
    for kind, heading in ((MODEL, "models"), (RISK, "risks"), (CONTROL, "controls")):
        ids = impact.affected.get(kind, ())
        lines.append(f"  {heading} ({len(ids)}): {', '.join(ids) if ids else '-'}")
    return _inert_lines(lines)


def coverage_text(coverage: Coverage) -> str:
    """A summary line, a table of every control, then where evidence fails or is missing."""
    summary = coverage.summary()
    head = f"{coverage.framework}: {coverage.title}" if coverage.title else coverage.framework
    lines = [
        head,
        f"{summary['controls']} controls · {summary['called_for']} called for by a risk · "
        f"{summary['evidenced']} evidenced by a rule · {summary['violated']} violated · "
        f"{summary['unverified']} unverified",
        "",
    ]
    header = ["CONTROL", "RULES", *(s.value.upper() for s in STATES), "CALLED FOR BY", "TITLE"]
    rows = [
        [
            control.id.partition(":")[2],
            str(len(control.rules)),
            *(str(len(control.models.get(s.value, ()))) for s in STATES),
            ", ".join(control.called_for_by) or "-",
            control.title,
        ]
        for control in coverage.controls
    ]
    lines.extend(_table(header, rows, numeric=range(1, 2 + len(STATES))))
    for state, heading in (
        ("violated", "violated (an evidencing rule failed or errored, unwaived)"),
        ("unverified", "unverified (no evaluated rule gives evidence)"),
    ):
        found = [c for c in coverage.controls if c.models.get(state)]
        if found:
            lines.extend(["", f"{heading}:"])
            for control in found:
                models = ", ".join(control.models[state])
                lines.append(f"  {control.id.partition(':')[2]}  {control.title}: {models}")
    return _inert_lines(lines)


def _inert_lines(lines: Sequence[str]) -> str:
    """The lines, each with what a record wrote made inert for a terminal or a CI log
    (model names, the risk ids a record names, file names): one line stays one line."""
    return "".join(inert(line) + "\n" for line in lines)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: range) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
    return out


def catalogs_text(catalogs: Sequence[ControlCatalog]) -> str:
    lines: list[str] = []
    for catalog in catalogs:
        if lines:
            lines.append("")
        version = f" ({catalog.version})" if catalog.version else ""
        count = len(catalog.controls)
        lines.append(
            f"{catalog.framework}: {catalog.title or catalog.name}{version}, {count} controls"
        )
        width = max((len(c.id) for c in catalog.controls), default=0)
        for control in catalog.controls:
            mapped = f"  -> {', '.join(control.maps_to)}" if control.maps_to else ""
            lines.append(f"  {control.id:<{width}}  {control.title}{mapped}")
    return "\n".join(lines) + "\n"


def catalogs_json(catalogs: Sequence[ControlCatalog]) -> str:
    return to_json(
        [
            {
                "framework": catalog.framework,
                "name": catalog.name,
                "title": catalog.title,
                "version": catalog.version,
                "source": catalog.source,
                "controls": [
                    {
                        "id": control.id,
                        "title": control.title,
                        "description": control.description,
                        "maps_to": list(control.maps_to),
                        **({"parent": control.parent} if control.parent else {}),
                    }
                    for control in catalog.controls
                ],
            }
            for catalog in catalogs
        ]
    )
