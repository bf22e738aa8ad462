"""The JSON report of SPEC §6: byte-identical for the same inputs and ``now``."""

from __future__ import annotations

from typing import Any

from ..report import Report


def render(report: Report, **options: Any) -> str:
    return report.to_json()
