"""The limits of one run, and where they come from.

Two sets of limits keep hostile or broken input from exhausting the gate
(SECURITY.md): :class:`~policygate.documents.Limits` bound what loading a file
may cost, :class:`~policygate.cel.budget.Budget` what evaluating a rule may
cost. The library takes both as arguments (``load_policies(..., limits=)``,
``evaluate(..., budget=)``) and never reads the environment for them; the
command line builds them here, from the defaults, then ``POLICYGATE_*``
environment variables, then ``--limit NAME=VALUE`` options (the last wins).

Each limit has one name on the command line and one in the environment:

========================  =================================  ==================================
``--limit NAME``          environment variable               default
========================  =================================  ==================================
``max-file-bytes``        ``POLICYGATE_MAX_FILE_BYTES``      10485760 (10 MiB) per file
``max-documents``         ``POLICYGATE_MAX_DOCUMENTS``       1000 per file
``max-depth``             ``POLICYGATE_MAX_DEPTH``           64 levels of nesting
``max-nodes``             ``POLICYGATE_MAX_NODES``           100000 per file, aliases expanded
``max-string``            ``POLICYGATE_MAX_STRING``          1048576 characters per scalar
``max-expanded-chars``    ``POLICYGATE_MAX_EXPANDED_CHARS``  10485760 characters of strings and
                                                             keys per file, aliases expanded
``rule-cost``             ``POLICYGATE_RULE_COST``           30000 units per evaluation
``rule-seconds``          ``POLICYGATE_RULE_SECONDS``        5 seconds per rule
========================  =================================  ==================================

``max-file-bytes`` applies to every file read, the importers' (a model card,
a BOM, an MLmodel file) included. ``max-expanded-chars`` is as large as
``max-file-bytes`` by default, so only an alias expansion can reach it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .cel.budget import DEFAULT_BUDGET, Budget
from .documents import DEFAULT_LIMITS, Limits
from .errors import UsageError


class Setting:
    """One configurable limit: its names and the field it sets (a plain class, not a
    dataclass: eight are made at import on every cold start; never changed)."""

    __slots__ = ("name", "env", "target", "field", "parse", "help")

    def __init__(
        self, name: str, env: str, target: str, field: str, parse: Callable[[str], Any],
        help: str,
    ) -> None:  # fmt: skip
        self.name = name  # --limit NAME=VALUE
        self.env = env  # POLICYGATE_...
        self.target = target  # "load" (documents.Limits) or "rule" (cel.budget.Budget)
        self.field = field
        self.parse = parse
        self.help = help


SETTINGS: tuple[Setting, ...] = (
    Setting("max-file-bytes", "POLICYGATE_MAX_FILE_BYTES", "load", "max_bytes", int,
            "bytes in one file"),
    Setting("max-documents", "POLICYGATE_MAX_DOCUMENTS", "load", "max_documents", int,
            "documents in one file"),
    Setting("max-depth", "POLICYGATE_MAX_DEPTH", "load", "max_depth", int,
            "nesting of mappings and sequences"),
    Setting("max-nodes", "POLICYGATE_MAX_NODES", "load", "max_nodes", int,
            "values in one file, every alias expansion counted"),
    Setting("max-string", "POLICYGATE_MAX_STRING", "load", "max_string", int,
            "characters in one string or key"),
    Setting("max-expanded-chars", "POLICYGATE_MAX_EXPANDED_CHARS", "load", "max_expanded_chars",
            int, "characters of the strings and keys of one file, every alias expansion counted"),
    Setting("rule-cost", "POLICYGATE_RULE_COST", "rule", "cost", int,
            "cost units one evaluation of one expression may spend"),
    Setting("rule-seconds", "POLICYGATE_RULE_SECONDS", "rule", "seconds", float,
            "seconds one rule may take, all its items together"),
)  # fmt: skip

_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class RunLimits:
    """The loading limits and the rule budget of one run."""

    load: Limits = DEFAULT_LIMITS
    rule: Budget = DEFAULT_BUDGET


def configure(
    assignments: Sequence[str] = (), environ: Mapping[str, str] | None = None
) -> RunLimits:
    """The defaults, overridden by ``POLICYGATE_*`` variables, then by ``NAME=VALUE``s."""
    environ = os.environ if environ is None else environ
    values: dict[Setting, tuple[str, str]] = {}
    for setting in SETTINGS:
        if environ.get(setting.env, "").strip():
            values[setting] = (environ[setting.env].strip(), setting.env)
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        named = _BY_NAME.get(name.strip())
        if not sep or named is None:
            known = ", ".join(_BY_NAME)
            raise UsageError(f"--limit {assignment!r}: expected NAME=VALUE, NAME one of {known}",
                             code="limit-invalid")  # fmt: skip
        values[named] = (raw.strip(), f"--limit {named.name}")
    load: dict[str, Any] = {}
    rule: dict[str, Any] = {}
    for setting, (raw, origin) in values.items():
        value = _parse(setting, raw, origin)
        (load if setting.target == "load" else rule)[setting.field] = value
    try:
        return RunLimits(replace(DEFAULT_LIMITS, **load), replace(DEFAULT_BUDGET, **rule))
    except UsageError as error:  # pragma: no cover - _parse already refused such values
        raise UsageError(f"limit: {error.message}", code="limit-invalid") from None


def _parse(setting: Setting, raw: str, origin: str) -> Any:
    try:
        value = setting.parse(raw)
    except ValueError:
        kind = "an integer" if setting.parse is int else "a number"
        raise UsageError(f"{origin}: {raw!r} is not {kind}", code="limit-invalid") from None
    if not value > 0 or value != value or value == float("inf"):
        message = f"{origin}: must be positive and finite, got {raw!r}"
        raise UsageError(message, code="limit-invalid")
    return value


def describe() -> str:
    """The limit names, for ``--help``."""
    return ", ".join(s.name for s in SETTINGS)


__all__ = ["RunLimits", "SETTINGS", "Setting", "configure", "describe"]
