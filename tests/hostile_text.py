"""Text a record may hold to attack a terminal or a CI log, and the test of output
that must hold none of it (SECURITY.md T-OUT-1). Shared by the output tests;
``tests/`` is on the test path (pyproject.toml)."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

JOINERS = "\u200c\u200d"
"""The two format characters outputs keep: emoji and several scripts need them."""
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE = (
    [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\ufeff"]
    + list(BIDI) + ["\u200b", "\u00ad", "\U000e0001", "\ud800", "\udfff", "\x1b[2J",
    "\x1b[31m", "\x1b]0;title\x07", "\r\n"]
)  # fmt: skip
"""Every class of character the outputs must keep out, and terminal sequences."""


def hostile_text(
    *extra: str, max_size: int = 10, surrogates: bool = True
) -> st.SearchStrategy[str]:
    """Strings leaning on :data:`HOSTILE` and on ``extra`` (a format's own syntax, a
    line that would look like a verdict), mixed with any other character. Without
    ``surrogates``, none is lone (text that went through a file cannot hold one)."""
    picks = [p for p in HOSTILE + list(extra) if surrogates or not _has_surrogate(p)]
    others = st.characters(blacklist_categories=() if surrogates else ("Cs",))
    return st.lists(st.one_of(st.sampled_from(picks), others), max_size=max_size).map("".join)


def _has_surrogate(text: str) -> bool:
    return any(unicodedata.category(c) == "Cs" for c in text)


def unsafe(output: str, allowed: str = "\n") -> list[str]:
    """The characters of ``output`` in a class that must not reach a terminal or a
    log: controls but ``allowed``, format characters but the joiners, line and
    paragraph separators, lone surrogates."""
    found = []
    for char in output:
        category = unicodedata.category(char)
        if (
            (category == "Cc" and char not in allowed)
            or category in ("Zl", "Zp", "Cs")
            or (category == "Cf" and char not in JOINERS and char not in allowed)
        ):
            found.append(char)
    return found
