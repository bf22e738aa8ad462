"""``policygate catalog list``: the controls policies and risk registers may name."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..errors import ErrorGroup, UsageError
from ..graph.catalogs import all_catalogs, check_catalogs, load_catalogs
from ..graph.render import catalogs_json, catalogs_text
from .common import catalog_option, format_option, handle_errors


@click.group()
def catalog() -> None:
    """Control catalogs: the shipped ones and your own (--catalog)."""


@catalog.command(name="list")
@click.option("--framework", metavar="NAME", help="Only this framework (eu-ai-act, ...).")
@catalog_option("Extra control catalog besides the shipped ones.")
@format_option(["text", "json"], "Output format.")
@handle_errors
def list_controls(framework: str | None, catalogs: Sequence[str], fmt: str) -> None:
    """List the controls of every catalog (id, title and maps_to)."""
    loaded = all_catalogs(load_catalogs(catalogs) if catalogs else ())
    errors = check_catalogs(loaded)
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    if framework is not None:
        known = sorted({c.framework for c in loaded})
        loaded = [c for c in loaded if c.framework == framework]
        if not loaded:
            raise UsageError(f"unknown framework {framework!r} (known: {', '.join(known)})")
    click.echo(catalogs_json(loaded) if fmt == "json" else catalogs_text(loaded), nl=False)
