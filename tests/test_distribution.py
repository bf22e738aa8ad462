"""What CI users install: the composite GitHub Action and the pre-commit hook.

The action's check step is run here as the runner would run it (bash, with
the runner's environment files), against the shipped examples.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from policygate.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_is_composite_and_uploads_sarif(action):
    assert action["runs"]["using"] == "composite"
    steps = {step["name"]: step for step in action["runs"]["steps"]}
    upload = steps["Upload SARIF to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif }}"
    assert set(action["outputs"]) == {"exit-code", "sarif", "html"}
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs go through env, never pasted into a script (script injection).
            assert "${{" not in step["run"], step["name"]


def test_action_names_only_inputs_it_declares(action):
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([a-z-]+)", text))
    assert used == set(action["inputs"])


def test_check_step_runs_as_the_runner_would(action, tmp_path):
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "MODELS": "examples/models/credit-default-passes.yaml\n"
        "examples/models/credit-limit-fails-fairness-and-expired-approval.yaml",
        "POLICIES": "policies/",
        "WAIVERS": "examples/waivers/",
        "FAIL_ON": "error",
        "ARGS": "--now 2026-11-26T00:00:00Z",
        "DECISION_LOG": str(tmp_path / "decisions.jsonl"),
        "STEP_SUMMARY": "true",
    }
    # GitHub runs `bash --noprofile --norc -eo pipefail {0}`.
    script = tmp_path / "check.sh"
    script.write_text(step["run"], encoding="utf-8")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # the step records the code; a later step fails
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["exit-code"] == "1"
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    assert sarif["runs"][0]["invocations"][0]["exitCode"] == 1
    assert Path(outputs["html"]).read_text().startswith("<!DOCTYPE html>")
    assert summary.read_text().startswith("## ❌ policygate: failed — 1 of 2 models failed")
    assert "::error file=examples/models/credit-limit-" in done.stdout
    assert len((tmp_path / "decisions.jsonl").read_text().splitlines()) == 2


def test_pre_commit_hook_runs_lint_on_policy_files():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "policygate-lint"
    command, _, subcommand = hook["entry"].partition(" ")
    assert command == "policygate" and subcommand in COMMANDS
    pattern = re.compile(hook["files"])
    assert pattern.search("policies/production-high-risk.yaml")
    assert pattern.search("governance/policies/baseline.yml")
    assert not pattern.search("examples/models/credit-default-passes.yaml")


def test_the_hook_passes_a_commit_of_any_one_shipped_policy_file():
    """pre-commit runs the hook on the files of a commit that its `files` match and
    `exclude` does not: a commit touching only a PolicyTest file runs no lint (lint
    of a test file alone found no policy and failed), and one touching any one
    policy file lints clean."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    shipped = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "policies").rglob("*.y*ml"))
    chosen = [p for p in shipped if files.search(p) and not exclude.search(p)]
    tests = [p for p in shipped if p.startswith("policies/tests/")]
    assert tests and not set(tests) & set(chosen)
    assert chosen and set(chosen) | set(tests) == set(shipped)
    for path in chosen:
        done = CliRunner().invoke(main, ["lint", str(ROOT / path)])
        assert done.exit_code == 0, (path, done.output)


def test_ci_docs_snippets_are_valid_yaml_and_use_real_options():
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    snippets = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    assert len(snippets) >= 5
    for snippet in snippets:
        yaml.safe_load(snippet)
    from policygate.cli.check import check

    known = {opt for param in check.params for opt in param.opts}
    used = set(re.findall(r"policygate check [^\n]*?((?:--[a-z-]+))", text))
    used |= set(re.findall(r"^\s+(--[a-z-]+)", text, flags=re.MULTILINE))
    assert used and used <= known, used - known


def _commands(group, prefix=()):
    import click

    for name in group.list_commands(None):
        command = group.get_command(None, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_format_option_is_spelled_f_and_format():
    """One spelling on every command: `-f/--format`."""
    import click

    found = 0
    for path, command in _commands(main):
        for param in command.params:
            if not isinstance(param, click.Option):
                continue  # `import FORMAT SOURCE` takes the format as an argument
            if "--format" in param.opts or param.name == "fmt":
                found += 1
                assert sorted(param.opts) == ["--format", "-f"], (path, param.opts)
    assert found >= 10
