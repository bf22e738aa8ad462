"""cel-python's CEL grammar as a ready Lark parser, without building it at every start.

Building the LALR tables of ``cel.lark`` takes about a quarter of a second, more
than everything else ``policygate check --engine cel-python`` does for a small
policy. Lark can save a built parser and load it again (``Lark(cache=True)``),
but it saves with pickle, to a file in the shared temporary directory; here the
same data (``Lark.memo_serialize``: names, regular expressions, numbers) is kept
as JSON in policygate's user cache directory:

- ``$POLICYGATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/policygate``, else
  ``~/.cache/policygate``; ``POLICYGATE_CACHE_DIR=""`` turns the cache off;
- one file per grammar text, Lark version, policygate version and Python
  version (the file name and the file itself carry a digest of all four, and a
  file whose digest does not match is ignored);
- written atomically (a temporary file renamed over the entry); an entry that
  does not read, decode or load is ignored and written again;
- nothing in it is ever executed: JSON is decoded into plain values, and Lark
  rebuilds its rules, terminals and tables from them (what its own cache does).

A parser loaded from the cache is the parser Lark would build: same tables, same
terminals, same trees, same errors. Whatever goes wrong with the cache, the
parser is built as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import lark
from lark import Lark

from .. import __version__

# The options that shape the tables, celpy's own (celpy.celparser.CELParser).
BUILD_OPTIONS: Mapping[str, Any] = {
    "parser": "lalr",
    "start": "expr",
    "maybe_placeholders": False,
    "priority": "invert",
}
# What the callers may still choose when loading (Lark's _LOAD_ALLOWED_OPTIONS).
_LOADED = ("lexer_callbacks", "tree_class", "debug", "propagate_positions", "g_regex_flags")
_FORMAT = "1"
CACHE_ENV = "POLICYGATE_CACHE_DIR"


def grammar_text() -> str:
    """celpy's ``cel.lark``, found without importing celpy (which takes a while)."""
    spec = importlib.util.find_spec("celpy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("cel-python (celpy) is not installed")
    return (Path(next(iter(spec.submodule_search_locations))) / "cel.lark").read_text("utf-8")


def cel_parser(
    *,
    lexer_callbacks: Mapping[str, Callable[[Any], Any]],
    tree_class: Any = None,
    debug: bool = False,
) -> Lark:
    """cel-python's grammar as a Lark LALR parser (positions kept, ``re.M``),
    loaded from the cache when it can be, else built (and cached)."""
    load: dict[str, Any] = {
        "lexer_callbacks": dict(lexer_callbacks),
        "tree_class": tree_class,
        "debug": debug,
        "propagate_positions": True,
        "g_regex_flags": re.M,
    }
    grammar = grammar_text()
    key = cache_key(grammar)
    entry = cache_file(key)
    if entry is not None:
        data = _read(entry, key)
        if data is not None:
            try:
                return _load(data, load)
            except Exception:  # noqa: BLE001 - a bad entry is rebuilt, never trusted
                pass
    # Built without debug, whose tables name their states by number and can be saved
    # (debug only changes what Lark prints when a callback raises); then loaded from
    # what was saved, so that a miss gives the very parser a hit gives.
    try:
        built = Lark(grammar, **BUILD_OPTIONS, **{**load, "debug": False})
        text = _serialize(built, key)
    except Exception:  # noqa: BLE001 - then as celpy builds it, uncached
        return Lark(grammar, **BUILD_OPTIONS, **load)
    if entry is not None:
        _write(entry, text)
    stored = json.loads(text, object_hook=_decode)
    return _load(stored["parser"], load)


def _load(data: dict[str, Any], options: Mapping[str, Any]) -> Lark:
    return Lark.__new__(Lark)._load(data, **options)


def prepare_celpy() -> None:
    """Give celpy its parser from the cache. celpy keeps one parser for every
    environment (``CELParser.CEL_PARSER``) and builds it, with these options, only
    when there is none yet."""
    import celpy
    from celpy.celparser import CELParser

    if CELParser.CEL_PARSER is None:
        CELParser.CEL_PARSER = cel_parser(
            lexer_callbacks={"IDENT": CELParser.ambiguous_literals},
            tree_class=celpy.InterpretedRunner.tree_node_class,
            debug=True,
        )


def cache_key(grammar: str) -> str:
    parts = [_FORMAT, grammar, lark.__version__, __version__, "{}.{}".format(*sys.version_info[:2]),
             repr(sorted(BUILD_OPTIONS.items()))]  # fmt: skip
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def cache_dir() -> Path | None:
    """Where cached parsers live; ``None`` when caching is off or there is no home."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "policygate"
    try:
        return Path.home() / ".cache" / "policygate"
    except (RuntimeError, KeyError, OSError):
        return None


def cache_file(key: str) -> Path | None:
    directory = cache_dir()
    return None if directory is None else directory / f"cel-grammar-{key[:40]}.json"


def _read(entry: Path, key: str) -> dict[str, Any] | None:
    try:
        stored = json.loads(entry.read_text("utf-8"), object_hook=_decode)
    except (OSError, ValueError, TypeError, RecursionError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    data = stored.get("parser")
    return data if isinstance(data, dict) else None


def _serialize(parser: Lark, key: str) -> str:
    """What Lark's own cache keeps (``Lark.save``), as JSON."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOADED}
    stored = {"key": key, "parser": _encode({"data": data, "memo": memo})}
    return json.dumps(stored, separators=(",", ":"))


def _write(entry: Path, text: str) -> None:
    from ..files import write_atomic

    with contextlib.suppress(Exception):  # no cache is only slower
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(entry, text)


# JSON has neither tuples nor non-string keys; Lark's data has both.
_TUPLE = "\x00tuple"
_ITEMS = "\x00items"


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        return int(value)  # a RegexFlag is an int
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("\x00") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {_ITEMS: [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _TUPLE in obj:
            return tuple(obj[_TUPLE])
        if _ITEMS in obj:
            return {_key(k): v for k, v in obj[_ITEMS]}
    return obj


def _key(value: Any) -> Any:
    return tuple(_key(v) for v in value) if isinstance(value, (list, tuple)) else value


__all__ = [
    "BUILD_OPTIONS",
    "CACHE_ENV",
    "cache_dir",
    "cache_file",
    "cache_key",
    "cel_parser",
    "prepare_celpy",
]
