"""The engine's small CEL function library, the same on every backend.

- ``days(n)``: a duration of ``n`` days (``n`` int or double), so that a rule can
  say ``now - timestamp(a.granted_at) < days(params.max_age_days)``.

And what both backends call for CEL's own ``matches()``: :func:`matches`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

SECONDS_PER_DAY = 86_400

FUNCTION_NAMES = ("days",)


def matches(text: str, pattern: str) -> bool:
    """Whether RE2 finds ``pattern`` anywhere in ``text``: cel-python's ``matches()``
    (``re2.search(pattern, text) is not None``), with each pattern compiled once.

    A bad pattern raises ``re2.error``, as ``re2.search`` does, in policygate's
    words; RE2 itself logs nothing (its absl log would go to stderr)."""
    return _searcher(pattern)(text)


_NO_MATCH = (-1, -1)


@functools.lru_cache(maxsize=256)
def _searcher(pattern: str) -> Callable[[str], bool]:
    import re2  # google-re2, which cel-python's matches() uses

    options = re2.Options()
    options.log_errors = False  # else "re2.cc:242] Error parsing ..." on stderr
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        message = f"matches(): invalid pattern {str(pattern)!r}: {reason}"

        def refuse(text: str) -> bool:  # a bad pattern is compiled (and refused) once too
            raise re2.error(message)

        return refuse
    # google-re2's search() turns every span into character offsets and builds a
    # match object (~10 µs); a yes or no needs only its RE2 object's first span.
    native = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    match = getattr(native, "Match", None)
    if match is None or anchor is None:
        return lambda text: compiled.search(text) is not None

    def search(text: str) -> bool:
        if type(text) is not str:
            return compiled.search(text) is not None
        encoded = text.encode("utf-8")
        return bool(match(anchor, encoded, 0, len(encoded))[0] != _NO_MATCH)

    return search
