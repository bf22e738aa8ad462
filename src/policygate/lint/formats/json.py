"""The lint result as JSON: the same bytes for the same files."""

from __future__ import annotations

import json
from typing import Any

from ..problem import LintResult


def render(result: LintResult, **_: Any) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
