"""Lint output formats: one module each with a pure ``render(result) -> str``.

An unknown format name is an error, never a fallback.
"""

from __future__ import annotations

import importlib
from typing import Any

from ...errors import UsageError
from ..problem import LintResult

FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json",
    "sarif": "sarif",
}


def render(result: LintResult, fmt: str = "text", **options: Any) -> str:
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise UsageError(f"unknown lint format {fmt!r} (known: {known})", code="unknown-format")
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    text: str = module.render(result, **options)
    return text


__all__ = ["FORMATS", "render"]
