"""``policygate authorize``: judge one registry request from the command line (SPEC §8).

Exit 0 allowed, 1 denied, 2 a usage or load error (a request that cannot be
read is never judged). ``-p`` takes access policies and promotion policies
alike: each kind is loaded where it belongs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from ..access.text import render_text
from ..errors import UsageError
from ..policy import ACTIONS
from ..report import FAIL_ON
from .common import format_option, handle_errors, load, not_taken, run_options, run_spec

EXCLUDED = {
    "require_evidence": "a promotion is judged by the promotion policies' results; "
    "--require-evidence is check's",
    "evidence": "--model names the one record judged, as its source gives it",
}


@click.command(epilog=not_taken(EXCLUDED))
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
@run_options(
    exclude=tuple(EXCLUDED), required=("policies",),
    help={"policies": "Access policy or promotion policy, file or directory (repeatable).",
          "approvers": "Approvers directory: the actor's roles (kind: Approvers), and the "
                       "signed approvals' keys.",
          "fail_on": "Lowest severity whose fail or error denies."},
    choices={"fail_on": [f for f in FAIL_ON if f != "never"]},  # never would allow everything
)  # fmt: skip
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
    fmt: str,
    **given: Any,
) -> None:
    """Judge one registry request by ACTOR against access policies; exit 0 allowed, 1 denied.

    The actor's roles come from --approvers only (an actor never asserts its own).
    """
    from ..access import authorize as authorize_request

    run = load(run_spec(given, models=(source,) if source else ()), access="also")
    if not run.access_policies:
        raise UsageError(f"no access policy (kind: AccessPolicy) found in "
                         f"{', '.join(run.spec.policies)}")  # fmt: skip
    if source and len(run.records) != 1:
        raise UsageError(f"--model {source}: expected one model record, found "
                         f"{len(run.records)}")  # fmt: skip
    record = run.records[0] if source else None
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
    evaluation = run.evaluation()
    del evaluation["require_evidence"]
    decision = authorize_request(
        request, access_policies=run.access_policies, policies=run.policies, model=record,
        protected_aliases=protected_aliases, protected_stages=protected_stages, **evaluation,
    )  # fmt: skip
    click.echo(decision.to_json() if fmt == "json" else render_text(decision), nl=False)
    sys.exit(0 if decision.allowed else 1)
