"""The cached CEL grammar (policygate.cel.grammar): a miss builds and writes the
parser, a hit loads the same parser, and an entry that is corrupt, foreign or
unreadable is ignored (and replaced), never trusted."""

from __future__ import annotations

import json

import pytest
from lark import Lark, Token

from policygate.cel import grammar

TEXTS = [
    "model.spec.metrics.auc >= params.min_auc && has(model.spec.owner)",
    'model.approvals.exists(a, a.role == "x" && timestamp(a.at) > now) ? [1, 2u] : {"k": -1.5e3}',
    "!true || false in [b'x', r'y', null]",
    "model.x[",  # a syntax error
    "1 +",
    "a.b.c(d, e)",
]


def _literals(token: Token) -> Token:
    if token.value in ("true", "false"):
        return Token.new_borrow_pos("BOOL_LIT", token.value, token)
    return token


def _outcome(parser: Lark, text: str) -> object:
    try:
        return parser.parse(text)
    except Exception as error:  # noqa: BLE001 - the error itself is the outcome
        return (type(error).__name__, getattr(error, "line", None), getattr(error, "column", None))


def _built() -> Lark:
    return Lark(grammar.grammar_text(), **grammar.BUILD_OPTIONS,
                lexer_callbacks={"IDENT": _literals}, propagate_positions=True,
                g_regex_flags=grammar.re.M)  # fmt: skip


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(grammar.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _entry() -> object:
    entry = grammar.cache_file(grammar.cache_key(grammar.grammar_text()))
    assert entry is not None
    return entry


def test_miss_writes_an_entry_and_a_hit_gives_the_same_parser(cache):
    first = grammar.cel_parser(lexer_callbacks={"IDENT": _literals})
    entry = _entry()
    assert entry.parent == cache and entry.exists()
    stored = json.loads(entry.read_text("utf-8"))
    assert stored["key"] == grammar.cache_key(grammar.grammar_text())
    modified = entry.stat().st_mtime_ns
    second = grammar.cel_parser(lexer_callbacks={"IDENT": _literals})
    assert entry.stat().st_mtime_ns == modified  # read, not written again
    reference = _built()
    for text in TEXTS:
        expected = _outcome(reference, text)
        assert _outcome(first, text) == expected
        assert _outcome(second, text) == expected


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[]",
        '{"key": "0000", "parser": {}}',  # another grammar, Lark or policygate
        '{"key": "%s", "parser": {"data": {}, "memo": {}}}',  # the right key, broken data
        '{"key": "%s", "parser": 7}',
    ],
)
def test_a_corrupt_entry_is_ignored_and_replaced(cache, content):
    entry = _entry()
    entry.parent.mkdir(parents=True)
    key = grammar.cache_key(grammar.grammar_text())
    entry.write_text(content.replace("%s", key), encoding="utf-8")
    parser = grammar.cel_parser(lexer_callbacks={"IDENT": _literals})
    reference = _built()
    for text in TEXTS:
        assert _outcome(parser, text) == _outcome(reference, text)
    assert json.loads(entry.read_text("utf-8"))["key"] == key  # rewritten


def test_no_cache_when_turned_off_or_unwritable(tmp_path, monkeypatch):
    monkeypatch.setenv(grammar.CACHE_ENV, "")
    assert grammar.cache_dir() is None
    parser = grammar.cel_parser(lexer_callbacks={"IDENT": _literals})
    assert _outcome(parser, TEXTS[0]) == _outcome(_built(), TEXTS[0])
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(grammar.CACHE_ENV, str(blocker / "cache"))  # cannot be a directory
    parser = grammar.cel_parser(lexer_callbacks={"IDENT": _literals})
    assert _outcome(parser, TEXTS[1]) == _outcome(_built(), TEXTS[1])


def test_default_location_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(grammar.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert grammar.cache_dir() == tmp_path / "policygate"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert grammar.cache_dir() == tmp_path / ".cache" / "policygate"


def test_the_key_covers_grammar_and_versions():
    key = grammar.cache_key("expr: x")
    assert key != grammar.cache_key("expr: y")
    assert len(key) == 64


def test_celpy_gets_its_parser_from_the_cache(cache, monkeypatch):
    from celpy.celparser import CELParser

    monkeypatch.setattr(CELParser, "CEL_PARSER", None)
    grammar.prepare_celpy()
    cached = CELParser.CEL_PARSER
    assert cached is not None and _entry().exists()
    monkeypatch.setattr(CELParser, "CEL_PARSER", None)
    CELParser()  # what celpy builds for itself
    own = CELParser.CEL_PARSER
    for text in TEXTS:
        assert _outcome(cached, text) == _outcome(own, text)
