"""docs/evidence.md's walk-through, run as it is written: its training script on a
real MLflow 3 store, then its command lines, with the exit codes and output it shows."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main

pytest.importorskip("mlflow")
pytest.importorskip("fairlearn")

ROOT = Path(__file__).parent.parent.parent
DOC = (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")
DATA = ROOT / "tests" / "data" / "evidence"
NOW = "2026-11-26T00:00:00Z"


def section(title: str) -> str:
    start = DOC.index(title)
    return DOC[start:]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("walkthrough")
    script = blocks(section("**1. Train"), "python")[0]
    (folder / "train.py").write_text(script, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "MLFLOW_TRACKING_URI": ""}
    done = subprocess.run([sys.executable, "train.py"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return folder


def commands() -> list[tuple[list[str], int]]:
    (shell,) = blocks(section("**3. Gate.**"), "sh")
    found = []
    for line in shell.splitlines():
        if line.startswith("policygate "):
            command, _, comment = line.partition("  # exit ")
            found.append((shlex.split(command)[1:], int(comment.split(":")[0])))
    return found


def gate(folder: Path, args: list[str], monkeypatch):
    monkeypatch.chdir(folder)
    args = [str(ROOT / "policies") if a == "policies/" else a for a in args]
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    return CliRunner().invoke(main, [*args, "--now", NOW], env=env)


def test_the_doc_shows_two_commands():
    assert [code for _, code in commands()] == [1, 0]


def test_each_command_of_the_walkthrough_exits_as_the_doc_says(trained, monkeypatch):
    shutil.copy(DATA / "evidently-v0.7-ks-no-drift.json", trained / "drift.json")
    for args, code in commands():
        result = gate(trained, args, monkeypatch)
        assert result.exit_code == code, (args, result.output)


def test_a_drifted_report_fails_as_the_doc_shows(trained, monkeypatch):
    shutil.copy(DATA / "evidently-v0.7-ks-income-drift.json", trained / "drift.json")
    args, _ = commands()[1]
    result = gate(trained, args, monkeypatch)
    assert result.exit_code == 1
    shown = blocks(section("With the drift report whose"), "")[0]
    for line in shown.strip().splitlines():
        assert line.strip() in result.stdout
