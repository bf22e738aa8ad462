"""The audit summary prints rule ids, control ids and unreadable sources inert (issue 14)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_text import hostile_text, unsafe
from policygate.audit import unreadable
from policygate.audit.summary import AuditSummary
from policygate.report import ModelReport, PolicyUse, Result, Status, control_statuses

TEXT = hostile_text("audit: 1 model, 1 passed, 0 failed")


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
