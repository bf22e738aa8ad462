"""The documentation's commands run, and print what the documentation shows
(issue 18: the tour's numbers drifted from its output once; they cannot again).

Every fenced block that starts with ``$ policygate`` in README.md and docs/*.md
is a transcript: each ``$`` line is run from the repository root and its output
(stdout and stderr, as a terminal shows them) must be the lines below it. A
command that names a file the repository does not hold is one of a worked
example's own (``broken.yaml``, a key it generates): it is listed, not run, and
the test says how many ran. An output with ``...`` or ``…`` in it is abridged by
its page and is not compared.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```[a-z]*\n(\$ policygate.*?)```", re.S)


def transcripts(page: Path) -> list[tuple[str, list[str]]]:
    found = []
    for block in BLOCK.findall(page.read_text(encoding="utf-8")):
        lines = block.rstrip("\n").split("\n")
        index = 0
        while index < len(lines):
            if not lines[index].startswith("$ "):
                index += 1
                continue
            command = lines[index][2:]
            while command.endswith("\\"):
                index += 1
                command = command[:-1] + lines[index].strip()
            index += 1
            output = []
            while index < len(lines) and not lines[index].startswith("$ "):
                output.append(lines[index])
                index += 1
            found.append((command, output))
    return found


def runnable(command: str) -> bool:
    """Whether every file the command names is one the repository holds."""
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if words[:1] != ["policygate"] or any(w in ("|", ">", "&&", ";") for w in words):
        return False
    for word in words[1:]:
        value = word.split("=", 1)[-1] if word.startswith("--") else word
        value = value.removeprefix("hf:").removeprefix("cyclonedx:")
        looks_like_a_file = (
            value.endswith("/")
            or re.search(r"\.(ya?ml|json|md|pem|jsonl|html|csv)$", value) is not None
            or (ROOT / value.split("/")[0]).is_dir() and "/" in value
        )  # a rule reference (production-promotion/fairness.gap) is none
        remote = value.startswith(("http", "s3:", "models:"))
        if looks_like_a_file and not remote and not (ROOT / value).exists():
            return False
    return True


CASES = [
    (page, command, output)
    for page in PAGES
    for command, output in transcripts(page)
    if runnable(command) and not any("..." in line or "…" in line for line in output)
]


def test_the_tour_runs_whole() -> None:
    tour = [command for page, command, _ in CASES if page.name == "tour.md"]
    assert len(tour) >= 6, tour


@pytest.mark.parametrize(
    ("page", "command", "output"),
    CASES,
    ids=[f"{page.name}:{command[:60]}" for page, command, _ in CASES],
)
def test_a_documented_command_prints_what_its_page_shows(
    page: Path, command: str, output: list[str]
) -> None:
    words = shlex.split(command)
    done = subprocess.run(
        [sys.executable, "-m", "policygate", *words[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "CI": "true", "COLUMNS": "100"},
    )
    shown = [line.rstrip() for line in (done.stdout + done.stderr).rstrip("\n").split("\n")]
    assert shown == [line.rstrip() for line in output], f"{page.name}: $ {command}"
