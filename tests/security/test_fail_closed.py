"""Fail-closed guarantees (SECURITY.md, T-FAIL-*), as properties: no input that
fails to load, and no error-severity rule that errors, ever gives exit 0 or
``passed: true``; the CLI never shows a traceback; a report file is never left
half-written or claiming a pass that did not happen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate import Status
from policygate.cli import main
from policygate.errors import UsageError

ROOT = Path(__file__).parents[2]
NOW = "2026-11-26T00:00:00Z"
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
POLICIES = ROOT / "policies"
SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

PASSING_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: lenient}
spec:
  rules:
    - {id: anything, check: 'true'}
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args, "--now", NOW])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    return result.exit_code, result.output


# ------------------------------------------------------------------- inputs that do not load

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),  # fmt: skip
    max_leaves=12,
)
broken_texts = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([MODEL.read_bytes(), (POLICIES / "baseline.yaml").read_bytes()]).flatmap(
        lambda text: st.integers(1, len(text) - 1).map(lambda cut: text[:cut] + b"\n  - : ] {")
    ),
    st.text(alphabet="{}[]:,-&*!|>'\"#%@` \n\tab1", max_size=80).map(lambda t: t.encode()),
)


@SETTINGS
@given(data=broken_texts)
def test_a_broken_model_file_never_passes(tmp_path, data):
    """Broken YAML/JSON, random bytes, truncated files: exit 1 or 2, never 0 —
    even against a policy that passes every model it can read."""
    path = tmp_path / "model.yaml"
    path.write_bytes(data)
    policy = tmp_path / "policy.yaml"
    policy.write_text(PASSING_POLICY, encoding="utf-8")
    code, output = run(str(path), "-p", str(policy), "-f", "json")
    if code == 0:  # only a document that really is an untyped model record may pass
        report = json.loads(output)
        assert report["passed"] is True
        assert report["summary"]["results"]["pass"] >= 1
        assert policygate.load_models([path])  # it loaded
    else:
        assert code in (1, 2)


@SETTINGS
@given(data=broken_texts)
def test_a_broken_policy_file_is_exit_2_and_never_a_pass(tmp_path, data):
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"apiVersion: policygate/v1\nkind: Policy\n" + data)
    code, output = run(str(MODEL), "-p", str(path))
    assert code in (1, 2)
    if code == 2:
        assert output.startswith("policygate: error: ")


@SETTINGS
@given(spec=json_values, rules=json_values)
def test_a_policy_of_wrong_types_is_a_clean_error(tmp_path, spec, rules):
    body = spec if not isinstance(spec, dict) else {**spec, "rules": rules}
    document = {"apiVersion": "policygate/v1", "kind": "Policy", "metadata": {"name": "w"},
                "spec": body}  # fmt: skip
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, output = run(str(MODEL), "-p", str(path))
    assert code in (0, 1, 2)
    if code == 0:  # valid after all: then it evaluated at least one rule
        assert isinstance(spec, dict) and isinstance(rules, list) and rules


@SETTINGS
@given(record=json_values)
def test_a_model_of_wrong_types_never_passes_the_shipped_packs(tmp_path, record):
    document = {"apiVersion": "policygate/v1", "kind": "ModelRecord",
                "metadata": {"name": "x", "version": "1"}, "spec": record}  # fmt: skip
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, _ = run(str(path), "-p", str(POLICIES))
    assert code in (1, 2)


# --------------------------------------------------------------------------- rules that error

ERRORING = [
    "model.no_such_field > 1",
    "model.score / 0 > 1 && model.missing",
    "int(model.name) > 0",
    "timestamp(model.name) < now",
    "model.score",  # not a bool
    "model.tags[99] == 1",
    "model.l.map(x, model.l.map(y, model.l.map(z, z))).size() > 0",  # over budget
]


@settings(max_examples=60, deadline=None, database=None)
@given(
    erroring=st.sampled_from(ERRORING),
    passing=st.lists(st.sampled_from(["true", "model.score >= 0", "size(model.tags) >= 0"]),
                     max_size=3),
    fail_on=st.sampled_from(["error", "warning", "info"]),
)  # fmt: skip
def test_an_error_severity_rule_that_errors_never_passes(erroring, passing, fail_on):
    rules = [{"id": f"ok{i}", "check": text} for i, text in enumerate(passing)]
    rules.append({"id": "broken", "severity": "error", "check": erroring})
    document = {"apiVersion": "policygate/v1", "kind": "Policy", "metadata": {"name": "p"},
                "spec": {"rules": rules}}  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "p.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        policies = policygate.load_policies([path])
    model = {"name": "m", "version": "1", "score": 1, "tags": ["a"], "l": list(range(300))}
    report = policygate.evaluate(model, policies, now=NOW, fail_on=fail_on)
    broken = [r for r in report.models[0].results if r.rule == "broken"]
    assert broken and all(r.status is Status.ERROR for r in broken)
    assert report.passed is False and report.exit_code() != 0
    assert report.to_dict()["passed"] is False
    with pytest.raises(policygate.GateFailed):
        policygate.gate(model, policies, now=NOW, fail_on=fail_on)


# ------------------------------------------------------------------ files that cannot be read


def test_symlink_loops_and_dangling_links_are_clean_errors(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    loop = tmp_path / "dir"
    loop.mkdir()
    (loop / "self").symlink_to(loop)
    (loop / "m.yaml").write_bytes(MODEL.read_bytes())
    for target in ("a.yaml", "dangling.yaml"):
        code, output = run(str(tmp_path / target), "-p", str(POLICIES))
        assert code == 2 and output.startswith("policygate: error: "), output
    code, output = run(str(loop), "-p", str(POLICIES))  # the loop is walked once
    assert code == 0, output


def test_a_directory_where_a_file_is_expected(tmp_path):
    folder = tmp_path / "model.yaml"
    folder.mkdir()
    code, output = run(str(MODEL), "-p", str(POLICIES), "--input", f"x={folder}")
    assert code == 2 and "is a directory" in output


def test_unreadable_files_are_clean_errors(tmp_path, monkeypatch):
    """Tests run as root, so chmod cannot make a file unreadable: make open() fail."""
    import builtins

    real_open = builtins.open

    def guarded(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("secret.yaml"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    path = tmp_path / "secret.yaml"
    path.write_bytes(MODEL.read_bytes())
    monkeypatch.setattr(builtins, "open", guarded)
    code, output = run(str(path), "-p", str(POLICIES))
    assert code == 2 and f"{path}: permission denied" in output


def test_an_io_error_while_reading_is_a_clean_error(tmp_path, monkeypatch):
    import policygate.documents as documents

    def failing(name: str, limits: object) -> bytes:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(documents, "_read_file", failing)
    code, output = run(str(MODEL), "-p", str(POLICIES))
    assert code == 2 and output.startswith("policygate: error: ")


# --------------------------------------------------------------------------- report files

WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from policygate import files
    real_fsync = os.fsync
    def die(fd):
        os.kill(os.getpid(), signal.SIGKILL)  # killed after writing, before the rename
    os.fsync = die
    files.write_atomic(sys.argv[1], '{"passed": true, "models": []}' * 10000)
    """
)


def test_a_kill_during_report_writing_leaves_the_old_file_or_none(tmp_path):
    target = tmp_path / "report.json"
    process = subprocess.run([sys.executable, "-c", WRITER, str(target)], check=False)
    assert process.returncode == -signal.SIGKILL
    assert not target.exists()  # no report at all, rather than a partial one
    target.write_text('{"passed": false}', encoding="utf-8")
    process = subprocess.run([sys.executable, "-c", WRITER, str(target)], check=False)
    assert process.returncode == -signal.SIGKILL
    assert target.read_text(encoding="utf-8") == '{"passed": false}'  # untouched
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "report.json"]
    assert all(name.startswith(".report.json.") and name.endswith(".tmp") for name in leftovers)


def test_a_failure_while_writing_a_report_leaves_nothing_behind(tmp_path, monkeypatch):
    import policygate.files as files

    def broken_replace(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    report = tmp_path / "report.json"
    code, output = run(str(MODEL), "-p", str(POLICIES), "-f", "json", "-o", str(report))
    assert code == 2 and "cannot write: No space left on device" in output
    assert list(tmp_path.iterdir()) == []


def test_a_load_error_writes_no_report(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [", encoding="utf-8")
    report = tmp_path / "report.json"
    code, _ = run(str(broken), "-p", str(POLICIES), "-o", str(report),
                  "--report", f"json={tmp_path / 'extra.json'}")  # fmt: skip
    assert code == 2
    assert not report.exists() and not (tmp_path / "extra.json").exists()


def test_a_killed_gate_process_never_leaves_a_passing_report(tmp_path):
    """The whole CLI, killed at random points while it writes two reports."""
    report = tmp_path / "r.json"
    for delay in (0.05, 0.3, 0.8):
        process = subprocess.Popen(
            [sys.executable, "-m", "policygate", "check", str(MODEL), "-p", str(POLICIES),
             "--now", NOW, "-f", "json", "-o", str(report),
             "--report", f"sarif={tmp_path / 'r.sarif'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if report.exists():  # complete, or not there at all
            assert json.loads(report.read_text(encoding="utf-8"))["passed"] is True


def test_a_report_written_to_a_device_or_a_pipe_leaves_it_in_place(tmp_path):
    """``-o /dev/null`` (or ``/dev/stdout``, a named pipe) is written to, as a shell's
    ``>`` writes: renaming a file over it put a regular file in place of the
    machine's /dev/null, for every program after. A link to a file updates the file."""
    import stat
    import threading

    from policygate.files import write_atomic

    before = os.stat("/dev/null")
    write_atomic("/dev/null", '{"passed": true}')
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert os.stat("/dev/null").st_ino == before.st_ino
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(pipe.read_text(encoding="utf-8")))
    reader.start()
    write_atomic(pipe, "report\n")
    reader.join(5)
    assert read == ["report\n"] and stat.S_ISFIFO(os.stat(pipe).st_mode)
    real = tmp_path / "reports" / "latest.json"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "report.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["latest.json"]
    (tmp_path / "dir").mkdir()
    with pytest.raises(UsageError, match="cannot write"):
        write_atomic(tmp_path / "dir", "x")
