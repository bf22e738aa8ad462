"""`policygate check` with every report format: same exit codes, reports where asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main
from policygate.formats import OutputFormat

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-26T00:00:00Z"
ARGS = ["check", "examples/", "-p", "policies/", "--waivers", "examples/waivers/", "--now", NOW]


@pytest.fixture(autouse=True)
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("fmt", [f.value for f in OutputFormat])
def test_every_format_renders_the_examples_with_the_same_exit_code(fmt):
    result = run(*ARGS, "-f", fmt)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout


@pytest.mark.parametrize("fmt", [f.value for f in OutputFormat])
def test_a_passing_gate_exits_0_in_every_format(fmt):
    result = run("check", "examples/models/credit-default-passes.yaml", "-p", "policies/",
                 "--now", NOW, "-f", fmt)  # fmt: skip
    assert result.exit_code == 0, result.output


def test_ci_run_writes_sarif_junit_and_html_beside_the_markdown_summary(tmp_path):
    sarif, junit, html = tmp_path / "r.sarif", tmp_path / "r.xml", tmp_path / "r.html"
    result = run(*ARGS, "-f", "markdown", "--report", f"sarif={sarif}",
                 "--report", f"junit={junit}", "--report", f"html={html}")  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout.startswith("## ❌ policygate: failed")
    assert json.loads(sarif.read_text())["runs"][0]["invocations"][0]["exitCode"] == 1
    assert junit.read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>')
    assert "<h1>Gate FAILED</h1>" in html.read_text()


def test_nothing_evaluated_exits_2_with_a_sarif_that_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("check", str(tmp_path / "empty"), "-p", "policies/", "-f", "sarif")
    assert result.exit_code == 2
    invocation = json.loads(result.stdout)["runs"][0]["invocations"][0]
    assert invocation["exitCode"] == 2


def test_unknown_report_format_is_a_usage_error(tmp_path):
    result = run(*ARGS, "--report", f"pdf={tmp_path / 'x.pdf'}")
    assert result.exit_code == 2
    assert "unknown format 'pdf'" in result.stderr
