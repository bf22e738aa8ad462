"""``policygate diff --base OLD --head NEW MODEL...``: the impact of a policy change.

Exit 0 nothing would newly fail, 1 a model or a result at ``--fail-on`` would
newly fail or error, 2 a usage or load error (or no model found).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..access import load_request
from ..api import load_inputs
from ..diff import diff as impact_of
from ..diff import render_json, render_text
from ..errors import NothingEvaluatedError
from ..files import write_atomic
from ..models import load_models
from ..policy import load_policies, parse_param
from ..waivers import load_waivers
from .common import (
    evaluation_options,
    fail_on_option,
    format_option,
    handle_errors,
    output_option,
    with_record_defaults,
)


@click.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.option(
    "--base",
    "base",
    multiple=True,
    required=True,
    metavar="POLICY",
    help="The policies as they are (file or directory, repeatable).",
)
@click.option(
    "--head",
    "head",
    multiple=True,
    required=True,
    metavar="POLICY",
    help="The policies as they would be (file or directory, repeatable).",
)
@evaluation_options
@fail_on_option(
    "Lowest severity whose new fail or error exits 1.",
    choices=["error", "warning", "info", "never"],
)
@format_option(["text", "json"], "Output format.")
@output_option("Write the impact here instead of stdout.")
@click.option("--request", "request_file", metavar="FILE",
              help="A registry request (YAML or JSON): compare the access policies of --base "
                   "and --head on it (docs/access-policies.md).")  # fmt: skip
@handle_errors
def diff(
    models: Sequence[str],
    base: Sequence[str],
    head: Sequence[str],
    waivers: Sequence[str],
    inputs: Sequence[str],
    params: Sequence[str],
    assignments: Sequence[str],
    now: str | None,
    fail_on: str,
    fmt: str,
    output: str | None,
    request_file: str | None,
) -> None:
    """Evaluate MODEL under the --base and the --head policies; list what changes outcome."""
    overrides = dict(parse_param(p) for p in params)
    kind = "AccessPolicy" if request_file else "Policy"
    old = load_policies(base, params=overrides, kind=kind)
    new = load_policies(head, params=overrides, kind=kind)
    records = with_record_defaults(load_models(models), assignments)
    if not records:
        raise NothingEvaluatedError(f"no model found in {', '.join(models)}")
    impact = impact_of(
        records,
        old,
        new,
        now=now,
        waivers=load_waivers(waivers) if waivers else [],
        inputs=load_inputs(inputs),
        fail_on=fail_on,
        request=load_request(request_file) if request_file else None,
    )
    text = render_json(impact) if fmt == "json" else render_text(impact)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(impact.exit_code())
