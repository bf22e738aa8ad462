"""``matches()``: policygate's one RE2 search, with CEL's error for a bad pattern.

RE2 (google-re2) runs in time linear in the text, whatever the pattern: a record's
pattern or text cannot make a rule slow (SECURITY.md, T-CEL regexes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import re2  # type: ignore[import-untyped]

from policygate.cel.lang.errors import EvalError, quoted


def search(pattern: str, text: str) -> bool:
    """Whether RE2 finds ``pattern`` anywhere in ``text`` (each pattern compiled once)."""
    try:
        return matches(text, pattern)
    except re2.error as error:
        raise EvalError(str(error), "bad_regex") from None


def matches(text: str, pattern: str) -> bool:
    """Whether RE2 finds ``pattern`` anywhere in ``text`` (``re2.search(pattern, text)
    is not None``, as CEL's ``matches()`` means), with each pattern compiled once.

    A bad pattern raises ``re2.error``, as ``re2.search`` does, in policygate's
    words; RE2 itself logs nothing (its absl log would go to stderr)."""
    return _searcher(pattern)(text)


def searcher(pattern: str) -> Callable[[str], bool] | None:
    """The search for ``pattern`` (compiled once), or None when it does not compile."""
    try:
        re2.compile(pattern, _quiet())
    except re2.error:
        return None
    return _searcher(pattern)


def _quiet() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


_NO_MATCH = (-1, -1)

#: What compiling a pattern costs, in the engine's units, past reading it: RE2
#: compiles three or four instructions a microsecond (``\\pL{200}`` is 239,204 of
#: them, 65 ms), and gives up on a program past its memory (``\\pL{1000}``: 40 ms);
#: two instructions a unit keeps a default budget of new patterns within a second.
_INSTRUCTIONS_PER_UNIT = 2
_TOO_LARGE_UNITS = 100_000


def compile_units(pattern: str) -> int:
    """The units compiling ``pattern`` costs (the same whether it is cached or not):
    its RE2 program's size over :data:`_INSTRUCTIONS_PER_UNIT`; a pattern RE2 gives
    up on as too large costs what the largest it compiles would."""
    return _compiled(pattern)[1]


def _searcher(pattern: str) -> Callable[[str], bool]:
    return _compiled(pattern)[0]


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> tuple[Callable[[str], bool], int]:
    """The search for ``pattern`` and what compiling it costs (:func:`compile_units`)."""
    options = re2.Options()
    options.log_errors = False  # else "re2.cc:242] Error parsing ..." on stderr
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        if len(reason) > 40:  # RE2 quotes the part of the pattern it stopped at
            reason = reason[:40] + "..."
        message = f"matches(): invalid pattern {quoted(str(pattern))}: {reason}"

        def refuse(text: str) -> bool:  # a bad pattern is compiled (and refused) once too
            raise re2.error(message)

        return refuse, _TOO_LARGE_UNITS if "too large" in str(reason) else 0
    size = getattr(compiled, "programsize", 0)
    units = size // _INSTRUCTIONS_PER_UNIT if type(size) is int else 0
    # google-re2's search() turns every span into character offsets and builds a
    # match object (~10 µs); a yes or no needs only its RE2 object's first span.
    native = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    match = getattr(native, "Match", None)
    if match is None or anchor is None:
        return (lambda text: compiled.search(text) is not None), units

    def search(text: str) -> bool:
        if type(text) is not str:
            return compiled.search(text) is not None
        encoded = text.encode("utf-8")
        return bool(match(anchor, encoded, 0, len(encoded))[0] != _NO_MATCH)

    return search, units
