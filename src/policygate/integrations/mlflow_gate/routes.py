"""Which MLflow routes write to the registry, and what each asks for as a registry request.

The routes come from MLflow's own service description (the endpoints of
``ModelRegistryService``, under ``/api/2.0`` and ``/ajax-api/2.0`` and the
static prefix), so a route is judged whatever path spelling reaches it. Every
method of the service is either a read (:data:`READS`, never judged) or a write
with its action (:data:`WRITES`); a method MLflow adds that is neither is
denied until it is classified (fail closed), and a test walks the service to
keep the two tables exhaustive.

GraphQL (``/graphql``) answers reads only: its mutations are searches
(``mlflowSearchRuns``, ``mlflowSearchDatasets``), none writes the registry;
a test walks its schema too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WRITES: Mapping[str, str] = {
    "CreateRegisteredModel": "create-model",
    "RenameRegisteredModel": "rename-model",
    "UpdateRegisteredModel": "update-model",
    "DeleteRegisteredModel": "delete-model",
    "CreateModelVersion": "create-version",
    "UpdateModelVersion": "update-version",
    "TransitionModelVersionStage": "transition-stage",
    "DeleteModelVersion": "delete-version",
    "SetRegisteredModelTag": "set-tag",
    "SetModelVersionTag": "set-tag",
    "DeleteRegisteredModelTag": "delete-tag",
    "DeleteModelVersionTag": "delete-tag",
    "SetRegisteredModelAlias": "set-alias",
    "DeleteRegisteredModelAlias": "delete-alias",
}
"""Registry writes, by the name of MLflow's request message, and the action each is."""

READS = frozenset(
    {
        "GetRegisteredModel",
        "SearchRegisteredModels",
        "GetLatestVersions",
        "GetModelVersion",
        "SearchModelVersions",
        "GetModelVersionDownloadUri",
        "GetModelVersionByAlias",
    }
)
"""Registry reads: never judged."""

IN_PROCESS: Mapping[str, str] = {
    "_generate_demo": "GenerateDemo",
    "_delete_demo": "DeleteDemo",
}
"""MLflow routes that are no registry method but write the registry inside the server
(by the name of their view function): the demo data registers prompts and sets their
aliases (``production`` among them), or deletes them, through the server's own stores,
where no request reaches the gate to judge each write. They are refused."""


_VERSIONED = frozenset(
    {"UpdateModelVersion", "TransitionModelVersionStage", "DeleteModelVersion",
     "SetModelVersionTag", "DeleteModelVersionTag", "SetRegisteredModelAlias"}  # fmt: skip
)


@dataclass(frozen=True)
class Route:
    """One registry endpoint: its request message and, for a write, the action."""

    message: str
    action: str | None  # None: a read
    request_class: Any = None

    @property
    def unclassified(self) -> bool:
        return self.action is None and self.message not in READS

    @property
    def in_process(self) -> bool:
        return self.message in IN_PROCESS.values()


def registry_routes() -> dict[tuple[str, str], Route]:
    """``(flask rule, method)`` -> :class:`Route` for every registry endpoint MLflow serves."""
    from mlflow.protos import databricks_pb2
    from mlflow.protos.model_registry_pb2 import ModelRegistryService
    from mlflow.server.handlers import _get_paths

    service = ModelRegistryService()
    routes: dict[tuple[str, str], Route] = {}
    for method in ModelRegistryService.DESCRIPTOR.methods:
        request_class = service.GetRequestClass(method)
        name = method.input_type.name
        route = Route(name, WRITES.get(name), request_class)
        for endpoint in method.GetOptions().Extensions[databricks_pb2.rpc].endpoints:
            for path in _get_paths(endpoint.path, version=endpoint.since.major):
                routes[(path, endpoint.method)] = route
    return routes


def requests_for(route: Route, message: Any) -> list[dict[str, Any]]:
    """The registry requests one MLflow write asks for (``target`` and ``action`` only).

    A create that carries tags also asks to set each of them: a tag is judged
    the same whichever call writes it.
    """
    action = route.action
    assert action is not None
    name = str(getattr(message, "name", "") or "")
    target: dict[str, Any] = {"model": name}
    details: dict[str, Any] = {}
    kind = route.message
    if kind in ("RenameRegisteredModel",):
        target["new_name"] = message.new_name
    if kind in _VERSIONED:
        target["version"] = str(message.version)
    if kind == "TransitionModelVersionStage":
        target["stage"] = message.stage
        details["archive_existing_versions"] = bool(message.archive_existing_versions)
    if kind in ("SetRegisteredModelAlias", "DeleteRegisteredModelAlias"):
        target["alias"] = message.alias
    if kind in ("SetRegisteredModelTag", "SetModelVersionTag"):
        target["tag"] = {"key": message.key, "value": message.value}
    if kind in ("DeleteRegisteredModelTag", "DeleteModelVersionTag"):
        target["tag"] = {"key": message.key, "value": ""}
    if kind == "CreateModelVersion":
        details.update(source=message.source, run_id=message.run_id)
    if kind in ("UpdateRegisteredModel", "UpdateModelVersion", "CreateRegisteredModel",
                "CreateModelVersion") and message.HasField("description"):  # fmt: skip
        details["description"] = message.description
    asked = [{"action": action, "target": target, "details": details}]
    if kind in ("CreateRegisteredModel", "CreateModelVersion"):
        for tag in message.tags:
            asked.append(
                {
                    "action": "set-tag",
                    "target": {"model": name, "tag": {"key": tag.key, "value": tag.value}},
                    "details": {"with": action},
                }
            )
    return asked
