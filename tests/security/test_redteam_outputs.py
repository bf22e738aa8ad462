"""Hostile names and records against the report formats, through the real CLI:
a report must still be written, say the model failed, and stay readable by the
program that consumes it (SECURITY.md T-LOAD, T-OUT)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
POLICIES = ROOT / "policies"
FAILING = ROOT / "examples" / "models" / "credit-limit-fails-fairness-and-expired-approval.yaml"
NOW = "2026-11-26T00:00:00Z"
FORMATS = ("text", "json", "junit", "sarif", "markdown", "github", "html")
posix = pytest.mark.skipif(sys.platform == "win32", reason="file names of any bytes are POSIX")


def policygate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policygate", *args, "--now", NOW],
        capture_output=True, text=True, errors="backslashreplace", timeout=120, cwd=cwd,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@posix
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_name_that_is_not_utf8_is_a_load_error_naming_its_bytes(tmp_path, fmt):
    models = tmp_path / "models"
    models.mkdir()
    (models / "good.yaml").write_bytes(FAILING.read_bytes())
    with open(os.path.join(os.fsencode(models), b"bad\xff\xfe.yaml"), "wb") as handle:
        handle.write(FAILING.read_bytes())
    done = policygate("check", "models", "-p", str(POLICIES), "-f", fmt, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr
    assert done.stderr == (
        "policygate: error: models/bad\\xff\\xfe.yaml: the file name is not valid UTF-8: "
        "rename it (a report names each file in UTF-8)\n"
    )


@posix
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_audit_reports_a_file_name_that_is_not_utf8_and_the_rest(tmp_path, fmt):
    models = tmp_path / "models"
    models.mkdir()
    (models / "good.yaml").write_bytes(FAILING.read_bytes())
    with open(os.path.join(os.fsencode(models), b"bad\xff.yaml"), "wb") as handle:
        handle.write(FAILING.read_bytes())
    out = tmp_path / "report"
    done = policygate(
        "audit", "models", "-p", str(POLICIES), "-f", fmt, "-o", str(out), cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    text = out.read_bytes().decode("utf-8")  # the whole report is UTF-8
    assert "bad\\xff.yaml" in text or "bad\\\\xff.yaml" in text
    if fmt == "json":
        sources = {m["source"]: m["passed"] for m in json.loads(text)["models"]}
        assert sources == {"models/good.yaml": False, "models/bad\\xff.yaml": False}


@posix
@pytest.mark.parametrize("kind", ["fifo", "symlink-to-device"])
def test_a_skipped_entry_named_with_a_line_break_cannot_forge_a_workflow_command(tmp_path, kind):
    models = tmp_path / "models"
    models.mkdir()
    (models / "good.yaml").write_bytes(FAILING.read_bytes())
    name = models / "x\n::stop-commands::token\n\x1b[2J.yaml"
    if kind == "fifo":
        os.mkfifo(name)
    else:  # what a repository can hold: git keeps a symlink, not a pipe
        name.symlink_to("/dev/zero")
    done = policygate("check", "models", "-p", str(POLICIES), "-f", "github", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    # one warning line, its name inert; nothing on stderr starts a workflow command
    assert done.stderr.splitlines() == [
        "policygate: warning: models/x\\x0a::stop-commands::token\\x0a\\x1b[2J.yaml: skipped: "
        f"not a regular file ({'a named pipe' if kind == 'fifo' else 'a character device'})"
    ]
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 2


def test_a_set_warning_naming_a_record_cannot_forge_a_workflow_command(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    text = FAILING.read_text(encoding="utf-8").replace(
        "name: credit-limit", 'name: "credit-limit\\n::stop-commands::token\\n\\e[2J"'
    )
    (models / "a.yaml").write_text(text, encoding="utf-8")
    done = policygate(
        "check", "models", "-p", str(POLICIES), "-f", "github",
        "--set", "spec.risk_tier=limited", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "policygate: warning: credit-limit\\x0a::stop-commands::token\\x0a\\x1b[2J@2.4.0: "
        "--set spec.risk_tier: the record gives 'high', kept instead of the default 'limited'"
    ]


def test_a_junit_report_of_no_model_is_an_error_not_an_empty_pass():
    from lxml import etree

    from policygate.formats import render
    from policygate.report import Report

    schema = etree.XMLSchema(etree.parse(str(ROOT / "tests" / "data" / "schemas" / "junit.xsd")))
    report = Report(now="2026-11-26T00:00:00Z", fail_on="error", models=())
    root = etree.fromstring(render(report, "junit").encode("utf-8"))
    assert schema.validate(root), schema.error_log
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    (error,) = suite.findall("testcase/error")
    assert error.get("type") == "nothing-evaluated"
    assert error.get("message") == "nothing evaluated: no model found"


def test_check_of_a_directory_without_models_writes_a_failing_junit_report(tmp_path):
    (tmp_path / "models").mkdir()
    out = tmp_path / "junit.xml"
    done = policygate(
        "check", "models", "-p", str(POLICIES), "-f", "junit", "-o", str(out), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    text = out.read_text(encoding="utf-8")
    assert '<error type="nothing-evaluated" message="nothing evaluated: no model found">' in text


@posix
def test_a_load_error_naming_a_line_break_cannot_forge_a_workflow_command(tmp_path):
    """A run that cannot load exits 2, and its error names the file: a name holding
    a line break printed a line of its own on stderr."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "x\n::stop-commands::token\n\x1b[2J.yaml").write_text(
        "apiVersion: policygate/v1\nkind: ModelRecord\nmetadata: {name: [\n", encoding="utf-8"
    )
    done = policygate("check", "models", "-p", str(POLICIES), "-f", "github", cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    name = "models/x\\x0a::stop-commands::token\\x0a\\x1b[2J.yaml"
    assert line.startswith(f"policygate: error: {name}:4:1: ")


def test_each_error_of_a_group_is_one_inert_line(capsys):
    """A group of load errors prints one line per error, each written inert."""
    from policygate.cli.common import handle_errors
    from policygate.errors import ErrorGroup, LoadError

    @handle_errors
    def broken() -> None:
        raise ErrorGroup(
            [LoadError(f"bad{n}\n::stop-commands::token\n: not a record") for n in range(3)]
        )

    with pytest.raises(SystemExit) as stopped:
        broken()
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and lines[0].startswith("policygate: error: bad0\\x0a::stop")
    assert not any(line.startswith("::") for line in lines)
