"""``policygate lint POLICY...``: static checks, compiler-style (SPEC §5).

Exit 0 clean, 1 problems found, 2 usage error (no policy found, bad option).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..graph.catalogs import load_catalogs
from ..lint import FORMATS, lint_paths, render
from .common import (
    fail_on_option,
    format_option,
    handle_errors,
    output_option,
    run_options,
)


@click.command()
@click.argument("policies", nargs=-1, required=True, metavar="POLICY...")
@format_option(list(FORMATS), "Output format.")
@output_option("Write the findings here instead of stdout.")
@run_options(
    "catalogs",
    "risk_registers",
    help={
        "risk_registers": "Risk register whose rating scales unknown-rating checks "
        "labels against (default: the default matrix's, as warnings)."
    },
)
@click.option(
    "--model-schema",
    metavar="PATH",
    help="JSON Schema of the model records, for policies that declare no model_schema "
    "(default: the shipped ModelRecord schema).",
)
@fail_on_option(
    "Lowest level that makes lint exit 1.", choices=["warning", "error"], default="warning"
)
@click.option(
    "--cost",
    "costs",
    is_flag=True,
    help="Also list each expression's static worst case in the rule budget's units "
    "(or that it depends on the record).",
)
@handle_errors
def lint(
    policies: Sequence[str],
    fmt: str,
    output: str | None,
    catalogs: Sequence[str],
    risk_registers: Sequence[str],
    model_schema: str | None,
    fail_on: str,
    costs: bool,
) -> None:
    """Check POLICY files or directories without evaluating anything; exit 0 clean, 1 problems."""
    extra = load_catalogs(catalogs) if catalogs else []
    result = lint_paths(policies, catalogs=extra, model_schema=model_schema, costs=costs,
                        risk_registers=risk_registers)  # fmt: skip
    text = render(result, fmt)
    if output:
        from ..files import write_atomic  # (tempfile & co.: only when writing a file)

        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(result.exit_code(fail_on=fail_on))
