"""``matches()``: policygate's one RE2 search, with CEL's error for a bad pattern."""

from __future__ import annotations

import re2  # type: ignore[import-untyped]

from policygate.cel.lang.errors import EvalError
from policygate.cel.library import matches


def search(pattern: str, text: str) -> bool:
    """Whether RE2 finds ``pattern`` anywhere in ``text`` (each pattern compiled once)."""
    try:
        return matches(text, pattern)
    except re2.error as error:
        raise EvalError(str(error), "invalid_argument") from None
