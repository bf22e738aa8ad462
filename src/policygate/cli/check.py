"""``policygate check``: evaluate models against policies (SPEC §5).

Reports go to stdout (or ``-o``), messages to stderr. Exit codes come from the
report: 0 passed, 1 failed, 2 usage or load error / nothing evaluated.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..errors import UsageError
from ..formats import OutputFormat
from ..report import Report
from ..run import Run, evaluate, render
from .common import (
    format_option,
    handle_errors,
    load,
    output_option,
    parse_report_option,
    report_option,
    run_options,
    run_spec,
)

REPORT_FORMATS = [f.value for f in OutputFormat]


@click.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@run_options(required=("policies",))
@format_option(REPORT_FORMATS, "Report format.")
@output_option("Write the report here instead of stdout.")
@report_option("Also write a report in FORMAT to PATH (repeatable).")
@click.option(
    "--decision-log",
    metavar="PATH",
    help="Append one hash-chained JSON line per model decision to PATH (audit trail).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when the gate passes.")
@click.option("--explain", "explain", is_flag=True,
              help="After the text report, explain every rule that failed or errored.")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="List passing and skipped results too.")
@click.option("--color/--no-color", default=None,
              help="Colour the text report (default: on a tty).")  # fmt: skip
@handle_errors
def check(
    models: Sequence[str],
    fmt: str,
    output: str | None,
    extra_reports: Sequence[str],
    decision_log: str | None,
    quiet: bool,
    explain: bool,
    verbose: bool,
    color: bool | None,
    **given: Any,
) -> None:
    """Evaluate MODEL files or directories against policies; exit 0 pass, 1 fail, 2 error."""
    reports = [parse_report_option(value, REPORT_FORMATS) for value in extra_reports]
    if explain and fmt != "text":
        raise UsageError(f"--explain adds to the text report on stdout, not to -f {fmt}; for "
                         "JSON use `policygate explain -f json`")  # fmt: skip
    if explain and output:
        raise UsageError("--explain adds to the text report on stdout, not to -o FILE; "
                         "redirect stdout to keep both in a file")  # fmt: skip
    run = load(run_spec(given, models=tuple(models)))
    report = evaluate(run)
    if decision_log:  # before any output: a decision that cannot be recorded does not pass
        from ..decisionlog import log_decisions

        log_decisions(decision_log, report, run.records, run.waivers)
    emit(report, fmt, output, reports, quiet=quiet, verbose=verbose, color=color)
    if explain and not (quiet and report.passed):
        _explain(report, run)
    if report.nothing_evaluated:
        click.echo(f"policygate: error: nothing evaluated: {report.nothing_evaluated_reason()}",
                   err=True)  # fmt: skip
    sys.exit(report.exit_code())


def emit(
    report: Report,
    fmt: str,
    output: str | None,
    reports: Sequence[tuple[str, str]] = (),
    *,
    quiet: bool = False,
    verbose: bool = False,
    color: bool | None = False,
) -> None:
    """The report on stdout (or ``-o``) and in each ``--report`` file: what every
    command that prints a report does."""
    if reports or output:
        from ..files import write_atomic  # (tempfile & co.: only when writing files)

        for extra_fmt, path in reports:
            write_atomic(path, render(report, extra_fmt, verbose=verbose))
        if output:
            write_atomic(output, render(report, fmt, verbose=verbose))
            return
    if quiet and report.passed:
        return
    if color is None:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    # color= stops click from stripping the escapes when stdout is not a tty (--color).
    click.echo(render(report, fmt, color=color, verbose=verbose), nl=False, color=color)


def _explain(report: Report, run: Run) -> None:
    """``--explain``: the explanations follow the text report on stdout."""
    from ..explain import explain_failures, render_text

    explanations = explain_failures(run.records, report.models, run.policies, now=report.now,
                                    waivers=run.waivers, inputs=run.inputs, catalogs=run.catalogs,
                                    approvers=run.approvers,
                                    attestations=run.attestations)  # fmt: skip
    if explanations:
        click.echo("\n" + render_text(explanations), nl=False)
