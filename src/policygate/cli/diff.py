"""``policygate diff --base OLD --head NEW MODEL...``: the impact of a policy change.

Exit 0 nothing would newly fail, 1 a model or a result at ``--fail-on`` would
newly fail or error, 2 a usage or load error (or no model found). Both sides
are evaluated with the same run (``check``'s inputs), only the policies differ.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..diff import diff as impact_of
from ..diff import render_json, render_text
from ..errors import NothingEvaluatedError
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
    write_outputs,
)

EXCLUDED = {"policies": "--base and --head name the two policy sets"}
FORMATS = ["text", "json"]


@click.command(epilog=not_taken(EXCLUDED))
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.option("--base", "base", multiple=True, required=True, metavar="POLICY",
              help="The policies as they are (file or directory, repeatable).")  # fmt: skip
@click.option("--head", "head", multiple=True, required=True, metavar="POLICY",
              help="The policies as they would be (file or directory, repeatable).")  # fmt: skip
@run_options(exclude=tuple(EXCLUDED),
             help={"fail_on": "Lowest severity whose new fail or error exits 1."})  # fmt: skip
@format_option(FORMATS, "Output format.")
@output_option("Write the impact here instead of stdout.")
@report_option("Also write the impact in FORMAT (text, json) to PATH (repeatable).")
@click.option("--request", "request_file", metavar="FILE",
              help="A registry request (YAML or JSON): compare the access policies of --base "
                   "and --head on it (docs/access-policies.md).")  # fmt: skip
@handle_errors
def diff(
    models: Sequence[str],
    base: Sequence[str],
    head: Sequence[str],
    fmt: str,
    output: str | None,
    extra_reports: Sequence[str],
    request_file: str | None,
    **given: Any,
) -> None:
    """Evaluate MODEL under the --base and the --head policies; list what changes outcome."""
    from ..access import load_request

    reports = [parse_report_option(value, FORMATS) for value in extra_reports]
    access = "only" if request_file else "no"
    spec = run_spec(given, models=tuple(models), policies=tuple(base))
    old = load(spec, access=access)
    new = load(dataclasses.replace(spec, models=(), policies=tuple(head)), access=access)
    if not old.records:
        raise NothingEvaluatedError(f"no model found in {', '.join(models)}")
    impact = impact_of(
        old.records, old.policies, new.policies,
        request=load_request(request_file) if request_file else None,
        head_risk_graph=new.risk_graph, **old.evaluation(),
    )  # fmt: skip
    write_outputs(lambda f: render_json(impact) if f == "json" else render_text(impact), fmt,
                  output, reports)  # fmt: skip
    sys.exit(impact.exit_code())
