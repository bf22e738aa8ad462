"""cel-python's closure compiler (policygate.cel.closures) against celpy's metered
interpreter, which it replaces for every tree it handles: the same values, the
same error messages and the same cost units, for a table of expressions, for
hypothesis-generated ones and for the shipped policies on altered example records.
The law: under any budget both give the same outcome (a value, an error message
or the budget's message), and when the budget does not stop the evaluation both
have spent the same units (when it does, a merged charge may have gone a few
units past the limit in one go)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from celpy.evaluation import CELEvalError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import policygate
from policygate.cel import CELEvaluationError, CELSyntaxError, celpython, get_backend
from policygate.cel.budget import Budget, BudgetExceeded, Meter
from policygate.cel.celpython import _CelpyProgram

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
MODEL = {
    "a": 1.0, "i": 2, "s": "hello", "l": [1, 2.5, 3], "e": [], "m": {"x": 1, "y": {"z": 3}},
    "n": None, "b": True, "t": "2025-06-01T00:00:00Z", "bad": "2026-13-01", "big": 2**60,
    "ls": ["a", "bb", "ccc"], "nested": [[1, 2], [3]],
    "approvals": [{"role": "r", "v": 1}, {"role": "q", "expires_at": "2027-01-01T00:00:00Z"}],
}  # fmt: skip
PARAMS = {"p": 0.5, "k": "zz", "days": 3, "pattern": "^h.*o$", "attributes": ["x", "y"]}
UNLIMITED = Budget(cost=10**8, seconds=600)

BACKEND = get_backend("cel-python")


def _activation(bound: dict[str, Any] | None = None) -> Any:
    activation = BACKEND.activation(model=MODEL, params=PARAMS, now=NOW, inputs={"k": [1]})
    return activation.bind(**bound) if bound else activation


def _outcome(program: Any, activation: Any, budget: Budget) -> tuple[tuple[str, ...], int]:
    meter = budget.meter()
    try:
        value = program.evaluate(activation, meter)
    except BudgetExceeded as error:
        return ("budget", str(error)), meter.spent
    except CELEvaluationError as error:
        return ("error", str(error)), meter.spent
    except Exception as error:  # what celpy lets escape (a macro of an odd shape)
        return ("raised", type(error).__name__, str(error)), meter.spent
    return ("value", _describe(value)), meter.spent


def _describe(value: Any) -> Any:
    """A value, structurally: its type and contents (an error in a list or a map by
    its message, its cause and the node it names)."""
    if isinstance(value, CELEvalError):
        return ("CELEvalError", str(value.args[0]), value.args[1:2], id(value.tree))
    if isinstance(value, dict):
        return (type(value).__name__, [(_describe(k), _describe(v)) for k, v in value.items()])
    if isinstance(value, list):
        return (type(value).__name__, [_describe(v) for v in value])
    return (type(value).__name__, repr(value))


def _both(
    text: str, budget: Budget = UNLIMITED, bound: dict[str, Any] | None = None
) -> tuple[Any, Any, Any]:
    program = BACKEND.compile(text)
    assert isinstance(program, _CelpyProgram)
    interpreted = _CelpyProgram(text, program._runner, None)
    activation = _activation(bound)
    return program, _outcome(program, activation, budget), _outcome(interpreted, activation, budget)


EXPRESSIONS = [
    # numbers, operators, int meets double
    "1", "-1", "1u", "2.5", "'s'", "b'x'", "true", "null", "[]", "{}", "(1)", "((model.a))",
    "model.a >= 1", "model.a == 1", "model.i > 1.5", "1 in model.l", "model.l == [1, 2.5, 3]",
    "model.m == {'x': 1, 'y': {'z': 3}}", "model.a + 1", "1 + model.a", "model.i * 2 == 4",
    "model.i / 2", "7 / 2", "7 % 2", "-7 % 2", "model.i % 2.5", "1 / 0", "model.a % 0",
    "1 % 0", "model.a / 0.0", "0.0 / 0.0 == 0.0 / 0.0", "9223372036854775807 + 1",
    "-9223372036854775808 - 1", "9223372036854775807", "-model.a", "-'s'", "!true", "!1",
    "!model.missing", "model.big > 1152921504606846975", "size(model.l) + 1",
    "size(model.l) * model.a", "int(model.a) + 1", "double(model.i) / 4", "'a' + 'b'",
    "model.s + 1", "[1] + [2]", "model.l + model.ls", "'a' < 'b'", "'a' < 1",
    "model.a + model.s", "1 + true", "model.e + []",
    # members, indexes, missing keys
    "model.m.y.z", "model.m['x']", "model.m.y.w == 1", "model['zz']", "model.m[params.k]",
    "model.m.y.z.q", "model.l[0]", "model.l[1.0]", "model.l[7]", "model.l[-1]",
    "model.l['x']", "model.s[0]", "model.n.x", "model.missing.x > 1", "model.missing > 1",
    "inputs.k[0]", "google", "google.protobuf", "google.nothing", "size", "size.x",
    "model.a.b", "[1, 2][0]", "{'a': 1}.a", "{'a': 1}['b']", "{1: 2}[1]", "{1: 2}.x",
    # logic and errors
    "model.missing > 1 && model.a > 0", "model.a > 5 && model.missing > 1",
    "model.missing > 1 || true", "model.missing > 1 || model.other", "true && 1",
    "1 || 'a'", "model.missing && model.other", "model.missing ? 1 : 2", "true ? 1 : 2",
    "false ? 1 : model.missing", "1 ? 2 : 3", "model.l ? 1 : 2", "model.e ? 1 : 2",
    "model.a > 0 ? model.l.all(x, x > 0) : model.m.y.w",
    "true ? model.a.all(x, x) : 1", "false ? 1 : model.a.map(x, x)",
    # has, dyn, functions, methods
    "has(model.m.q)", "has(model.missing.q)", "has(model.s.q)", "has(model.n.q)",
    "has(model.m.y.z)", "has(item.value)", "dyn(model.a) + 1", "size(model.s)",
    "size(model.m)", "size(1)", "size(model.missing)", "model.s.size()", "model.l.size()",
    "timestamp(model.t) < now", "timestamp(model.bad)", "timestamp(1)", "duration('1h')",
    "now - timestamp(model.t) > duration('24h')", "days(params.days)", "days('x')",
    "now - timestamp(model.t) < days(400)", "model.s.contains('ell')",
    "model.s.startsWith('he')", "model.s.endsWith(model.missing)", "model.s.matches('^h')",
    "model.s.matches(params.pattern)", "model.s.matches('[')", "model.a.contains('x')",
    "string(model.a)", "string(model.l)", "int('x')", "int('12')", "uint(-1)",
    "type(model.a)", "type(model.a) == double", "type(1) == int", "bool('true')",
    "unknown(1)", "unknown()", "model.s.unknown()", "model.missing.unknown()",
    "x", "x + 1", "[x]", "model.l.all(y, z > y)", "model.missing.size()",
    "timestamp(model.t).getFullYear()", "timestamp(model.t).getMonth()",
    "model.l.contains(1)", "(1).contains(2)",
    # lists and maps
    "[1, model.a, 's']", "[model.missing, 1]", "{'a': model.a, 'b': [1]}", "{'a': 1, 'a': 2}",
    "{[1]: 2}", "{model.missing: 1}", "{'k': model.missing}", "{'a': model.a.map(x, x)}",
    "size({'a': 1, 'b': 2})", "'a' in {'a': 1}", "1 in {'a': 1}", "model.n == null",
    # macros
    "model.l.all(x, x > 0)", "model.l.exists(x, x > 2)", "model.l.exists_one(x, x > 2)",
    "model.l.map(x, x * 2)", "model.l.filter(x, x > 1)", "model.e.all(x, x > 0)",
    "model.e.exists(x, x)", "model.l.all(x, x)", "model.l.exists(x, x.y)",
    "model.l.all(x, x.missing > 1)", "model.approvals.all(a, has(a.expires_at))",
    "model.approvals.exists(a, a.expires_at > 'x')",
    "model.approvals.all(a, timestamp(a.expires_at) > now)",
    "model.approvals.exists(a, has(a.expires_at) && timestamp(a.expires_at) > now)",
    "model.approvals.map(a, a.role)", "model.approvals.map(a, a.v)",
    "model.approvals.filter(a, a.v == 1)", "model.approvals.exists_one(a, a.v == 1)",
    "model.m.all(k, k in ['x', 'y'])", "model.m.map(k, k)", "model.a.all(x, x)",
    "model.missing.all(x, x)", "model.s.map(x, x)", "model.l.map(x, model.missing)",
    "model.l.filter(x, model.missing)", "model.l.exists_one(x, model.missing)",
    "model.l.all(x, model.missing)", "model.l.exists(x, x > 2 || model.missing)",
    "model.nested.all(l, l.all(x, x > 0))", "model.nested.map(l, l.map(x, x + 1))",
    "model.nested.map(l, l.filter(x, x > 1)).size()", "model.l.map(x, [x, x]).map(y, y + y)",
    "params.attributes.all(a, model.approvals.exists(m, m.role == a))",
    "model.l.all(x, model.ls.exists(y, size(y) == x))", "model.l.all(model, model > 0)",
    "model.l.map(size, size + 1)", "model.l.all(x.y, x > 0)", "model.l.map(x, x).map(x, x)",
    "[1, 2].all(x, x in [1, 2])",
    "model.l.reduce(r, x, 0, r + x)", "model.ls.reduce(r, x, '', r + x)",
    "model.l.reduce(r, x, model.missing, r + x)", "model.missing.reduce(r, x, 0, r + x)",
    "model.l.reduce(r, x, 0, r + model.missing)", "model.l.reduce(x, x, 0, x)",
    "model.l.min()", "model.e.min()", "model.ls.min()", "[1, 's'].min()", "model.missing.min()",
    "model.l.map(x, x / 0)", "[0, 1].exists(x, 1 / x > 0)", "[0, 1].all(x, 1 / x > 0)",
    "item.value <= params.p", "item.attribute in params.attributes", "index + 1",
    "key == 'k'", "{'a': [1].all(x, x.y)}", "{'a': (1).map(x, x)}",
]  # fmt: skip


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_closures_do_what_the_interpreter_does(text: str) -> None:
    bound = {"item": {"value": 0.25, "attribute": "x"}, "index": 1, "key": "k"}
    program, compiled, interpreted = _both(text, bound=bound)
    assert program._closure is not None, "the compiler handles every expression of the table"
    assert compiled == interpreted


@pytest.mark.parametrize(
    "text",
    ["model.l.all(x)", "model.l.map(x, y, z)", "model.l.all(1, 1)", "model.l.all(x + y, 1)",
     "model.l.all(google, google)", "has()", "has(model.a, model.b)", "dyn()", ".model",
     ".size(1)", "model.l.reduce(r, 0, r)", "model.l.map()", "google.protobuf.Int32Value{}",
     "model{}"],
)  # fmt: skip
def test_what_the_compiler_leaves_alone_is_interpreted(text: str) -> None:
    try:
        program, compiled, interpreted = _both(text)
    except CELSyntaxError:
        return
    assert program._closure is None
    assert compiled == interpreted


def test_a_tree_too_deep_for_the_interpreter_is_left_to_it() -> None:
    deep = "(" * 400 + "1" + ")" * 400
    try:
        program = BACKEND.compile(deep)
    except (CELSyntaxError, RecursionError):
        return
    assert program._closure is None


def test_a_long_chain_is_compiled_and_counts_every_node() -> None:
    text = " + ".join(["model.a"] * 60)
    program, compiled, interpreted = _both(text)
    assert program._closure is not None
    assert compiled == interpreted


@pytest.mark.parametrize(
    "text",
    ["model.l.all(x, model.l.all(y, model.l.all(z, x + y + z > 0)))",
     "model.ls.reduce(r, x, 'ab', r + r)", "model.l.map(x, model.ls.map(y, y + y))",
     "model.s + model.s + model.s", "model.a > 0 ? model.l.map(x, x) : [1]",
     "model.l.all(x, true) || model.missing"],
)  # fmt: skip
@pytest.mark.parametrize("cost", [1, 5, 9, 10, 20, 31, 50, 80, 120, 200, 400])
def test_a_budget_stops_both_the_same(text: str, cost: int) -> None:
    _, compiled, interpreted = _both(text, Budget(cost=cost, seconds=600))
    assert compiled[0] == interpreted[0]
    if compiled[0][0] != "budget":
        assert compiled[1] == interpreted[1]


def test_an_error_that_escapes_the_interpreter_escapes_the_closures() -> None:
    # map() over a number: celpy's own TypeError, caught only by a ?: or a map literal
    for text in ("model.a.map(x, x)", "true ? model.a.map(x, x) : 1",
                 "{'k': model.a.map(x, x)}", "[model.a.map(x, x)]"):  # fmt: skip
        _, compiled, interpreted = _both(text)
        assert compiled == interpreted


# --------------------------------------------------------------------------- generated

LEAVES = st.sampled_from(
    ["1", "2", "0", "-1", "2.5", "0.0", "'a'", "'hello'", "true", "false", "null", "[]", "{}",
     "model", "model.a", "model.i", "model.s", "model.l", "model.e", "model.m", "model.m.y",
     "model.n", "model.b", "model.ls", "model.nested", "model.approvals", "model.missing",
     "params.p", "params.attributes", "item", "index", "x", "y", "now", "size"]
)  # fmt: skip

UNARY = ["({})", "-{}", "!{}", "{}.x", "{}.y", "{}.role", "{}[0]", "{}['x']", "size({})",
         "has({}.x)", "has({}.v)", "dyn({})", "string({})", "int({})", "double({})",
         "type({})", "timestamp({})", "{}.size()", "{}.min()", "[{}]", "{{'k': {}}}",
         "unknown({})", "{}.unknown()", "{}.all(x, x > 0)", "{}.exists(x, x == 1)",
         "{}.map(x, x)", "{}.filter(x, x != 1)", "{}.exists_one(x, x)"]  # fmt: skip
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / {}", "{} % {}", "{} == {}", "{} != {}",
          "{} < {}", "{} <= {}", "{} > {}", "{} >= {}", "{} in {}", "{} && {}", "{} || {}",
          "[{}, {}]", "{{{}: {}}}", "{}[{}]", "{}.contains({})", "{}.startsWith({})",
          "{}.all(x, {})", "{}.exists(y, {})", "{}.map(x, {})", "{}.filter(y, {})",
          "{}.exists_one(x, {})"]  # fmt: skip
TERNARY = ["{} ? {} : {}", "{}.reduce(r, x, {}, {})", "{}.map(x, {}).all(y, {})"]


def _expressions() -> st.SearchStrategy[str]:
    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1])),
            st.tuples(st.sampled_from(BINARY), children, children).map(
                lambda t: t[0].format(t[1], t[2])
            ),
            st.tuples(st.sampled_from(TERNARY), children, children, children).map(
                lambda t: t[0].format(t[1], t[2], t[3])
            ),
        )

    return st.recursive(LEAVES, extend, max_leaves=10)


BOUND = st.fixed_dictionaries(
    {"item": st.sampled_from([{"x": 1, "v": 2}, [1, 2], "s", 1, None]),
     "index": st.integers(min_value=0, max_value=3)}
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), BOUND)
def test_generated_expressions_give_the_same_outcome_and_units(
    text: str, bound: dict[str, Any]
) -> None:
    try:
        program, compiled, interpreted = _both(text, bound=bound)
    except CELSyntaxError:
        assume(False)
        raise
    assert compiled == interpreted


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), st.integers(min_value=1, max_value=300))
def test_generated_expressions_stop_at_the_same_budget(text: str, cost: int) -> None:
    try:
        _, compiled, interpreted = _both(text, Budget(cost=cost, seconds=600))
    except CELSyntaxError:
        assume(False)
        raise
    assert compiled[0] == interpreted[0]
    if compiled[0][0] != "budget":
        assert compiled[1] == interpreted[1]


@pytest.mark.parametrize("text", ["model.l.all(1, true)", "model.l.exists(x + y, true)"])
def test_a_macro_without_a_variable_is_an_error_not_a_crash(text: str) -> None:
    program, compiled, interpreted = _both(text)
    assert program._closure is None
    assert compiled == interpreted
    assert compiled[0] == ("error", "cannot evaluate this expression: bad macro node")


# --------------------------------------------------------------------------- shipped policies

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "models").glob("*.yaml"))
SCALAR_VALUES = st.one_of(
    st.integers(min_value=-2, max_value=3), st.floats(min_value=-0.5, max_value=1.5),
    st.sampled_from(["", "approved", "RA-2026-044", "high", "production", "not a date",
                     "2026-11-26T01:30:00+02:00", "2020-01-01", "model-validation"]),
    st.booleans(), st.none(), st.just([]), st.just({}),
)  # fmt: skip


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def _records(draw: st.DrawFn) -> dict[str, Any]:
    model = yaml.safe_load(draw(st.sampled_from(EXAMPLES)).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        paths = _paths(model)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = model
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(SCALAR_VALUES)
    return model


def _spending(policies: Any, model: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The report, and the units spent by every evaluation."""
    spent: list[Any] = []
    original = _CelpyProgram.evaluate

    def recording(self: _CelpyProgram, activation: Any, meter: Meter | None = None) -> Any:
        try:
            return original(self, activation, meter)
        finally:
            spent.append((self.text, meter.spent if meter is not None else None))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_CelpyProgram, "evaluate", recording)
        report = policygate.evaluate(copy.deepcopy(model), policies, now=NOW).to_dict()
    assert spent
    return report, spent


def _interpreted_policies() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(celpython, "_closures", lambda runner: None)
        return policygate.load_policies([ROOT / "policies"], engine="cel-python")


COMPILED_POLICIES = policygate.load_policies([ROOT / "policies"], engine="cel-python")
INTERPRETED_POLICIES = _interpreted_policies()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_shipped_policies_report_and_spend_the_same(model: dict[str, Any]) -> None:
    assert _spending(COMPILED_POLICIES, model) == _spending(INTERPRETED_POLICIES, model)
