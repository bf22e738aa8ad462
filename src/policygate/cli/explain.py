"""``policygate explain MODEL -p POLICY --rule ID``: why a rule gave what it gave.

Exit 0 the rule passed (or was skipped or waived) for every model, 1 it failed
or errored for one, 2 a usage or load error. The run is built as ``check``
builds it, so approvals are verified with ``--approvers`` as there.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from ..errors import NothingEvaluatedError
from ..explain import explain as explain_rule
from ..explain import render_json, render_text
from ..report import Status
from .common import (
    format_option,
    handle_errors,
    load,
    parse_report_option,
    report_option,
    run_options,
    run_spec,
    write_outputs,
)

FORMATS = ["text", "json"]


@click.command()
@click.argument("model", metavar="MODEL")
@click.option("--rule", "rule", required=True, metavar="ID", help="RULE or POLICY/RULE.")
@run_options(required=("policies",),
             help={"catalogs": "Extra control catalog, for the titles of the rule's "
                               "controls."})  # fmt: skip
@format_option(FORMATS, "Output format.")
@report_option("Also write the explanation in FORMAT (text, json) to PATH (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Trace passing for_each elements too.")
@click.option("--request", "request_file", metavar="FILE",
              help="The registry request an access rule judges (YAML or JSON).")  # fmt: skip
@handle_errors
def explain(
    model: str,
    rule: str,
    fmt: str,
    extra_reports: Sequence[str],
    verbose: bool,
    request_file: str | None,
    **given: Any,
) -> None:
    """Explain how RULE was evaluated for MODEL: every value it read and compared."""
    from ..access import load_request

    reports = [parse_report_option(value, FORMATS) for value in extra_reports]
    request = load_request(request_file) if request_file else None  # an access rule's
    run = load(run_spec(given, models=(model,)), access="only" if request else "no")
    if not run.records:
        raise NothingEvaluatedError(f"no model found in {model}")
    explanations = [
        explain_rule(record, run.policies, rule, catalogs=run.catalogs, request=request,
                     **run.evaluation())  # fmt: skip
        for record in run.records
    ]
    write_outputs(lambda f: render_json(explanations) if f == "json"
                  else render_text(explanations, verbose=verbose), fmt, None, reports)  # fmt: skip
    failed = any(e.status in (Status.FAIL, Status.ERROR) for e in explanations)
    sys.exit(1 if failed else 0)
