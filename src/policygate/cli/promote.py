"""``policygate promote``: gate an MLflow model version and move an alias only when it passes.

Exit codes as for ``check``: 0 passed (and the alias was set), 1 failed (the
alias was left where it was), 2 usage, load or registry error. The version is
judged with the run ``check`` builds (its evaluation inputs, same meanings).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from ..errors import GateFailed
from ..formats import OutputFormat
from ..report import Report
from .check import emit
from .common import (
    format_option,
    handle_errors,
    load,
    not_taken,
    output_option,
    parse_report_option,
    report_option,
    run_options,
    run_spec,
)

FORMATS = [f.value for f in OutputFormat]
EXCLUDED = dict.fromkeys(
    ("evidence", "attestation_log", "attestation_head"),
    "promote reads its one record from the registry after loading; these are checked on "
    "the records of a check run",
)


@click.command(epilog=not_taken(EXCLUDED))
@click.argument("source", metavar="mlflow:models:/NAME/VERSION")
@run_options(exclude=tuple(EXCLUDED), required=("policies",))
@click.option("--alias", metavar="NAME", help="Point this alias at the version if the gate passes.")
@click.option(
    "--target-stage",
    default="production",
    show_default=True,
    type=click.Choice(["development", "staging", "production", "archived"]),
    help="The promotion being asked for (the record's metadata.target_stage).",
)
@click.option(
    "--tags/--no-tags",
    default=True,
    show_default=True,
    help="Write the outcome back as policygate.* model-version tags.",
)
@click.option(
    "--tracking-uri", metavar="URI", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI)."
)
@format_option(FORMATS, "Report format.")
@output_option("Write the report here instead of stdout.")
@report_option("Also write a report in FORMAT to PATH (repeatable).")
@handle_errors
def promote(
    source: str,
    alias: str | None,
    target_stage: str,
    tags: bool,
    tracking_uri: str | None,
    fmt: str,
    output: str | None,
    extra_reports: Sequence[str],
    **given: Any,
) -> None:
    """Gate an MLflow model version; set --alias only when it passes.

    \b
    policygate promote mlflow:models:/credit-default/3 --alias champion -p policies/
    """
    from ..integrations.mlflow import promote as promote_version

    reports = [parse_report_option(value, FORMATS) for value in extra_reports]
    run = load(run_spec(given))
    try:
        report = promote_version(source, run.policies, alias=alias, target_stage=target_stage,
                                 write_tags=tags, tracking_uri=tracking_uri, run=run)  # fmt: skip
    except GateFailed as failure:
        failed: Report = failure.report  # type: ignore[assignment]
        emit(failed, fmt, output, reports)
        verdict = f"not promoted: {failure.message}"
        click.echo(
            f"policygate: {verdict}" + (f"; alias {alias} unchanged" if alias else ""), err=True
        )
        sys.exit(failed.exit_code())
    emit(report, fmt, output, reports)
    model = report.models[0]
    if alias:
        click.echo(f"policygate: promoted {model.name}@{model.version} to alias {alias}", err=True)
    sys.exit(report.exit_code())
