"""Access policies: judging registry requests as they are asked for (SPEC §8).

- :mod:`.request`: a request checked and completed, the actor's roles from the
  approvers directory;
- :mod:`.decide`: :func:`authorize`, the access rules that judge the request's
  action and, for a promotion, the promotion policies on the model record.

See docs/access-policies.md.
"""

from __future__ import annotations

from ..policy import ACTIONS
from .decide import AccessDecision, authorize, for_request, judging, load_access_policies
from .request import (
    GATE_IDENTITY,
    is_promotion,
    load_request,
    normalize_request,
    roles_in_directory,
)

__all__ = [
    "ACTIONS",
    "GATE_IDENTITY",
    "AccessDecision",
    "authorize",
    "for_request",
    "is_promotion",
    "judging",
    "load_access_policies",
    "load_request",
    "normalize_request",
    "roles_in_directory",
]
