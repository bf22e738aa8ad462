"""CEL's semantics, not Python's, in every decision (SPEC §3; SECURITY.md T-CEL-*).

A record is untrusted: whatever value it puts where a rule expects a number, a
list or a string, the rule errors or fails, never passes because Python would
have taken a bool for a number, a negative index from the end, ``in`` as a
substring test, ``"1_0"`` as ten or a string ``%`` as formatting. Every case runs
on the engine, and the properties generate untyped records (accepted as they
are, with no schema to catch a wrong type) as well as typed ones.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate import cel

sys.path.insert(0, str(Path(__file__).parents[2] / "fuzz"))
import judged  # noqa: E402  (the judged fuzz target's data)

from policygate.cli import main

ROOT = Path(__file__).parents[2]
NOW = "2026-11-26T00:00:00Z"
EXAMPLE = ROOT / "examples" / "models" / "credit-default-passes.yaml"
POLICIES = ROOT / "policies"
SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

MODEL = {"gap": False, "auc": True, "s": "abc", "l": [1.0, 2.0], "text": "1_0", "x": 1.0}

# Each expression is an error in CEL (no matching overload, an index out of range,
# a bad conversion); Python, and cel-python as shipped, gave a value for each.
ERRORS = [
    "true >= 0.8", "false < 0.5", "model.gap <= 0.1", "model.auc >= 0.8", "0.8 - model.gap",
    "model.gap + 1.0 > 0.0", "true + 1 == 2", "-model.gap < 0.0", "int(true) == 1",
    "model.l[-1] == 2.0", "model.l[true] == 2.0", "model.l[2] == 1.0", "model.s[0] == 'a'",
    "'b' in model.s", "int(model.text) == 10", "double(model.text) == 10.0", "int('١٢') == 12",
    "double(' 1') == 1.0", "uint('+1') == 1u", "'a' / 0.0 > 1.0", "model.s / 0.0 > 1.0",
    "'%s' % 1 == '1'", "model.s % 2 == 'abc'", "'ab' * 2 == 'abab'", "[1] * 2 == [1, 1]",
    "model.s.exists(c, c == 'a')", "model.s.all(c, c != 'z')", "size(model.s.map(c, c)) == 3",
    "model.s.filter(c, true) == []", "model.l.filter(x, 1) == model.l",
    "model.l.exists_one(x, 'yes')",
]  # fmt: skip

def _activation(backend: cel.Backend) -> cel.Activation:
    return backend.activation(
        model=MODEL, params={}, now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC), inputs={}
    )


@pytest.mark.parametrize("text", ERRORS)
def test_python_semantics_never_decide(text: str) -> None:
    backend = cel.get_backend()
    # The checker refuses operators over literal types with no overload when it
    # compiles (`true >= 0.8`); the rest are evaluation errors.
    with pytest.raises((cel.CELEvaluationError, cel.CELSyntaxError)):
        backend.truth(backend.compile(text).evaluate(_activation(backend)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true == 1", False), ("model.gap == false", True), ("true < false", False),
     ("1.0 / 0.0 > 1e308", True), ("int('-12') == -12", True), ("double('1e3') == 1000.0", True),
     ("double('-.5') == -0.5", True), ("double('inf') > 1e308", True), ("model.l[1] == 2.0", True),
     ("'b' in ['a', 'b']", True), ("'a' in {'a': 1}", True), ("model.s.contains('b')", True)],
)  # fmt: skip
def test_what_cel_allows_still_works(text: str, expected: bool) -> None:
    backend = cel.get_backend()
    assert backend.truth(backend.compile(text).evaluate(_activation(backend))) is expected


PASSING = judged.EXAMPLE  # the passing example, and the paths of its numbers (fuzz/judged.py)
NUMBER_PATHS = judged.PATHS
NOT_NUMBERS = st.sampled_from([True, False, None, "0.99", "yes", "on", "", "1_0", "0,99"])


@st.composite
def records_with_non_numbers(draw: st.DrawFn) -> dict[str, Any]:
    """The passing example with some of its numbers replaced by bools, strings or
    nulls; typed or untyped (no apiVersion/kind: accepted as is, no schema)."""
    record = copy.deepcopy(PASSING)
    # Few replacements, bools as often as all the rest: one bool alone is the
    # sharpest case (a string or null beside it would error the record anyway).
    paths = draw(st.lists(st.sampled_from(NUMBER_PATHS), min_size=1, max_size=3, unique=True))
    for path in paths:
        parent = record
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = draw(st.one_of(st.booleans(), NOT_NUMBERS))
    if draw(st.integers(0, 3)):  # mostly untyped: no schema stands in the way
        del record["apiVersion"], record["kind"]
    return record


def test_every_number_the_example_holds_is_judged() -> None:
    """The law below needs each number of the passing example to be read by a rule:
    the example passes, and with any one of its numbers null it does not."""
    policies = policygate.load_policies([str(POLICIES)])
    assert policygate.evaluate([PASSING], policies, now=NOW).passed
    assert len(NUMBER_PATHS) >= 15
    for path in NUMBER_PATHS:
        record = copy.deepcopy(PASSING)
        parent = record
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = None
        assert not policygate.evaluate([record], policies, now=NOW).passed, path


@SETTINGS
@given(record=records_with_non_numbers())
def test_a_non_number_where_a_number_is_judged_never_passes(
    tmp_path: Path, record: dict[str, Any]
) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["check", str(path), "-p", str(POLICIES), "--now", NOW]
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (1, 2), result.output


UNTYPED_YAML = """\
metadata: {name: credit-default, version: "3.1.0", target_stage: production}
spec:
  risk_tier: high
  metrics: {auc: yes, accuracy: on}
  evaluations:
    - {dataset: holdout, metrics: {auc: yes, accuracy: on}}
  fairness:
    protected_attributes: [sex]
    metrics:
      - {attribute: sex, metric: demographic_parity_difference, value: no}
      - {attribute: sex, metric: equalized_odds_difference, value: off}
"""


def test_an_untyped_record_of_yes_and_no_fails_the_production_pack(
    tmp_path: Path
) -> None:
    """The red-team record: YAML 1.1 booleans where the pack reads numbers. Under
    YAML 1.2 they are strings, and neither a string nor a bool is a number."""
    path = tmp_path / "model.yaml"
    path.write_text(UNTYPED_YAML, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["check", str(path), "-p", str(POLICIES), "--now", NOW]
    )
    assert result.exit_code == 1, result.output
    assert "performance.auc" in result.output


TYPO_POLICY = """\
apiVersion: policygate/v1
kind: Policy
metadata: {name: typo}
spec:
  rules:
    - id: not-prohibited
      check: '!has(modle.spec.prohibited_use)'
"""


def test_check_refuses_a_typo_that_would_pass(tmp_path: Path) -> None:
    """cel-python's has() of an undeclared name was false, so this rule passed every
    model; a policy that reads an undeclared name is refused before any is judged."""
    policy = tmp_path / "typo.yaml"
    policy.write_text(TYPO_POLICY, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["check", str(EXAMPLE), "-p", str(policy), "--now", NOW]
    )
    assert result.exit_code == 2, result.output
    assert f"{policy}:7:20: undeclared variable 'modle'; did you mean 'model'?" in result.output


TIMESTAMP_LIKE = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)).map(
        lambda d: d.isoformat()
    ),
    st.from_regex(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,10})?"
        r"([Zz]|[+-][0-9]{2}:[0-9]{2})?\Z"
    ),
    st.sampled_from(["2026-01-01T00:00:00+00:99", "2026-01-01T00:00:00+23:59", "2026-01-01",
                     "2026-01-01T00:00:00-24:00", " 2026-01-01T00:00:00Z", "now"]),
)  # fmt: skip


@settings(max_examples=150, deadline=None, database=None)
@given(text=TIMESTAMP_LIKE.flatmap(lambda t: st.sampled_from([t, t + "Z", t + "+01:30"])))
def test_cel_timestamp_and_waiver_dates_accept_the_same_forms(text: str) -> None:
    """One grammar for every timestamp (SPEC §3, issue 14 item 16): what a waiver's
    expires_at accepts, timestamp() accepts, at the same instant."""
    from policygate.timestamps import parse_timestamp

    try:
        expected: dt.datetime | None = parse_timestamp(text)
    except ValueError:
        expected = None
    backend = cel.get_backend()
    activation = backend.activation(model={"t": text}, params={}, now=NOW_DT, inputs={})
    try:
        value = backend.to_python(backend.compile("timestamp(model.t)").evaluate(activation))
    except cel.CELEvaluationError:
        value = None
    assert value == expected, text


NOW_DT = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


def test_a_huge_integer_is_never_echoed() -> None:
    """An int literal past 64 bits is a syntax error (CEL's), and converting a
    record's 5,000-digit string is an overflow error that does not repeat it."""
    backend = cel.get_backend()
    with pytest.raises(cel.CELSyntaxError) as raised:
        backend.compile("model.x > " + "9" * 15000)
    assert len(str(raised.value)) < 200
    activation = backend.activation(model={"s": "9" * 5000}, params={}, now=NOW_DT, inputs={})
    with pytest.raises(cel.CELEvaluationError) as failed:
        backend.truth(backend.compile("int(model.s) > 1 && true").evaluate(activation))
    assert len(str(failed.value)) < 200 and "99999" not in str(failed.value)


def test_two_strings_where_a_rule_compares_two_numbers_never_pass() -> None:
    """Found by the `judged` fuzz target: a rule comparing two fields of the record
    (a monitoring check's value and threshold) passed when both were strings."""
    record = copy.deepcopy(PASSING)
    record["spec"]["monitoring"]["checks"][0].update(value="0,99", threshold="yes")
    report = policygate.evaluate([record], policygate.load_policies([str(POLICIES)]), now=NOW)
    assert not report.passed
    (result,) = [r for r in report.models[0].results if r.status.value == "error"]
    assert result.rule == "monitoring.within-threshold"


@pytest.mark.parametrize("version", [None, [], {}, True, ""])
def test_a_training_dataset_without_a_scalar_version_never_passes(
    version: Any
) -> None:
    """`string(null)` is "None" on cel-python and cel-cpp: `version: null` passed
    lineage.training-data-versioned and the whole production pack."""
    record = copy.deepcopy(PASSING)
    del record["apiVersion"], record["kind"]
    record["spec"]["lineage"]["training_data"][0]["version"] = version
    policies = policygate.load_policies([str(POLICIES)])
    report = policygate.evaluate([record], policies, now=NOW)
    assert not report.passed


CHURN = ROOT / "examples" / "models" / "churn-predictor-passes.yaml"


@pytest.mark.parametrize(("field", "value"), [
    ("intended_use", ["word"] * 60), ("intended_use", {f"k{i}": 1 for i in range(60)}),
])  # fmt: skip
@pytest.mark.parametrize("example", [EXAMPLE, CHURN], ids=["high", "limited"])
def test_a_list_or_map_where_text_is_judged_never_passes(
    field: str, value: Any, example: Path
) -> None:
    """`model.spec.intended_use != ""` held for a list and `size()` of 60 elements
    passed a 40-character minimum: the shipped rules now ask for text first."""
    record = yaml.safe_load(example.read_text(encoding="utf-8"))
    del record["apiVersion"], record["kind"]
    record["spec"][field] = value
    policies = policygate.load_policies([str(POLICIES)])
    assert not policygate.evaluate([record], policies, now=NOW).passed
