"""What ``policygate serve`` serves: one loaded policy set, replaced whole on reload.

A :class:`PolicySet` is everything a decision needs that does not come with the
request (policies, waivers, approvers, inputs, the risk graph, the bearer token),
loaded, validated and compiled once, as ``check`` loads them. :class:`ServedSet`
holds the current one; a request takes it once (one attribute read, atomic in
Python) and uses that same set to the end, so a reload in the middle of a request
never mixes two sets. A set that fails to load never replaces the one serving.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import LoadError, UsageError
from ..limits import RunLimits
from ..run import Run, RunSpec, load_run
from ..timestamps import format_timestamp, utc_now

if TYPE_CHECKING:
    from ..approvals import Approvers
    from ..graph.build import RiskGraph
    from ..graph.register import RiskRegister
    from ..policy import Policy
    from ..waivers import Waiver


@dataclass(frozen=True)
class ServeSources:
    """Where the served set comes from: the paths and values ``serve`` was given.

    Reloading reads these again; the limits are fixed for the server's lifetime.
    """

    policies: tuple[str, ...]
    catalogs: tuple[str, ...] = ()
    waivers: tuple[str, ...] = ()
    risk_registers: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    assignments: tuple[str, ...] = ()  # --set PATH=VALUE: record defaults
    token_file: str | None = None
    limits: RunLimits = field(default_factory=RunLimits)
    protected_aliases: tuple[str, ...] = ()
    protected_stages: tuple[str, ...] = ()
    attestations: tuple[str, ...] = ()
    require_evidence: bool = False
    limit_values: tuple[str, ...] = ()
    now: str | None = None

    def run_spec(self) -> RunSpec:
        """The run every request is judged in (its models come with the request)."""
        return RunSpec(
            policies=self.policies, catalogs=self.catalogs, waivers=self.waivers,
            risk_registers=self.risk_registers, require_evidence=self.require_evidence,
            approvers=self.approvers, attestations=self.attestations, inputs=self.inputs,
            params=self.params, set=self.assignments, limits=self.limit_values, now=self.now,
        )  # fmt: skip


@dataclass(frozen=True)
class PolicySet:
    """One loaded, validated and compiled set of everything a decision reads."""

    policies: tuple[Policy, ...]
    waivers: tuple[Waiver, ...]
    approvers: Approvers | None
    inputs: Mapping[str, Any]
    register: RiskRegister | None
    risk_graph: RiskGraph | None
    token: str | None
    loaded_at: str
    access_policies: tuple[Policy, ...] = ()
    """The access policies among ``-p`` (``/v1/authorize``); none: it answers 501."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """``--set``'s record defaults, filled into every record judged (models.apply_set)."""
    run: Run | None = None
    """The run the set was loaded as (:func:`policygate.run.load_run`): every request
    is evaluated with its inputs."""


def load_set(sources: ServeSources) -> PolicySet:
    """Load every source as ``check`` would (one :func:`policygate.run.load_run`);
    raises :class:`PolicygateError` (or ``OSError``) when anything is wrong, having
    changed nothing."""
    import os

    from ..errors import NothingEvaluatedError

    run = load_run(sources.run_spec(), access="also", environ=os.environ)
    if not run.policies:  # /v1/check needs promotion policies; access ones may be absent
        raise NothingEvaluatedError(f"no policy found in {', '.join(sources.policies)}")
    token = read_token(sources.token_file) if sources.token_file else None
    return PolicySet(
        policies=run.policies, waivers=run.waivers, approvers=run.approvers,
        inputs=run.inputs, register=run.risk_graph.register if run.risk_graph else None,
        risk_graph=run.risk_graph, token=token, loaded_at=format_timestamp(utc_now()),
        access_policies=run.access_policies, defaults=run.defaults, run=run,
    )  # fmt: skip


MAX_TOKEN_BYTES = 4096


def read_token(path: str) -> str:
    """The bearer token in ``path``: its text without surrounding whitespace.

    An empty token would let an empty ``Authorization: Bearer`` through, so it is
    refused, as is anything but a short single-line text.
    """
    from ..documents import Limits, read_bytes

    raw = read_bytes(path, Limits(max_bytes=MAX_TOKEN_BYTES))
    try:
        token = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise LoadError(f"--token-file {path}: the token is not UTF-8 text") from None
    if not token:
        raise UsageError(f"--token-file {path}: the file holds no token")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise UsageError(f"--token-file {path}: the token must be one line without spaces")
    return token


class ServedSet:
    """The set being served, and the one way to replace it."""

    def __init__(self, sources: ServeSources, current: PolicySet) -> None:
        self.sources = sources
        self._current = current
        self._reloading = threading.Lock()

    @property
    def current(self) -> PolicySet:
        return self._current

    def reload(self) -> PolicySet:
        """Load the sources again and serve the result; on any error raise it and keep
        serving the old set. Reloads run one at a time."""
        with self._reloading:
            fresh = load_set(self.sources)
            self._current = fresh  # one reference assignment: requests see old or new
            return fresh


def policy_listing(policies: Sequence[Policy]) -> list[dict[str, Any]]:
    """``GET /v1/policies``: each policy's name, version, source, digest and rules."""
    return [
        {
            "name": p.name,
            "version": p.version,
            "source": p.source,
            "digest": p.digest,
            "rules": len(p.rules),
        }
        for p in policies
    ]
