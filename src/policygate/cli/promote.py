"""``policygate promote``: gate an MLflow model version and move an alias only when it passes.

Exit codes as for ``check``: 0 passed (and the alias was set), 1 failed (the
alias was left where it was), 2 usage, load or registry error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..api import load_inputs
from ..errors import GateFailed
from ..files import write_atomic
from ..formats import OutputFormat, render
from ..graph.catalogs import verify_control_ids
from ..models import parse_set
from ..policy import load_policies, parse_param
from ..report import FAIL_ON, Report
from ..waivers import load_waivers
from .common import (
    fail_on_option,
    format_option,
    handle_errors,
    input_option,
    now_option,
    output_option,
    param_option,
    policy_option,
    set_option,
    waivers_option,
)


@click.command()
@click.argument("source", metavar="mlflow:models:/NAME/VERSION")
@policy_option()
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
@waivers_option()
@input_option()
@param_option()
@set_option()
@now_option()
@format_option([f.value for f in OutputFormat], "Report format.")
@output_option("Write the report here instead of stdout.")
@fail_on_option("Lowest severity whose fail or error fails the gate.", choices=FAIL_ON)
@handle_errors
def promote(
    source: str,
    policies: Sequence[str],
    alias: str | None,
    target_stage: str,
    tags: bool,
    tracking_uri: str | None,
    waivers: Sequence[str],
    inputs: Sequence[str],
    params: Sequence[str],
    assignments: Sequence[str],
    now: str | None,
    fmt: str,
    output: str | None,
    fail_on: str,
) -> None:
    """Gate an MLflow model version; set --alias only when it passes.

    \b
    policygate promote mlflow:models:/credit-default/3 --alias champion -p policies/
    """
    from ..integrations.mlflow import promote as promote_version

    overrides = dict(parse_param(p) for p in params)
    loaded = load_policies(policies, params=overrides)
    verify_control_ids(loaded, ())
    try:
        report = promote_version(
            source,
            loaded,
            alias=alias,
            target_stage=target_stage,
            write_tags=tags,
            tracking_uri=tracking_uri,
            set=parse_set(assignments),
            now=now,
            waivers=load_waivers(waivers) if waivers else [],
            inputs=load_inputs(inputs),
            fail_on=fail_on,
        )
    except GateFailed as failure:
        failed: Report = failure.report  # type: ignore[assignment]
        _emit(failed, fmt, output)
        verdict = f"not promoted: {failure.message}"
        click.echo(
            f"policygate: {verdict}" + (f"; alias {alias} unchanged" if alias else ""), err=True
        )
        sys.exit(failed.exit_code())
    _emit(report, fmt, output)
    model = report.models[0]
    if alias:
        click.echo(f"policygate: promoted {model.name}@{model.version} to alias {alias}", err=True)
    sys.exit(report.exit_code())


def _emit(report: Report, fmt: str, output: str | None) -> None:
    text = render(report, fmt)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
