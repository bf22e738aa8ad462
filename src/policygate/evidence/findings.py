"""What a report says, in the canonical shapes, and the error of a report that cannot
be read: shared by the readers and by :mod:`.attach`, which depends on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import LoadError


class EvidenceError(LoadError):
    """An evidence entry or report that cannot be read or holds nothing to judge."""

    code = "evidence-invalid"


@dataclass(frozen=True)
class Findings:
    """What one report says, in the canonical shapes (see the package docstring)."""

    protected_attributes: tuple[str, ...] = ()
    fairness: tuple[dict[str, Any], ...] = ()
    checks: tuple[dict[str, Any], ...] = ()
    ignored: tuple[str, ...] = field(default=())  # what the report holds that is not judged
