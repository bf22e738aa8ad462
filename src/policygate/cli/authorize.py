"""``policygate authorize``: judge one registry request from the command line (SPEC §8).

Exit 0 allowed, 1 denied, 2 a usage or load error (a request that cannot be
read is never judged). ``-p`` takes access policies and promotion policies
alike: each kind is loaded where it belongs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from ..access import AccessDecision
from ..access import authorize as authorize_request
from ..api import load_inputs
from ..approvals import load_approvers
from ..documents import Limits
from ..errors import NothingEvaluatedError, UsageError
from ..limits import configure as configure_limits
from ..models import ModelRecord, load_models
from ..policy import ACTIONS, Policy, load_policies, parse_param
from ..report import FAIL_ON, Status
from ..waivers import load_waivers
from .common import (
    catalog_option,
    fail_on_option,
    format_option,
    handle_errors,
    input_option,
    limit_option,
    now_option,
    param_option,
    policy_option,
    set_option,
    waivers_option,
    with_record_defaults,
)

if TYPE_CHECKING:
    from ..graph.build import RiskGraph


@click.command()
@click.option("--action", required=True, type=click.Choice(ACTIONS), metavar="ACTION",
              help=f"The registry action: {', '.join(ACTIONS)}.")  # fmt: skip
@click.option("--actor", required=True, metavar="NAME", help="Who asks (an approvers identity).")
@click.option("--model", "source", metavar="SOURCE",
              help="The target version's record (a file, mlflow:models:/NAME/VERSION, ...).")
@click.option("--name", metavar="MODEL", help="The registered model (default: the record's name).")
@click.option("--version", metavar="V", help="The target version (default: the record's).")
@click.option("--alias", default="", metavar="ALIAS", help="The alias set or deleted.")
@click.option("--stage", default="", metavar="STAGE", help="The stage a version moves to.")
@click.option("--tag", default=None, metavar="KEY=VALUE", help="The tag set or deleted.")
@click.option("--new-name", default="", metavar="NAME", help="rename-model: the new name.")
@click.option("--holds", "aliases", multiple=True, metavar="ALIAS",
              help="An alias the target version holds now (repeatable).")
@click.option("--protected-alias", "protected_aliases", multiple=True, metavar="ALIAS",
              help="A protected alias: setting it is a promotion (repeatable).")
@click.option("--protected-stage", "protected_stages", multiple=True, metavar="STAGE",
              help="A protected stage: moving to it is a promotion (repeatable).")
@click.option("--registry", default="", metavar="NAME", help="request.registry (e.g. mlflow).")
@policy_option("Access policy or promotion policy, file or directory (repeatable).")
@click.option("--approvers", multiple=True, metavar="PATH",
              help="Approvers directory: the actor's roles (kind: Approvers).")
@click.option("--risk-register", "risk_registers", multiple=True, metavar="PATH",
              help="Risk register: the promotion policies' risks, as for check.")
@catalog_option()
@waivers_option()
@input_option()
@param_option()
@set_option()
@now_option()
@limit_option()
@fail_on_option("Lowest severity whose fail or error denies.",
                choices=[f for f in FAIL_ON if f != "never"])  # never would allow everything
@format_option(["text", "json"], "Output format.")
@handle_errors
def authorize(
    action: str,
    actor: str,
    source: str | None,
    name: str | None,
    version: str | None,
    alias: str,
    stage: str,
    tag: str | None,
    new_name: str,
    aliases: Sequence[str],
    protected_aliases: Sequence[str],
    protected_stages: Sequence[str],
    registry: str,
    policies: Sequence[str],
    approvers: Sequence[str],
    risk_registers: Sequence[str],
    catalogs: Sequence[str],
    waivers: Sequence[str],
    inputs: Sequence[str],
    params: Sequence[str],
    assignments: Sequence[str],
    now: str | None,
    limit_values: Sequence[str],
    fail_on: str,
    fmt: str,
) -> None:
    """Judge one registry request by ACTOR against access policies; exit 0 allowed, 1 denied.

    The actor's roles come from --approvers only (an actor never asserts its own).
    """
    limits = configure_limits(limit_values)
    access, promotion = _policies(policies, limits.load)
    record = _record(source, limits.load) if source else None
    if record is not None:  # --set (and the configuration's set:): the record's defaults
        record = with_record_defaults([record], assignments)[0]
    key, _, value = (tag or "").partition("=")
    if tag is not None and not key:
        raise UsageError(f"--tag {tag!r}: expected KEY=VALUE")
    request = {
        "action": action,
        "actor": {"name": actor, "authenticated": True},
        "target": {
            "model": name or (record.name if record is not None else ""),
            "version": version if version is not None else (record.version if record else ""),
            "alias": alias, "stage": stage, "new_name": new_name, "aliases": list(aliases),
            "tag": {"key": key, "value": value},
        },
        "registry": registry,
    }  # fmt: skip
    decision = authorize_request(
        request, access_policies=access, policies=promotion, model=record,
        protected_aliases=protected_aliases, protected_stages=protected_stages,
        waivers=load_waivers(waivers, limits=limits.load) if waivers else (),
        approvers=load_approvers(approvers) if approvers else None,
        now=now, params=dict(parse_param(p) for p in params), inputs=load_inputs(inputs),
        fail_on=fail_on, budget=limits.rule,
        risk_graph=_risk_graph(risk_registers, catalogs, promotion, record, limits.load),
    )  # fmt: skip
    click.echo(decision.to_json() if fmt == "json" else render_text(decision), nl=False)
    sys.exit(0 if decision.allowed else 1)


def _policies(paths: Sequence[str], limits: Limits) -> tuple[list[Policy], list[Policy]]:
    """The access policies and the promotion policies under ``paths``; no access policy
    at all is a usage error (there would be nothing to judge the request by)."""
    try:
        access = load_policies(paths, kind="AccessPolicy", limits=limits)
    except NothingEvaluatedError:
        raise UsageError(
            f"no access policy (kind: AccessPolicy) found in {', '.join(paths)}"
        ) from None
    try:
        promotion = load_policies(paths, limits=limits)
    except NothingEvaluatedError:
        promotion = []
    return access, promotion


def _risk_graph(registers: Sequence[str], catalogs: Sequence[str], policies: list[Policy],
                record: ModelRecord | None, limits: Limits) -> RiskGraph | None:  # fmt: skip
    """The risk graph of ``--risk-register`` over the promotion policies, as ``check``
    builds it (a risk the record names that no register defines is an error)."""
    if not registers:
        return None
    from ..graph.build import load_risk_graph
    from ..graph.catalogs import load_catalogs

    extra = load_catalogs(catalogs, limits=limits) if catalogs else []
    records = [record] if record is not None else None
    return load_risk_graph(registers, policies, records=records, extra_catalogs=extra)


def _record(source: str, limits: Limits) -> ModelRecord:
    records = load_models([source], limits=limits)
    if len(records) != 1:
        raise UsageError(f"--model {source}: expected one model record, found {len(records)}")
    return records[0]


_MARKS = {Status.PASS: "pass", Status.FAIL: "FAIL", Status.ERROR: "ERROR", Status.SKIP: "skip",
          Status.WAIVED: "waived"}  # fmt: skip


def render_text(decision: AccessDecision) -> str:
    """The verdict, the request, each access rule's result and every reason for a denial."""
    request = decision.request
    target = request["target"]
    what = target["model"] + (f"@{target['version']}" if target["version"] else "")
    detail = next((f"{k} {target[k]}" for k in ("alias", "stage", "new_name") if target[k]), "")
    if target["tag"]["key"]:
        detail = f"tag {target['tag']['key']}"
    verdict = "allowed" if decision.allowed else "denied"
    lines = [f"{verdict}: {request['action']} {what}{' ' + detail if detail else ''}"
             f" by {request['actor']['name']}"
             f"{' (promotion)' if decision.is_promotion else ''}"]  # fmt: skip
    roles = ", ".join(request["actor"]["roles"]) or "none"
    lines.append(f"  roles: {roles}")
    for result in decision.results:
        shown = result.message and result.status is not Status.PASS
        message = f": {result.message}" if shown else ""
        lines.append(f"  {_MARKS[result.status]:<6} {result.rule_ref}{message}")
    if decision.promotion is not None:
        report = decision.promotion
        passed = "passed" if report.passed else "failed"
        lines.append(f"  promotion policies: {passed}")
    access_rules = {r.rule_ref for r in decision.results}
    for rule, message in decision.failing:
        if rule not in access_rules:
            lines.append(f"  {'FAIL':<6} {rule}: {message}")
    return "\n".join(lines) + "\n"
