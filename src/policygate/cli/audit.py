"""``policygate audit``: evaluate every model of a tree, a registry or a list of sources.

By default it prints the audit summary (models passed and failed, the rules
that fail most, the controls most often violated or unverified); ``-f`` and
``--report`` give every report format besides. A progress bar shows on a
terminal, never in CI. Exit codes as for ``check``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import click

from ..audit import AuditConfig, AuditItem, Auditor, audit, expand_sources, report_header
from ..audit.stream import ReportSpool, full_report, json_chunks, write_streamed
from ..audit.summary import AuditSummary
from ..errors import UsageError
from ..files import write_atomic
from ..formats import OutputFormat, render
from ..report import Report
from ..timestamps import format_timestamp, utc_now
from .common import (
    format_option,
    handle_errors,
    not_taken,
    output_option,
    parse_report_option,
    report_option,
    run_options,
    run_spec,
)

SUMMARY = "summary"
FORMATS = [SUMMARY, *(f.value for f in OutputFormat)]


EXCLUDED = dict.fromkeys(
    ("evidence", "attestation_log", "attestation_head"),
    "an audit reads each source in turn (in worker processes); these are checked on the "
    "records of one check run",
)


@click.command(name="audit", epilog=not_taken(EXCLUDED))
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@run_options(exclude=tuple(EXCLUDED),
             help={"fail_on": "Lowest severity whose fail or error fails a model."})  # fmt: skip
@click.option("--alias", metavar="NAME", help="MLflow sources: only the versions with this alias.")
@click.option("--stage", metavar="STAGE", help="MLflow sources: only the versions in this stage.")
@click.option(
    "-j",
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes; the output is the same as with one.",
)
@format_option(FORMATS, "What goes to stdout (or -o).", default=SUMMARY)
@output_option("Write it here instead of stdout.")
@report_option("Also write FORMAT (summary or a report format) to PATH (repeatable).")
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rules and controls listed in the summary.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: on a terminal, off when CI is set).",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not repeat the summary on stderr.")
@click.option(
    "--lifecycle-log",
    metavar="LOG",
    help="MLflow sources: report every protected alias (and stage) not put where it is "
    "by an allowed request in this lifecycle log (changed outside the gate), and fail.",
)
@click.option("--protected-alias", "protected_aliases", multiple=True, metavar="NAME",
              help="With --lifecycle-log: an alias to check (default: every alias).")  # fmt: skip
@click.option("--protected-stage", "protected_stages", multiple=True, metavar="STAGE",
              help="With --lifecycle-log: a stage to check.")  # fmt: skip
@handle_errors
def audit_command(
    sources: Sequence[str],
    alias: str | None,
    stage: str | None,
    jobs: int,
    fmt: str,
    output: str | None,
    extra_reports: Sequence[str],
    top: int,
    progress: bool | None,
    quiet: bool,
    lifecycle_log: str | None,
    protected_aliases: Sequence[str],
    protected_stages: Sequence[str],
    **given: Any,
) -> None:
    """Evaluate every model of SOURCE... (directories, files, hf:/cyclonedx:/mct: cards,
    mlflow:models:/ for a whole registry) against the policies.

    \b
    policygate audit registry/ -p policies/ --jobs 2
    policygate audit mlflow:models:/ --alias champion -p policies/ --report json=audit.json
    policygate audit mlflow:models:/ --lifecycle-log lifecycle.jsonl --protected-alias champion
    """
    spec = run_spec(given)
    policies = spec.policies
    out_of_band = 0
    if lifecycle_log:
        out_of_band = _out_of_band(sources, lifecycle_log, protected_aliases, protected_stages)
        if not policies:
            sys.exit(1 if out_of_band else 0)
    elif not policies:
        raise UsageError("Missing option '-p' / '--policy' (or --lifecycle-log)")
    outputs = [(fmt, output), *(parse_report_option(v, FORMATS) for v in extra_reports)]
    now = spec.now if spec.now is not None else format_timestamp(utc_now())
    config = AuditConfig(policies=policies, now=now, fail_on=spec.fail_on, spec=spec,
                         environ={k: v for k, v in os.environ.items()
                                  if k.startswith("POLICYGATE_")})  # fmt: skip
    auditor = Auditor(config)  # loads everything once here: usage and load errors exit 2 now
    header = report_header(auditor)
    if progress is None:
        progress = sys.stderr.isatty() and not os.environ.get("CI")
    # Listed as the audit goes; all first only for the bar's total (one item a source).
    items: Iterable[AuditItem] = expand_sources(list(sources), alias=alias, stage=stage)
    if progress:
        items = list(items)
    needs_spool = any(f != SUMMARY for f, _ in outputs)
    with ReportSpool() as spool:
        with _progress(progress, items) as advance:  # the bar ends before any output
            summary = audit(
                items,
                config,
                jobs=jobs,
                on_model=spool.append if needs_spool else None,
                on_source=advance,
                auditor=auditor,
            )
        for out_fmt, path in outputs[1:] + outputs[:1]:  # stdout last
            _write(out_fmt, path, summary, header, spool, top)
    if fmt != SUMMARY and not quiet and output is None:
        click.echo(summary.render(top), err=True, nl=False)
    if summary.nothing_evaluated:
        reason = "no model found" if not summary.models else "no rule applies to any model"
        click.echo(f"policygate: error: nothing evaluated: {reason}", err=True)
    sys.exit(max(summary.exit_code(), 1 if out_of_band else 0))


def _out_of_band(
    sources: Sequence[str], log: str, aliases: Sequence[str], stages: Sequence[str]
) -> int:
    """Print every protected alias or stage the lifecycle log does not explain; their count."""
    from ..formats.inert import inert
    from ..integrations.mlflow_gate.state import lifecycle_findings

    findings = lifecycle_findings(sources, log, protected_aliases=aliases, protected_stages=stages)
    for finding in findings:
        click.echo(inert(f"out-of-band: {finding.message}"))  # names come from the registry
    checked = f"aliases {', '.join(aliases)}" if aliases else "every alias"
    noun = "change" if len(findings) == 1 else "changes"
    click.echo(f"lifecycle: {len(findings)} out-of-band {noun} ({checked}"
               + (f", stages {', '.join(stages)}" if stages else "") + f"; log {log})")  # fmt: skip
    return len(findings)


def _write(
    fmt: str, path: str | None, summary: AuditSummary, header: Report, spool: ReportSpool, top: int
) -> None:
    """One output: the summary, the JSON report streamed from the spool, or another format."""

    def stdout(text: str) -> None:
        click.echo(text, nl=False)

    if fmt == OutputFormat.JSON.value:
        write_streamed(path, json_chunks(header, summary, iter(spool)), stdout)
        return
    text = summary.render(top) if fmt == SUMMARY else render(full_report(header, spool), fmt)
    if path:
        write_atomic(path, text)
    else:
        stdout(text)


@contextlib.contextmanager
def _progress(wanted: bool, items: Iterable[AuditItem]) -> Iterator[Callable[[AuditItem], None]]:
    """A rich progress bar on stderr when wanted, to the number of ``items`` (a list then)."""
    if not wanted:
        yield lambda item: None
        return
    assert isinstance(items, list)
    total = len(items)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=sys.stderr, force_terminal=True)
    columns = (
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("audit", total=total)
        yield lambda item: bar.advance(task)
