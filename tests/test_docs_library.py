"""docs/library.md's Python runs as written, from the repository root (the run API
it shows is the one the commands use)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "library.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_has_python_to_run():
    assert BLOCKS


@pytest.mark.parametrize("block", BLOCKS)
def test_each_python_block_runs(block, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(block, str(PAGE), "exec"), {"__name__": "library_md"})
    assert capsys.readouterr().out.startswith("{\n  \"report_version\": 1")
