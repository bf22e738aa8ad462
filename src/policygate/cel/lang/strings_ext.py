"""The strings extension (cel-go's ``ext/strings``, latest version).

Indices count code points, as CEL's ``size()`` does. ``format`` implements
cel-go's clauses (``%s %d %f %e %x %X %o %b %%``, with a precision for
``%f``/``%e``); anything else is an error, never Python's ``%``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from policygate.cel.lang.errors import EvalError
from policygate.cel.lang.functions import format_double, to_string
from policygate.cel.lang.values import CelType, Duration, Timestamp, Uint, no_overload, type_name

Function = Callable[..., Any]


def _need(function: str, args: tuple[Any, ...], *types: type) -> None:
    if any(type(a) is not t for a, t in zip(args, types, strict=True)):
        raise no_overload(function, *args)


def _int_arg(function: str, value: Any, *others: Any) -> int:
    if type(value) is not int:
        raise no_overload(function, *others, value)
    return int(value)


def char_at(s: Any, i: Any) -> str:
    """``s.charAt(i)``: the code point at ``i``; ``''`` at ``size(s)``."""
    _need("charAt", (s, i), str, int)
    if i < 0 or i > len(s):
        raise EvalError(f"index out of range: {i}", "index_out_of_bounds")
    return str(s[i : i + 1])


def index_of(s: Any, sub: Any, offset: Any = 0) -> int:
    """``s.indexOf(sub[, offset])``: the first code-point index of ``sub``, or -1."""
    _need("indexOf", (s, sub), str, str)
    _int_arg("indexOf", offset, s, sub)
    if offset < 0 or offset > len(s):
        raise EvalError(f"index out of range: {offset}", "index_out_of_bounds")
    return int(s.find(sub, offset))


def last_index_of(s: Any, sub: Any, offset: Any = None) -> int:
    """``s.lastIndexOf(sub[, offset])``: the last index of ``sub`` at or before ``offset``."""
    _need("lastIndexOf", (s, sub), str, str)
    if offset is None:
        return int(s.rfind(sub))
    _int_arg("lastIndexOf", offset, s, sub)
    if offset < 0 or offset > len(s):
        raise EvalError(f"index out of range: {offset}", "index_out_of_bounds")
    return int(s.rfind(sub, 0, offset + len(sub)))


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def lower_ascii(s: Any) -> str:
    """``s.lowerAscii()``: ASCII letters only; other code points unchanged."""
    _need("lowerAscii", (s,), str)
    return str(s.translate(_ASCII_LOWER))


def upper_ascii(s: Any) -> str:
    """``s.upperAscii()``."""
    _need("upperAscii", (s,), str)
    return str(s.translate(_ASCII_UPPER))


def replace(s: Any, old: Any, new: Any, n: Any = -1) -> str:
    """``s.replace(old, new[, n])``: ``n`` < 0 replaces every occurrence."""
    _need("replace", (s, old, new), str, str, str)
    _int_arg("replace", n, s, old, new)
    return str(s.replace(old, new, n if n >= 0 else -1))


def split(s: Any, sep: Any, n: Any = -1) -> list[str]:
    """``s.split(sep[, n])``: Go's ``strings.SplitN``."""
    _need("split", (s, sep), str, str)
    _int_arg("split", n, s, sep)
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if 0 < n < len(chars):
            return chars[: n - 1] + ["".join(chars[n - 1 :])]
        return chars
    if n < 0:
        return list(s.split(sep))
    return list(s.split(sep, n - 1))


def substring(s: Any, start: Any, end: Any = None) -> str:
    """``s.substring(start[, end])``: code points ``[start, end)``."""
    _need("substring", (s,), str)
    _int_arg("substring", start, s)
    stop = len(s) if end is None else _int_arg("substring", end, s, start)
    if start < 0 or start > len(s):
        raise EvalError(f"index out of range: {start}", "index_out_of_bounds")
    if stop < 0 or stop > len(s):
        raise EvalError(f"index out of range: {stop}", "index_out_of_bounds")
    if start > stop:
        raise EvalError(f"invalid substring range. start: {start}, end: {stop}", "invalid_argument")
    return str(s[start:stop])


def _is_space(ch: str) -> bool:
    """Go's ``unicode.IsSpace``: ASCII space controls, NEL, NBSP and category Z."""
    return ch in "\t\n\v\f\r \x85\xa0" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def trim(s: Any) -> str:
    """``s.trim()``: leading and trailing white space (Unicode's, as Go sees it)."""
    _need("trim", (s,), str)
    start, end = 0, len(s)
    while start < end and _is_space(s[start]):
        start += 1
    while end > start and _is_space(s[end - 1]):
        end -= 1
    return str(s[start:end])


def join(items: Any, sep: Any = "") -> str:
    """``list.join([sep])``: a list of strings only."""
    if type(items) not in (list, tuple) or type(sep) is not str:
        raise no_overload("join", items, sep)
    for item in items:
        if type(item) is not str:
            raise no_overload("join", items, sep)
    return str(sep.join(items))


def reverse(s: Any) -> str:
    """``s.reverse()``: the code points in reverse order."""
    _need("reverse", (s,), str)
    return str(s[::-1])


_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def quote(s: Any) -> str:
    """``strings.quote(s)``: a double-quoted CEL string literal of ``s``."""
    _need("strings.quote", (s,), str)
    return '"' + "".join(_QUOTE_ESCAPES.get(ch, ch) for ch in s) + '"'


# -- format -----------------------------------------------------------------

_CLAUSE = re.compile(r"%(?:\.(\d+))?(.)", re.DOTALL | re.ASCII)


def format_string(template: Any, args: Any) -> str:
    """``template.format(args)``: cel-go's formatting clauses, one argument each."""
    if type(template) is not str or type(args) not in (list, tuple):
        raise no_overload("format", template, args)
    out: list[str] = []
    pos = 0
    index = 0
    while True:
        at = template.find("%", pos)
        if at < 0:
            out.append(template[pos:])
            return "".join(out)
        out.append(template[pos:at])
        clause = _CLAUSE.match(template, at)
        if clause is None:
            raise EvalError("could not parse formatting clause: missing verb", "invalid_argument")
        precision_text, verb = clause.group(1), clause.group(2)
        pos = clause.end()
        if verb == "%" and precision_text is None:
            out.append("%")
            continue
        if verb not in _VERBS:
            raise EvalError(
                f'could not parse formatting clause: unrecognized formatting clause "{verb}"',
                "invalid_argument",
            )
        if index >= len(args):
            raise EvalError(f"index {index} out of range", "invalid_argument")
        value = args[index]
        index += 1
        if precision_text is not None and len(precision_text.lstrip("0")) > 18:
            raise EvalError(  # (as Go's Atoi past int64; int() refuses 4,300 digits)
                "could not parse formatting clause: unable to convert precision specifier "
                "to integer",
                "invalid_argument",
            )
        precision = int(precision_text.lstrip("0") or "0") if precision_text is not None else None
        out.append(_VERBS[verb](value, precision))


def _fail(message: str, value: Any) -> EvalError:
    return EvalError(
        f"error during formatting: {message}, was given {type_name(value)}", "invalid_argument"
    )


def _special(value: float) -> str | None:
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return None


def _as_string(value: Any, precision: int | None = None) -> str:
    t = type(value)
    if t is str:
        return str(value)
    if t is bytes:
        return value.decode("utf-8", "replace")
    if t is type(None):
        return "null"
    if t is float:
        return _special(value) or format_double(value)
    if t is list or t is tuple:
        return "[" + ", ".join(_as_string(v) for v in value) + "]"
    if t is dict:
        entries = sorted((_as_string(k), _as_string(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"
    if t is CelType:
        return str(value.name)
    if t in (bool, int, Uint, Timestamp, Duration):
        return to_string(value)
    raise _fail(
        "string clause can only be used on strings, bools, bytes, ints, doubles, maps, "
        "lists, types, durations, and timestamps",
        value,
    )


def _decimal(value: Any, precision: int | None) -> str:
    t = type(value)
    if t is int or t is Uint:
        return str(int(value))
    if t is float and _special(value):
        return str(_special(value))
    raise _fail("decimal clause can only be used on integers", value)


def _number(value: Any, clause: str) -> float:
    t = type(value)
    if t is float:
        return float(value)
    if t is int or t is Uint:
        return float(value)
    raise _fail(f"{clause} clause can only be used on doubles", value)


def _fixed(value: Any, precision: int | None) -> str:
    number = _number(value, "fixed-point")
    return _special(number) or f"{number:.{6 if precision is None else precision}f}"


def _scientific(value: Any, precision: int | None) -> str:
    number = _number(value, "scientific")
    return _special(number) or f"{number:.{6 if precision is None else precision}e}"


def _hex(upper: bool) -> Callable[[Any, int | None], str]:
    def render(value: Any, precision: int | None) -> str:
        t = type(value)
        if t is int or t is Uint:
            text = f"{int(value):x}" if value >= 0 else f"-{-int(value):x}"
        elif t is str:
            text = value.encode("utf-8").hex()
        elif t is bytes:
            text = value.hex()
        else:
            raise _fail("only integers, byte buffers, and strings can be formatted as hex", value)
        return text.upper() if upper else text

    return render


def _octal(value: Any, precision: int | None) -> str:
    t = type(value)
    if t is int or t is Uint:
        return f"{int(value):o}" if value >= 0 else f"-{-int(value):o}"
    raise _fail("octal clause can only be used on integers", value)


def _binary(value: Any, precision: int | None) -> str:
    t = type(value)
    if t is bool:
        return "1" if value else "0"
    if t is int or t is Uint:
        return f"{int(value):b}" if value >= 0 else f"-{-int(value):b}"
    raise _fail("only integers and bools can be formatted as binary", value)


_VERBS: dict[str, Callable[[Any, int | None], str]] = {
    "s": _as_string,
    "d": _decimal,
    "f": _fixed,
    "e": _scientific,
    "x": _hex(False),
    "X": _hex(True),
    "o": _octal,
    "b": _binary,
}

#: name -> (function, argument counts with the receiver).
STRINGS_EXT: dict[str, tuple[Function, frozenset[int]]] = {
    "charAt": (char_at, frozenset({2})),
    "indexOf": (index_of, frozenset({2, 3})),
    "lastIndexOf": (last_index_of, frozenset({2, 3})),
    "lowerAscii": (lower_ascii, frozenset({1})),
    "upperAscii": (upper_ascii, frozenset({1})),
    "replace": (replace, frozenset({3, 4})),
    "split": (split, frozenset({2, 3})),
    "substring": (substring, frozenset({2, 3})),
    "trim": (trim, frozenset({1})),
    "join": (join, frozenset({1, 2})),
    "reverse": (reverse, frozenset({1})),
    "strings.quote": (quote, frozenset({1})),
    "format": (format_string, frozenset({2})),
}
