"""The lexer and parser of policygate's own CEL: literals, precedence, spans, limits."""

from __future__ import annotations

import dataclasses

import pytest

from policygate.cel.lang import CELSyntaxError, Uint, ast, evaluate, parse
from policygate.cel.lang.parser import MAX_DEPTH, MAX_LENGTH, MAX_NESTING, tree_depth


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("-9223372036854775808", -(2**63)),
        ("0x1F", 31),
        ("18446744073709551615u", Uint(2**64 - 1)),
        ("0x10U", Uint(16)),
        ("1.5e3", 1500.0),
        (".5", 0.5),
        ("1e-2", 0.01),
        ("'a\\tb'", "a\tb"),
        ('"\\u00e9\\U0001F600"', "é\U0001f600"),
        ("'\\x41\\101\\\\'", "AA\\"),
        ("r'\\d+'", "\\d+"),
        ("'''two\nlines'''", "two\nlines"),
        ('R"""x\\ny"""', "x\\ny"),
        ("b'\\xff\\377'", b"\xff\xff"),
        ("b'ÿ'", "ÿ".encode()),
        ("br'\\x00'", b"\\x00"),
        ("Br'\\x00'", b"\\x00"),
        ("true", True),
        ("null", None),
    ],
)
def test_literals(text: str, value: object) -> None:
    node = parse(text)
    assert isinstance(node, ast.Literal)
    assert type(node.value) is type(value)
    assert node.value == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("100 / 10 / 5", 2),
        ("7 % 4 * 2", 6),
        ("-2 * 3", -6),
        ("--3", 3),
        ("!!true", True),
        ("1 < 2 == true", True),
        ("false || true && false", False),
        ("true ? 1 : false ? 2 : 3", 1),
        ("false ? 1 : false ? 2 : 3", 3),
        ("2 in [1, 2] && 'a' in {'a': 1}", True),
        ("[1, 2, 3][1]", 2),
        ("{'a': {'b': 5}}.a.b", 5),
        ("size('abc') + 'abc'.size()", 6),
    ],
)
def test_precedence_and_associativity(text: str, value: object) -> None:
    assert evaluate(text) == value


def test_every_node_has_a_span_with_line_and_column() -> None:
    tree = parse("a &&\n  b.c[0] > 1")
    assert isinstance(tree, ast.Call) and tree.function == "_&&_"
    right = tree.args[1]
    assert isinstance(right, ast.Call) and right.function == "_>_"
    assert (right.span.line, right.span.column) == (2, 10)
    index = right.args[0]
    assert isinstance(index, ast.Call) and index.function == "_[_]"
    select = index.args[0]
    assert isinstance(select, ast.Select)
    assert isinstance(select.operand, ast.Ident)
    assert (select.operand.span.line, select.operand.span.column) == (2, 3)
    assert select.operand.span.offset == 7


def test_the_tree_is_frozen() -> None:
    node = parse("a + 1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.function = "_-_"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("1 +", 1, 4),
        ("a.b(", 1, 5),
        ("'unterminated", 1, 1),
        ("x == 1\n  && 'a\\q'", 2, 8),
        ("1 @ 2", 1, 3),
        ("for", 1, 1),
        ("a.in", 1, 3),
        ("[1, 2", 1, 6),
        ("9223372036854775808", 1, 1),
        ("'\\uD83D'", 1, 2),
        ("b'\\u00e9'", 1, 3),
        ("has(a)", 1, 5),
        ("[1].all(x.y, true)", 1, 10),
        ("'line\nbreak'", 1, 6),
    ],
)
def test_syntax_errors_name_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(CELSyntaxError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.column) == (line, column), str(caught.value)
    assert f"line {line}, column {column}" in str(caught.value)


def test_reserved_words_are_fields_and_methods_but_not_names() -> None:
    assert evaluate("{'if': 1}.if") == 1
    with pytest.raises(CELSyntaxError, match="'while' is a reserved word"):
        parse("while")


@pytest.mark.parametrize("depth", [MAX_NESTING - 5, MAX_NESTING + 50, 3000])
def test_nesting_is_bounded_without_recursion_error(depth: int) -> None:
    text = "(" * depth + "1" + ")" * depth
    if depth <= MAX_NESTING - 1:
        assert evaluate(text) == 1
    else:
        with pytest.raises(CELSyntaxError, match="nests deeper than 250"):
            parse(text)


def test_deep_lists_and_calls_are_bounded_too() -> None:
    with pytest.raises(CELSyntaxError, match="nests deeper"):
        parse("[" * 400 + "]" * 400)
    with pytest.raises(CELSyntaxError, match="nests deeper"):
        parse("size(" * 400 + "'a'" + ")" * 400)
    with pytest.raises(CELSyntaxError, match="nests deeper"):
        parse("-(" * 300 + "x" + ")" * 300)
    with pytest.raises(CELSyntaxError, match="nests deeper"):
        parse("!(" * 300 + "x" + ")" * 300)


def test_a_run_of_unary_operators_is_one_or_none() -> None:
    """As cel-go's and cel-cpp's parsers read them: an even run of ``!`` or ``-`` is
    dropped (``!!x`` is ``x``), an odd one is one operator, however long the run."""
    for even in ("!" * 300 + "x", "-" * 300 + "x"):
        node = parse(even)
        assert isinstance(node, ast.Ident) and node.name == "x"
    for odd, function in (("!" * 301 + "x", "!_"), ("---x", "-_")):
        node = parse(odd)
        assert isinstance(node, ast.Call) and node.function == function
        (operand,) = node.args
        assert isinstance(operand, ast.Ident) and operand.name == "x"


def test_a_long_operator_chain_is_a_tree_depth_error_not_a_crash() -> None:
    text = " + ".join(["1"] * (MAX_DEPTH + 10))
    with pytest.raises(CELSyntaxError, match=f"the limit is {MAX_DEPTH}"):
        parse(text)
    assert evaluate(" + ".join(["1"] * (MAX_DEPTH - 10))) == MAX_DEPTH - 10


def test_and_or_chains_are_balanced() -> None:
    text = " && ".join(["true"] * 5000)
    assert tree_depth(parse(text)) <= 15
    assert evaluate(text) is True


def test_expression_length_is_bounded() -> None:
    with pytest.raises(CELSyntaxError, match=f"the limit is {MAX_LENGTH}"):
        parse("1" + " " * MAX_LENGTH)


def test_macros_expand_at_parse_time() -> None:
    tree = parse("[1, 2].exists(x, x > 1)")
    assert isinstance(tree, ast.Comprehension)
    assert tree.iter_var == "x" and tree.iter_var2 is None
    two = parse("{'a': 1}.transformMap(k, v, v + 1)")
    assert isinstance(two, ast.Comprehension) and (two.iter_var, two.iter_var2) == ("k", "v")
    has = parse("has(a.b)")
    assert isinstance(has, ast.Select) and has.test_only
    # Not a macro's shape: an ordinary call.
    call = parse("a.all(1)")
    assert isinstance(call, ast.Call) and call.function == "all"


def test_optional_syntax_parses() -> None:
    tree = parse("[?a, b]")
    assert isinstance(tree, ast.ListExpr) and tree.optional_indices == frozenset({0})
    entry = parse("{?'k': v}")
    assert isinstance(entry, ast.MapExpr) and entry.entries[0].optional
    select = parse("a.?b")
    assert isinstance(select, ast.Select) and select.optional
    index = parse("a[?0]")
    assert isinstance(index, ast.Call) and index.function == "_[?_]"


def test_message_construction_parses_but_does_not_evaluate() -> None:
    tree = parse("google.protobuf.Int64Value{value: 1}")
    assert isinstance(tree, ast.MessageExpr)
    assert tree.type_name == "google.protobuf.Int64Value"
    assert [f.field for f in tree.fields] == ["value"]


def test_the_tree_copies_and_pickles_with_its_spans() -> None:
    import copy
    import pickle

    node = parse("a.b + [1, 2][0]")
    for copied in (pickle.loads(pickle.dumps(node)), copy.deepcopy(node)):
        assert repr(copied) == repr(node) and copied is not node
        assert copied.span == node.span and hash(copied.span) == hash(node.span)
    assert node != parse("a.b + [1, 2][0]")  # nodes compare by identity; spans by value
    assert repr(node.span) == "Span(offset=4, line=1, column=5)"
