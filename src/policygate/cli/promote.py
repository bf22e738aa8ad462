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
from ..importers.interface import overlay_from_assignments
from ..policy import load_policies, parse_param
from ..report import FAIL_ON, Report
from ..waivers import load_waivers
from .common import handle_errors


@click.command()
@click.argument("source", metavar="mlflow:models:/NAME/VERSION")
@click.option(
    "-p",
    "--policy",
    "policies",
    multiple=True,
    required=True,
    metavar="POLICY",
    help="Policy file or directory (repeatable).",
)
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
@click.option("--waivers", multiple=True, metavar="PATH", help="Waiver file or directory.")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="NAME=PATH",
    help="Extra document available to rules as inputs.NAME.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a policy parameter; VALUE is read as YAML.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="PATH=VALUE",
    help="Set a record field the registry cannot hold (e.g. spec.risk_tier=high).",
)
@click.option("--now", metavar="RFC3339", help="Evaluate as of this time (default: now, UTC).")
@click.option(
    "-f",
    "--format",
    "fmt",
    default="text",
    show_default=True,
    type=click.Choice([f.value for f in OutputFormat]),
    help="Report format.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the report here instead of stdout.")
@click.option(
    "--fail-on",
    default="error",
    show_default=True,
    type=click.Choice(FAIL_ON),
    help="Lowest severity whose fail or error fails the gate.",
)
@click.option("--engine", metavar="NAME", help="CEL engine (default: cel-python).")
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
    engine: str | None,
) -> None:
    """Gate an MLflow model version; set --alias only when it passes.

    \b
    policygate promote mlflow:models:/credit-default/3 --alias champion -p policies/
    """
    from ..integrations.mlflow import promote as promote_version

    overrides = dict(parse_param(p) for p in params)
    loaded = load_policies(policies, params=overrides, engine=engine)
    verify_control_ids(loaded, ())
    try:
        report = promote_version(
            source,
            loaded,
            alias=alias,
            target_stage=target_stage,
            write_tags=tags,
            tracking_uri=tracking_uri,
            overlay=overlay_from_assignments(assignments),
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
