"""docs/library.md's Python, and the README's library example, run as written from the
repository root (the run API they show is the one the commands use)."""

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


README_BLOCKS = re.findall(
    r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S
)


@pytest.mark.parametrize("block", README_BLOCKS)
def test_the_readme_python_runs(block, monkeypatch, capsys):
    """The README's library example runs as written, given the one name it leaves
    to the reader (``model_dict``, a record as a dict: here one that passes)."""
    import yaml

    monkeypatch.chdir(ROOT)
    record = yaml.safe_load((ROOT / "examples/models/credit-default-passes.yaml").read_text())
    exec(compile(block, "README.md", "exec"), {"__name__": "readme", "model_dict": record})
    assert capsys.readouterr().out.startswith("{\n  \"report_version\": 1")
