"""End-to-end scenarios: each folder under tests/scenarios/ is one `policygate check` run.

A scenario folder holds ``policies/``, ``models/``, optionally ``waivers/``, a
``scenario.yaml`` (``now``, ``exit_code`` and optionally ``params`` and
``fail_on``) and ``expected.json``, the exact JSON report. The run
happens inside the folder, so the paths in the report are relative and stable.

Regenerate the expected reports with ``POLICYGATE_UPDATE_SCENARIOS=1`` and then
read the diff: an expected file is only as good as its review.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from policygate.cli import main
from policygate.validation import shipped_validator

SCENARIOS = Path(__file__).parent / "scenarios"
UPDATE = os.environ.get("POLICYGATE_UPDATE_SCENARIOS") == "1"
KEYS = {"description", "now", "exit_code", "params", "fail_on"}


def scenario_names() -> list[str]:
    return sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.yaml").is_file())


def check_args(folder: Path, config: dict[str, Any]) -> list[str]:
    args = ["check", "models/", "-p", "policies/", "-f", "json", "--now", config["now"]]
    if (folder / "waivers").is_dir():
        args += ["--waivers", "waivers/"]
    for name, value in (config.get("params") or {}).items():
        args += ["--param", f"{name}={json.dumps(value)}"]
    if "fail_on" in config:
        args += ["--fail-on", config["fail_on"]]
    return args


def test_there_are_scenarios():
    assert len(scenario_names()) >= 6


@pytest.mark.parametrize("name", scenario_names())
def test_scenario(name, monkeypatch):
    folder = SCENARIOS / name
    config = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert set(config) <= KEYS, f"unknown keys in scenario.yaml: {set(config) - KEYS}"
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, check_args(folder, config))
    assert result.stderr == ""
    assert result.exit_code == config["exit_code"], result.output
    report = json.loads(result.stdout)
    shipped_validator("Report").validate(report)

    expected_path = folder / "expected.json"
    if UPDATE:
        expected_path.write_text(result.stdout, encoding="utf-8")
    expected_text = expected_path.read_text(encoding="utf-8")
    assert report == json.loads(expected_text)
    assert result.stdout == expected_text  # byte for byte
