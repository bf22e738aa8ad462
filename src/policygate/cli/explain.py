"""``policygate explain MODEL -p POLICY --rule ID``: why a rule gave what it gave.

Exit 0 the rule passed (or was skipped or waived) for every model, 1 it failed
or errored for one, 2 a usage or load error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..access import load_request
from ..api import load_inputs
from ..errors import NothingEvaluatedError
from ..explain import explain as explain_rule
from ..explain import render_json, render_text
from ..graph.catalogs import load_catalogs
from ..models import load_models
from ..policy import load_policies, parse_param
from ..report import Status
from ..waivers import load_waivers
from .common import (
    catalog_option,
    evaluation_options,
    format_option,
    handle_errors,
    policy_option,
    with_record_defaults,
)


@click.command()
@click.argument("model", metavar="MODEL")
@policy_option()
@click.option("--rule", "rule", required=True, metavar="ID", help="RULE or POLICY/RULE.")
@evaluation_options
@catalog_option("Extra control catalog, for the titles of the rule's controls.")
@format_option(["text", "json"], "Output format.")
@click.option("-v", "--verbose", is_flag=True, help="Trace passing for_each elements too.")
@click.option("--request", "request_file", metavar="FILE",
              help="The registry request an access rule judges (YAML or JSON).")  # fmt: skip
@handle_errors
def explain(
    model: str,
    policies: Sequence[str],
    rule: str,
    waivers: Sequence[str],
    inputs: Sequence[str],
    params: Sequence[str],
    assignments: Sequence[str],
    now: str | None,
    catalogs: Sequence[str],
    fmt: str,
    verbose: bool,
    request_file: str | None,
) -> None:
    """Explain how RULE was evaluated for MODEL: every value it read and compared."""
    overrides = dict(parse_param(p) for p in params)
    request = load_request(request_file) if request_file else None
    kind = "AccessPolicy" if request is not None else "Policy"  # an access rule judges it
    loaded = load_policies(policies, params=overrides, kind=kind)
    extra = load_catalogs(catalogs) if catalogs else []
    loaded_waivers = load_waivers(waivers) if waivers else []
    input_data = load_inputs(inputs)
    records = with_record_defaults(load_models([model]), assignments)
    if not records:
        raise NothingEvaluatedError(f"no model found in {model}")
    explanations = [
        explain_rule(
            record, loaded, rule, now=now, waivers=loaded_waivers, inputs=input_data,
            catalogs=extra, request=request,
        )  # fmt: skip
        for record in records
    ]
    if fmt == "json":
        click.echo(render_json(explanations), nl=False)
    else:
        click.echo(render_text(explanations, verbose=verbose), nl=False)
    failed = any(e.status in (Status.FAIL, Status.ERROR) for e in explanations)
    sys.exit(1 if failed else 0)
