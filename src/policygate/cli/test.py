"""``policygate test PATH...``: run policy unit tests (``kind: PolicyTest``).

Exit 0 every test passed (and coverage reached ``--threshold``), 1 a test failed
or coverage fell short, 2 a usage or load error, or no test found. A test file
gives its own evaluation inputs (SPEC §5): of the run's options only ``--limit``
applies, as in ``check``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..files import write_atomic
from ..limits import configure
from ..tester import REPORTERS, load_suites, render, run_suites
from .common import format_option, handle_errors, not_taken, output_option, run_options

INCLUDED = ("limits",)
EXCLUDED = {
    "policies": "a PolicyTest names its policies",
    **dict.fromkeys(
        ("catalogs", "waivers", "risk_registers", "require_evidence", "approvers",
         "attestations", "attestation_log", "attestation_head", "inputs", "params", "set",
         "evidence", "now", "fail_on"),
        "each test case gives its own (model, waivers, inputs, params, now, fail_on...), so "
        "that a test means the same wherever it runs",
    ),
}  # fmt: skip


@click.command(epilog=not_taken(EXCLUDED))
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
@run_options(*INCLUDED)
@handle_errors
def test(
    paths: Sequence[str],
    coverage: bool,
    threshold: float | None,
    fmt: str,
    output: str | None,
    verbose: bool,
    limit_values: Sequence[str],
) -> None:
    """Run the PolicyTest documents under PATH; exit 0 all pass, 1 a failure."""
    import os

    limits = configure(limit_values, os.environ)
    run = run_suites(load_suites(paths, limits=limits.load), budget=limits.rule)
    text = render(
        run, fmt, coverage=coverage or threshold is not None, verbose=verbose, threshold=threshold
    )
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(run.exit_code(threshold))
