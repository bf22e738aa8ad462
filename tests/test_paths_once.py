"""A file named twice is read once (documents.expand_paths): ``-p policies/ -p
policies/base.yaml``, a symlink or a hard link to a file already met would
otherwise report its documents as duplicates of themselves."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from policygate.cli import main
from policygate.documents import expand_paths

ROOT = Path(__file__).parents[1]
NOW = "2026-11-26T00:00:00Z"
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
REGISTER = ROOT / "examples" / "risk-register.yaml"


def test_a_file_named_again_is_listed_once_where_it_first_appears(tmp_path):
    (tmp_path / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("b: 1\n", encoding="utf-8")
    os.symlink(tmp_path / "a.yaml", tmp_path / "c.yaml")
    os.link(tmp_path / "b.yaml", tmp_path / "d.yaml")
    listed = expand_paths([str(tmp_path / "b.yaml"), str(tmp_path), str(tmp_path / "a.yaml")])
    assert listed == [str(tmp_path / "b.yaml"), str(tmp_path / "a.yaml")]


def test_stdin_is_kept_each_time_it_is_named():
    assert expand_paths(["-", "-"]) == ["-", "-"]


def test_check_with_the_same_policies_and_register_twice_loads_them_once():
    argv = ["check", str(MODEL), "-p", str(ROOT / "policies"),
            "-p", str(ROOT / "policies" / "baseline.yaml"),
            "--risk-register", str(REGISTER), "--risk-register", str(REGISTER),
            "--now", NOW, "-f", "json"]  # fmt: skip
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert "duplicate" not in result.output
    report = json.loads(result.stdout)
    assert len(report["models"]) == 1
