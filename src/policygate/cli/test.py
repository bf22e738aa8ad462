"""``policygate test PATH...``: run policy unit tests (``kind: PolicyTest``).

Exit 0 every test passed (and coverage reached ``--threshold``), 1 a test failed
or coverage fell short, 2 a usage or load error, or no test found.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..files import write_atomic
from ..tester import REPORTERS, load_suites, render, run_suites
from .common import (
    format_option,
    handle_errors,
    output_option,
)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--coverage", is_flag=True, help="Report which rule branches the tests exercised.")
@click.option(
    "--threshold",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Fail (exit 1) when coverage is below PCT percent; implies --coverage.",
)
@format_option(list(REPORTERS), "Output format.")
@output_option("Write the results here instead of stdout.")
@click.option("-v", "--verbose", is_flag=True, help="List passing tests and covered rules too.")
@handle_errors
def test(
    paths: Sequence[str],
    coverage: bool,
    threshold: float | None,
    fmt: str,
    output: str | None,
    verbose: bool,
) -> None:
    """Run the PolicyTest documents under PATH; exit 0 all pass, 1 a failure."""
    run = run_suites(load_suites(paths))
    text = render(
        run, fmt, coverage=coverage or threshold is not None, verbose=verbose, threshold=threshold
    )
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(run.exit_code(threshold))
