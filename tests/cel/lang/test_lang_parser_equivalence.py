"""The lexer and parser against their reference (``test_lang_parser_reference.py``,
the implementation they replaced): on generated texts, valid or not, the same
tokens (kind, value and its type, offsets), the same tree, the same source map
(extents, field starts, macros, chains), the same depth, and the same syntax
error (message, offset, line, column, code)."""

from __future__ import annotations

from typing import Any

import pytest
import test_lang_parser_reference as reference
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policygate.cel.lang import ast, checker, lexer, parser
from policygate.cel.lang.errors import CELCheckError, CELSyntaxError

# ----------------------------------------------------------------- generated texts

_FRAGMENTS = [
    " ", "  ", "\n", "\t", "\r", "\f", "\v", "// note\n", "//", "/",
    "a", "b1", "_x", "model", "spec", "in", "true", "false", "null", "if", "let", "r", "b",
    "R", "B", "rb", "bR", "has", "all", "exists", "exists_one", "existsOne", "map",
    "filter", "transformList", "transformMap", "optMap", "size", "x", "y",
    "0", "7", "12", "00", "0x1F", "0X", "0x", "1u", "2U", "1.5", ".5", "1e3", "1e", "2E-2",
    "3.", "18446744073709551615", "18446744073709551616u", "9223372036854775808",
    "99999999999999999999999", "1.5u", "0x10000000000000000",
    "'", '"', "'''", '"""', "'ab'", '"cd"', "''", '""', "'\\n'", "'\\x41'", "'\\101'",
    "'\\u00e9'", "'\\U0001F600'", "'\\ud800'", "'\\q'", "'\\x4'", "'\\", "b'\\xff'",
    "b'\\u0041'", "r'\\d'", "'''a\nb'''", "'a\nb'", "\\", "`a-b`", "``", "`a",
    "+", "-", "*", "/", "%", "!", "<", ">", "?", ":", ".", ",", "(", ")", "[", "]", "{",
    "}", "==", "!=", "<=", ">=", "&&", "||", ".?", "[?", "=", "&", "|", "@", "#", "$",
    "é", "~", ";",
]  # fmt: skip

_texts = st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=24).map("".join),
    st.text(alphabet="ab1.()[]{}'\"\\`+-!<=>&|?:, \n\rxu_rEe0", max_size=30),
)

_names = st.sampled_from(["a", "b", "model", "params", "x", "_y", "in", "if", "true", "null"])
_atoms = st.one_of(
    _names,
    st.sampled_from(
        ["0", "1", "-1", "-9223372036854775808", "9223372036854775807", "2u", "1.5", ".5",
         "1e3", "'s'", '"t"', "b'by'", "r'\\d'", "'''x\ny'''", "null", "`f-g`", ".a", "[]",
         "{}", "-2.5", "--3", "!!true"]  # fmt: skip
    ),
)
_BINARY = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", " in ", "&&", "||"]


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(inner, inner)
        return st.one_of(
            st.tuples(inner, st.sampled_from(_BINARY), inner).map(" ".join),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"!{e}"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(inner, st.sampled_from([".f", ".?g", ".`h-i`", ".in"])).map("".join),
            pair.map(lambda t: f"{t[0]}[{t[1]}]"),
            pair.map(lambda t: f"{t[0]}[?{t[1]}]"),
            st.lists(inner, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
            st.lists(inner, max_size=2).map(lambda xs: f"[?{', ?'.join(xs)}]" if xs else "[?]"),
            pair.map(lambda t: f"{{{t[0]}: {t[1]}, ?{t[1]}: {t[0]}}}"),
            inner.map(lambda e: f"M{{f: {e}, ?g: 1}}"),
            inner.map(lambda e: f"a.b.M{{`q`: {e}}}"),
            inner.map(lambda e: f"has({e}.f)"),
            inner.map(lambda e: f"has({e})"),
            st.tuples(inner, st.sampled_from(["all", "exists", "exists_one", "map", "filter"]),
                      inner).map(lambda t: f"{t[0]}.{t[1]}(v, {t[2]})"),  # fmt: skip
            pair.map(lambda t: f"{t[0]}.all(k, v, {t[1]})"),
            pair.map(lambda t: f"{t[0]}.map(v, {t[1]}, v)"),
            pair.map(lambda t: f"{t[0]}.transformList(i, v, {t[1]})"),
            pair.map(lambda t: f"{t[0]}.transformMap(k, v, {t[1]}, k)"),
            pair.map(lambda t: f"{t[0]}.optMap(v, {t[1]})"),
            pair.map(lambda t: f"{t[0]}.exists({t[1]}, x)"),
            st.lists(inner, max_size=3).map(lambda xs: f"f({', '.join(xs)})"),
            pair.map(lambda t: f"{t[0]}.m({t[1]})"),
            pair.map(lambda t: f".g({t[0]}, {t[1]})"),
            inner.map(lambda e: f"{e} // c\n"),
            inner.map(lambda e: f"\n  {e}\n"),
        )

    return st.recursive(_atoms, extend, max_leaves=12)


# ----------------------------------------------------------------- comparisons


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except CELSyntaxError as error:
        return "error", (str(error), error.offset, error.line, error.column, error.code)


def _tokens(text: str) -> tuple[str, Any]:
    kind, found = _outcome(lambda: lexer.tokenize(lexer.Source(text)))
    if kind == "ok":
        found = [(k, type(v), v, start, end) for k, v, start, end in found]
    return kind, found


def _reference_tokens(text: str) -> tuple[str, Any]:
    kind, found = _outcome(lambda: reference.tokenize(reference.Source(text)))
    if kind == "ok":
        found = [(t.kind, type(t.value), t.value, t.offset, t.end) for t in found]
    return kind, found


def _pair(old: Any, new: Any, nodes: dict[int, Any]) -> None:
    """Walk the two trees side by side: the same classes and fields; ``nodes`` maps
    each reference node (by id) to the new one."""
    assert type(old) is type(new)
    if isinstance(old, ast.Node):
        nodes[id(old)] = new
    if isinstance(old, ast._Frozen):
        for name in old._fields:
            _pair(getattr(old, name), getattr(new, name), nodes)
    elif isinstance(old, tuple):
        assert len(old) == len(new)
        for a, b in zip(old, new, strict=True):
            _pair(a, b, nodes)
    else:
        assert type(old) is type(new) and old == new, (old, new)


def _same_parse(text: str) -> None:
    old_kind, old = _outcome(lambda: reference.parse_source(text))
    new_kind, new = _outcome(lambda: parser.parse_source(text))
    assert old_kind == new_kind, (text, old, new)
    if old_kind == "error":
        assert old == new, text
        return
    nodes: dict[int, Any] = {}
    _pair(old.tree, new.tree, nodes)
    for macro, (_, target, args) in old.macros.items():  # what a macro replaced too
        _, new_target, new_args = new.macros[nodes[id(macro)]]
        _pair((target, args), (new_target, new_args), nodes)
    assert {nodes[id(k)]: v for k, v in old.extents.items()} == new.extents
    assert {nodes[id(k)]: v for k, v in old.field_starts.items()} == new.field_starts
    mapped = {
        nodes[id(k)]: (name, None if target is None else nodes[id(target)],
                       tuple(nodes[id(a)] for a in args))
        for k, (name, target, args) in old.macros.items()
    }  # fmt: skip
    assert mapped == new.macros
    assert {nodes[id(k)] for k in old.chains} == new.chains
    assert parser.tree_depth(new.tree) == reference.tree_depth(old.tree)
    assert parser.tree_depth(new.tree) == reference.tree_depth(new.tree)  # remembered


_SAMPLES = [
    "model.spec.metrics.auc >= params.min_auc",
    "has(model.spec) && has(model.spec.lineage) && model.spec.code.matches('^[0-9a-f]{7,40}$')",
    "!has(m.approvals) || m.approvals.all(a, now - timestamp(a.granted_at) < days(params.d))",
    "a && b && c && d || e && f || g",
    "1 + 2 * 3 - 4 / 5 % 6 == 7 != 8 < 9 <= 10 > 11 >= 12 in [13]",
    "a ? b ? c : d : e ? f : g",
    "-9223372036854775808", "-9223372036854775809", "--1", "-1.5.f", "-(1)", "!!!a",
    "x.`a-b`.c[?0].?d", "[?a, ?b, c]", "{?a: 1, 'b': 2}", "a.B{f: 1}", ".a.b.C{`q`: 2}",
    "'unterminated", "'\\q'", "'a\nb'", "'a\rb'", "'''a\r'''",
    "'a'b'", "'a\\'", "\"\"\"abc", "b'\\u0041'", "1 = 2", "a & b", "a | b",
    "0x", "18446744073709551616u", "99999999999999999999999", "@", "é", "`a", "``",
    "a.in(b)", "a.in", "in", "if", ".true", "true.f", "x.true", "f(", "(a", "a]", "a b",
    "x.all(y)", "x.all(1, y)", "x.all(y, y, z)", "has(a)", "has(a.?b)", "a.b.c(", "a.b.M{",
    "a.5", ".5.f", "x[0].5", "1..5", "a // c\n && b", "// only", "\n\n  a\n.b",
    "(" * 260 + "1" + ")" * 260, "(" * 240 + "1" + ")" * 240, "[" * 240 + "]" * 240,
    "-(" * 200 + "1" + ")" * 200, "f(" * 240 + ")" * 240, "a[" * 240 + "0" + "]" * 240,
    "a" + ".b" * 300, "a" + " + a" * 300, "[" * 100 + "]" * 100,
]  # fmt: skip


@pytest.mark.parametrize("text", _SAMPLES)
def test_samples_parse_as_the_reference_does(text: str) -> None:
    assert _tokens(text) == _reference_tokens(text)
    _same_parse(text)


@settings(max_examples=600, deadline=None)
@given(_texts)
@example("'a\\x41\\101\\u00e9' + b'\\xff' + r'\\d' + '''x\ny'''")
def test_tokens_are_the_reference_tokens(text: str) -> None:
    """Kinds, values (and their types), offsets; or the same error at the same column."""
    assert _tokens(text) == _reference_tokens(text)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_any_text_parses_as_the_reference_does(text: str) -> None:
    _same_parse(text)


@settings(max_examples=400, deadline=None)
@given(_expressions())
def test_expressions_parse_as_the_reference_does(text: str) -> None:
    assert _tokens(text) == _reference_tokens(text)
    _same_parse(text)


# ----------------------------------------------------------------- checked trees

_qualified = st.sampled_from(
    ["a.b", "a.b.c", ".a.b", "x.y.z", "model.spec.f", "google.protobuf.Timestamp",
     ".google.protobuf.Duration", "protobuf.Timestamp", "int", "type", "optional_type",
     "optional.of(1)", "optional.none()", "x.optional.none()", "strings.quote('a')",
     "a.b.quote('q')", "optional.ofNonZeroValue(a)", "a.of(b)", "a.b.?c", "has(a.b.c)",
     "a.b.c.all(a, a.b)", "[1].exists(b, b.c == a.b)", "size(a)", "a.size()", "a.matches('x')",
     "matches(a, 'x')", "a.startsWith(1, 2)", "int(a)", "a.int()", "days(1)", "nosuch(a)",
     "a.nosuch()", "1 + 'a'", "1 < 2u", "'a' < 'b'", "[1] + [2]", "{} == {}", "1 / 2.0",
     "[?a] + [1]", "b'a' + b'b'", "a.b.M{f: 1}"]  # fmt: skip
)
_checked_texts = st.one_of(
    _expressions(),
    st.tuples(_qualified, st.sampled_from(_BINARY), _qualified).map(" ".join),
    _qualified,
)
_declarations = st.sampled_from(
    [(), ("a",), ("a", "b", "x", "model"), ("a.b",), ("a.b.c", "a"), ("x.y", "x.y.z"),
     ("model", "params", "now", "inputs", "risks", "item", "key", "index"), ("c.a.b",)]
)  # fmt: skip
_containers = st.sampled_from(["", "c", "c.a", "google", "x", "a"])


def _checked(check: Any, parse: Any, text: str, declared: tuple[str, ...],
             container: str, strict: bool) -> tuple[str, Any]:  # fmt: skip
    try:
        tree = parse(text)
    except CELSyntaxError:
        return "syntax", None
    try:
        return "ok", check(tree, declared, container, strict)
    except CELCheckError as error:
        found = (str(error), error.offset, error.line, error.column, error.code, error.name)
        return "error", found


@settings(max_examples=600, deadline=None)
@given(_checked_texts, _declarations, _containers, st.booleans())
@example("a.b.c", ("a.b",), "", True)
@example("b.c", ("a.b.c",), "a", True)
@example("protobuf.Timestamp", (), "google", True)
@example("x.optional.none()", ("x",), "", True)
@example("[" * 240 + "a.b" + "]" * 240, ("a.b",), "", True)  # deeper than the stack allows
@example("!(" * 120 + "a.b" + ")" * 120, ("a",), "", True)
@example("[" * 240 + "c" + "]" * 240, ("a.b",), "", True)
def test_checked_trees_are_the_reference_ones(
    text: str, declared: tuple[str, ...], container: str, strict: bool
) -> None:
    """The checker's result (or error: message, offset, line, column, code, name)
    on what the parser reads is the reference checker's on what it read."""
    old_kind, old = _checked(reference.check, reference.parse, text, declared, container, strict)
    new_kind, new = _checked(checker.check, parser.parse, text, declared, container, strict)
    assert old_kind == new_kind, (old, new)
    if old_kind == "ok":
        _pair(old, new, {})
    else:
        assert old == new


def _deep_in_stack(frames: int, call: Any) -> Any:
    """``call()`` with ``frames`` more frames on the stack (a caller deep already)."""
    return call() if frames == 0 else _deep_in_stack(frames - 1, call)


@pytest.mark.parametrize(
    "text",
    ["!(" * 240 + "a.b" + ")" * 240, "[" * 240 + "c" + "]" * 240, "f(" * 245 + ")" * 245,
     "dyn(" * 245 + "1" + ")" * 245,
     "a" + ".b" * 249, "a" + " + a" * 248]  # fmt: skip
)
@pytest.mark.parametrize("frames", [0, 300, 700])
def test_deep_texts_read_and_check_from_a_deep_stack(text: str, frames: int) -> None:
    """A deep text, parsed and checked where the stack is already deep (the reading
    that runs out of stack is done again with room): as the reference does."""
    old = _deep_in_stack(frames, lambda: _checked(reference.check, reference.parse, text,
                                                  ("a", "c", "f"), "", True))  # fmt: skip
    new = _deep_in_stack(frames, lambda: _checked(checker.check, parser.parse, text,
                                                  ("a", "c", "f"), "", True))  # fmt: skip
    assert old[0] == new[0]
    if old[0] == "ok":
        _pair(old[1], new[1], {})
    else:
        assert old == new


# ----------------------------------------------------------------- the nodes built

_values = st.one_of(st.integers(), st.text(max_size=3), st.booleans(), st.none())


@settings(max_examples=200, deadline=None)
@given(st.lists(_values, min_size=5, max_size=5), st.booleans())
def test_nodes_hold_what_they_were_built_with(values: list[Any], by_keyword: bool) -> None:
    """Each field of a node (set through its slot's descriptor) is the argument given
    for it, positionally or by keyword; the node stays frozen."""
    import dataclasses

    for kind in (ast.Span, ast.Literal, ast.Ident, ast.Select, ast.Call):
        given_values = dict(zip(kind._fields, values, strict=False))
        node = kind(**given_values) if by_keyword else kind(*given_values.values())
        assert {name: getattr(node, name) for name in kind._fields} == given_values
        shown = ", ".join(f"{name}={value!r}" for name, value in given_values.items())
        assert repr(node) == f"{kind.__qualname__}({shown})"
        with pytest.raises(dataclasses.FrozenInstanceError):
            node.span = None  # type: ignore[misc]
