"""What the gate judges with, loaded once per server process from the configuration (SPEC §11).

The server finds its configuration file through ``POLICYGATE_CONFIG`` (a
``policygate.yaml``, or a ``pyproject.toml`` with ``[tool.policygate]``); when
it is not set, the nearest ``policygate.yaml`` from the server's working
directory, as every command finds it. Everything is loaded and compiled when
the worker starts: a request never reads a policy file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import UsageError

if TYPE_CHECKING:
    from ...approvals import Approvers
    from ...policy import Policy
    from ...waivers import Waiver

CONFIG_ENV = "POLICYGATE_CONFIG"
"""The environment variable naming the gate's configuration file."""


@dataclass(frozen=True)
class GateSettings:
    """The loaded policy sets and the registry settings the gate judges with."""

    access_policies: Sequence[Policy]
    policies: Sequence[Policy] = ()
    waivers: Sequence[Waiver] = ()
    approvers: Approvers | None = None
    protected_aliases: Sequence[str] = ()
    protected_stages: Sequence[str] = ()
    lifecycle_log: str | None = None
    identity_header: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    record_defaults: Mapping[str, Any] = field(default_factory=dict)
    """The configuration's ``set``: dotted path -> value, filled in where a record is silent."""
    fail_on: str = "error"
    source: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict)
    """The configuration's ``inputs``, as rules read them in ``check``."""
    risk_graph: Any = None
    """The configuration's ``risk_registers`` over the promotion policies."""


def load_settings(environ: Mapping[str, str] | None = None) -> GateSettings:
    """The gate's settings from the configuration file (``POLICYGATE_CONFIG`` or the
    nearest ``policygate.yaml``); a configuration without access policies is an error."""
    from ...config import load_config, load_config_file

    environ = os.environ if environ is None else environ
    named = environ.get(CONFIG_ENV)
    if named:
        if not os.path.isfile(named):
            raise UsageError(f"{CONFIG_ENV}={named}: no such file")
        config = load_config_file(named)
    else:
        config = load_config(os.getcwd())
    if config.path is None:
        raise UsageError(
            f"the policygate gate needs a configuration: set {CONFIG_ENV} to a policygate.yaml"
            " with registry.access_policies"
        )
    return settings_from_config(config)


def settings_from_config(config: Any) -> GateSettings:
    """Load what a :class:`policygate.config.Config` names, as one run
    (:func:`policygate.run.load_run`, SPEC §11's keys filling :class:`RunSpec`): the
    access policies of ``registry.access_policies`` with the run's waivers,
    approvers, inputs and risk registers, and the promotion policies of ``policies``;
    ``set`` gives the record defaults every imported record gets."""
    import dataclasses

    from ...run import RunSpec, load_run

    registry = config.registry
    access_paths = tuple(registry.access_policies or ())
    if not access_paths:
        raise UsageError(
            f"{config.path}: registry.access_policies is empty: the gate judges every "
            "registry write by access policies (kind: AccessPolicy)"
        )
    spec = RunSpec.from_config(config)
    run = load_run(dataclasses.replace(spec, policies=access_paths), access="only")
    promotion = load_run(spec) if spec.policies else None
    return GateSettings(
        access_policies=run.policies,
        policies=promotion.policies if promotion is not None else (),
        waivers=run.waivers,
        approvers=run.approvers,
        protected_aliases=tuple(registry.protected_aliases or ()),
        protected_stages=tuple(registry.protected_stages or ()),
        lifecycle_log=os.fspath(registry.lifecycle_log) if registry.lifecycle_log else None,
        identity_header=registry.identity_header or None,
        params=dict(config.params or {}),
        record_defaults=dict(config.set or {}),
        fail_on=config.fail_on or "error",
        source=str(config.path),
        inputs=run.inputs,
        risk_graph=promotion.risk_graph if promotion is not None else None,
    )
