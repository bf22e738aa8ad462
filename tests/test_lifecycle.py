"""The lifecycle log (SPEC §9) without a server: events, the chain it shares with the
decision log, the timeline, and the out-of-band comparison (with a law: a registry whose
every alias move went through the gate has no finding; any other state has one per alias
that differs)."""

from __future__ import annotations

import multiprocessing

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_text import hostile_text, unsafe
from policygate import decisionlog, lifecycle
from policygate.cli import main

T = "2026-12-03T10:00:{:02d}Z"


@pytest.mark.parametrize(
    ("action", "kwargs", "event"),
    [
        ("create-model", {}, "registered"),
        ("create-version", {}, "registered"),
        ("update-version", {}, "updated"),
        ("rename-model", {}, "updated"),
        ("delete-version", {}, "deleted"),
        ("delete-model", {}, "deleted"),
        ("set-tag", {}, "tagged"),
        ("delete-tag", {}, "tagged"),
        ("set-alias", {"protected": True, "version": "3", "previous": "2"}, "promoted"),
        ("set-alias", {"protected": True, "version": "3"}, "promoted"),
        ("set-alias", {"protected": True, "version": "2", "previous": "10"}, "rolled-back"),
        ("set-alias", {"protected": False, "version": "2", "previous": "10"}, "updated"),
        ("delete-alias", {"protected": True}, "retired"),
        ("delete-alias", {"protected": False}, "updated"),
        ("transition-stage", {"protected": True, "version": "4", "stage": "Production"},
         "promoted"),
        ("transition-stage", {"protected": True, "version": "1", "previous": "4",
                              "stage": "Production"}, "rolled-back"),
        ("transition-stage", {"stage": "Archived"}, "retired"),
        ("transition-stage", {"stage": "Staging"}, "updated"),
    ],
)  # fmt: skip
def test_each_judged_request_has_its_event(action, kwargs, event):
    assert lifecycle.classify(action, allowed=True, **kwargs) == event
    assert lifecycle.classify(action, allowed=False, **kwargs) == "denied"


def _move(n: int, model: str, alias: str, version: str | None, *, allowed: bool = True,
          actor: str = "rita") -> dict:  # fmt: skip
    action = "set-alias" if version is not None else "delete-alias"
    return lifecycle.entry(
        time=T.format(n % 60), event="promoted" if allowed else "denied", action=action,
        actor={"name": actor}, target={"model": model, "alias": alias, "version": version or ""},
        allowed=allowed, applied=allowed, protected=True,
    )  # fmt: skip


def test_entries_chain_like_the_decision_log_and_verify(tmp_path):
    log = tmp_path / "lifecycle.jsonl"
    moves = [_move(1, "m", "champion", "1"), _move(2, "m", "champion", "2")]
    written = lifecycle.append(log, moves)
    assert [e["seq"] for e in written] == [1, 2]
    assert written[1]["prev"] == written[0]["hash"]
    outcome = decisionlog.verify(log, head=written[0]["hash"])
    assert outcome.intact and outcome.entries == 2 and outcome.anchor == 1


def _append_many(path: str, worker: int) -> None:
    for n in range(20):
        lifecycle.append(path, [_move(n, f"m{worker}", "champion", str(n + 1))])


def test_two_processes_appending_at_once_keep_one_chain(tmp_path):
    log = str(tmp_path / "lifecycle.jsonl")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(log, w)) for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    outcome = decisionlog.verify(log)
    assert outcome.intact and outcome.entries == 40


def test_the_timeline_shows_each_holding_and_each_denied_attempt():
    entries = [
        _move(1, "m", "champion", "1"),
        _move(2, "m", "champion", "3", allowed=False, actor="bob"),
        _move(3, "m", "champion", "2"),
        _move(4, "other", "champion", "9"),
        _move(5, "m", "champion", "2"),  # again the version that holds it: nothing moves
        _move(6, "m", "champion", None),
    ]
    for n, found in enumerate(entries, start=1):
        found["hash"] = f"sha256:{n:064d}"
    holdings, attempts = lifecycle.timeline(entries, "m")
    assert [(h.version, h.since, h.until) for h in holdings] == [
        ("1", T.format(1), T.format(3)),
        ("2", T.format(3), T.format(6)),
    ]
    assert holdings[1].ended_by == "promoted by rita (line 6)"
    assert [(a.actor, a.version, a.line) for a in attempts] == [("bob", "3", 2)]
    lines = lifecycle.render_timeline(holdings, attempts, "m")
    assert lines[0] == "m alias champion:"
    assert lines[2].startswith(f"  {T.format(2)}  denied: bob asked for version 3")


def test_a_renamed_model_keeps_its_history():
    rename = lifecycle.entry(time=T.format(2), event="updated", action="rename-model",
                             actor={"name": "rita"}, target={"model": "old", "new_name": "new"},
                             allowed=True, applied=True)  # fmt: skip
    entries = [_move(1, "old", "champion", "1"), rename]
    holdings, _ = lifecycle.timeline(entries, "new")
    assert [(h.model, h.version, h.until) for h in holdings] == [("new", "1", None)]
    assert lifecycle.out_of_band(entries, {"new": {"champion": "1"}}) == []


def test_a_change_the_registry_refused_is_no_holding():
    refused = _move(1, "m", "champion", "7")
    refused["applied"] = False
    assert lifecycle.timeline([refused], "m") == ([], [])
    [finding] = lifecycle.out_of_band([refused], {"m": {"champion": "7"}})
    assert finding.logged is None and "no allowed promotion" in finding.message


def test_a_version_in_a_protected_stage_without_a_transition_is_found():
    findings = lifecycle.out_of_band(
        [], {"m": {}}, {"m": {"Production": ["3"], "Staging": ["2"]}},
        protected_aliases=["champion"], protected_stages=["production"],
    )  # fmt: skip
    assert [(f.slot, f.name, f.version) for f in findings] == [("stage", "Production", "3")]


MOVES = st.lists(
    st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["champion", "production"]),
              st.one_of(st.none(), st.integers(1, 5).map(str)), st.booleans()),
    max_size=30,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(moves=MOVES, tamper=st.one_of(st.none(), st.tuples(
    st.sampled_from(["a", "b"]), st.sampled_from(["champion", "production"]),
    st.one_of(st.none(), st.integers(1, 6).map(str)))))  # fmt: skip
def test_only_what_moved_outside_the_gate_is_found(moves, tamper):
    registry: dict[str, dict[str, str]] = {"a": {}, "b": {}}
    entries = []
    for n, (model, alias, version, allowed) in enumerate(moves):
        entries.append(_move(n, model, alias, version, allowed=allowed))
        if allowed:  # what the registry did: only what the gate allowed
            if version is None:
                registry[model].pop(alias, None)
            else:
                registry[model][alias] = version
    assert lifecycle.out_of_band(entries, registry) == []
    if tamper is None:
        return
    model, alias, version = tamper
    changed = {m: dict(a) for m, a in registry.items()}
    if version is None:
        changed[model].pop(alias, None)
    else:
        changed[model][alias] = version
    findings = lifecycle.out_of_band(entries, changed)
    expected = [] if changed == registry else [(model, alias)]
    assert [(f.model, f.name) for f in findings] == expected


@settings(max_examples=40, deadline=None)
@given(name=hostile_text("PASSED  credit-default", "\nline 9  promoted", surrogates=False))
def test_log_show_and_timeline_print_no_control_character_a_log_holds(tmp_path_factory, name):
    log = tmp_path_factory.mktemp("hostile") / "lifecycle.jsonl"
    denied = _move(1, "m", "champion", "2", allowed=False, actor=name)
    denied["failed"] = [{"rule": "registry-access/x", "message": name}]
    lifecycle.append(log, [_move(0, "m", "champion", "1", actor=name), denied])
    for args in (["log", "show", str(log)], ["log", "timeline", str(log), "--model", "m"]):
        result = CliRunner().invoke(main, ["--no-config", *args])
        assert result.exit_code == 0, result.output
        assert unsafe(result.output) == []
        assert len(result.output.splitlines()) == 4  # a value never starts a line


def test_log_timeline_of_an_entry_of_another_shape_is_an_error_naming_the_log(tmp_path):
    """An entry whose fields are not of the shapes the gate writes (a string where a
    mapping is) was an internal error (AttributeError) out of `log timeline`."""
    log = tmp_path / "lifecycle.jsonl"
    odd = _move(0, "m", "champion", "1")
    odd["target"] = "m"
    lifecycle.append(log, [odd])
    result = CliRunner().invoke(main, ["--no-config", "log", "timeline", str(log), "--model", "m"])
    assert result.exit_code == 2
    assert f"{log}: not a lifecycle log (an entry's field of an unexpected type)" in result.output
    assert "internal error" not in result.output
