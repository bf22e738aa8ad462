"""``policygate check``: evaluate models against policies (SPEC §5).

Reports go to stdout (or ``-o``), messages to stderr. Exit codes come from the
report: 0 passed, 1 failed, 2 usage or load error / nothing evaluated.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from ..api import load_inputs
from ..approvals import load_approvers, load_attestations
from ..errors import UsageError
from ..evaluate import evaluate
from ..formats import OutputFormat, render
from ..limits import configure as configure_limits
from ..models import load_models
from ..policy import load_policies, parse_param
from ..report import FAIL_ON, Report
from ..waivers import load_waivers
from .common import (
    fail_on_option,
    format_option,
    handle_errors,
    input_option,
    limit_option,
    now_option,
    output_option,
    param_option,
    parse_report_option,
    policy_options,
    report_option,
    set_option,
    waivers_option,
    with_record_defaults,
)

if TYPE_CHECKING:
    from ..approvals import Approvers, Attestation
    from ..graph.catalogs import ControlCatalog
    from ..models import ModelRecord
    from ..policy import Policy
    from ..waivers import Waiver

REPORT_FORMATS = [f.value for f in OutputFormat]


@click.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@policy_options()
@waivers_option()
@click.option(
    "--risk-register",
    "risk_registers",
    multiple=True,
    metavar="PATH",
    help="Risk register (kind: RiskRegister): report each model's risks and control states.",
)
@click.option(
    "--require-evidence",
    is_flag=True,
    help="With --risk-register: an unverified control of a high-risk model fails it.",
)
@click.option(
    "--approvers",
    multiple=True,
    metavar="PATH",
    help="Approvers directory (kind: Approvers) that signed approvals are verified against.",
)
@click.option(
    "--attestations",
    multiple=True,
    metavar="PATH",
    help="Signed approvals kept outside the records (kind: Attestation).",
)
@click.option(
    "--attestation-log",
    metavar="PATH",
    help="Attestation log (approve --attestation-log): a record missing a decision "
    "logged for it is refused (exit 2).",
)
@click.option(
    "--attestation-head",
    metavar="DIGEST",
    help="With --attestation-log: a head of the log kept elsewhere, which must be an "
    "entry of it (else its head file is required).",
)
@input_option()
@param_option()
@set_option()
@click.option(
    "--evidence",
    "evidence",
    multiple=True,
    metavar="NAME@VERSION-GLOB=FORMAT:PATH",
    help="Attach a report (evidently:, fairlearn:, aiverify:) to the models it matches "
    "(repeatable; docs/evidence.md).",
)
@now_option()
@format_option(REPORT_FORMATS, "Report format.")
@output_option("Write the report here instead of stdout.")
@report_option("Also write a report in FORMAT to PATH (repeatable).")
@fail_on_option("Lowest severity whose fail or error fails the gate.", choices=FAIL_ON)
@limit_option()
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
    policies: Sequence[str],
    catalogs: Sequence[str],
    waivers: Sequence[str],
    risk_registers: Sequence[str],
    require_evidence: bool,
    approvers: Sequence[str],
    attestations: Sequence[str],
    attestation_log: str | None,
    attestation_head: str | None,
    inputs: Sequence[str],
    params: Sequence[str],
    assignments: Sequence[str],
    evidence: Sequence[str],
    now: str | None,
    fmt: str,
    output: str | None,
    extra_reports: Sequence[str],
    fail_on: str,
    limit_values: Sequence[str],
    decision_log: str | None,
    quiet: bool,
    explain: bool,
    verbose: bool,
    color: bool | None,
) -> None:
    """Evaluate MODEL files or directories against policies; exit 0 pass, 1 fail, 2 error."""
    reports = [parse_report_option(value, REPORT_FORMATS) for value in extra_reports]
    if explain and (fmt != "text" or output):
        raise UsageError("--explain adds to the text report on stdout; for JSON use "
                         "`policygate explain -f json`")  # fmt: skip
    limits = configure_limits(limit_values)
    overrides = dict(parse_param(p) for p in params)
    loaded_policies = load_policies(policies, params=overrides, limits=limits.load)
    extra_catalogs: list[ControlCatalog] = []
    if catalogs or any(rule.controls for policy in loaded_policies for rule in policy.rules):
        # Without either there is nothing to verify (the shipped catalogs are sound:
        # tests check them), so a policy naming no control never loads a catalog.
        from ..graph.catalogs import load_catalogs, verify_control_ids

        extra_catalogs = load_catalogs(catalogs, limits=limits.load) if catalogs else []
        verify_control_ids(loaded_policies, extra_catalogs)
    if require_evidence and not risk_registers:
        raise UsageError("--require-evidence needs --risk-register")
    loaded_waivers = load_waivers(waivers, limits=limits.load) if waivers else []
    directory = load_approvers(approvers) if approvers else None
    loaded_attestations = load_attestations(attestations) if attestations else []
    input_data = load_inputs(inputs, limits.load)
    records = with_record_defaults(load_models(models, limits=limits.load), assignments)
    if evidence:
        from ..evidence import attach_option

        records = attach_option(records, evidence, limits.load)
    if attestation_log or attestation_head:
        from ..approvals.attestation_log import require_logged_decisions, validate_head

        if not attestation_log:
            raise UsageError("--attestation-head needs --attestation-log")
        require_logged_decisions(attestation_log, records, loaded_attestations,
                                 head=validate_head(attestation_head))  # fmt: skip
    risk_graph = None
    if risk_registers:
        from ..graph.build import load_risk_graph

        risk_graph = load_risk_graph(risk_registers, loaded_policies, records=records,
                                     extra_catalogs=extra_catalogs)  # fmt: skip
    report = evaluate(
        records, loaded_policies, now=now, waivers=loaded_waivers, inputs=input_data,
        fail_on=fail_on, approvers=directory, attestations=loaded_attestations,
        risk_graph=risk_graph, require_evidence=require_evidence, budget=limits.rule,
    )  # fmt: skip
    if decision_log:  # before any output: a decision that cannot be recorded does not pass
        from ..decisionlog import log_decisions

        log_decisions(decision_log, report, records, loaded_waivers)
    _emit(report, fmt, output, reports, quiet=quiet, verbose=verbose, color=color)
    if explain and not (quiet and report.passed):
        _explain(report, records, loaded_policies, loaded_waivers, input_data, extra_catalogs,
                 directory, loaded_attestations)  # fmt: skip
    if report.nothing_evaluated:
        click.echo(f"policygate: error: nothing evaluated: {report.nothing_evaluated_reason()}",
                   err=True)  # fmt: skip
    sys.exit(report.exit_code())


def _emit(
    report: Report,
    fmt: str,
    output: str | None,
    reports: Sequence[tuple[str, str]],
    *,
    quiet: bool,
    verbose: bool,
    color: bool | None,
) -> None:
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


def _explain(report: Report, records: Sequence[ModelRecord], policies: Sequence[Policy],
             waivers: Sequence[Waiver], inputs: Mapping[str, Any],
             catalogs: Sequence[ControlCatalog], approvers: Approvers | None,
             attestations: Sequence[Attestation]) -> None:  # fmt: skip
    """``--explain``: the explanations follow the text report on stdout."""
    from ..explain import explain_failures, render_text

    explanations = explain_failures(records, report.models, policies, now=report.now,
                                    waivers=waivers, inputs=inputs, catalogs=catalogs,
                                    approvers=approvers, attestations=attestations)  # fmt: skip
    if explanations:
        click.echo("\n" + render_text(explanations), nl=False)
