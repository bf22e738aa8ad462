"""The CEL engine's errors say what they are as data (issue 18, item 3): a check
error's code and name, an evaluation error's kind and, for "no such overload",
the function and operand types, so that the adapter (own.py) rephrases and
the loader sorts them without reading their text back."""

from __future__ import annotations

import pytest

from policygate import cel
from policygate.cel import lang
from policygate.cel.own import OwnBackend, describe


@pytest.mark.parametrize(
    ("text", "code", "name"),
    [
        ("modle.x > 1", "undeclared-variable", "modle"),
        ("nosuch(model.x)", "unknown-function", "nosuch"),
        ("size(1, 2) > 0", "cel-type", None),
    ],
)
def test_check_errors_carry_their_code_and_name(text: str, code: str, name: str | None):
    with pytest.raises(lang.CELCheckError) as raised:
        lang.compile(text, ["model"])
    assert (raised.value.code, raised.value.name) == (code, name)


def test_a_syntax_error_and_a_long_text_say_which():
    with pytest.raises(lang.CELSyntaxError) as raised:
        lang.compile("model.x >", ["model"])
    assert raised.value.code == "cel-syntax"
    with pytest.raises(lang.CELSyntaxError) as raised:
        lang.compile("1 + " * 40_000 + "1")
    assert raised.value.code == "expression-too-large"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("model.x >", "cel-syntax"),
        ("nosuch(model.x)", "unknown-function"),
        ("size(1, 2) > 0", "cel-type"),
        ("1 + " * 6_000 + "1", "expression-too-large"),
    ],
)
def test_the_backend_passes_the_code_on(text: str, code: str):
    with pytest.raises(cel.CELSyntaxError) as raised:
        OwnBackend().compile(text)
    assert raised.value.code == code


def test_an_undeclared_variable_compiles_for_the_loader_to_refuse():
    program = OwnBackend().compile("modle.x > 1")
    assert cel.free_variables(program) == {"modle"}


@pytest.mark.parametrize(
    ("text", "overload"),
    [
        ("x >= 0.8", ("_>=_", ("bool", "double"))),
        ("-s", ("-_", ("string",))),
        ("s.all(c, true)", ("comprehension range", ("string",))),
    ],
)
def test_no_such_overload_carries_the_function_and_operand_types(text, overload):
    with pytest.raises(lang.CELEvaluationError) as raised:
        lang.evaluate(text, {"x": True, "s": "a"})
    assert raised.value.kind == "no_matching_overload"
    assert raised.value.overload == overload


def test_the_rephrasing_reads_the_data_not_the_text():
    """A reason worded otherwise is rephrased all the same, and a reason that only
    looks like an overload error is left as it is."""
    reworded = lang.LocatedError("cannot compare", "no_matching_overload", None,
                                 ("_>=_", ("bool", "double")))  # fmt: skip
    assert describe(reworded, "x") == "no such overload: '>=' (bool, double)"
    macro = lang.LocatedError("bad range", "no_matching_overload", None,
                              ("comprehension range", ("double",)))  # fmt: skip
    assert describe(macro, "x") == "no such overload: a macro needs a list or a map, got double"
    lookalike = lang.LocatedError("no such overload: _>=_(bool, double)", "invalid_argument", None)
    assert describe(lookalike, "x") == "no such overload: _>=_(bool, double)"
