"""``policygate serve``: the decision service over HTTP (SPEC §10, docs/serve.md).

Everything is loaded and compiled before the port is bound, so a bad policy is
exit 2 with its ``file:line:col`` and nothing listens. Off loopback a bearer
token is required (``--token-file``); without one the command refuses to start.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import click

from ..errors import UsageError
from ..limits import configure as configure_limits
from ..report import FAIL_ON
from .common import (
    fail_on_option,
    handle_errors,
    input_option,
    limit_option,
    param_option,
    policy_options,
    set_option,
    waivers_option,
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine: a loopback address or ``localhost``.

    Any other name may resolve to an outside address, so it counts as outside.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token-file.")  # fmt: skip
@click.option("--port", default=8181, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")  # fmt: skip
@policy_options()
@waivers_option()
@click.option("--risk-register", "risk_registers", multiple=True, metavar="PATH",
              help="Risk register (kind: RiskRegister): reports show risks and "
                   "controls.")  # fmt: skip
@click.option("--approvers", multiple=True, metavar="PATH",
              help="Approvers directory (kind: Approvers) that signed approvals are "
                   "verified against.")  # fmt: skip
@input_option()
@param_option()
@set_option()
@fail_on_option("Lowest severity whose fail or error fails the gate.", choices=FAIL_ON)
@limit_option()
@click.option("--token-file", metavar="PATH",
              help="File holding the bearer token every request but /health must carry "
                   "(Authorization: Bearer TOKEN). Required off loopback.")  # fmt: skip
@click.option("--decision-log", metavar="PATH",
              help="Append one hash-chained JSON line per model decision to PATH.")  # fmt: skip
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Threads evaluating requests in each worker process.")  # fmt: skip
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (each loads the policy set itself).")  # fmt: skip
@click.option("--concurrency", default=64, show_default=True, type=click.IntRange(1, 100_000),
              help="Connections and requests one worker holds at once; beyond them it answers "
                   "503. Memory is bounded by this times max-file-bytes.")  # fmt: skip
@click.option("--access-log", is_flag=True, help="Log every request on stderr.")
@click.option("--protected-alias", "protected_aliases", multiple=True, metavar="ALIAS",
              help="/v1/authorize: setting this alias is a promotion (repeatable).")  # fmt: skip
@click.option("--protected-stage", "protected_stages", multiple=True, metavar="STAGE",
              help="/v1/authorize: moving to this stage is a promotion (repeatable).")  # fmt: skip
@handle_errors
def serve(
    host: str,
    port: int,
    policies: Sequence[str],
    catalogs: Sequence[str],
    waivers: Sequence[str],
    risk_registers: Sequence[str],
    approvers: Sequence[str],
    inputs: Sequence[str],
    params: Sequence[str],
    assignments: Sequence[str],
    fail_on: str,
    limit_values: Sequence[str],
    token_file: str | None,
    decision_log: str | None,
    threads: int,
    workers: int,
    concurrency: int,
    access_log: bool,
    protected_aliases: Sequence[str],
    protected_stages: Sequence[str],
) -> None:
    """Answer gate decisions over HTTP: POST /v1/check, POST /v1/authorize (with access
    policies among -p), GET /v1/policies, GET /health.

    SIGHUP reloads the policies (and waivers, approvers, inputs, risk registers,
    the token); a set that fails to load leaves the previous one serving.
    """
    if not is_loopback(host) and not token_file:
        raise UsageError(f"--host {host} is not loopback: a bearer token is required "
                         "(--token-file PATH), or listen on 127.0.0.1")  # fmt: skip
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError("policygate serve needs uvicorn: "
                         "pip install 'policygate[serve]'") from None
    from ..serve import ServeSettings, run

    settings = ServeSettings(
        host=host, port=port, policies=tuple(policies), catalogs=tuple(catalogs),
        waivers=tuple(waivers), risk_registers=tuple(risk_registers),
        approvers=tuple(approvers), inputs=tuple(inputs), params=tuple(params),
        assignments=tuple(assignments), fail_on=fail_on, limit_values=tuple(limit_values),
        token_file=token_file, decision_log=decision_log, threads=threads, workers=workers,
        concurrency=concurrency, access_log=access_log,
        protected_aliases=tuple(protected_aliases), protected_stages=tuple(protected_stages),
    )  # fmt: skip
    configure_limits(settings.limit_values)  # a bad --limit is exit 2 before anything loads
    from ..models import parse_set

    parse_set(settings.assignments)  # so is a bad --set
    run(settings)
