"""``policygate docs annex-iv MODEL -p POLICY... [--risk-register PATH]... [-o DIR]``:
the Annex IV technical documentation draft of each model, as Markdown and as
self-contained HTML (docs/annex-iv.md).

Exit 0 the drafts were written and no mandatory section is missing, 1 a
section is missing (the drafts are still written, saying what is missing),
2 a usage or load error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from ..errors import NothingEvaluatedError
from ..evaluate import evaluate
from ..files import write_atomic
from ..models import load_models
from ..policy import load_policies, parse_param
from ..waivers import load_waivers
from .common import (
    catalog_option,
    handle_errors,
    input_option,
    now_option,
    param_option,
    policy_option,
    set_option,
    waivers_option,
    with_record_defaults,
)


@click.group()
def docs() -> None:
    """Regulatory documents drafted from model records and their evaluation."""


@docs.command(name="annex-iv", short_help="The EU AI Act Annex IV technical file.")
@click.argument("model", metavar="MODEL")
@policy_option("Policy file or directory (repeatable): the gate results the file reports.")
@click.option("--risk-register", "risk_registers", multiple=True, metavar="PATH",
              help="Risk register (kind: RiskRegister): the risks of section 5.")  # fmt: skip
@catalog_option()
@waivers_option()
@input_option()
@param_option()
@set_option("Supply a record field the source lacks (PATH=VALUE, repeatable).")
@now_option()
@click.option("-o", "--output", "directory", default=".", show_default=True, metavar="DIR",
              help="Directory the drafts are written to.")  # fmt: skip
@handle_errors
def annex_iv(
    model: str,
    policies: Sequence[str],
    risk_registers: Sequence[str],
    catalogs: Sequence[str],
    waivers: Sequence[str],
    inputs: Sequence[str],
    params: Sequence[str],
    assignments: Sequence[str],
    now: str | None,
    directory: str,
) -> None:
    """Write MODEL's Annex IV technical documentation draft (Markdown and HTML)."""
    from ..annex_iv import render_html, render_markdown, technical_file
    from ..api import load_inputs
    from ..graph.catalogs import load_catalogs, verify_control_ids

    records = with_record_defaults(load_models([model]), assignments)
    if not records:
        raise NothingEvaluatedError(f"no model found in {model}")
    loaded = load_policies(policies, params=dict(parse_param(p) for p in params))
    extra = load_catalogs(catalogs) if catalogs else []
    risk_graph = None
    if risk_registers:
        from ..graph.build import load_risk_graph

        risk_graph = load_risk_graph(risk_registers, loaded, extra_catalogs=extra, records=records)
    else:
        verify_control_ids(loaded, extra)  # as check: an unknown control id is a load error
    report = evaluate(
        records,
        loaded,
        now=now,
        waivers=load_waivers(waivers) if waivers else (),
        inputs=load_inputs(inputs),
        risk_graph=risk_graph,
    )
    os.makedirs(directory, exist_ok=True)
    missing = False
    for record, evaluated in zip(records, report.models, strict=True):
        tf = technical_file(record, evaluated)
        stem = os.path.join(directory, file_stem(tf.ref))
        write_atomic(stem + ".md", render_markdown(tf))
        write_atomic(stem + ".html", render_html(tf))
        counts = tf.counts()
        missing = missing or counts["missing"] > 0
        click.echo(
            f"{tf.ref}: {counts['complete']} complete, {counts['partial']} partial, "
            f"{counts['missing']} missing: {stem}.md, {stem}.html"
        )
    sys.exit(1 if missing else 0)


def file_stem(ref: str) -> str:
    """A file name from a model's name@version, which the record controls: only
    letters, digits, ``.``, ``_`` and ``-``, never a path or a hidden file."""
    kept: list[str] = []
    for char in ref.replace("@", "-"):
        if char.isascii() and (char.isalnum() or char in "._-"):
            kept.append(char)
        elif not kept or kept[-1] != "_":  # a run of other characters is one "_"
            kept.append("_")
    safe = "".join(kept).lstrip(".") or "model"
    return safe[:120] + "-annex-iv"
