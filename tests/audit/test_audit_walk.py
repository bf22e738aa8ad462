"""An audit walks a directory as it goes and past what it cannot read: a symlink
loop or an unreadable directory met in the tree is one source that could not be
read, and the documents after it are still evaluated (``check`` and ``lint`` refuse
the whole argument instead: tests/security/test_input_files.py)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

from click.testing import CliRunner

from policygate import documents
from policygate.audit import expand_sources
from policygate.cli import main

ROOT = Path(__file__).parents[2]
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
POLICIES = ROOT / "policies"
NOW = "2026-11-26T00:00:00Z"


def _tree(tmp_path: Path) -> Path:
    for name in ("a", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "m.yaml").write_bytes(MODEL.read_bytes())
    return tmp_path


def _audit(*argv: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["audit", *argv, "-p", str(POLICIES), "--now", NOW,
                                       "-f", "json"])  # fmt: skip
    return result.exit_code, json.loads(result.stdout)


def test_a_symlink_loop_in_the_tree_fails_its_source_and_the_rest_is_evaluated(tmp_path):
    root = _tree(tmp_path)
    (root / "b-loop").symlink_to("b-loop")
    code, report = _audit(str(root))
    assert code == 1
    sources = [m["source"] for m in report["models"]]
    assert sources == [str(root / "a" / "m.yaml"), str(root / "b-loop"), str(root / "c" / "m.yaml")]
    loop = report["models"][1]
    assert loop["passed"] is False
    assert [r["status"] for r in loop["results"]] == ["error"]
    assert "symlink loop" in loop["results"][0]["message"]
    assert all(m["passed"] for m in (report["models"][0], report["models"][2]))


def test_an_unreadable_directory_fails_its_source_and_its_siblings_are_evaluated(
    tmp_path, monkeypatch
):
    root = _tree(tmp_path)
    (root / "b").mkdir()
    (root / "b" / "m.yaml").write_bytes(MODEL.read_bytes())
    scandir = os.scandir

    def refusing(path):
        if os.fspath(path) == str(root / "b"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(documents.os, "scandir", refusing)
    items = list(expand_sources([str(root)]))
    assert [i.source for i in items] == [str(root / "a" / "m.yaml"), str(root / "b"),
                                         str(root / "c" / "m.yaml")]  # fmt: skip
    assert [i.error for i in items] == [None, f"{root / 'b'}: cannot read directory: "
                                        "Permission denied", None]  # fmt: skip
    assert items[1].error_code == "file-unreadable"


def test_a_directory_unreadable_at_its_second_chunk_keeps_the_first_and_goes_on(
    tmp_path, monkeypatch
):
    """Read a chunk of names at a time, a directory can fail between two reads: what
    was listed stays, the failure is a source, and the walk goes on."""
    root = tmp_path / "big"
    root.mkdir()
    for i in range(5):
        (root / f"m{i}.yaml").write_text("{}\n", encoding="utf-8")
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "m.yaml").write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(documents, "_CHUNK", 2)
    reads = []
    scandir = os.scandir

    def failing_later(path):
        reads.append(os.fspath(path))
        if os.fspath(path) == str(root) and reads.count(str(root)) > 1:
            raise OSError(errno.EIO, "Input/output error", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(documents.os, "scandir", failing_later)
    items = list(expand_sources([str(tmp_path)]))
    assert [(Path(i.source).relative_to(tmp_path).as_posix(), i.error is None) for i in items] == [
        ("big/m0.yaml", True), ("big/m1.yaml", True), ("big", False), ("z/m.yaml", True)]


def test_check_still_refuses_a_tree_it_cannot_read_whole(tmp_path):
    root = _tree(tmp_path)
    (root / "b-loop").symlink_to("b-loop")
    result = CliRunner().invoke(main, ["check", str(root), "-p", str(POLICIES), "--now", NOW])
    assert result.exit_code == 2
    assert "symlink loop" in result.stderr
