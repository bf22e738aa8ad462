"""Tests for policygate.message: ``{CEL}`` templates and how values read in messages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.message import (
    Placeholder,
    TemplateSyntaxError,
    format_value,
    render_template,
    split_template,
)


def P(text: str, offset: int) -> Placeholder:  # noqa: N802 - reads like a constructor
    return Placeholder(text, offset)


@pytest.mark.parametrize(
    ("template", "parts"),
    [
        ("", []),
        ("plain text", ["plain text"]),
        ("{a}", [P("a", 1)]),
        ("x {a} y", ["x ", P("a", 3), " y"]),
        ("{a}{b}", [P("a", 1), P("b", 4)]),
        ("{ a }", [P("a", 2)]),
        ("x {  model.x + 1  } y", ["x ", P("model.x + 1", 5), " y"]),
        ("a {{b}} c", ["a {b} c"]),
        ("{{", ["{"]),
        ("}}", ["}"]),
        ("{{{a}}}", ["{", P("a", 3), "}"]),
        ("{{ {a} }}", ["{ ", P("a", 4), " }"]),
        # CEL map literals nest braces inside a placeholder
        ("x { {'a': 1}.a } y", ["x ", P("{'a': 1}.a", 4), " y"]),
        ("{ {'a': {'b': 2}}.a.b }", [P("{'a': {'b': 2}}.a.b", 2)]),
        # braces inside quoted strings do not count
        ('x {"}"} y', ["x ", P('"}"', 3), " y"]),
        ("x {'{'} y", ["x ", P("'{'", 3), " y"]),
        ('x {m["}"]} y', ["x ", P('m["}"]', 3), " y"]),
        ("x {'a\\'}'} y", ["x ", P("'a\\'}'", 3), " y"]),
        ('x {"a\\"}"} y', ["x ", P('"a\\"}"', 3), " y"]),
        ('{"it\'s"}', [P('"it\'s"', 1)]),
        ("line one\n{a}\nline {b}", ["line one\n", P("a", 10), "\nline ", P("b", 19)]),
    ],
)
def test_split_template(template: str, parts: list[str | Placeholder]) -> None:
    assert split_template(template) == parts
    for part in parts:
        if isinstance(part, Placeholder):
            assert template[part.offset : part.offset + len(part.text)] == part.text


@pytest.mark.parametrize(
    ("template", "offset", "message"),
    [
        ("x {a", 2, "unclosed '{'"),
        ("{", 0, "unclosed '{'"),
        ("ok {a} then {b", 12, "unclosed '{'"),
        ("x {'unclosed} y", 2, "unclosed '{'"),
        ("x { {'a': 1}.a y", 2, "unclosed '{'"),
        ("x } y", 2, "unmatched '}'"),
        ("}", 0, "unmatched '}'"),
        ("}}}", 2, "unmatched '}'"),
        ("{a }} b", 4, "unmatched '}'"),
        ("x {} y", 2, "empty placeholder {}"),
        ("x {   } y", 2, "empty placeholder {}"),
    ],
)
def test_split_template_errors(template: str, offset: int, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        split_template(template)
    assert info.value.offset == offset
    assert str(info.value).startswith(message)
    assert isinstance(info.value, ValueError)


def test_error_messages_say_how_to_write_a_literal_brace() -> None:
    with pytest.raises(TemplateSyntaxError, match=r"write '\{\{' for a literal brace"):
        split_template("{")
    with pytest.raises(TemplateSyntaxError, match=r"write '\}\}' for a literal brace"):
        split_template("}")


_literal_text = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_literal_text, st.from_regex(r"[a-z][a-z.]{0,8}", fullmatch=True))))
def test_split_then_render_gives_back_the_template(pieces: list[tuple[str, str]]) -> None:
    template = "".join(f"{text}{{{expr}}}" for text, expr in pieces)
    parts = split_template(template)
    placeholders = [p for p in parts if isinstance(p, Placeholder)]
    assert [p.text for p in placeholders] == [expr for _, expr in pieces]
    rendered = render_template(parts, lambda index: "{" + placeholders[index].text + "}")
    assert rendered == template


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_doubled_braces_are_literal(text: str) -> None:
    escaped = text.replace("{", "{{").replace("}", "}}")
    assert "".join(p for p in split_template(escaped) if isinstance(p, str)) == text


def test_render_template_in_order() -> None:
    parts = split_template("{a} and {b}, {{c}}")
    values = ["first", "second"]
    assert render_template(parts, lambda i: values[i]) == "first and second, {c}"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (-7, "-7"),
        (10**20, "100000000000000000000"),
        (3.0, "3"),
        (-2.0, "-2"),
        (0.0, "0"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (0.874, "0.874"),
        (0.30000000000000004, "0.30000000000000004"),
        (2.5e-07, "2.5e-07"),
        (1e16, "1e+16"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ("text", "text"),
        ("", ""),
        ('quo"te', 'quo"te'),
        ([], "[]"),
        ({}, "{}"),
        ([1, 2], "[1, 2]"),
        ([1.0, 2.0], "[1, 2]"),  # YAML ints are doubles inside CEL
        ([0.5, "a", True, None], '[0.5, "a", true, null]'),
        ({"a": 1.0, "b": [2.0]}, '{"a": 1, "b": [2]}'),
        (["é"], '["é"]'),
        (dt.datetime(2026, 11, 26, tzinfo=dt.UTC), "2026-11-26T00:00:00Z"),
        (
            dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            "2026-11-26T00:30:00Z",
        ),
        (
            dt.datetime(2026, 11, 26, 0, 0, 0, 250000, tzinfo=dt.UTC),
            "2026-11-26T00:00:00.25Z",
        ),
        (
            [dt.datetime(2026, 11, 26, tzinfo=dt.UTC)],
            '["2026-11-26T00:00:00Z"]',
        ),
        (dt.timedelta(days=30), "2592000s"),
        (dt.timedelta(seconds=1.5), "1.5s"),
        (dt.timedelta(0), "0s"),
        ([dt.timedelta(hours=1)], '["3600s"]'),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_an_integral_number_reads_the_same_as_int_or_double(number: int) -> None:
    if abs(number) < 10**15:
        assert format_value(float(number)) == format_value(number) == str(number)
        assert format_value([float(number)]) == format_value([number]) == f"[{number}]"


@settings(max_examples=80, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_double_reads_back_as_the_same_number(number: float) -> None:
    assert float(format_value(number)) == number


@settings(max_examples=200, deadline=None)
@given(st.none() | st.booleans() | st.integers() | st.floats())
def test_a_scalar_reads_as_json_writes_it(value: object) -> None:
    """Numbers, bools and null are written without the JSON encoder, as it would."""
    from policygate.message import _plain

    plain = _plain(value)
    expected = plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
    assert format_value(value) == expected


def test_a_placeholder_is_an_immutable_value_that_copies_and_pickles():
    import copy
    import dataclasses
    import pickle

    placeholder = P("model.name", 3)
    assert pickle.loads(pickle.dumps(placeholder)) == placeholder
    assert copy.deepcopy(placeholder) == placeholder == copy.copy(placeholder)
    assert hash(placeholder) == hash(P("model.name", 3)) and placeholder != P("model.name", 4)
    assert repr(placeholder) == "Placeholder(text='model.name', offset=3)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        placeholder.text = "x"  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(
    st.floats()
    | st.integers(10**14, 10**17).map(float)
    | st.integers(-(10**17), -(10**14)).map(float)
    | st.sampled_from([1e15, -1e15, 1e15 - 1, 0.0, -0.0, float("nan"), float("inf")])
)
def test_a_double_reads_as_its_plain_value_does(number: float) -> None:
    """A double's quick way to its text (format_value's first lines) gives what its
    plain value (an int when integral and below 1e15, its repr else) gives."""
    from policygate.message import _plain

    plain = _plain(number)
    assert format_value(number) == (plain if isinstance(plain, str) else repr(plain))
