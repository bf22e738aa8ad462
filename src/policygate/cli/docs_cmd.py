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
from typing import Any

import click

from ..errors import NothingEvaluatedError
from ..files import write_atomic
from ..formats.inert import inert
from ..run import evaluate
from .common import handle_errors, load, run_options, run_spec


@click.group()
def docs() -> None:
    """Regulatory documents drafted from model records and their evaluation."""


@docs.command(name="annex-iv", short_help="The EU AI Act Annex IV technical file.")
@click.argument("model", metavar="MODEL")
@run_options(required=("policies",), help={
    "policies": "Policy file or directory (repeatable): the gate results the file reports.",
    "risk_registers": "Risk register (kind: RiskRegister): the risks of section 5.",
    "set": "Supply a record field the source lacks (PATH=VALUE, repeatable)."})  # fmt: skip
@click.option("-o", "--output", "directory", default=".", show_default=True, metavar="DIR",
              help="Directory the drafts are written to.")  # fmt: skip
@handle_errors
def annex_iv(model: str, directory: str, **given: Any) -> None:
    """Write MODEL's Annex IV technical documentation draft (Markdown and HTML)."""
    from ..annex_iv import render_html, render_markdown, technical_file

    run = load(run_spec(given, models=(model,)))
    records = run.records
    if not records:
        raise NothingEvaluatedError(f"no model found in {model}")
    report = evaluate(run)
    os.makedirs(directory, exist_ok=True)
    missing = False
    used: set[str] = set()  # two records may give one file name: each gets its own
    for record, evaluated in zip(records, report.models, strict=True):
        tf = technical_file(record, evaluated)
        name, n = file_stem(tf.ref), 1
        while name.lower() in used:  # a case-insensitive file system too
            n += 1
            name = f"{file_stem(tf.ref)}-{n}"
        used.add(name.lower())
        stem = os.path.join(directory, name)
        write_atomic(stem + ".md", render_markdown(tf))
        write_atomic(stem + ".html", render_html(tf))
        counts = tf.counts()
        missing = missing or counts["missing"] > 0
        click.echo(
            f"{inert(tf.ref)}: {counts['complete']} complete, {counts['partial']} partial, "
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
