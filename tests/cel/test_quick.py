"""The quick path (:meth:`policygate.cel.interface.Program.quick` and ``quick_each``)
against the metered one (:meth:`~policygate.cel.interface.Program.evaluate`).

The evaluator asks a rule's value without a meter first and evaluates it again
with the meter for anything but a plain answer (SECURITY.md T-EVAL-8). So the
law: whatever ``evaluate`` gives within a budget, ``quick`` gives with that
budget as its limit, and where ``evaluate`` raises (an error, the budget spent)
``quick`` is ``UNDECIDED``: the same value and the same point where a budget
runs out, for any sequence of programs evaluated on one activation (the quick
path reuses one engine activation per model and policy).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from policygate import cel
from policygate.cel.budget import Budget
from policygate.cel.interface import UNDECIDED
from policygate.cel.lang import activation as engine_activation

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

LEAVES = st.sampled_from(
    [
        "model.n", "model.s", "model.xs", "model.m", "model.m.k", "model.missing",
        "model.b", "model.nested", "params.p", "1", "2.5", "0", '"ab"', "true", "false",
        "null", "[1, 2]", "now", "item", "key", "index",
    ]
)  # fmt: skip


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return st.one_of(
        pair.map(lambda p: f"({p[0]} + {p[1]})"),
        pair.map(lambda p: f"({p[0]} / {p[1]})"),
        pair.map(lambda p: f"({p[0]} < {p[1]})"),
        pair.map(lambda p: f"({p[0]} == {p[1]})"),
        pair.map(lambda p: f"({p[0]} && {p[1]})"),
        pair.map(lambda p: f"({p[0]} || {p[1]})"),
        pair.map(lambda p: f"({p[0]} in {p[1]})"),
        pair.map(lambda p: f"{p[0]}[{p[1]}]"),
        st.tuples(inner, inner, inner).map(lambda p: f"({p[0]} ? {p[1]} : {p[2]})"),
        inner.map(lambda x: f"!{x}"),
        inner.map(lambda x: f"size({x})"),
        inner.map(lambda x: f"has({x}.k)" if x.startswith("model") else f"has(model.m.{x[:1]})"),
        pair.map(lambda p: f"{p[0]}.all(x, {p[1]})"),
        pair.map(lambda p: f"{p[0]}.exists(x, x == {p[1]})"),
        inner.map(lambda x: f"{x}.map(x, x + x)"),
        inner.map(lambda x: f"{x}.filter(x, x != 1.0).map(y, [y, y, y])"),
        inner.map(lambda x: f"[{x}, {x}].map(x, [x, x].map(y, [y, y]))"),
        inner.map(lambda x: f"string({x})"),
        inner.map(lambda x: f"model.m.?k.orValue({x})"),
        pair.map(lambda p: f"([{p[0]}] == [{p[1]}])"),
        inner.map(lambda x: f"string({x}).matches(model.s)"),
    )


EXPRESSIONS = st.recursive(LEAVES, _grow, max_leaves=8)

SCALARS = (
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-3, 3) | st.text("ab", max_size=3)
)
DOCUMENTS = st.fixed_dictionaries(
    {
        "n": st.integers(-2, 2),
        "s": st.text("ab", max_size=3),
        "xs": st.lists(SCALARS, max_size=6),
        "m": st.dictionaries(st.sampled_from(["k", "j"]), SCALARS, max_size=2),
        "b": st.booleans(),
        "nested": st.lists(st.lists(st.integers(0, 3), max_size=3), max_size=3),
    }
)


@pytest.fixture(scope="module")
def backend() -> cel.Backend:
    return cel.get_backend()


def _compiled(backend: cel.Backend, texts: list[str]) -> list[cel.Program]:
    programs = []
    for text in texts:
        try:
            programs.append(backend.compile(text))
        except cel.CELSyntaxError:
            assume(False)  # the checker refuses it: nothing to evaluate
    return programs


def _metered(program: cel.Program, activation: cel.Activation, limit: int) -> Any:
    try:
        return program.evaluate(activation, Budget(cost=limit).meter())
    except cel.CELEvaluationError:
        return UNDECIDED


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types throughout (1.0 is no 1; NaN is itself)."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if type(a) is float and a != a:
        return bool(b != b)
    return bool(a == b) or a is b


@SETTINGS
@given(
    texts=st.lists(EXPRESSIONS, min_size=1, max_size=6),
    model=DOCUMENTS,
    limit=st.integers(1, 120),
    deadline=st.booleans(),
)
def test_quick_gives_what_evaluate_gives_or_undecided_where_it_raises(
    backend: cel.Backend, texts: list[str], model: dict[str, Any], limit: int, deadline: bool
) -> None:
    programs = _compiled(backend, texts)
    base = backend.activation(model=model, params={"p": 2}, now=NOW, inputs={})
    activation = base.bind(item=model["xs"], index=0, key="k")
    never = (lambda: False) if deadline else None
    # One activation for all of them, in order, twice: what one left (a budget spent,
    # an error inside a loop) changes nothing for the next.
    for program in programs + programs:
        quick = program.quick(activation, limit, never)
        metered = _metered(program, activation, limit)
        assert _same(quick, metered), (program.text, quick, metered)


@SETTINGS
@given(collection=EXPRESSIONS, check=EXPRESSIONS, model=DOCUMENTS, limit=st.integers(1, 200))
def test_quick_each_gives_each_items_check_as_the_evaluator_binds_it(
    backend: cel.Backend, collection: str, check: str, model: dict[str, Any], limit: int
) -> None:
    each, test = _compiled(backend, [collection, check])
    activation = backend.activation(model=model, params={"p": 2}, now=NOW, inputs={})
    outcomes = each.quick_each(activation, test, limit, lambda: False)
    value = _metered(each, activation, limit)
    if value is UNDECIDED or type(value) not in (list, dict) or not value:
        assert outcomes is UNDECIDED
        return
    expected = []
    for position, (key, element) in enumerate(backend.elements(value)):
        index = key if isinstance(key, int) else position
        ok = _metered(test, activation.bind(item=element, index=index, key=key), limit)
        if type(ok) is not bool:
            assert outcomes is UNDECIDED
            return
        expected.append((key, element, ok))
    assert isinstance(outcomes, list)
    assert [(k, ok) for k, _, ok in outcomes] == [(k, ok) for k, _, ok in expected]
    assert all(_same(a, b) for (_, a, _), (_, b, _) in zip(outcomes, expected, strict=True))


def test_a_budget_runs_out_at_the_same_unit_on_both_paths(backend: cel.Backend) -> None:
    program = backend.compile("model.xs.map(x, x + 1.0).all(y, y > 0.0)")
    activation = backend.activation(model={"xs": [1] * 5}, params={}, now=NOW, inputs={})
    spent = next(
        limit for limit in range(1, 500) if _metered(program, activation, limit) is not UNDECIDED
    )
    assert program.quick(activation, spent - 1, None) is UNDECIDED
    assert program.quick(activation, spent, None) is True
    assert program.quick(activation, spent - 1, lambda: False) is UNDECIDED


def test_a_deep_tree_goes_through_the_stack_guard(backend: cel.Backend) -> None:
    text = "(" * 100 + "model.n" + " + 1.0)" * 100 + " > 0.0"
    program = backend.compile(text)
    activation = backend.activation(model={"n": 1}, params={}, now=NOW, inputs={})
    assert program.quick(activation, 30_000, None) is True
    assert program.quick(activation, 30, None) is UNDECIDED


def test_one_engine_activation_serves_a_models_quick_evaluations(
    backend: cel.Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the work: 40 rules on one model make one engine activation, not 40."""
    made = []
    original = engine_activation.Activation.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(engine_activation.Activation, "__init__", counted)
    programs = [backend.compile(f"model.n + {i}.0 > 0.0") for i in range(40)]
    activation = backend.activation(model={"n": 1}, params={}, now=NOW, inputs={})
    assert all(p.quick(activation, 30_000, None) is True for p in programs)
    assert len(made) == 1


@SETTINGS
@given(
    rules=st.lists(
        st.tuples(st.none() | EXPRESSIONS, st.none() | EXPRESSIONS), min_size=1, max_size=6
    ),
    model=DOCUMENTS,
    limit=st.integers(1, 120) | st.just(30_000),
)
def test_quick_rules_is_quick_per_rule(
    backend: cel.Backend, rules: list[tuple[str | None, str | None]], model: dict[str, Any],
    limit: int,
) -> None:  # fmt: skip
    """The backend's one call per policy gives what the interface's rule-by-rule
    default gives (each when, then each check, with Program.quick)."""
    pairs = []
    for when, check in rules:
        compiled = _compiled(backend, [t for t in (when, check) if t is not None])
        pairs.append(
            (compiled.pop(0) if when is not None else None, compiled[0] if check else None)
        )
    base = backend.activation(model=model, params={"p": 2}, now=NOW, inputs={})
    activation = base.bind(item=1, index=0, key="k")
    got = backend.quick_rules(activation, pairs, limit, None)
    default = cel.Backend.quick_rules(backend, activation, pairs, limit, None)
    assert len(got) == len(default) == len(pairs)
    assert all(_same(a, b) for a, b in zip(got, default, strict=True)), (rules, got, default)
    for (when, check), value in zip(pairs, got, strict=True):
        if check is None:
            assert value is UNDECIDED
        elif when is None:
            assert _same(value, _metered(check, activation, limit))


def _never() -> bool:
    return False


def _outcomes(outcomes: Any) -> Any:
    if not isinstance(outcomes, list):
        return outcomes
    return [(key, ok) for key, _, ok in outcomes]


@SETTINGS
@given(
    rules=st.lists(st.tuples(EXPRESSIONS, EXPRESSIONS), min_size=2, max_size=4),
    model=DOCUMENTS,
    limits=st.lists(st.integers(1, 200) | st.just(30_000), min_size=1, max_size=2),
)
def test_for_each_rules_on_one_activation_give_what_each_gives_alone(
    backend: cel.Backend,
    rules: list[tuple[str, str]],
    model: dict[str, Any],
    limits: list[int],
) -> None:
    """quick_each shares one engine activation among the for_each rules of one
    activation (a policy's): what one rule's items left bound (item, index, key, a
    budget spent, an error in a loop) changes nothing for the next rule's."""
    compiled = [tuple(_compiled(backend, list(pair))) for pair in rules]
    shared = backend.activation(model=model, params={"p": 2}, now=NOW, inputs={})
    never = _never
    for limit in limits:  # (another limit makes the shared activation again)
        for each, check in compiled + compiled:
            got = each.quick_each(shared, check, limit, never)
            alone = backend.activation(model=model, params={"p": 2}, now=NOW, inputs={})
            expected = each.quick_each(alone, check, limit, never)
            assert _outcomes(got) == _outcomes(expected), (each.text, check.text)
            if isinstance(got, list):
                assert all(_same(a, b) for (_, a, _), (_, b, _) in zip(got, expected, strict=True))
