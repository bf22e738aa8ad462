"""``policygate diff`` prints model names, sources and messages inert (issue 14)."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.diff import Change, Impact, ModelChange, ResultChange, render_text

JOINERS = "\u200c\u200d"
PICKS = [chr(c) for c in range(0x20)] + list(
    "\x7f\x85\x9b\u2028\u2029\ufeff\u200b\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ud800"
) + ["\x1b[2J", "\r\n", "passed -> FAILED"]  # fmt: skip
TEXT = st.lists(
    st.one_of(st.sampled_from(PICKS), st.characters(blacklist_categories=())), max_size=10
).map("".join)


def unsafe(output: str) -> list[str]:
    return [
        c
        for c in output
        if (unicodedata.category(c) == "Cc" and c != "\n")
        or unicodedata.category(c) in ("Zl", "Zp", "Cs")
        or (unicodedata.category(c) == "Cf" and c not in JOINERS)
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=5, max_size=5))
def test_the_impact_prints_no_unsafe_character(t):
    change = ResultChange(t[0], t[1], t[2], t[3], "pass", "fail", "error",
                          Change.NEWLY_FAILING, "message " + t[4])  # fmt: skip
    impact = Impact("2026-11-26T00:00:00Z", 1, (ModelChange(t[0], t[1], True, False),), (change,))
    text = render_text(impact)
    assert unsafe(text) == []
    assert len(text.splitlines()) == 5  # the model, its change, the message, a blank, the summary
