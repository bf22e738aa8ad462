"""Shared by the access tests: an access pack written to a temporary folder, requests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from policygate.documents import load_file

ROOT = Path(__file__).parent.parent.parent
CREDIT_DEFAULT = ROOT / "examples" / "models" / "credit-default-passes.yaml"
CREDIT_LIMIT = ROOT / "examples/models/credit-limit-fails-fairness-and-expired-approval.yaml"
POLICIES = ROOT / "policies"
NOW = "2026-11-26T00:00:00Z"
CREATOR = "alice.moreau@example.com"

ACCESS = """\
apiVersion: policygate/v1
kind: AccessPolicy
metadata: {name: registry-access}
spec:
  params: {protected_aliases: [champion, production]}
  rules:
    - id: protected-alias.role
      actions: [set-alias, delete-alias]
      when: 'request.target.alias in params.protected_aliases'
      check: '"release-manager" in request.actor.roles'
      message: >-
        {request.actor.name} may not move {request.target.alias}:
        the release-manager role is required
    - id: no-self-promotion
      actions: [set-alias, transition-stage]
      check: 'request.actor.name != model.metadata.created_by'
      message: '{request.actor.name} created the model'
"""


def record(path: Path = CREDIT_DEFAULT) -> dict[str, Any]:
    return copy.deepcopy(load_file(path)[0].data)


def request(
    action: str = "set-alias",
    actor: str = "rita@example.com",
    roles: tuple[str, ...] = ("release-manager",),
    **target: Any,
) -> dict[str, Any]:
    target.setdefault("model", "credit-default")
    if action in ("set-alias", "transition-stage", "delete-version", "update-version"):
        target.setdefault("version", "3")
    if action in ("set-alias", "delete-alias"):
        target.setdefault("alias", "champion")
    return {"action": action, "actor": {"name": actor, "roles": list(roles)}, "target": target}


def directory_text() -> str:
    """An approvers directory: Rita is release manager until 2027, Ron was one until 2026-01."""
    from policygate.approvals.signing import generate_key

    keys = [generate_key().public.text for _ in range(2)]
    return f"""\
apiVersion: policygate/v1
kind: Approvers
metadata: {{name: registry-users}}
spec:
  approvers:
    - id: rita@example.com
      roles: [release-manager]
      keys: [{{public_key: "{keys[0]}"}}]
      valid_until: "2027-01-01T00:00:00Z"
    - id: ron@example.com
      roles:
        - {{role: release-manager, valid_until: "2026-01-01T00:00:00Z"}}
        - ml-engineer
      keys: [{{public_key: "{keys[1]}"}}]
"""
