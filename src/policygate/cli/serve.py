"""``policygate serve``: the decision service over HTTP (SPEC §10, docs/serve.md).

Everything is loaded and compiled before the port is bound, so a bad policy is
exit 2 with its ``file:line:col`` and nothing listens. Off loopback a bearer
token is required (``--token-file``); without one the command refuses to start.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import click

from ..errors import UsageError
from .common import handle_errors, not_taken, run_options, run_spec


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


EXCLUDED = {
    "evidence": "the records come with each request, with the evidence they hold",
    "attestation_log": "checked on the records of a check run; a request's record is not "
    "in the server's log",
    "attestation_head": "as --attestation-log",
}


@click.command(epilog=not_taken(EXCLUDED))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token-file.")  # fmt: skip
@click.option("--port", default=8181, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")  # fmt: skip
@run_options(exclude=tuple(EXCLUDED), required=("policies",),
             help={"now": "Judge a request whose body gives no now as of this time "
                          "(default: when it comes)."})  # fmt: skip
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
              help="Requests one worker answers at once (beyond them: 503), and connections "
                   "it keeps waiting for a request (beyond them the longest waiting is "
                   "closed). Memory is bounded by this times max-file-bytes.")  # fmt: skip
@click.option("--read-timeout", default=30.0, show_default=True, metavar="SECONDS",
              type=click.FloatRange(0.1, 3600),
              help="Seconds a client has to send a request's head (from connecting, or from "
                   "the previous answer), and then its body; a slower one gets 408.")  # fmt: skip
@click.option("--max-models", default=1000, show_default=True, metavar="N",
              type=click.IntRange(1, 1_000_000),
              help="Model records one /v1/check request may hold; more is a 400.")  # fmt: skip
@click.option("--access-log", is_flag=True, help="Log every request on stderr.")
@click.option("--protected-alias", "protected_aliases", multiple=True, metavar="ALIAS",
              help="/v1/authorize: setting this alias is a promotion (repeatable).")  # fmt: skip
@click.option("--protected-stage", "protected_stages", multiple=True, metavar="STAGE",
              help="/v1/authorize: moving to this stage is a promotion (repeatable).")  # fmt: skip
@handle_errors
def serve(
    host: str,
    port: int,
    token_file: str | None,
    decision_log: str | None,
    threads: int,
    workers: int,
    concurrency: int,
    read_timeout: float,
    max_models: int,
    access_log: bool,
    protected_aliases: Sequence[str],
    protected_stages: Sequence[str],
    **given: Any,
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

    spec = run_spec(given)
    settings = ServeSettings(
        host=host, port=port, policies=spec.policies, catalogs=spec.catalogs,
        waivers=spec.waivers, risk_registers=spec.risk_registers, approvers=spec.approvers,
        attestations=spec.attestations, require_evidence=spec.require_evidence, now=spec.now,
        inputs=spec.inputs, params=spec.params, assignments=spec.set, fail_on=spec.fail_on,
        limit_values=spec.limits, token_file=token_file, decision_log=decision_log,
        threads=threads, workers=workers, concurrency=concurrency, read_timeout=read_timeout,
        max_models=max_models, access_log=access_log,
        protected_aliases=tuple(protected_aliases), protected_stages=tuple(protected_stages),
    )  # fmt: skip
    run(settings)  # loads the run before binding: a bad input is exit 2 and nothing listens
