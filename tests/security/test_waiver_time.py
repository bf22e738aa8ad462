"""Red-team tests of when a waiver holds: ``granted_at`` and ``expires_at``
(SECURITY.md T-WAIVE)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from policygate import (
    PolicygateError,
    Status,
    UsageError,
    Waiver,
    evaluate,
    load_policies,
    load_waivers,
)
from policygate.explain import explain
from policygate.models import model_from_data

MODEL = {"metadata": {"name": "m", "version": "1.0"}}


def policies(tmp_path: Path) -> list:
    doc = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": "p"},
        "spec": {"rules": [{"id": "r", "check": "false", "message": "r fails"},
                           {"id": "ok", "check": "true"}]},
    }  # fmt: skip
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return load_policies([path])


def write_waiver(tmp_path: Path, granted_at: str, expires_at: str = '"2027-01-01T00:00:00Z"',
                 name: str = "w") -> Path:  # fmt: skip
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"apiVersion: policygate/v1\nkind: Waiver\nmetadata: {{name: {name}}}\nspec:\n"
        "  rule: p/r\n  models: [m]\n  justification: j\n  approved_by: a\n"
        f"  granted_at: {granted_at}\n  expires_at: {expires_at}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("granted_at", ["banana", '"2026-11-01"', '"2026-11-01T00:00:00"', "''"])
def test_a_granted_at_that_is_no_timestamp_is_a_load_error(tmp_path, granted_at):
    """Any text was taken as granted_at (the schema says string), so a typo in the
    date an approver wrote went unnoticed."""
    path = write_waiver(tmp_path, granted_at)
    with pytest.raises(PolicygateError) as raised:
        load_waivers([path])
    assert raised.value.message.startswith("granted_at: not an RFC 3339 timestamp")
    location = raised.value.location
    assert location is not None and (location.path, location.line) == (str(path), 9)


@pytest.mark.parametrize("expires_at", ['"2026-06-01T00:00:00Z"', '"2026-07-01T02:00:00+02:00"'])
def test_a_waiver_expiring_before_it_is_granted_is_a_load_error(tmp_path, expires_at):
    path = write_waiver(tmp_path, '"2026-07-01T00:00:00Z"', expires_at)
    with pytest.raises(PolicygateError, match="is not after granted_at 2026-07-01T00:00:00Z"):
        load_waivers([path])


def test_a_waiver_granted_after_now_waives_nothing_yet(tmp_path):
    """A waiver dated to be granted on 2027-01-01 waived the rule at any earlier
    --now: a check replayed for a past day (or a waiver written ahead of its
    approval) passed on an exception that did not exist yet. Signed approvals
    already hold only from their granted_at (docs/approvals.md)."""
    pols = policies(tmp_path)
    waivers = load_waivers([write_waiver(tmp_path, '"2026-12-01T00:00:00Z"')])
    before = evaluate(MODEL, pols, now="2026-11-26T00:00:00Z", waivers=waivers)
    (result,) = [r for r in before.models[0].results if r.rule == "r"]
    assert result.status is Status.FAIL and not before.passed
    note = "waiver 'w' is not valid before 2026-12-01T00:00:00Z (granted_at)"
    assert result.message == f"r fails ({note})"
    assert result.waiver is None
    at = evaluate(MODEL, pols, now="2026-12-01T00:00:00Z", waivers=waivers)
    assert [r.status for r in at.models[0].results if r.rule == "r"] == [Status.WAIVED]
    after = evaluate(MODEL, pols, now="2027-01-01T00:00:00Z", waivers=waivers)
    (result,) = [r for r in after.models[0].results if r.rule == "r"]
    assert result.status is Status.FAIL and result.waiver is not None and result.waiver.expired


def test_a_pending_waiver_beside_an_active_one_leaves_the_active_one_to_waive(tmp_path):
    pols = policies(tmp_path)
    later = write_waiver(tmp_path, '"2026-12-01T00:00:00Z"', name="later")
    waivers = load_waivers([later, write_waiver(tmp_path, '"2026-01-01T00:00:00Z"', name="now")])
    report = evaluate(MODEL, pols, now="2026-11-26T00:00:00Z", waivers=waivers)
    (result,) = [r for r in report.models[0].results if r.rule == "r"]
    assert result.status is Status.WAIVED and result.waiver is not None
    assert result.waiver.name == "now"


def test_explain_says_a_pending_waiver_is_not_valid_yet(tmp_path):
    pols = policies(tmp_path)
    waivers = load_waivers([write_waiver(tmp_path, '"2026-12-01T00:00:00Z"')])
    record = model_from_data(MODEL)
    trace = explain(record, pols, "p/r", now="2026-11-26T00:00:00Z", waivers=waivers)
    (waiver,) = trace.waivers
    assert not waiver.active
    assert waiver.reason == "not applied: not valid before 2026-12-01T00:00:00Z (granted_at)"


def test_check_with_a_pending_waiver_fails(tmp_path):
    pols = tmp_path / "p.json"
    policies(tmp_path)
    record = tmp_path / "m.json"
    record.write_text(json.dumps(MODEL), encoding="utf-8")
    waiver = write_waiver(tmp_path, '"2026-12-01T00:00:00Z"')
    command = [sys.executable, "-m", "policygate", "check", str(record), "-p", str(pols),
               "--waivers", str(waiver), "-f", "json"]  # fmt: skip
    early = subprocess.run([*command, "--now", "2026-11-26T00:00:00Z"], capture_output=True,
                           text=True, check=False)  # fmt: skip
    assert early.returncode == 1, early.stderr
    assert json.loads(early.stdout)["summary"]["results"]["waived"] == 0
    late = subprocess.run([*command, "--now", "2026-12-02T00:00:00Z"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert late.returncode == 0, late.stderr


def test_the_decision_log_digest_of_a_waiver_covers_its_granted_at(tmp_path):
    """granted_at decides when a waiver waives, so two waivers that differ only in
    it must not be logged under one digest; a waiver without one keeps its digest."""
    from policygate.decisionlog import waiver_digest

    (early,) = load_waivers([write_waiver(tmp_path, '"2026-01-01T00:00:00Z"')])
    (late,) = load_waivers([write_waiver(tmp_path, '"2026-12-01T00:00:00Z"')])
    assert waiver_digest(early) != waiver_digest(late)
    assert waiver_digest(replace(early, granted_at=None)) == waiver_digest(
        replace(late, granted_at=None)
    )


@pytest.mark.parametrize(
    "when",
    [{"expires_at": dt.datetime(2027, 1, 1)},
     {"expires_at": "2027-01-01T00:00:00Z"},
     {"expires_at": dt.datetime(2027, 1, 1, tzinfo=dt.UTC), "granted_at": dt.datetime(2026, 1, 1)}],
)  # fmt: skip
def test_a_library_waiver_needs_datetimes_with_a_time_zone(tmp_path, when):
    """A Waiver made in Python with a naive expires_at loaded, then stopped the first
    evaluation it covered a failure in with TypeError (naive against aware)."""
    with pytest.raises(UsageError, match="must be a datetime with a time zone"):
        Waiver("w", "p/*", ("m",), "j", "a", **when)
