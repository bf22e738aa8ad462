"""The format registry: one line per format; a test proves it covers the enum."""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import UsageError
from ..report import Report
from .interface import OutputFormat, Renderer

MODULES: dict[OutputFormat, str] = {
    OutputFormat.TEXT: "text",
    OutputFormat.JSON: "json",
    OutputFormat.JUNIT: "junit",
    OutputFormat.SARIF: "sarif",
    OutputFormat.MARKDOWN: "markdown",
    OutputFormat.GITHUB: "github",
    OutputFormat.HTML: "html",
}


def renderer(name: str | OutputFormat) -> Renderer:
    """The render function of a format; an unknown name is an error, never a fallback."""
    try:
        fmt = OutputFormat(name)
    except ValueError:
        known = ", ".join(f.value for f in OutputFormat)
        message = f"unknown format {name!r} (known: {known})"
        raise UsageError(message, code="unknown-format") from None
    module = importlib.import_module(f"{__name__}.{MODULES[fmt]}")  # formats load lazily
    render: Renderer = module.render
    return render


def render(report: Report, fmt: str | OutputFormat = OutputFormat.TEXT, **options: Any) -> str:
    return renderer(fmt)(report, **options)


__all__ = ["OutputFormat", "render", "renderer", "MODULES"]
