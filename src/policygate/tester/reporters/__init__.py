"""The reporter registry: one line per format; an unknown name is an error."""

from __future__ import annotations

import importlib
from typing import Any

from ...errors import UsageError
from ..runner import TestRun
from .interface import Reporter

REPORTERS: dict[str, str] = {
    "text": "text",
    "json": "json",
    "junit": "junit",
}


def reporter(name: str) -> Reporter:
    if name not in REPORTERS:
        raise UsageError(f"unknown test format {name!r} (known: {', '.join(REPORTERS)})",
                         code="unknown-format")  # fmt: skip
    module = importlib.import_module(f"{__name__}.{REPORTERS[name]}")
    render: Reporter = module.render
    return render


def render(run: TestRun, fmt: str = "text", **options: Any) -> str:
    return reporter(fmt)(run, **options)


__all__ = ["REPORTERS", "Reporter", "render", "reporter"]
