"""Text from records made inert for a terminal or a CI log: the one escaping they share.

Model records, waivers and the decision log are untrusted. A string from one
that reaches a terminal or a CI log must not be able to move the cursor, clear
the screen, ring the bell, start a line that looks like a verdict, or reorder
what is shown around it. :func:`inert` writes every such character as its
escape, in the notation Python uses (``\\x1b``, ``\\u202e``, ``\\U000e0001``):

- every control character (Unicode category Cc: C0, DEL and C1, so also
  ``\\n``, ``\\r``, ``\\t`` and NEL);
- every format character (Cf): the bidirectional embeddings, overrides and
  isolates (U+202A-U+202E, U+2066-U+2069), the marks U+200E, U+200F and
  U+061C, zero-width spaces, the BOM, tag characters... but the zero-width
  joiner and non-joiner (U+200C, U+200D), which emoji and several scripts need
  and which can neither break nor reorder a line;
- the line and paragraph separators (Zl, Zp: U+2028, U+2029);
- lone surrogates (Cs), which no terminal encoding can carry.

Everything else, printable text in any script, is left as it is. A format
whose syntax needs a control character from the text (Markdown's line breaks,
the line breaks GitHub's annotations encode as ``%0A``) names it in ``keep``
and deals with it itself.

Every output read in a terminal or a CI log uses it: the ``text`` report,
``markdown``, ``github``, the texts of ``junit`` (which CI systems show),
``explain`` (and ``check --explain``), ``log show``, ``diff`` and the audit
summary.
"""

from __future__ import annotations

import re

# Cc, Cf (but U+200C and U+200D), Zl, Zp and Cs, written out so that importing
# this costs nothing; tests/formats/test_inert.py checks it against unicodedata.
_UNSAFE = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # Cc
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"  # Cf
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\u2028\u2029"  # Zl, Zp
    "\ud800-\udfff"  # Cs
    "]"
)


def escape(char: str) -> str:
    """One character's escape: ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escaped(match: re.Match[str]) -> str:
    return escape(match.group())


def inert(text: object, keep: str = "") -> str:
    """``str(text)`` with every character that could rewrite a terminal or a log
    line escaped, but those in ``keep``."""
    value = str(text)
    if _UNSAFE.search(value) is None:
        return value
    if not keep:
        return _UNSAFE.sub(_escaped, value)
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else escape(m.group()), value)


__all__ = ["escape", "inert"]
