"""``policygate catalog list``: the controls policies and risk registers may name;
``policygate catalog soa``: the ISO/IEC 42001 Statement of Applicability of the
models in scope, from the graph."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ..errors import ErrorGroup, UsageError
from ..graph.catalogs import all_catalogs, check_catalogs, load_catalogs
from ..graph.render import catalogs_json, catalogs_text
from .common import format_option, handle_errors, run_options
from .graph import _inputs as graph_inputs
from .graph import _load as load_graph
from .graph import _write as write_output


@click.group()
def catalog() -> None:
    """Control catalogs: the shipped ones and your own (--catalog)."""


@catalog.command(name="list")
@click.option("--framework", metavar="NAME", help="Only this framework (eu-ai-act, ...).")
@run_options("catalogs", help={"catalogs": "Extra control catalog besides the shipped ones."})
@format_option(["text", "json"], "Output format.")
@handle_errors
def list_controls(framework: str | None, catalogs: Sequence[str], fmt: str) -> None:
    """List the controls of every catalog (id, title and maps_to)."""
    loaded = all_catalogs(load_catalogs(catalogs) if catalogs else ())
    errors = check_catalogs(loaded)
    if errors:
        raise ErrorGroup.of(errors)
    if framework is not None:
        known = sorted({c.framework for c in loaded})
        loaded = [c for c in loaded if c.framework == framework]
        if not loaded:
            raise UsageError(f"unknown framework {framework!r} (known: {', '.join(known)})")
    click.echo(catalogs_json(loaded) if fmt == "json" else catalogs_text(loaded), nl=False)


@catalog.command(name="soa", short_help="ISO/IEC 42001 Statement of Applicability.")
@graph_inputs
@format_option(["markdown", "json", "csv"], "Output format.", default="markdown")
@handle_errors
def soa(output: str | None, fmt: str, **inputs: Any) -> None:
    """The ISO/IEC 42001 Statement of Applicability of the MODELs: each Annex A
    control, whether it applies (a risk of the register calls for it, or a rule
    gives evidence for it), why, and its status from the evidence."""
    from ..graph.soa import RENDERERS, statement_of_applicability

    risk_graph, report = load_graph(**inputs)
    write_output(RENDERERS[fmt](statement_of_applicability(risk_graph, report)), output)
