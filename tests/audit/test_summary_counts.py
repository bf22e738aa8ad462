"""The audit summary's counts are what the model reports say, counted one by one."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from policygate.audit.summary import LOAD_RULE, AuditSummary
from policygate.report import ModelReport, Result, Status

RESULTS = st.builds(
    Result,
    policy=st.sampled_from(["p", "q", LOAD_RULE[0]]),
    rule=st.sampled_from(["a", "b", LOAD_RULE[1]]),
    status=st.sampled_from(list(Status)),
    message=st.one_of(st.none(), st.sampled_from(["", "unreadable: x", "no"])),
)
MODELS = st.builds(
    lambda results, passed: ModelReport(name="m", version="1", source="s", passed=passed,
                                        policies=(), results=tuple(results)),  # fmt: skip
    st.lists(RESULTS, max_size=8),
    st.booleans(),
)


def _is_load(result: Result) -> bool:
    return (result.policy, result.rule) == LOAD_RULE


@given(st.lists(MODELS, max_size=15))
def test_the_summary_counts_what_the_reports_say(models):
    summary = AuditSummary()
    for model in models:
        summary.add(model)
    assert summary.models == len(models)
    assert summary.passed == sum(m.passed for m in models)
    assert summary.results == Counter(r.status.value for m in models for r in m.results)
    failing: Counter[str] = Counter()
    for model in models:
        found = Status.FAIL, Status.ERROR
        failing.update({r.rule_ref for r in model.results if r.status in found and not _is_load(r)})
    assert summary.failing_rules == failing
    unreadable = [m for m in models if any(_is_load(r) for r in m.results)]
    assert summary.unreadable == len(unreadable)
    assert summary.unreadable_examples == [
        str(next(r.message for r in m.results if _is_load(r))) for m in unreadable[:10]
    ]
