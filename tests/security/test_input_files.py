"""What a path may point at (SECURITY.md, T-LOAD, T-FAIL): a file that holds no
document, a named pipe, a device, a symlink loop, or an importer's file far over
the size limit. Each is refused with ``path: message`` and exit 2, or (met while
scanning a directory) skipped with a warning; none may hang the gate, pass it, or
be read whole. The gate runs in a subprocess where a bug could hang it, so a
regression fails on the timeout instead of blocking the suite."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygate.cli import main

ROOT = Path(__file__).parents[2]
POLICIES = ROOT / "policies"
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
NOW = "2026-11-26T00:00:00Z"
posix = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symlinks are POSIX")


def gate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``policygate check ARGS`` in its own process, killed after ``timeout`` seconds."""
    return subprocess.run(
        [sys.executable, "-m", "policygate", "check", *args, "--now", NOW],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def check(*args: str) -> tuple[int, str, str, float]:
    """In-process (fast) for inputs that cannot hang: exit code, stdout, stderr, CPU s."""
    started = time.process_time()
    result = CliRunner().invoke(main, ["check", *args, "--now", NOW])
    return result.exit_code, result.stdout, result.stderr, time.process_time() - started


# --------------------------------------------------------------------------- empty files


@pytest.mark.parametrize("text", ["", "# to be written\n", "---\n", "--- \n...\n"])
def test_an_empty_model_file_among_good_ones_is_exit_2(tmp_path, text):
    (tmp_path / "good.yaml").write_bytes(MODEL.read_bytes())
    empty = tmp_path / "empty.yaml"
    empty.write_text(text, encoding="utf-8")
    for args in ([str(tmp_path / "good.yaml"), str(empty)], [str(tmp_path)]):
        code, _, stderr, _ = check(*args, "-p", str(POLICIES))
        assert code == 2, stderr
        assert stderr.startswith(f"policygate: error: {empty}:1:1: "), stderr
        assert "holds no document" in stderr


def test_an_empty_policy_file_is_exit_2(tmp_path):
    policies = tmp_path / "policies"
    policies.mkdir()
    for source in POLICIES.glob("*.yaml"):
        (policies / source.name).write_bytes(source.read_bytes())
    empty = policies / "zz-new-policy.yaml"
    empty.write_text("# the new policy, to be written\n", encoding="utf-8")
    for where in (empty, policies):
        code, _, stderr, _ = check(str(MODEL), "-p", str(POLICIES), "-p", str(where))
        assert code == 2, stderr
        assert f"{empty}:1:1: " in stderr and "holds no document" in stderr


# --------------------------------------------------------------------------- FIFOs and devices


@posix
def test_a_fifo_named_as_a_model_is_a_load_error_not_a_hang(tmp_path):
    fifo = tmp_path / "model.yaml"
    os.mkfifo(fifo)
    done = gate(str(fifo), "-p", str(POLICIES))
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"policygate: error: {fifo}: not a regular file (a named pipe)\n"


@posix
def test_a_fifo_named_as_a_policy_is_a_load_error_not_a_hang(tmp_path):
    fifo = tmp_path / "policy.yaml"
    os.mkfifo(fifo)
    done = gate(str(MODEL), "-p", str(fifo))
    assert done.returncode == 2, done.stderr
    assert f"{fifo}: not a regular file" in done.stderr


@posix
def test_a_fifo_in_a_model_directory_is_skipped_with_a_warning(tmp_path):
    (tmp_path / "model.yaml").write_bytes(MODEL.read_bytes())
    os.mkfifo(tmp_path / "pipe.yaml")
    done = gate(str(tmp_path), "-p", str(POLICIES))
    assert done.returncode == 0, done.stderr
    pipe = tmp_path / "pipe.yaml"
    warning = f"policygate: warning: {pipe}: skipped: not a regular file (a named pipe)\n"
    assert done.stderr == warning
    assert "credit-default" in done.stdout


@posix
def test_a_device_named_as_a_model_is_a_load_error():
    code, _, stderr, seconds = check("/dev/zero", "-p", str(POLICIES))
    assert code == 2
    assert stderr == "policygate: error: /dev/zero: not a regular file (a character device)\n"
    assert seconds < 2.0


# --------------------------------------------------------------------------- symlink loops


@posix
def test_a_self_looping_symlink_is_reported_as_a_loop(tmp_path):
    """``ln -s loop loop``: named, and met in a directory of models."""
    named = tmp_path / "loop.yaml"
    named.symlink_to("loop.yaml")
    models = tmp_path / "models"
    models.mkdir()
    (models / "m.yaml").write_bytes(MODEL.read_bytes())
    (models / "loop").symlink_to("loop")
    for target, shown in ((named, named), (models, models / "loop")):
        code, _, stderr, _ = check(str(target), "-p", str(POLICIES))
        assert code == 2
        message = f"policygate: error: {shown}: symlink loop (too many levels of symbolic links)\n"
        assert stderr == message


# --------------------------------------------------------------------------- importers' files


def sparse(path: Path, size: int = 200 * 1024 * 1024) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:  # no 200 MB written to the test disk
        handle.write(b"---\n")
        handle.truncate(size)
    return path


@pytest.mark.parametrize(
    "fmt, name", [("hf", "README.md"), ("cyclonedx", "bom.json"), ("mct", "card.json"),
                  ("mlflow", "export.json"), ("mlflow", "MLmodel")],
)  # fmt: skip
def test_every_importer_reads_its_file_through_the_size_limit(tmp_path, fmt, name):
    """A 200 MB model card was read whole (and its front matter parsed)."""
    card = sparse(tmp_path / "model" / name)
    code, _, stderr, seconds = check(f"{fmt}:{card}", "-p", str(POLICIES))
    assert code == 2, stderr
    assert f"{card}" in stderr and "larger than 10485760 bytes (209715200 bytes)" in stderr
    assert seconds < 2.0, f"took {seconds:.2f} s"
