"""A registry request as access rules read it (SPEC §8): checked, completed, and
given the actor's roles from the approvers directory.

What the caller gives is checked strictly: an unknown key anywhere is a usage
error with a did-you-mean, because a typo (``target.alais``) would otherwise
read as the empty alias and let a protected-alias rule skip. Everything a rule
may read is then present (an empty string, an empty list, ``false``), so a rule
never errors because a field the action does not use was left out.

Roles: an actor never asserts its own roles. With an approvers directory the
roles are the directory's, held at the request's time, whatever the request
says; without one the request's roles count only when the caller says it is a
trusted source (``trust_request_roles``: a PolicyTest case, a library caller
that authenticated the roles itself), else the actor has none.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..documents import DEFAULT_LIMITS, Limits
from ..errors import AccessRequestError
from ..policy import ACTIONS, unknown_action_message
from ..timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from ..approvals import Approvers

GATE_IDENTITY = "policygate"
"""``request.actor.name`` of the writes the admission gate makes itself (its
``policygate.*`` tags); such a request also has ``request.actor.gate: true``."""

_TOP = ("action", "actor", "target", "registry", "time", "protected", "context")
_ACTOR = ("name", "roles", "authenticated", "gate")
_TARGET = ("model", "version", "new_name", "alias", "aliases", "stage", "tag")
_TAG = ("key", "value")
_PROTECTED = ("aliases", "stages")

REQUIRED: Mapping[str, tuple[str, ...]] = {
    "update-version": ("version",),
    "delete-version": ("version",),
    "set-alias": ("version", "alias"),
    "delete-alias": ("alias",),
    "transition-stage": ("version", "stage"),
    "set-tag": ("tag.key",),
    "delete-tag": ("tag.key",),
    "rename-model": ("new_name",),
}
"""The target fields each action needs besides ``target.model``."""


def normalize_request(
    request: Any,
    *,
    now: _dt.datetime,
    approvers: Approvers | None = None,
    trust_request_roles: bool = False,
    protected_aliases: Sequence[str] = (),
    protected_stages: Sequence[str] = (),
) -> dict[str, Any]:
    """The complete request the rules see, or an :class:`AccessRequestError` (a
    usage error) naming what is wrong.

    ``request.time`` defaults to ``now``; ``request.protected`` holds the
    protected aliases and stages (the request's own, if any, and those given
    here); ``request.promotion`` says whether the request is a promotion.
    """
    top = _mapping(request, "request", _TOP)
    action = top.get("action")
    if action is None:
        raise AccessRequestError("request.action is required")
    if action not in ACTIONS:
        raise AccessRequestError(f"request.action: {unknown_action_message(action)}")

    actor_in = _mapping(top.get("actor"), "request.actor", _ACTOR, required=True)
    name = _text(actor_in.get("name"), "request.actor.name")
    if not name:
        raise AccessRequestError("request.actor.name is required (who asks)")
    given_roles = _texts(actor_in.get("roles", []), "request.actor.roles")
    actor = {
        "name": name,
        "roles": _roles(name, given_roles, now, approvers, trust_request_roles),
        "authenticated": _flag(actor_in.get("authenticated", False), "request.actor.authenticated"),
        "gate": _flag(actor_in.get("gate", False), "request.actor.gate"),
    }

    target_in = _mapping(top.get("target"), "request.target", _TARGET, required=True)
    tag_in = _mapping(target_in.get("tag", {}), "request.target.tag", _TAG)
    target: dict[str, Any] = {
        "model": _text(target_in.get("model"), "request.target.model"),
        "version": _version(target_in.get("version", "")),
        "new_name": _text(target_in.get("new_name", ""), "request.target.new_name"),
        "alias": _text(target_in.get("alias", ""), "request.target.alias"),
        "aliases": _texts(target_in.get("aliases", []), "request.target.aliases"),
        "stage": _text(target_in.get("stage", ""), "request.target.stage"),
        "tag": {
            "key": _text(tag_in.get("key", ""), "request.target.tag.key"),
            "value": _text(tag_in.get("value", ""), "request.target.tag.value"),
        },
    }
    if not target["model"]:
        raise AccessRequestError("request.target.model is required (the registered model)")
    for field in REQUIRED.get(action, ()):
        value = target["tag"]["key"] if field == "tag.key" else target[field]
        if not value:
            raise AccessRequestError(f"request.target.{field} is required for {action}")

    protected_in = _mapping(top.get("protected", {}), "request.protected", _PROTECTED)
    protected = {
        "aliases": _union(_texts(protected_in.get("aliases", []), "request.protected.aliases"),
                          _texts(list(protected_aliases), "protected_aliases")),
        "stages": _union(_texts(protected_in.get("stages", []), "request.protected.stages"),
                         _texts(list(protected_stages), "protected_stages")),
    }  # fmt: skip

    time = top.get("time")
    if time is None:
        time = format_timestamp(now)
    else:
        try:
            time = format_timestamp(parse_timestamp(_text(time, "request.time")))
        except ValueError as error:
            raise AccessRequestError(f"request.time: {error}") from None
    context = _mapping(top.get("context", {}), "request.context", None)
    normalized = {
        "action": action,
        "actor": actor,
        "target": target,
        "registry": _text(top.get("registry", ""), "request.registry"),
        "time": time,
        "protected": protected,
        "context": dict(context),
    }
    normalized["promotion"] = is_promotion(normalized)
    return normalized


def load_request(path: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The request a file (or ``-``) holds: one YAML or JSON document, as written (check
    it with :func:`normalize_request`)."""
    from ..documents import load_file

    documents = load_file(path, limits)
    if len(documents) != 1:
        found = "no document" if not documents else f"{len(documents)} documents"
        raise AccessRequestError(f"--request {path}: expected one request, found {found}")
    return documents[0].data


def is_promotion(request: Mapping[str, Any]) -> bool:
    """Whether a normalized request points a protected alias at a version or moves a
    version to a protected stage (stages compare without case, as MLflow's do)."""
    target, protected = request["target"], request["protected"]
    if request["action"] == "set-alias":
        return bool(target["alias"]) and target["alias"] in protected["aliases"]
    if request["action"] == "transition-stage":
        stages = {stage.casefold() for stage in protected["stages"]}
        return bool(target["stage"]) and target["stage"].casefold() in stages
    return False


def roles_in_directory(name: str, approvers: Approvers, moment: _dt.datetime) -> list[str]:
    """The roles ``name`` holds in the directory at ``moment`` (none when not listed,
    or when its own validity does not hold then)."""
    approver = approvers.get(name)
    if approver is None or not approver.validity.holds_at(moment):
        return []
    return sorted({grant.role for grant in approver.roles if grant.validity.holds_at(moment)})


def _roles(
    name: str,
    given: list[str],
    now: _dt.datetime,
    approvers: Approvers | None,
    trusted: bool,
) -> list[str]:
    if approvers is not None:
        return roles_in_directory(name, approvers, now)
    return sorted(set(given)) if trusted else []


def _mapping(
    value: Any, where: str, known: Sequence[str] | None, *, required: bool = False
) -> Mapping[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        shown = "nothing" if value is None else type(value).__name__
        raise AccessRequestError(f"{where} must be a mapping, got {shown}")
    for key in value:
        if not isinstance(key, str):
            raise AccessRequestError(f"{where}: keys must be strings, got {key!r}")
        if known is not None and key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
            raise AccessRequestError(f"{where}: unknown key {key!r}{hint}")
    return value


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AccessRequestError(f"{where} must be a string, got {type(value).__name__}")
    return value


def _version(value: Any) -> str:
    """A version as a string: MLflow numbers its versions, so an integer is accepted."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, "request.target.version")


def _texts(value: Any, where: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise AccessRequestError(f"{where} must be a list of strings, got {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            kind = type(item).__name__
            raise AccessRequestError(f"{where} must be a list of strings, got {kind} in it")
    return list(value)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise AccessRequestError(f"{where} must be true or false, got {type(value).__name__}")
    return value


def _union(*lists: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item, None)
    return list(seen)
