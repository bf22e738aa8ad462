"""Red-team tests of what a waiver covers: its patterns, and what a waiver file of
many patterns costs (SECURITY.md T-WAIVE)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from policygate import PolicygateError, Status, Waiver, evaluate, load_policies, load_waivers

NOW = "2026-11-26T00:00:00Z"
EXPIRES = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def policies(tmp_path: Path, rules: int = 1) -> list:
    doc = {
        "apiVersion": "policygate/v1",
        "kind": "Policy",
        "metadata": {"name": "p"},
        "spec": {"rules": [{"id": f"r{i}", "check": "false"} for i in range(rules)]
                 + [{"id": "ok", "check": "true"}]},
    }  # fmt: skip
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return load_policies([path])


def model(name: str, version: str = "1.0") -> dict:
    return {"metadata": {"name": name, "version": version}}


def waiver(models: tuple[str, ...], rule: str = "p/*") -> Waiver:
    return Waiver("w", rule, models, "accepted", "carol@example.com", EXPIRES)


def waived(report, index: int = 0) -> bool:
    return any(r.status is Status.WAIVED for r in report.models[index].results)


def write_waiver(tmp_path: Path, models: str, rule: str = "p/r0") -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Waiver\nmetadata: {name: w}\nspec:\n"
        f"  rule: {rule}\n  models: {models}\n  justification: j\n  approved_by: a\n"
        '  expires_at: "2027-01-01T00:00:00Z"\n',
        encoding="utf-8",
    )
    return path


def test_a_bracket_in_a_waiver_pattern_is_itself_not_a_character_class(tmp_path):
    """fnmatch read ``fraud[eu]`` as ``fraud`` and one of ``e``, ``u``: a waiver that
    names the model fraud[eu] covered the models fraude and fraudu instead, and
    ``[!x]`` covered every model of that length but one. Only ``*`` and ``?`` are
    globs (docs/policy-format.md)."""
    pols = policies(tmp_path)
    names = ["fraud[eu]", "fraude", "fraudu", "fraud", "m[!x]", "m1", "mx"]
    report = evaluate([model(n) for n in names], pols, now=NOW,
                      waivers=[waiver(("fraud[eu]", "m[!x]"))])  # fmt: skip
    covered = [m.name for i, m in enumerate(report.models) if waived(report, i)]
    assert covered == ["fraud[eu]", "m[!x]"]
    # the rule pattern too: no policy or rule id holds a bracket, so it covers nothing
    report = evaluate([model("m")], pols, now=NOW, waivers=[waiver(("m",), rule="p/r[0]")])
    assert not waived(report)


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("credit-*", "credit-limit", True),
        ("credit-*", "credit", False),
        ("*-limit", "credit-limit", True),
        ("c*t-l*t", "credit-limit", True),
        ("c*t-l*t", "credit-limits", False),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("cred?t-limit", "credit-limit", True),
        ("cred?t-limit", "cred-limit", False),
        ("*", "", True),
        ("**", "x\ny", True),
        ("Credit-Limit", "credit-limit", False),
    ],
)
def test_waiver_globs_are_star_and_question_mark(pattern, name, expected):
    assert waiver((pattern,)).covers_model(name, "1.0") is expected


def test_many_waiver_patterns_cost_one_match_per_model_not_per_result(tmp_path):
    """A waiver file of 100,000 patterns (1 MB, within every file limit) and ``rule:
    '*/*'``: each failing result matched every pattern again, with fnmatch compiling
    each afresh (its cache holds 32,768), 6 s a result: a fleet of 20 failing results
    took two minutes, one of 1,000 hours. Now each waiver's patterns are matched once
    per model and compiled to no regex."""
    pols = policies(tmp_path, rules=4)
    many = waiver(tuple(f"team-{k}-*@{k}.*" for k in range(100_000)), rule="*/*")
    models = [model(f"m{i}") for i in range(5)]
    start = time.perf_counter()
    report = evaluate(models, pols, now=NOW, waivers=[many])
    elapsed = time.perf_counter() - start
    assert [r.status for r in report.models[0].results].count(Status.FAIL) == 4
    assert elapsed < 10, elapsed  # (was about two minutes)


def test_a_long_model_name_is_covered_only_by_its_whole_name(tmp_path):
    """A ``?`` glob costs its length times the text's: a record named with a million
    characters against a waiver of 100 patterns ``*a?a?...b*`` took a minute (one of
    10,000 such patterns, hours). A glob covers names and versions of at most 256
    characters; a longer one is covered by its whole name only."""
    pols = policies(tmp_path)
    long_name = "a" * 1_000_000
    hostile = waiver(tuple("*" + "a?" * 120 + f"b{k}*" for k in range(100)))
    start = time.perf_counter()
    report = evaluate([model(long_name)], pols, now=NOW, waivers=[hostile])
    assert time.perf_counter() - start < 5  # (was about a minute)
    assert not waived(report)
    named = "m" * 300
    report = evaluate([model(named), model(named, "9" * 300)], pols, now=NOW,
                      waivers=[waiver(("m*", f"{named}@9*"))])  # fmt: skip
    assert not waived(report, 0) and not waived(report, 1)
    report = evaluate([model(named)], pols, now=NOW, waivers=[waiver((named,))])
    assert waived(report)
    assert waiver(("m*",)).covers_model("m" * 256, "1") and waiver(("m?",)).covers_model("mx", "1")


@pytest.mark.parametrize(
    ("models", "problem"),
    [
        ('["credit-limit\\u200b*"]', "invisible character U+200B (Cf)"),
        ('["credit-limit\\u202e"]', "invisible character U+202E (Cf)"),
        ('["credit\\u00a0limit"]', "invisible character U+00A0 (Zs)"),
        ('["credit-limit\\x00"]', "invisible character U+0000 (Cc)"),
        ('[m, "credit-limit "]', "white space at an end"),
        ('[" credit-limit"]', "white space at an end"),
    ],
)
def test_a_waiver_pattern_holding_what_a_reader_cannot_see_is_a_load_error(
    tmp_path, models, problem
):
    """``credit-limit<U+200B>*`` reads as the credit-limit family to whoever approves
    the waiver, and covered only a model whose own name hid the same character (a
    look-alike a model team registers, which reports then show as credit-limit)."""
    path = write_waiver(tmp_path, models)
    with pytest.raises(PolicygateError) as raised:
        load_waivers([path])
    error = raised.value
    assert error.message == f"models: {problem}"
    assert error.location is not None and error.location.path == str(path)
    assert error.location.line == 6  # (the models line)


def test_a_rule_pattern_holding_an_invisible_character_is_a_load_error(tmp_path):
    path = write_waiver(tmp_path, "[m]", rule='"p/r0\\u200b"')
    with pytest.raises(PolicygateError, match=r"rule: invisible character U\+200B"):
        load_waivers([path])


@pytest.mark.parametrize(
    ("key", "most"), [("justification", 1000), ("approved_by", 256), ("name", 253)]
)
def test_a_waiver_text_every_result_carries_is_bounded(tmp_path, key, most):
    """Every result a waiver covers carries its name, approver and justification
    (JSON, SARIF, JUnit): a 1 MB justification over a for_each rule of 200 items
    wrote 200 MB of JSON and 400 MB of JUnit (1.6 GB of memory); 20,000 items, a
    record of 40 KB, would have been 20 GB."""

    def text(length: int) -> str:
        fields = {"name": "w", "justification": "j", "approved_by": "a", key: "x" * length}
        return (
            f"apiVersion: policygate/v1\nkind: Waiver\nmetadata: {{name: {fields['name']}}}\n"
            f"spec:\n  rule: p/r0\n  models: [m]\n  justification: {fields['justification']}\n"
            f"  approved_by: {fields['approved_by']}\n  expires_at: '2027-01-01T00:00:00Z'\n"
        )

    path = tmp_path / "w.yaml"
    path.write_text(text(most), encoding="utf-8")
    (loaded,) = load_waivers([path])
    path.write_text(text(most + 1), encoding="utf-8")
    with pytest.raises(PolicygateError) as raised:
        load_waivers([path])
    assert raised.value.message.startswith(f"{key}: {most + 1} characters, more than {most}")
    location = raised.value.location
    assert location is not None and location.line == {"name": 3, "justification": 7,
                                                      "approved_by": 8}[key]  # fmt: skip
