"""``policygate diff`` prints model names, sources and messages inert (issue 14)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_text import hostile_text, unsafe
from policygate.diff import Change, Impact, ModelChange, ResultChange, render_text

TEXT = hostile_text("passed -> FAILED")


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=5, max_size=5))
def test_the_impact_prints_no_unsafe_character(t):
    change = ResultChange(t[0], t[1], t[2], t[3], "pass", "fail", "error",
                          Change.NEWLY_FAILING, "message " + t[4])  # fmt: skip
    impact = Impact("2026-11-26T00:00:00Z", 1, (ModelChange(t[0], t[1], True, False),), (change,))
    text = render_text(impact)
    assert unsafe(text) == []
    assert len(text.splitlines()) == 5  # the model, its change, the message, a blank, the summary
