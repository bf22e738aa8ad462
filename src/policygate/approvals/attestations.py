"""Attestations (``kind: Attestation``): a signed approval kept beside the record.

A team that does not want the pipeline to edit model records writes each
approval to its own file and hands the files to ``check --attestations``. The
evaluator adds every attestation whose ``spec.model`` names the record's name
and version to the record's approvals, where it is verified like any other:
an attestation for an older state of the record shows up as an approval whose
record changed since it was signed, rather than disappearing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..documents import DEFAULT_LIMITS, Limits, to_yaml
from ..errors import ErrorGroup, Location, PolicygateError
from ..policy import API_VERSION
from .directory import typed_documents


@dataclass(frozen=True)
class Attestation:
    name: str
    model_name: str
    model_version: str
    approval: Mapping[str, Any] = field(repr=False)
    source: str = ""
    location: Location | None = None

    def concerns(self, name: str, version: str) -> bool:
        return self.model_name == name and self.model_version == version


def load_attestations(
    paths: Sequence[str | os.PathLike[str]], *, limits: Limits = DEFAULT_LIMITS
) -> list[Attestation]:
    """Every ``kind: Attestation`` document under ``paths``; any other kind is a load error."""
    attestations: list[Attestation] = []
    errors: list[PolicygateError] = []
    for document in typed_documents(paths, "Attestation", errors, limits):
        spec = document.data["spec"]
        attestations.append(
            Attestation(
                name=document.data["metadata"]["name"],
                model_name=spec["model"]["name"],
                model_version=spec["model"]["version"],
                approval=spec["approval"],
                source=document.source,
                location=document.location(),
            )
        )
    if errors:
        raise ErrorGroup.of(errors)
    return attestations


def attestation_document(name: str, version: str, approval: Mapping[str, Any]) -> str:
    """The YAML text of an attestation of ``approval`` for ``name@version``."""
    label = f"{name}-{version}-{approval.get('role', 'approval')}" if version else name
    document = {
        "apiVersion": API_VERSION,
        "kind": "Attestation",
        "metadata": {"name": label},
        "spec": {"model": {"name": name, "version": version}, "approval": dict(approval)},
    }
    return to_yaml(document)
