"""The audit summary prints rule ids, control ids and unreadable sources inert (issue 14)."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.audit import unreadable
from policygate.audit.summary import AuditSummary
from policygate.report import ModelReport, PolicyUse, Result, Status, control_statuses

JOINERS = "\u200c\u200d"
PICKS = [chr(c) for c in range(0x20)] + list(
    "\x7f\x85\x9b\u2028\u2029\ufeff\u200b\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ud800"
) + ["\x1b[2J", "\r\n", "audit: 1 model, 1 passed, 0 failed"]  # fmt: skip
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
def test_the_summary_prints_no_unsafe_character(t):
    results = (
        Result(policy=t[0], rule=t[1], status=Status.FAIL, controls=(t[2],)),
        Result(policy="p", rule="later", status=Status.PASS, controls=("c:" + t[2],)),
    )
    summary = AuditSummary()
    summary.add(ModelReport("m", "1", "m.yaml", False, (PolicyUse("p", True),), results,
                            control_statuses(results)))  # fmt: skip
    summary.add(unreadable(t[3], t[4]))
    text = summary.render()
    assert unsafe(text) == []
    assert text.splitlines()[0] == "audit: 2 models, 0 passed, 2 failed (1 could not be read)"
