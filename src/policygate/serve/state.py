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

from ..api import load_inputs
from ..errors import LoadError, UsageError
from ..limits import RunLimits
from ..policy import load_policies, parse_param
from ..timestamps import format_timestamp, utc_now
from ..waivers import load_waivers

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


def load_set(sources: ServeSources) -> PolicySet:
    """Load every source as ``check`` would; raises :class:`PolicygateError` (or
    ``OSError``) when anything is wrong, having changed nothing."""
    limits = sources.limits
    overrides = dict(parse_param(p) for p in sources.params)
    policies = load_policies(list(sources.policies), params=overrides,
                             limits=limits.load)  # fmt: skip
    catalogs = []
    if sources.catalogs or any(rule.controls for policy in policies for rule in policy.rules):
        from ..graph.catalogs import load_catalogs, verify_control_ids

        catalogs = load_catalogs(sources.catalogs, limits=limits.load) if sources.catalogs else []
        verify_control_ids(policies, catalogs)
    waivers = load_waivers(sources.waivers, limits=limits.load) if sources.waivers else []
    approvers = None
    if sources.approvers:
        from ..approvals import load_approvers

        approvers = load_approvers(sources.approvers, limits=limits.load)
    inputs = load_inputs(sources.inputs, limits.load)
    register = risk_graph = None
    if sources.risk_registers:
        from ..graph.build import build_risk_graph
        from ..graph.register import load_risk_registers

        register = load_risk_registers(sources.risk_registers,
                                       limits=limits.load)  # fmt: skip
        risk_graph = build_risk_graph(register, policies, extra_catalogs=catalogs)
    token = read_token(sources.token_file) if sources.token_file else None
    access = _access_policies(sources, overrides)
    from ..models import parse_set

    defaults = parse_set(sources.assignments)
    return PolicySet(
        policies=tuple(policies), waivers=tuple(waivers), approvers=approvers,
        inputs=inputs, register=register, risk_graph=risk_graph, token=token,
        loaded_at=format_timestamp(utc_now()), access_policies=tuple(access),
        defaults=defaults,
    )  # fmt: skip


def _access_policies(sources: ServeSources, overrides: Mapping[str, Any]) -> list[Policy]:
    """The access policies beside the promotion policies of ``-p`` (none is no error:
    ``/v1/authorize`` then says it cannot judge); ``--param`` reaches those that
    declare the parameter."""
    from ..errors import NothingEvaluatedError

    try:
        access = load_policies(list(sources.policies), kind="AccessPolicy",
                               limits=sources.limits.load)  # fmt: skip
    except NothingEvaluatedError:
        return []
    return [policy.with_params(overrides) for policy in access]


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
