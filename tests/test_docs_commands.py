"""The documentation's commands run, and print what the documentation shows
(issue 18: the tour's numbers drifted from its output once; they cannot again).

Every fenced block that starts with ``$ policygate`` in README.md and docs/*.md
is a transcript: each ``$`` line is run from the repository root and its output
(stdout and stderr, as a terminal shows them) must be the lines below it. A
command that names a file the repository does not hold is one of a worked
example's own (``broken.yaml``, a key it generates): it is listed, not run, and
the test says how many ran. An output with ``...`` or ``…`` in it is abridged by
its page and is not compared.

A ``policygate`` line of a shell block (a command shown without its output)
that reads only the repository's files and writes none is run too: it must
judge (exit 0 or 1), not stop on a usage or load error. The JSON report the
tour shows abbreviated keeps the counts and policies of the real one.
"""

from __future__ import annotations

import json
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


WRITES = ("init", "keygen", "approve", "docs", "import", "serve", "promote")


def command_lines(page: Path) -> list[str]:
    """The ``policygate ...`` lines of a page's shell blocks (no ``$``, no output)."""
    blocks: list[list[str]] = []
    fence = None
    for line in page.read_text(encoding="utf-8").split("\n"):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
            if fence in ("", "sh", "bash"):
                blocks.append([])
        elif fence in ("", "sh", "bash"):
            blocks[-1].append(line)
    found = []
    for lines in blocks:
        index = 0
        while index < len(lines):
            command = lines[index]
            index += 1
            if not command.startswith("policygate "):
                continue
            while command.rstrip().endswith("\\") and index < len(lines):
                command = command.rstrip()[:-1] + " " + lines[index].strip()
                index += 1
            found.append(re.sub(r"\s+#.*$", "", command).strip())
    return found


def self_contained(command: str) -> bool:
    """A command line that reads only the repository's files and writes nothing:
    not a synopsis (``MODEL...``, ``[--opt]``), no registry, no output file."""
    words = shlex.split(command) if runnable(command) else []
    return (
        len(words) > 1
        and words[1] not in WRITES
        and not any(re.fullmatch(r"[A-Z][A-Z_./|-]*", w) or w.startswith("[") for w in words)
        and not any(w in ("-o", "--output", "--report", "--decision-log") for w in words)
        and not any(re.match(r"(--\w[\w-]*=)?[a-z]+:", w) for w in words[2:])
    )


LINES = [
    (page, command) for page in PAGES for command in command_lines(page) if self_contained(command)
]


def test_the_readme_command_lines_are_checked() -> None:
    assert sum(page.name == "README.md" for page, _ in LINES) >= 5, LINES


@pytest.mark.parametrize(
    ("page", "command"), LINES, ids=[f"{page.name}:{command[:60]}" for page, command in LINES]
)
def test_a_documented_command_line_runs(page: Path, command: str) -> None:
    """A command a page gives without its output still runs as written: every
    option it names exists and it judges (exit 0 or 1), never a usage or load
    error (exit 2)."""
    done = subprocess.run(
        [sys.executable, "-m", "policygate", *shlex.split(command)[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "CI": "true", "POLICYGATE_NO_CONFIG": "1"},
    )
    assert done.returncode in (0, 1), f"{page.name}: {command}\n{done.stderr}"


def test_the_tours_json_report_is_the_one_check_writes() -> None:
    """The JSON report docs/tour.md shows (abbreviated) has the counts, the
    policies and the number of results that check gives for the same command."""
    page = (ROOT / "docs" / "tour.md").read_text(encoding="utf-8")
    command = next(c for c, _ in transcripts(ROOT / "docs" / "tour.md") if "-f json" in c)
    words = shlex.split(command.split(">")[0])
    done = subprocess.run(
        [sys.executable, "-m", "policygate", *words[1:]],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "POLICYGATE_NO_CONFIG": "1"},
    )  # fmt: skip
    report = json.loads(done.stdout)
    shown = page.split("-f json > report.json", 1)[1].split("```json\n", 1)[1].split("```")[0]
    counts = json.loads(re.search(r'"results": (\{[^}]*\})', shown).group(1))
    assert counts == report["summary"]["results"]
    assert re.findall(r'\{"name": "([^"]+)", "version"', shown) == [
        p["name"] for p in report["policies"]
    ]
    model = report["models"][0]
    assert re.findall(r'\{"name": "([^"]+)", "applicable": (true|false)\}', shown) == [
        (p["name"], "true" if p["applicable"] else "false") for p in model["policies"]
    ]
    assert f"skips included: {len(model['results'])} for this model" in page


def test_the_decision_log_entry_ci_md_shows_is_one_check_writes(tmp_path: Path) -> None:
    """docs/ci.md's decision-log entry (credit-limit, its waiver applied) has the
    counts, the policies and the keys of the entry check appends for it."""
    shown = next(
        line
        for line in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8").split("\n")
        if line.startswith('{"counts":')
    )
    log = tmp_path / "decisions.jsonl"
    subprocess.run(
        [sys.executable, "-m", "policygate", "check", "examples/", "-p", "policies/",
         "--waivers", "examples/waivers/", "--now", "2026-11-26T00:00:00Z",
         "--decision-log", str(log)],
        cwd=ROOT, capture_output=True, check=False,
        env={"PATH": "/usr/bin:/bin", "POLICYGATE_NO_CONFIG": "1"},
    )  # fmt: skip
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    entry = next(e for e in entries if e["model"]["name"] == "credit-limit")
    documented = json.loads(shown.replace("{…}", "{}"))
    assert documented["counts"] == entry["counts"]
    assert [(p["name"], p["applicable"]) for p in documented["policies"]] == [
        (p["name"], p["applicable"]) for p in entry["policies"]
    ]
    assert sorted(documented) == sorted(entry)
    assert sorted(documented["model"]) == sorted(entry["model"])
    assert [sorted(p) for p in documented["policies"]] == [sorted(p) for p in entry["policies"]]
