"""``policygate lint POLICY...``: static checks, compiler-style (SPEC §5).

Exit 0 clean, 1 problems found, 2 usage error (no policy found, bad option).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..files import write_atomic
from ..graph.catalogs import load_catalogs
from ..lint import FORMATS, lint_paths, render
from .common import handle_errors


@click.command()
@click.argument("policies", nargs=-1, required=True, metavar="POLICY...")
@click.option(
    "-f",
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice(list(FORMATS)),
    help="Output format.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the findings here instead of stdout.")
@click.option(
    "--catalog",
    "catalogs",
    multiple=True,
    metavar="PATH",
    help="Extra control catalog (kind: ControlCatalog) besides the shipped ones.",
)
@click.option(
    "--model-schema",
    metavar="PATH",
    help="JSON Schema of the model records, for policies that declare no model_schema "
    "(default: the shipped ModelRecord schema).",
)
@click.option(
    "--fail-on",
    default="warning",
    show_default=True,
    type=click.Choice(["warning", "error"]),
    help="Lowest level that makes lint exit 1.",
)
@click.option("--engine", metavar="NAME", help="CEL engine (default: cel-python).")
@handle_errors
def lint(
    policies: Sequence[str],
    fmt: str,
    output: str | None,
    catalogs: Sequence[str],
    model_schema: str | None,
    fail_on: str,
    engine: str | None,
) -> None:
    """Check POLICY files or directories without evaluating anything; exit 0 clean, 1 problems."""
    extra = load_catalogs(catalogs) if catalogs else []
    result = lint_paths(policies, catalogs=extra, model_schema=model_schema, engine=engine)
    text = render(result, fmt)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(result.exit_code(fail_on=fail_on))
