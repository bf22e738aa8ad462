"""The backend (:mod:`policygate.cel.own`): policygate's CEL engine
(:mod:`policygate.cel.lang`) behind the interface the evaluator uses, the only one.

Everything shipped runs on it: the policies load and the scenarios get the
statuses of their expected reports. Then what CEL makes an error stays one,
documents' numbers are doubles, the rule's meter bounds cost and time, and
errors say where they arose.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policygate
from policygate import cel
from policygate.cel import lang
from policygate.cel.budget import Budget, BudgetExceeded, Meter
from policygate.cel.lang.activation import CHUNK
from policygate.cel.own import OwnBackend, document, free_names, unparse
from policygate.cli import main
from policygate.errors import PolicyError, UndeclaredVariableError
from policygate.message import format_value
from policygate.models import model_from_data
from test_scenarios import SCENARIOS, check_args, scenario_names

ROOT = Path(__file__).parents[2]
POLICIES = ROOT / "policies"
EXAMPLES = sorted((ROOT / "examples" / "models").glob("*.yaml"))
NOW = "2026-12-01T00:00:00Z"
NOW_DT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
OWN = cel.ENGINE
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def backend() -> cel.Backend:
    return cel.get_backend()


def activation(backend: cel.Backend, model: Any, params: Any = None) -> cel.Activation:
    base = backend.activation(model=model, params={}, now=NOW_DT, inputs={})
    return base.bind(params=params or {})


def value_of(backend: cel.Backend, text: str, model: Any = None, **bound: Any) -> Any:
    act = activation(backend, model or {})
    if bound:
        act = act.bind(**bound)
    return backend.to_python(backend.compile(text).evaluate(act))


def statuses(report: policygate.Report) -> list[tuple[str, str, str, str, Any]]:
    return [
        (m.name, r.policy, r.rule, r.status.value, r.item) for m in report.models for r in m.results
    ]


# --------------------------------------------------------------------------- selection


def test_the_engine_is_the_only_one_and_there_is_no_switch() -> None:
    assert isinstance(cel.get_backend(), OwnBackend) and cel.get_backend().name == OWN
    result = CliRunner().invoke(main, ["check", str(EXAMPLES[0]), "-p", str(POLICIES),
                                       "--engine", "cel-python"])  # fmt: skip
    assert result.exit_code == 2 and "No such option '--engine'" in result.output


# --------------------------------------------------------------------------- shipped


@pytest.fixture(scope="module")
def shipped() -> list[policygate.Policy]:
    return policygate.load_policies([POLICIES])


def test_every_shipped_policy_loads(shipped: list[policygate.Policy]) -> None:
    assert len(shipped) >= 2 and all(len(p.rules) >= 1 for p in shipped)


EXAMPLE_DATA = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES]


def test_a_record_without_metadata_fails_the_metadata_rule(
    shipped: list[policygate.Policy],
) -> None:
    """baseline's metadata.required guards ``has(model.metadata)`` first: without it
    CEL's has(model.metadata.name) is an error (an `error` result) where cel-python
    gave false (a `fail` naming the missing fields)."""
    data = copy.deepcopy(EXAMPLE_DATA[0])
    del data["metadata"]
    found = set()
    report = policygate.evaluate([model_from_data(data)], shipped, now=NOW)
    for result in report.models[0].results:
        if result.rule == "metadata.required" and result.status.value != "skip":
            found.add((result.status.value, result.message))
    assert found == {
        ("fail", "Missing required metadata: metadata.name metadata.version metadata.owner")
    }


@pytest.mark.parametrize("name", scenario_names())
def test_every_scenario_gets_the_statuses_of_its_expected_report(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = SCENARIOS / name
    config = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, check_args(folder, config))
    assert result.stderr == ""
    assert result.exit_code == config["exit_code"], result.output
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    got = json.loads(result.stdout)

    def verdicts(report: dict[str, Any]) -> list[Any]:
        return [
            (
                m["name"],
                m["passed"],
                [(r["policy"], r["rule"], r["status"], r.get("item")) for r in m["results"]],
            )  # fmt: skip
            for m in report["models"]
        ]

    assert verdicts(got) == verdicts(expected)
    assert got["engine"] == OWN


# --------------------------------------------------------------------------- red team


MODEL = {"flag": True, "name": "abc", "xs": [1, 2], "n": 7, "text": "1_0"}

# Each is an error in CEL; Python (and cel-python as shipped once) gave a value.
ERRORS = [
    "model.flag >= 0.8",  # a bool is never a number
    "model.flag + 1.0 > 0.0",
    "-model.flag < 0.0",
    "model.xs[-1] == 2.0",  # a negative index
    "[1, 2][-1] == 2",
    "model.xs[2] == 1.0",
    '"a" in model.name',  # `in` on a string
    'model.name % 1.0 == ""',  # a string % is not formatting
    "int(model.text) == 10",  # int("1_0")
    'int("1_0") == 10',
    'uint("+1") == 1u',
    'model.name.all(c, c == "a")',  # a macro over a string
    'model.name.exists(c, c == "a")',
    "model.name.map(c, c).size() == 3",
    'timestamp("2026-01-01T00:00:00+00:99") < now',  # an offset of 99 minutes
    'timestamp("2026-01-01T00:00:61Z") < now',
    'timestamp("2026-01-01") < now',
    "model.n * 2 == 14.0",  # double * int
    "model.missing == 1.0",
    "days(model.flag) > duration('0s')",
]
# ... and these are refused when compiled (the checker sees the literals' types).
REFUSED = ["true >= 0.8", '"%s" % 1 == "1"', '"ab" * 2 == "abab"', "true + 1 == 2"]


@pytest.mark.parametrize("text", ERRORS)
def test_what_cel_makes_an_error_is_an_error(backend: cel.Backend, text: str) -> None:
    program = backend.compile(text)
    with pytest.raises(cel.CELEvaluationError):
        backend.truth(program.evaluate(activation(backend, MODEL)))


@pytest.mark.parametrize("text", REFUSED)
def test_what_the_checker_refuses_is_a_syntax_error_at_its_column(
    backend: cel.Backend, text: str
) -> None:
    with pytest.raises(cel.CELSyntaxError) as refused:
        backend.compile(text)
    assert refused.value.line == 1 and refused.value.column > 1


@pytest.mark.parametrize(
    ("check", "where"),
    [
        ("modle.x == 1.0", "modle"),
        ("item.x == 1.0", "item"),
        ("model.x == undeclared", "undeclared"),
    ],
)
def test_undeclared_variables_are_the_loaders_load_error(
    tmp_path: Path, check: str, where: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        f"spec:\n  rules:\n    - id: r\n      check: '{check}'\n",
        encoding="utf-8",
    )
    with pytest.raises(UndeclaredVariableError) as refused:
        policygate.load_policies([path])
    assert f"'{where}'" in str(refused.value)
    assert refused.value.location.line == 7  # type: ignore[union-attr]


def test_free_variables_come_from_the_checked_tree(backend: cel.Backend) -> None:
    program = backend.compile("model.l.all(m, m > item && .index == 1.0) && int(key) > 0")
    assert cel.free_variables(program) == {"model", "item", "index", "key"}
    assert free_names(lang.parse("[1].map(x, x + y)")) == {"y"}
    assert free_names(lang.parse("type(x) == int")) == {"x"}


# --------------------------------------------------------------------------- numbers


def test_documents_numbers_are_doubles_but_bools_and_indexes_are_not(
    backend: cel.Backend,
) -> None:
    model = {"tp": 1, "pos": 2, "n": 7, "m": 7.0, "flag": True, "xs": [1, {"y": 2}], "k": {3: 4}}
    assert value_of(backend, "model.tp / model.pos", model) == 0.5
    assert value_of(backend, "model.n == model.m && type(model.n) == double", model) is True
    assert value_of(backend, "type(model.flag) == bool && model.flag", model) is True
    assert value_of(backend, "type(model.xs[1].y) == double", model) is True
    assert value_of(backend, "model.k['3'] == 4.0", model) is True  # keys are strings
    assert value_of(backend, "index + 1 == 3 && type(index) == int", model, index=2) is True
    act = backend.activation(model={}, params={}, now=NOW_DT, inputs={"i": {"v": 3}})
    assert backend.truth(backend.compile("inputs.i.v == 3.0").evaluate(act))
    bound = activation(backend, {}, {"min": 1, "roles": ["a"]})
    program = backend.compile("type(params.min) == double && params.min == 1.0")
    assert backend.truth(program.evaluate(bound))
    assert value_of(backend, "model.big > 1e308", {"big": 10**400}) is True


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def _no_ints(value: Any) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and _no_ints(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_no_ints(v) for v in value)
    return type(value) is not int


def _same_values(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_same_values(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(map(_same_values, a, b))
    if type(a) is bool or type(b) is bool:
        return a is b
    if type(a) is int:  # rounded to the nearest double, an infinity past the range
        return type(b) is float and b == (
            float(a) if abs(a) < 2**1023 else math.copysign(math.inf, a)
        )
    return a == b


@settings(max_examples=200, deadline=None, database=None)
@given(value=JSON)
def test_conversion_makes_every_number_a_double_and_changes_nothing_else(value: Any) -> None:
    before = copy.deepcopy(value)
    converted = document(value)
    assert _no_ints(converted)
    assert _same_values(value, converted)
    assert value == before  # the document is copied, never changed
    assert document(converted) == converted


@SETTINGS
@given(x=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6))
def test_a_value_in_a_message_reads_as_the_record_wrote_it(x: float) -> None:
    """A document's number is a double inside CEL; a message shows it as the
    record's own number would be shown (``7`` and ``7.0`` alike)."""
    backend = cel.get_backend()
    act = activation(backend, {"v": x, "l": [x, 1], "s": "ab"})
    expected = {"model.v": format_value(float(x)), "model.l": format_value([float(x), 1.0]),
                "size(model.l)": "2", "model.s": "ab",
                "days(1)": format_value(dt.timedelta(days=1))}  # fmt: skip
    for text, shown in expected.items():
        value = backend.to_python(backend.compile(text).evaluate(act))
        assert format_value(value) == shown, text


def test_values_come_back_as_plain_python(backend: cel.Backend) -> None:
    assert value_of(backend, "model.v", {"v": 0.18}) == 0.18
    assert format_value(value_of(backend, "model.v", {"v": 0.18})) == "0.18"
    assert format_value(value_of(backend, "size(model.l)", {"l": [1, 2]})) == "2"
    assert value_of(backend, "now") == NOW_DT
    assert value_of(backend, "duration('90s')") == dt.timedelta(seconds=90)
    assert value_of(backend, "2u") == 2 and type(value_of(backend, "2u")) is int
    assert value_of(backend, "type(1)") == "int"
    assert value_of(backend, "{'a': [1, 2.5]}") == {"a": [1, 2.5]}
    assert value_of(backend, "optional.of(3).orValue(0)") == 3
    assert value_of(backend, "b'x'") == b"x"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("days(1)", 86_400), ("days(0.5)", 43_200), ("days(params.n)", 3 * 86_400),
     ("days(-2)", -2 * 86_400), ("days(1.0 / 3.0)", 28_800)],
)  # fmt: skip
def test_days_is_a_duration_of_days(text: str, seconds: int) -> None:
    backend = cel.get_backend()
    act = activation(backend, {}, {"n": 3})
    value = backend.to_python(backend.compile(text).evaluate(act))
    assert value == dt.timedelta(seconds=seconds)


@SETTINGS
@given(n=st.floats(min_value=-1e5, max_value=1e5) | st.integers(-(10**5), 10**5))
def test_days_is_n_times_a_day_to_the_microsecond(n: float) -> None:
    backend = cel.get_backend()
    act = activation(backend, {"n": n})
    value = backend.to_python(backend.compile("days(model.n)").evaluate(act))
    assert abs(value - dt.timedelta(seconds=float(n) * 86_400)) <= dt.timedelta(microseconds=1)


def test_days_refuses_what_is_not_a_number(backend: cel.Backend) -> None:
    for text in ("days(true)", "days('1')", "days(model.inf)"):
        with pytest.raises(cel.CELEvaluationError):
            backend.compile(text).evaluate(activation(backend, {"inf": math.inf}))


def test_truth_and_elements(backend: cel.Backend) -> None:
    assert backend.truth(True) is True and backend.truth(False) is False
    for value, kind in ((1.0, "double"), (None, "null"), ("x", "string"), ([], "list")):
        with pytest.raises(cel.CELEvaluationError, match=f"expected a bool, got {kind}"):
            backend.truth(value)
    assert backend.elements([3.0, "a"]) == [(0, 3.0), (1, "a")]
    assert backend.elements({"b": 1.0, "a": 2.0}) == [("a", 2.0), ("b", 1.0)]
    for value, kind in (("ab", "string"), (1.0, "double"), (True, "bool")):
        with pytest.raises(
            cel.CELEvaluationError, match=f"for_each must yield a list or a map, got {kind}"
        ):
            backend.elements(value)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [("model.spec.metrics.auc >= 0.5", "no such key: model.spec.metrics.auc"),
     ("model.spec['metrics'].auc > 1.0", "no such key: model.spec[\"metrics\"]"),
     ("model.a.exists(x, x.b > 1.0)", "no such key: x.b"),
     ("1.0 / model.zero > 0.0 && 1 / 0 > 0", "divide by zero (in `1 / 0`)"),
     ("model.a[0].c > 1 || false", "no such overload: '>' (string, int) (in `model.a[0].c > 1`)"),
     ("model.a[0].c > 1", "no such overload: '>' (string, int)"),
        ('model.s.all(c, c == "a")', "no such overload: a macro needs a list or a map, got string"),
        ("-model.s == 1.0", "no such overload: '-' (string) (in `-model.s`)")],
)  # fmt: skip
def test_an_evaluation_error_names_the_sub_expression(
    backend: cel.Backend, text: str, message: str
) -> None:
    model = {"spec": {"metrics": {}}, "a": [{"c": "x"}], "zero": 0, "s": "ab"}
    if "metrics'" in text:
        model = {"spec": {}}
    with pytest.raises(cel.CELEvaluationError) as failed:
        backend.compile(text).evaluate(activation(backend, model))
    assert str(failed.value) == message
    assert type(failed.value) is cel.CELEvaluationError  # the interface's, not lang's


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("model.x >", 1, 10), ("model.x\n  && )", 2, 6), ("size(1, 2) > 0", 1, 1),
     ("model.x.foo(1) > 0", 1, 9)],
)  # fmt: skip
def test_a_syntax_or_check_error_is_placed_within_the_expression(
    backend: cel.Backend, text: str, line: int, column: int
) -> None:
    with pytest.raises(cel.CELSyntaxError) as refused:
        backend.compile(text)
    assert (refused.value.line, refused.value.column) == (line, column)


def test_the_loader_places_a_syntax_error_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n    - id: r\n      check: 'model.x >= 1.0 &&'\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as refused:
        policygate.load_policies([path])
    assert "p.yaml:7:" in str(refused.value) and "syntax error" in str(refused.value)


def test_unparse_writes_cel() -> None:
    for text in ('a.b[0].c', 'f(x, "s") + 1', "(a + b) * c", "!(a && b)", "a ? b : c",
                 "x.size() > 2u", "[1, 2.5, null]", "{'k': true}"):  # fmt: skip
        node = lang.parse(text)
        again = unparse(node)
        assert again is not None
        assert unparse(lang.parse(again)) == again


# --------------------------------------------------------------------------- the budget

BOMB = (
    "[0,1,2,3,4,5,6,7,8,9].map(a, [0,1,2,3,4,5,6,7,8,9].map(b,"
    " [0,1,2,3,4,5,6,7,8,9].map(c, [0,1,2,3,4,5,6,7,8,9].map(d, a + b + c + d)))).size() > 0"
)


def test_the_meter_stops_a_cost_bomb_with_its_own_error(backend: cel.Backend) -> None:
    program = backend.compile(BOMB)
    meter = Budget().meter()
    started = time.process_time()
    with pytest.raises(BudgetExceeded) as stopped:
        program.evaluate(activation(backend, {}), meter)
    assert time.process_time() - started < 2.0
    assert not isinstance(stopped.value, lang.BudgetExceeded)
    assert "more than 30000 cost units" in str(stopped.value)


def test_a_bomb_rule_is_an_error_result_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    rules = f"    - id: bomb\n      check: '{BOMB}'\n    - id: ok\n      check: 'true'\n"
    path.write_text(
        f"apiVersion: policygate/v1\nkind: Policy\nmetadata: {{name: p}}\nspec:\n  rules:\n{rules}",
        encoding="utf-8",
    )
    policies = policygate.load_policies([path])
    report = policygate.evaluate([{"name": "m", "version": "1"}], policies, now=NOW)
    bomb, ok = report.models[0].results
    assert bomb.status.value == "error" and "cost units" in (bomb.message or "")
    assert ok.status.value == "pass"


@SETTINGS
@given(size=st.integers(0, 60), cost=st.integers(1, 600))
def test_an_evaluation_is_charged_what_it_spent_and_stops_past_the_budget(
    size: int, cost: int
) -> None:
    """Units are deterministic: measured once, an evaluation within that many units
    passes and charges them, one unit fewer stops it."""
    backend = cel.get_backend()
    program = backend.compile("model.l.map(x, x + 1.0).filter(x, x > 3.0).size() >= 0")
    act = activation(backend, {"l": list(range(size))})
    meter = Budget(cost=10**6).meter()
    assert backend.truth(program.evaluate(act, meter))
    spent = meter.spent
    assert spent > 0
    assert backend.truth(program.evaluate(act, Budget(cost=spent).meter()))
    if spent > 1:
        with pytest.raises(BudgetExceeded, match=f"more than {spent - 1} cost units"):
            program.evaluate(act, Budget(cost=spent - 1).meter())
    if cost >= spent:
        budget_meter = Budget(cost=cost).meter()
        program.evaluate(act, budget_meter)
        assert budget_meter.spent == spent


def _ticking(step: float) -> Any:
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock


def test_the_deadline_is_asked_every_chunk_of_units(backend: cel.Backend) -> None:
    """A fake clock that moves one second per look: the meter looks when it is made
    and when the evaluation begins; then the engine looks once per CHUNK units."""
    slow = backend.compile("model.l.all(x, x >= 0.0)")
    act = activation(backend, {"l": list(range(10 * CHUNK))})
    meter = Meter(Budget(cost=10**9, seconds=2.5), clock=_ticking(1.0))
    with pytest.raises(BudgetExceeded, match=r"the rule ran longer than 2.5 s"):
        slow.evaluate(act, meter)
    assert meter.timed_out
    cheap = Meter(Budget(cost=10**9, seconds=2.5), clock=_ticking(1.0))
    small = activation(backend, {"l": list(range(CHUNK // 20))})
    assert backend.truth(slow.evaluate(small, cheap))  # under one chunk: never asked


def test_the_rule_seconds_limit_stops_a_slow_rule(tmp_path: Path) -> None:
    """``--limit rule-seconds`` with a cost limit that allows the work: the deadline
    inside the engine stops one long evaluation (not only between items)."""
    models = tmp_path / "m.yaml"
    models.write_text("name: m\nversion: '1'\n", encoding="utf-8")
    hundred = "[" + ", ".join(str(i) for i in range(100)) + "]"
    slow = f"{hundred}.all(a, {hundred}.all(b, {hundred}.all(c, a + b + c >= 0)))"  # 10**6 steps
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p}\n"
        f"spec:\n  rules:\n    - id: slow\n      check: '{slow}'\n",
        encoding="utf-8",
    )
    args = ["check", str(models), "-p", str(policy), "-f", "json", "--now", NOW,
            "--limit", "rule-cost=1000000000", "--limit", "rule-seconds=0.01"]  # fmt: skip
    started = time.process_time()
    result = CliRunner().invoke(main, args)
    assert time.process_time() - started < 10
    assert result.exit_code == 1, result.output
    (found,) = json.loads(result.stdout)["models"][0]["results"]
    assert found["status"] == "error"
    assert "ran longer than 0.01 s" in found["message"]


# --------------------------------------------------------------------------- lang fixes


@pytest.mark.parametrize(
    "text",
    ['timestamp("2026-01-01T00:00:00+00:99")', 'timestamp("2026-01-01T00:00:00+24:00")',
     'timestamp("2026-01-01T00:00:60Z")', 'uint("+1")', 'int("' + "9" * 5000 + '")'],
)  # fmt: skip
def test_the_engine_refuses_what_go_refuses(text: str) -> None:
    with pytest.raises(lang.CELEvaluationError) as failed:
        lang.evaluate(text)
    assert "99999" not in str(failed.value)


def test_an_int_literal_past_64_bits_is_a_syntax_error_not_a_crash() -> None:
    for text in ("9" * 15000, "0x" + "f" * 17, "18446744073709551616u"):
        with pytest.raises(lang.CELSyntaxError):
            lang.compile(text)
    assert lang.evaluate("0x" + "0" * 30 + "1") == 1


def test_check_on_the_engine_loads_no_other_cel_library() -> None:
    """Its cold start: no cel-python (nor its lark parser), no cel-cpp."""
    script = (
        "import sys\nfrom policygate.cli import main\ntry:\n"
        "    main(['check', 'examples/models/credit-default-passes.yaml', '-p', 'policies/',"
        " '--now', '2026-11-26T00:00:00Z', '-q'])\n"
        "except SystemExit as stop:\n    print(stop.code)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    code, modules = done.stdout.splitlines()[-2:]
    assert code == "0"
    loaded = set(modules.split())
    assert "policygate.cel.own" in loaded
    for other in ("celpy", "lark", "cel_expr_python", "policygate.cel.celpython",
                  "policygate.cel.celcpp", "policygate.cel.syntax"):  # fmt: skip
        assert other not in loaded, other


@pytest.mark.parametrize("version", [None, [], {}])
def test_a_training_dataset_whose_version_is_no_scalar_is_never_a_pass(
    version: Any, shipped: dict[str, list[policygate.Policy]]
) -> None:
    """baseline's lineage.training-data-versioned read string(item.version), which
    cel-python made "None" or "[]" (not a branch name: a pass). The rule now asks
    for a string or a number first, so it fails on every engine, this one too."""
    data = copy.deepcopy(EXAMPLE_DATA[0])
    data["spec"]["lineage"]["training_data"][0]["version"] = version
    report = policygate.evaluate([model_from_data(data)], shipped, now=NOW)
    found = [r for r in report.models[0].results if r.rule == "lineage.training-data-versioned"]
    assert found[0].status.value == "fail"
    assert not report.passed
