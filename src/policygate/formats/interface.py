"""One interface for every output format: a pure ``render(report, **options) -> str``.

Formats never evaluate and never write; the CLI writes what they return.
"""

from __future__ import annotations

import enum
from typing import Any, Protocol

from ..report import Report


class OutputFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    GITHUB = "github"
    HTML = "html"

    def __str__(self) -> str:
        return self.value


class Renderer(Protocol):
    def __call__(self, report: Report, **options: Any) -> str: ...
