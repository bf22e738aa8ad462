"""The lifecycle log the real gate wrote: its chain (``log verify``, ``--head``), the
timeline of the champion alias, and the out-of-band audit that finds an alias written
straight into the database (``policygate audit mlflow:models:/ --lifecycle-log``)."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing

import pytest
from click.testing import CliRunner
from gate_support import ADMIN, ADMIN_PASSWORD, Seeded
from mlflow.exceptions import MlflowException

from policygate.cli import main


@pytest.fixture
def as_admin(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    import mlflow

    # a URI another test left in the process or the environment would win
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", seeded.server.uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", seeded.server.uri)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.chdir(seeded.server.root.parent)  # away from the gate's policygate.yaml
    return seeded


def run(*args: str):
    return CliRunner().invoke(main, ["--no-config", *args])


def test_the_log_verifies_and_an_anchor_finds_a_truncation(seeded, tmp_path):
    seeded.server.client("rita").set_registered_model_alias(seeded.model, "champion", "1")
    log = seeded.server.log
    result = run("log", "verify", str(log))
    assert result.exit_code == 0 and "chain intact" in result.output, result.output
    entries = seeded.server.entries()
    anchor = entries[-1]["hash"]
    assert run("log", "verify", str(log), "--head", entries[0]["hash"]).exit_code == 0

    copy = tmp_path / "lifecycle.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    copy.write_text("".join(lines[:-1]))  # the last entry deleted, and no head file with it
    result = run("log", "verify", str(copy), "--head", anchor)
    assert result.exit_code == 1
    assert "is not an entry of the log" in result.output

    shutil.copy(log, copy)
    shutil.copy(str(log) + ".head", str(copy) + ".head")
    edited = copy.read_text().replace('"event":"promoted"', '"event":"updated"', 1)
    copy.write_text(edited)
    result = run("log", "verify", str(copy))
    assert result.exit_code == 1 and "content does not match its hash" in result.output


def test_the_timeline_says_who_put_which_version_in_production_and_when(seeded):
    rita = seeded.server.client("rita")
    rita.set_registered_model_alias(seeded.model, "champion", "4")
    with pytest.raises(MlflowException):
        seeded.server.client("bob").set_registered_model_alias(seeded.model, "champion", "2")
    rita.set_registered_model_alias(seeded.model, "champion", "1")
    result = run("log", "timeline", str(seeded.server.log), "--model", seeded.model, "--alias",
                 "champion")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{seeded.model} alias champion:"
    held = [line for line in lines if " version " in line and ".." in line]
    assert "version 4  promoted by rita" in held[-2]
    assert "ended: rolled-back by rita" in held[-2]
    assert ".. now  version 1  rolled-back by rita  (decision: line " in held[-1]
    denied = [line for line in lines if "denied:" in line]
    assert "denied: bob asked for version 2" in denied[-1]
    assert "registry-access/protected-alias.role" in denied[-1]


def _sql(seeded: Seeded, statement: str, *args: str) -> None:
    with closing(sqlite3.connect(seeded.server.db)) as db, db:
        db.execute(statement, args)


def test_the_audit_passes_when_every_alias_moved_through_the_gate(as_admin):
    as_admin.server.client("rita").set_registered_model_alias(as_admin.model, "champion", "1")
    result = run("audit", "mlflow:models:/", "--lifecycle-log", str(as_admin.server.log),
                 "--protected-alias", "champion")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "lifecycle: 0 out-of-band changes (aliases champion" in result.output


def test_an_alias_moved_in_the_database_is_found_and_fails_the_audit(as_admin):
    server = as_admin.server
    server.client("rita").set_registered_model_alias(as_admin.model, "champion", "1")
    _sql(as_admin, "UPDATE registered_model_aliases SET version = 2 WHERE name = ? AND alias = ?",
         as_admin.model, "champion")  # fmt: skip
    try:
        result = run("audit", "mlflow:models:/", "--lifecycle-log", str(server.log),
                     "--protected-alias", "champion")  # fmt: skip
        assert result.exit_code == 1, result.output
        assert (
            f"out-of-band: {as_admin.model} alias champion points at version 2, the lifecycle "
            "log's last allowed change put version 1 there (changed outside the gate)"
        ) in result.output
    finally:
        _sql(as_admin, "UPDATE registered_model_aliases SET version = 1 WHERE name = ? AND "
             "alias = ?", as_admin.model, "champion")  # fmt: skip


def test_an_alias_set_in_the_database_only_is_found(as_admin):
    _sql(as_admin, "INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)",
         as_admin.model, "production", "2")  # fmt: skip
    try:
        result = run("audit", f"mlflow:models:/{as_admin.model}", "--lifecycle-log",
                     str(as_admin.server.log), "--protected-alias", "champion",
                     "--protected-alias", "production")  # fmt: skip
        assert result.exit_code == 1, result.output
        assert (
            f"{as_admin.model} alias production points at version 2: no allowed promotion in "
            "the lifecycle log"
        ) in result.output
        # without --protected-alias every alias is checked: production is found too
        everything = run("audit", "mlflow:models:/", "--lifecycle-log", str(as_admin.server.log))
        assert everything.exit_code == 1 and "alias production" in everything.output
    finally:
        _sql(as_admin, "DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?",
             as_admin.model, "production")  # fmt: skip


def test_the_audit_of_a_non_registry_source_is_a_usage_error(as_admin, tmp_path):
    result = run("audit", str(tmp_path), "--lifecycle-log", str(as_admin.server.log))
    assert result.exit_code == 2 and "is not mlflow:models:/" in result.output


def test_a_log_that_cannot_take_the_entry_refuses_every_write(seeded):
    log = seeded.server.log
    original = log.read_bytes()
    alice = seeded.server.client("alice")
    try:
        with log.open("ab") as interrupted:  # a write cut short: the log refuses appends
            interrupted.write(b'{"v":1,"kind":"lifecycle"')
        with pytest.raises(MlflowException) as denied:
            alice.set_model_version_tag(seeded.model, "2", "reviewed", "again")
        assert denied.value.error_code == "PERMISSION_DENIED"
        assert "the lifecycle log cannot be appended" in str(denied.value)
        assert "last line is incomplete" in str(denied.value)
    finally:
        log.write_bytes(original)
    tags = seeded.server.client("admin").get_model_version(seeded.model, "2").tags
    assert tags.get("reviewed") != "again"  # not applied: it could not have been logged
    alice.set_model_version_tag(seeded.model, "2", "reviewed", "again")  # repaired: allowed
    assert seeded.server.entries()[-1]["target"]["tag"]["value"] == "again"
