"""Shared helpers for the graph tests: small catalogs, registers and policies on disk."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

NOW = "2026-11-26T00:00:00Z"


@pytest.fixture
def write(tmp_path):
    """``write(name, text)`` writes a dedented file under tmp_path and returns its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
