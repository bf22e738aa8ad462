"""The checker: declared names only, with the column of the reference; arity."""

from __future__ import annotations

import re

import pytest

from policygate.cel.lang import CELCheckError, CELEvaluationError, compile, evaluate


def test_an_undeclared_name_is_an_error_at_its_column() -> None:
    with pytest.raises(CELCheckError) as caught:
        compile("model.auc >= 0.9 &&\n  itme.score > 1", {"model", "item"})
    assert caught.value.reason == "undeclared reference to 'itme'"
    assert (caught.value.line, caught.value.column) == (2, 3)


def test_declared_names_and_loop_variables_are_known() -> None:
    program = compile("model.runs.all(r, r.ok) && size(params) > 0", {"model", "params"})
    assert program.evaluate({"model": {"runs": [{"ok": True}]}, "params": {"a": 1}}) is True
    with pytest.raises(CELCheckError, match="undeclared reference to 'r'"):
        compile("model.runs.all(r, r.ok) && r.ok", {"model"})


def test_a_loop_variable_is_not_visible_in_the_range_it_iterates() -> None:
    with pytest.raises(CELCheckError, match="undeclared reference to 'x'"):
        compile("x.all(x, x > 0)", set())


def test_qualified_names_and_containers() -> None:
    assert evaluate("a.b.c", {"a.b": {"c": 3}}) == 3
    program = compile("y", {"x.y", "y"}, container="x")
    assert program.evaluate({"x.y": "inner", "y": "outer"}) == "inner"
    assert compile(".y", {"x.y", "y"}, container="x").evaluate({"x.y": 1, "y": 2}) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("size(1, 2)", "function 'size' takes 1 argument(s), given 2"),
        ("'a'.startsWith()", "function 'startsWith' takes 2 argument(s), given 1"),
        ("'a'.substring(1, 2, 3)", "takes 2 or 3 argument(s), given 4"),
        ("frobnicate(1)", "undeclared reference to function 'frobnicate'"),
        ("optional.nothing()", "undeclared reference to 'optional'"),
        ("x.nothing()", "undeclared reference to function 'nothing'"),
    ],
)
def test_functions_and_arity(text: str, message: str) -> None:
    with pytest.raises(CELCheckError, match=re.escape(message)):
        compile(text, {"x"})


def test_unchecked_programs_fail_when_evaluated() -> None:
    program = compile("nobody.knows(1) || true", checked=False)
    assert program.evaluate({}) is True
    with pytest.raises(CELEvaluationError, match="unknown variable 'nobody'"):
        compile("nobody", checked=False).evaluate({})
    with pytest.raises(CELEvaluationError, match="unbound function 'frob'"):
        compile("frob(1)", checked=False).evaluate({})


def test_type_names_are_idents_unless_declared() -> None:
    assert evaluate("type(1) == int") is True
    assert evaluate("int + 1", {"int": 1}) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.int()", "'int' is a function, not a method: write int(x)"),
        ("contains('abc', 'a')", "'contains' is a method: write x.contains(...)"),
        ("x.optional.of()", None),
    ],
)
def test_functions_are_called_in_their_style(text: str, message: str | None) -> None:
    if message is None:  # a field "optional" of x, then a method "of": not a namespace
        with pytest.raises(CELCheckError, match="undeclared reference to function 'of'"):
            compile(text, {"x"})
        return
    with pytest.raises(CELCheckError, match=re.escape(message)):
        compile(text, {"x"})
    with pytest.raises(CELEvaluationError, match="unbound function"):
        compile(text, checked=False).evaluate({"x": "abc"})


def test_size_and_matches_take_either_style() -> None:
    assert evaluate("size('ab') == 'ab'.size() && matches('ab', 'a') && 'ab'.matches('b')")
