"""The admission gate inside MLflow's Flask app: judge each registry write before MLflow
runs it, and log it (and write the ``policygate.*`` tags of a promotion) once MLflow has.

Three Flask hooks, installed after MLflow's basic-auth app:

- ``before_request`` (after basic auth has authenticated the user): a registry
  write is read with MLflow's own request parser (the gate judges exactly
  what MLflow will run), becomes one registry request per action (a create
  with tags also sets each tag), is judged by :func:`policygate.authorize`
  on the target version's record read from the store at that moment, and is
  refused with HTTP 403 ``PERMISSION_DENIED`` naming every failing rule.
  Anything that goes wrong while judging denies.
- ``after_request``: an allowed write MLflow applied (HTTP 200) gets its
  promotion tags, and every judged write its lifecycle entry.
- ``teardown_request``: the write lock is released whatever happened.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import lifecycle
from ...decisionlog import digest, waiver_digest
from ...errors import PolicygateError
from ...timestamps import format_timestamp, utc_now
from .routes import IN_PROCESS, Route, registry_routes, requests_for
from .settings import GateSettings

if TYPE_CHECKING:
    from flask import Flask, Response

    from ...access import AccessDecision

_logger = logging.getLogger("policygate.gate")

MAX_BODY = 1 << 20
"""The largest registry write the gate reads (1 MiB; MLflow's own fields are far smaller)."""

REGISTRY = "mlflow"

GATE_TAG_PREFIX = "policygate."
"""The gate's own tags (its outcome tags, :data:`CREATED_BY_TAG`, the record overlay)."""

CREATED_BY_TAG = "policygate.metadata.created_by"
"""Written by the gate on every version it lets be created: the authenticated user who
created it. The importer reads it as the record's ``metadata.created_by`` (a tag under
``policygate.metadata.`` is an overlay), so a rule such as "nobody promotes a model they
created" judges who registered the version, not the user name a client wrote into its
run (MLflow takes a run's user from the client)."""


@dataclass
class Pending:
    """An allowed write waiting for MLflow's answer (kept on ``flask.g``)."""

    route: Route
    time: str
    actor: dict[str, Any]
    asked: list[dict[str, Any]]
    decisions: list[AccessDecision]
    record: Any
    previous: str | None
    details: dict[str, Any] = field(default_factory=dict)
    lock: lifecycle.WriteLock | None = None


class Denied(Exception):
    """A request refused before any rule ran (unreadable, unauthenticated, too large)."""

    def __init__(self, message: str, status: int = 403, code: str = "PERMISSION_DENIED"):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


class Gate:
    """The gate of one server process: its settings (or why they did not load) and routes."""

    def __init__(self, settings: GateSettings | None, problem: str | None = None) -> None:
        self.settings = settings
        self.problem = problem
        self.routes = registry_routes()

    # ------------------------------------------------------------------ installing

    def install(self, app: Flask) -> None:
        """Hook the gate into ``app``: its size guard first, its judge after basic auth."""
        app.before_request_funcs.setdefault(None, []).insert(0, self.limit_body)
        app.before_request(self.before)
        app.after_request(self.after)
        app.teardown_request(self.teardown)

    def route(self) -> Route | None:
        from flask import request

        rule = request.url_rule
        if rule is None:
            return None
        found = self.routes.get((rule.rule, request.method))
        if found is None and request.method not in ("GET", "HEAD", "OPTIONS"):
            from flask import current_app

            view = current_app.view_functions.get(rule.endpoint)
            writer = IN_PROCESS.get(getattr(view, "__name__", ""))
            if writer is not None:
                return Route(writer, None)
        return found

    # ------------------------------------------------------------------ hooks

    def limit_body(self) -> Response | None:
        """Bound what a registry write may make the server read, before anyone reads it."""
        from flask import request

        route = self.route()
        if route is None or route.action is None and not route.unclassified:
            return None
        request.max_content_length = MAX_BODY
        if request.content_length is not None and request.content_length > MAX_BODY:
            return error_response(
                f"policygate: the request body is {request.content_length} bytes, over the "
                f"gate's limit of {MAX_BODY}",
                413,
                "REQUEST_LIMIT_EXCEEDED",
            )
        return None

    def before(self) -> Response | None:
        from flask import g

        route = self.route()
        if route is None or (route.action is None and not route.unclassified):
            return None  # not a registry write: untouched
        time = format_timestamp(utc_now())
        lock = None
        try:
            if route.in_process:
                raise Denied(
                    f"policygate: {route.message} ({_request_path()}) writes the registry "
                    "inside the server (prompts and their aliases), where the gate cannot "
                    "judge each write; it is refused"
                )
            if route.unclassified:
                raise Denied(
                    f"policygate: {route.message} is a registry method the gate does not "
                    "know; it is refused until the gate classifies it"
                )
            if self.settings is None:
                raise Denied(f"policygate: the gate is not configured: {self.problem}")
            actor = self.actor()
            message = self.read_message(route)
            asked = requests_for(route, message)
            self.refuse_lookalike_alias(asked)
            if self.settings.lifecycle_log:
                lock = lifecycle.WriteLock(self.settings.lifecycle_log)
                lock.acquire()
                time = format_timestamp(utc_now())  # in the log's order
                self.check_log(self.settings.lifecycle_log)
            pending = self.judge(route, time, actor, asked)
        except Denied as refused:
            self.log_refusal(route, time, refused.message)
            if lock is not None:
                lock.release()
            return error_response(refused.message, refused.status, refused.code)
        except Exception as error:  # fail closed: a gate that cannot judge denies
            text = _error_text(error)
            _logger.exception("policygate: judging %s failed", route.message)
            self.log_refusal(route, time, f"policygate: the request could not be judged: {text}")
            if lock is not None:
                lock.release()
            return error_response(f"policygate: denied: the request could not be judged: {text}")
        pending.lock = lock
        if not all(d.allowed for d in pending.decisions):
            try:
                self.log(pending, allowed=False, applied=False, status=403)
            except Exception:  # denied all the same
                _logger.exception("policygate: a denial could not be logged")
            finally:
                if lock is not None:
                    lock.release()
            return error_response(denial_message(pending.decisions))
        g.policygate_pending = pending
        return None

    def after(self, response: Response) -> Response:
        from flask import g

        pending: Pending | None = g.pop("policygate_pending", None)
        if pending is None:
            return response
        applied = response.status_code == 200
        try:
            if applied:
                self.fill_from_response(pending, response)
                self.write_own_tags(pending)
            self.log(pending, allowed=True, applied=applied, status=response.status_code)
        except Exception:  # the write happened: say so loudly; the audit finds it unlogged
            _logger.exception(
                "policygate: %s was applied but could not be logged", pending.route.message
            )
        finally:
            if pending.lock is not None:
                pending.lock.release()
        return response

    def write_own_tags(self, pending: Pending) -> None:
        """The gate's tags on an applied write (who created a version, a promotion's
        outcome); a failure is logged with the entry, never hides the entry."""
        try:
            if pending.route.message == "CreateModelVersion":
                pending.details["created_by"] = self.stamp_creator(pending)
            if pending.decisions[0].is_promotion:
                pending.details["tags"] = self.write_tags(pending)
        except Exception as error:
            _logger.exception("policygate: the gate's tags could not be written")
            pending.details["tags_not_written"] = _error_text(error)

    def teardown(self, error: BaseException | None) -> None:
        from flask import g

        pending: Pending | None = g.pop("policygate_pending", None)
        if pending is not None and pending.lock is not None:
            pending.lock.release()

    # ------------------------------------------------------------------ judging

    def check_log(self, path: str) -> None:
        """Refuse to judge when the lifecycle log cannot take the entry (its last line cut
        short by an interrupted write, no permission): a write the log would lose is not
        allowed. (A disk that fills between this check and the entry is found by the
        out-of-band audit.)"""
        try:
            lifecycle.check_appendable(path)
        except PolicygateError as error:
            raise Denied(
                f"policygate: denied: the lifecycle log cannot be appended: {error}"
            ) from None

    def actor(self) -> dict[str, Any]:
        """The authenticated MLflow user, or the trusted proxy header's when configured."""
        from flask import g, request

        assert self.settings is not None
        user = g.get("mlflow_authenticated_user")
        if not user:
            raise Denied("policygate: denied: the request is not authenticated", 401,
                         "UNAUTHENTICATED")  # fmt: skip
        header = self.settings.identity_header
        if header:
            named = request.headers.get(header, "").strip()
            if not named:
                raise Denied(f"policygate: denied: the identity header {header} is missing")
            return {"name": named, "authenticated": True, "via": f"header {header}",
                    "account": str(user)}  # fmt: skip
        return {"name": str(user), "authenticated": True, "via": "mlflow basic auth"}

    def read_message(self, route: Route) -> Any:
        """The write's request message, parsed by MLflow's own parser (the one its handler
        runs next): the gate judges what MLflow will do, not its own reading of the body."""
        from flask import request
        from mlflow.server.handlers import _get_request_message

        if request.method != "GET":
            raw = request.get_data(cache=True)
            if len(raw) > MAX_BODY:
                raise Denied(f"policygate: the request body is over {MAX_BODY} bytes", 413,
                             "REQUEST_LIMIT_EXCEEDED")  # fmt: skip
            if raw.strip():
                try:
                    json.loads(raw)
                except ValueError as error:
                    raise Denied(
                        f"policygate: denied: the request body is not valid JSON ({error})", 400,
                        "INVALID_PARAMETER_VALUE",
                    ) from None
        try:
            return _get_request_message(route.request_class())
        except Exception as error:
            raise Denied(f"policygate: denied: the request cannot be read: {_error_text(error)}",
                         400, "INVALID_PARAMETER_VALUE") from None  # fmt: skip

    def refuse_lookalike_alias(self, asked: Sequence[Mapping[str, Any]]) -> None:
        """Refuse an alias that differs from a protected one only in case or accents
        (``Champion``, ``chámpion``): a registry database that compares names without
        them (MySQL's default collation, SQL Server's) moves the protected alias itself,
        and resolves ``@champion`` to the version set under the other spelling. A tag
        key spelt like the gate's own (``POLICYGATE.metadata.created_by``) likewise."""
        assert self.settings is not None
        for one in asked:
            key = str((one["target"].get("tag") or {}).get("key") or "")
            if _fold(key).startswith(GATE_TAG_PREFIX) and not key.startswith(GATE_TAG_PREFIX):
                raise Denied(
                    f"policygate: denied: the tag {key!r} differs from the gate's "
                    f"{GATE_TAG_PREFIX}* tags only in case or accents (a database that "
                    "compares without them would overwrite the gate's tag)"
                )
            alias = str(one["target"].get("alias") or "")
            if not alias or alias in self.settings.protected_aliases:
                continue
            for protected in self.settings.protected_aliases:
                if _fold(alias) == _fold(protected):
                    raise Denied(
                        f"policygate: denied: the alias {alias!r} differs from the protected "
                        f"alias {protected!r} only in case or accents (a database that "
                        f"compares without them would move {protected!r}); use {protected!r}"
                    )

    def judge(
        self, route: Route, time: str, actor: dict[str, Any], asked: list[dict[str, Any]]
    ) -> Pending:
        from ...access import authorize

        settings = self.settings
        assert settings is not None
        store = registry_store()
        first = asked[0]
        target = first["target"]
        record, problem, aliases = None, None, None
        version = self.version_judged(store, first)
        if version:
            if first["action"] == "delete-alias":
                target["version"] = version
            stage = _target_stage(first, settings)
            record, problem, aliases = self.record(target["model"], version, stage)
        whole = first["action"] in ("delete-model", "rename-model")  # every alias goes with it
        if aliases is None and (whole or target.get("version")):
            aliases = self.model_aliases(store, target["model"])
        previous = self.previous(store, first, aliases)
        if aliases is not None and whole:
            target["aliases"] = sorted(aliases)
        elif aliases is not None and target.get("version"):
            target["aliases"] = sorted(a for a, v in aliases.items() if v == target["version"])
        context: dict[str, Any] = {}
        if first["action"] in ("transition-stage", "delete-version"):  # leaving a stage too
            context["current_stage"] = self.current_stage(store, target)
        if whole:  # the versions go with the model: the stages they are in
            context["stages"] = self.model_stages(store, target["model"])
        decisions = []
        for one in asked:
            request = {
                "action": one["action"],
                "actor": {"name": actor["name"], "authenticated": True},
                "target": one["target"],
                "registry": REGISTRY,
                "time": time,
                "context": context,
            }
            decisions.append(
                authorize(
                    request,
                    access_policies=settings.access_policies,
                    policies=settings.policies,
                    model=record,
                    protected_aliases=settings.protected_aliases,
                    protected_stages=settings.protected_stages,
                    waivers=settings.waivers,
                    approvers=settings.approvers,
                    now=time,
                    fail_on=settings.fail_on,
                    inputs=settings.inputs,
                    risk_graph=settings.risk_graph,
                )
            )
        details = dict(first.get("details") or {})
        if problem:
            details["record_not_read"] = problem
        if settings.approvers is not None:
            actor = {**actor, "roles": list(decisions[0].request["actor"]["roles"])}
        return Pending(route, time, actor, asked, decisions, record, previous, details)

    def current_stage(self, store: Any, target: Mapping[str, Any]) -> str:
        """The stage the version is in before the request (``""``: no such version)."""
        try:
            found = store.get_model_version(target["model"], target["version"])
        except Exception:  # no such version: MLflow answers the request with its own error
            return ""
        return str(found.current_stage or "")

    def model_stages(self, store: Any, name: str) -> list[str]:
        """The stages (other than ``None``) some version of the model is in."""
        try:
            latest = store.get_latest_versions(name, ["Staging", "Production", "Archived"])
        except Exception:  # no such model: MLflow answers the request with its own error
            return []
        return sorted({str(v.current_stage) for v in latest if v.current_stage})

    def version_judged(self, store: Any, asked: Mapping[str, Any]) -> str:
        """The version whose record the rules see: the target's, or the alias holder's."""
        target = asked["target"]
        if target.get("version"):
            return str(target["version"])
        if asked["action"] == "delete-alias":
            return _alias_holder(store, target["model"], target["alias"]) or ""
        return ""

    def previous(
        self, store: Any, asked: Mapping[str, Any], aliases: Mapping[str, str] | None
    ) -> str | None:
        """Which version held the alias (or was newest in the stage) before this request."""
        target = asked["target"]
        if asked["action"] in ("set-alias", "delete-alias"):
            if aliases is not None:
                return aliases.get(target["alias"])
            return _alias_holder(store, target["model"], target["alias"])
        if asked["action"] == "transition-stage":
            try:
                latest = store.get_latest_versions(target["model"], [target["stage"]])
            except Exception:
                return None
            versions = [str(v.version) for v in latest if str(v.version) != target["version"]]
            return versions[0] if versions else None
        return None

    def model_aliases(self, store: Any, name: str) -> dict[str, str] | None:
        """Every alias of the model and its version (``None``: no such model)."""
        try:
            model = store.get_registered_model(name)
        except Exception:  # no such model: MLflow answers the request with its own error
            return None
        found = model.aliases or ()
        if isinstance(found, Mapping):
            pairs: Any = found.items()
        else:
            pairs = ((a.alias, a.version) for a in found)
        return {str(alias): str(version) for alias, version in pairs}

    def record(
        self, name: str, version: str, target_stage: str | None = None
    ) -> tuple[dict[str, Any] | None, str | None, dict[str, str] | None]:
        """The version's record as the MLflow importer builds it, from the store now, with
        the configuration's ``set`` defaults and, for a promotion, the stage it asks for
        as ``metadata.target_stage`` (as ``policygate promote`` sets it); the reason it
        could not be read; and the model's aliases, read with it."""
        from ...importers import mlflow as mlflow_import
        from ...importers import validate_record
        from ...models import apply_set

        assert self.settings is not None
        source = f"mlflow:models:/{name}/{version}"
        aliases = None
        try:
            with mlflow_import.registry_errors(source):
                snapshot = mlflow_import.snapshot(store_client(), name, version)
            aliases = dict(snapshot["registered_model"]["aliases"])
            data = mlflow_import.record_from_snapshot(snapshot, source)
            if target_stage is not None:
                data["metadata"]["target_stage"] = target_stage
            validate_record(data, source)
            if self.settings.record_defaults:
                data = dict(apply_set(data, self.settings.record_defaults, source="set").data)
        except PolicygateError as error:
            return None, str(error), aliases
        return data, None, aliases

    # ------------------------------------------------------------------ after the write

    def fill_from_response(self, pending: Pending, response: Response) -> None:
        """A created version's number is known only once MLflow answered."""
        if pending.route.message != "CreateModelVersion":
            return
        try:
            body = json.loads(response.get_data())
            pending.asked[0]["target"]["version"] = str(body["model_version"]["version"])
        except (ValueError, KeyError, TypeError):
            return

    def stamp_creator(self, pending: Pending) -> str | None:
        """Tag a version the gate let be created with who created it (:data:`CREATED_BY_TAG`)."""
        from mlflow.entities.model_registry import ModelVersionTag

        target = pending.asked[0]["target"]
        if not target.get("version"):
            return None
        tag = ModelVersionTag(CREATED_BY_TAG, str(pending.actor["name"]))
        registry_store().set_model_version_tag(target["model"], target["version"], tag)
        return str(pending.actor["name"])

    def write_tags(self, pending: Pending) -> list[str]:
        """The promotion's ``policygate.*`` tags, as ``policygate promote`` writes them,
        straight into the store (the gate's own write, never a request)."""

        from ..mlflow import outcome_tags

        report = pending.decisions[0].promotion
        if report is None:
            return []
        target = pending.asked[0]["target"]
        tags = outcome_tags(report)
        pending.details["report_digest"] = tags["policygate.report_digest"]
        set_version_tags(target["model"], target["version"], tags)
        return sorted(tags)

    # ------------------------------------------------------------------ the log

    def log(self, pending: Pending, *, allowed: bool, applied: bool, status: int) -> None:
        settings = self.settings
        if settings is None or not settings.lifecycle_log:
            return
        first = pending.asked[0]
        decision = pending.decisions[0]
        target = dict(decision.request["target"])
        target["version"] = first["target"].get("version", target.get("version", ""))
        protected = _protected(decision)
        event = lifecycle.classify(
            first["action"], allowed=allowed, protected=protected,
            version=str(target.get("version") or ""), previous=pending.previous,
            stage=str(target.get("stage") or ""),
        )  # fmt: skip
        failed = [f for d in pending.decisions for f in d.failing]
        used = self.policies_used(pending.decisions)
        promotion = None
        if decision.promotion is not None:
            report = decision.promotion
            written = pending.details.pop("report_digest", None)
            promotion = {
                "passed": report.passed,
                "report_digest": written
                or "sha256:" + hashlib.sha256(report.to_json().encode("utf-8")).hexdigest(),
            }
        record = pending.record
        model = None
        if record is not None:
            meta = record.get("metadata") or {}
            model = {"name": meta.get("name"), "version": meta.get("version"),
                     "digest": digest(record)}  # fmt: skip
        details = {**pending.details, "worker": os.getpid()}
        if len(pending.asked) > 1:
            details["also"] = [
                {"action": a["action"], "tag": a["target"].get("tag")} for a in pending.asked[1:]
            ]
        lifecycle.append(
            settings.lifecycle_log,
            [
                lifecycle.entry(
                    time=pending.time, event=event, action=first["action"], actor=pending.actor,
                    target=target, allowed=allowed, applied=applied, protected=protected,
                    previous=pending.previous, failed=failed, model=model, policies=used,
                    waivers=self.waivers_used(decision), promotion=promotion, status=status,
                    registry=REGISTRY, details=details,
                )
            ],
        )  # fmt: skip

    def log_refusal(self, route: Route, time: str, message: str) -> None:
        """A request refused before it could be judged is logged too, as denied."""
        settings = self.settings
        if settings is None or not settings.lifecycle_log or route.action is None:
            return
        try:
            from flask import g

            user = g.get("mlflow_authenticated_user")
            lifecycle.append(
                settings.lifecycle_log,
                [
                    lifecycle.entry(
                        time=time, event="denied", action=route.action,
                        actor={"name": str(user or ""), "authenticated": bool(user)},
                        target={}, allowed=False, applied=False,
                        failed=[("policygate/request", message)], status=403,
                        registry=REGISTRY,
                        details={"method": route.message, "worker": os.getpid()},
                    )
                ],
            )  # fmt: skip
        except Exception:
            _logger.exception("policygate: a refusal could not be logged")

    def policies_used(self, decisions: Sequence[AccessDecision]) -> list[dict[str, Any]]:
        assert self.settings is not None
        used = []
        for policy in self.settings.access_policies:
            used.append({"name": policy.name, "version": policy.version, "digest": policy.digest,
                         "kind": policy.kind})  # fmt: skip
        if any(d.promotion is not None for d in decisions):
            for policy in self.settings.policies:
                used.append({"name": policy.name, "version": policy.version,
                             "digest": policy.digest, "kind": policy.kind})  # fmt: skip
        return used

    def waivers_used(self, decision: AccessDecision) -> list[dict[str, Any]]:
        if decision.promotion is None:
            return []
        assert self.settings is not None
        by_name = {w.name: w for w in self.settings.waivers}
        names = sorted(
            {r.waiver.name for m in decision.promotion.models for r in m.results if r.waiver}
        )
        return [
            {"name": n, "digest": waiver_digest(by_name[n]) if n in by_name else None}
            for n in names
        ]


# --------------------------------------------------------------------------- helpers


def error_response(message: str, status: int = 403, code: str = "PERMISSION_DENIED") -> Response:
    """An error in MLflow's own format, which ``MlflowClient`` raises with its message."""
    from flask import Response

    body = json.dumps({"error_code": code, "message": message})
    return Response(body, status=status, mimetype="application/json")


def denial_message(decisions: Sequence[AccessDecision]) -> str:
    """Every failing rule of every denied request, in one message."""
    return " | ".join(d.message() for d in decisions if not d.allowed)


def _protected(decision: AccessDecision) -> bool:
    request = decision.request
    target, protected = request["target"], request["protected"]
    if request["action"] in ("set-alias", "delete-alias"):
        return target["alias"] in protected["aliases"]
    if request["action"] == "transition-stage":
        return target["stage"].casefold() in {s.casefold() for s in protected["stages"]}
    return False


def set_version_tags(name: str, version: str, tags: Mapping[str, str]) -> None:
    """Write ``tags`` on a version: in one transaction on MLflow's SQL store (one commit,
    not one per tag), else one store call per tag."""
    from mlflow.entities.model_registry import ModelVersionTag

    store = registry_store()
    try:
        from mlflow.store.model_registry.dbmodels.models import SqlModelVersionTag
        from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore
        from mlflow.utils.validation import _validate_model_version_tag

        if isinstance(store, SqlAlchemyStore):
            for key, value in tags.items():
                _validate_model_version_tag(key, value)
            with store.ManagedSessionMaker(read_only=False) as session:
                row = store._get_sql_model_version(session, name, int(version))
                for key, value in tags.items():
                    session.merge(SqlModelVersionTag(workspace=row.workspace, name=name,
                                                     version=int(version), key=key,
                                                     value=value))  # fmt: skip
            return
    except Exception:  # noqa: BLE001 - another MLflow: rolled back, its public calls then
        _logger.debug("policygate: one-transaction tag write unavailable", exc_info=True)
    for key, value in tags.items():
        store.set_model_version_tag(name, version, ModelVersionTag(key, value))


def _alias_holder(store: Any, model: str, alias: str) -> str | None:
    try:
        return str(store.get_model_version_by_alias(model, alias).version)
    except Exception:  # no such alias (or model): nobody held it
        return None


def _fold(name: str) -> str:
    """A name as a case- and accent-insensitive database collation compares it."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _request_path() -> str:
    from flask import request

    return str(request.path)


def _error_text(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def registry_store() -> Any:
    """The model registry store MLflow's own handlers write to."""
    from mlflow.server.handlers import _get_model_registry_store

    return _get_model_registry_store()


_CLIENT: Any = None


def store_client() -> Any:
    """An MLflow client on the server's own stores, for the importer (in process, no HTTP)."""
    global _CLIENT
    if _CLIENT is None:
        from mlflow import MlflowClient
        from mlflow.server import BACKEND_STORE_URI_ENV_VAR, REGISTRY_STORE_URI_ENV_VAR

        tracking = os.environ.get(BACKEND_STORE_URI_ENV_VAR)
        registry = os.environ.get(REGISTRY_STORE_URI_ENV_VAR) or tracking
        _CLIENT = MlflowClient(tracking_uri=tracking, registry_uri=registry)
    return _CLIENT


def _target_stage(asked: Mapping[str, Any], settings: GateSettings) -> str | None:
    """The stage a promotion asks for: production for a protected alias, the stage for a
    transition to a protected stage; ``None`` for anything else."""
    target = asked["target"]
    if asked["action"] == "set-alias" and target.get("alias") in settings.protected_aliases:
        return "production"
    if asked["action"] == "transition-stage":
        stage = str(target.get("stage") or "")
        if stage.casefold() in {s.casefold() for s in settings.protected_stages}:
            lowered = stage.lower()
            return lowered if lowered in ("staging", "production") else "production"
    return None
