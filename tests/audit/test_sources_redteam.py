"""What a model team can plant in a tree that is audited: links out of it, pipes.

Records are written into an audited tree by many teams; nothing they write may
have the audit read, report or walk anything outside the directory audited.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from policygate.audit import expand_sources
from policygate.cli import main

ROOT = Path(__file__).parents[2]
MODEL = ROOT / "examples" / "models" / "credit-default-passes.yaml"
POLICIES = ROOT / "policies"
NOW = "2026-11-26T00:00:00Z"
OUT = "a symbolic link out of the directory given"


def _audit(*argv: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["audit", *argv, "-p", str(POLICIES), "--now", NOW,
                                       "-f", "json"])  # fmt: skip
    return result.exit_code, json.loads(result.stdout)


def _planted(tmp_path: Path) -> tuple[Path, Path]:
    """A tree of one good record and links out of it to a "secret" outside."""
    secret = tmp_path / "home" / "secrets.json"
    secret.parent.mkdir()
    secret.write_text(json.dumps({"metadata": {"name": "SECRET-TOKEN-1234"}, "auths": {}}))
    tree = tmp_path / "models"
    (tree / "team-a").mkdir(parents=True)
    (tree / "team-a" / "credit.yaml").write_bytes(MODEL.read_bytes())
    (tree / "team-b").mkdir()
    (tree / "team-b" / "model.yaml").symlink_to(secret)
    (tree / "team-b" / "home").symlink_to(secret.parent)
    return tree, secret


def test_a_link_out_of_the_audited_tree_is_never_read(tmp_path):
    tree, _ = _planted(tmp_path)
    code, report = _audit(str(tree))
    assert code == 1
    assert "SECRET-TOKEN-1234" not in json.dumps(report)  # its content was not read
    failed = {m["source"]: m["results"][0]["message"] for m in report["models"] if not m["passed"]}
    assert failed == {
        f"{tree}/team-b/home": f"{tree}/team-b/home: {OUT} ({tree}): not read",
        f"{tree}/team-b/model.yaml": f"{tree}/team-b/model.yaml: {OUT} ({tree}): not read",
    }
    assert [m["name"] for m in report["models"] if m["passed"]] == ["credit-default"]


def test_a_directory_linking_to_the_root_is_not_walked(tmp_path):
    tree = tmp_path / "models"
    tree.mkdir()
    (tree / "m.yaml").write_bytes(MODEL.read_bytes())
    (tree / "everything").symlink_to("/")
    items = list(expand_sources([str(tree)]))
    assert [(i.source, i.error is not None) for i in items] == [
        (f"{tree}/everything", True),
        (f"{tree}/m.yaml", False),
    ]
    assert OUT in str(items[0].error)


def test_links_inside_the_tree_are_still_followed(tmp_path):
    tree = tmp_path / "models"
    (tree / "shared").mkdir(parents=True)
    (tree / "shared" / "credit.yaml").write_bytes(MODEL.read_bytes())
    (tree / "team").mkdir()
    (tree / "team" / "linked").symlink_to("../shared")
    (tree / "team" / "current.yaml").symlink_to("../shared/credit.yaml")
    # the tree itself may be reached through a link: what counts is where it resolves
    (tmp_path / "alias").symlink_to(tree)
    for argument in (tree, tmp_path / "alias"):
        items = list(expand_sources([str(argument)]))
        assert [i.error for i in items] == [None]  # one file, met once
        assert items[0].source == f"{argument}/shared/credit.yaml"


def test_card_directories_keep_their_links_inside_too(tmp_path):
    tree = tmp_path / "cards"
    tree.mkdir()
    outside = tmp_path / "notes.md"
    outside.write_text("---\nmodel_name: SECRET\n---\n")
    (tree / "card.md").symlink_to(outside)
    items = list(expand_sources([f"hf:{tree}"]))
    assert [(i.source, OUT in (i.error or "")) for i in items] == [(f"{tree}/card.md", True)]


def test_a_link_out_named_in_bytes_that_are_not_utf8_is_reported(tmp_path):
    tree, secret = _planted(tmp_path)
    os.symlink(secret, os.path.join(os.fsencode(tree), b"bad\xff.yaml"))
    code, report = _audit(str(tree))  # the report can be written: the name is escaped
    assert code == 1
    failed = {m["source"]: m["results"][0]["message"] for m in report["models"]}
    assert OUT in failed[f"{tree}/bad\\xff.yaml"]
