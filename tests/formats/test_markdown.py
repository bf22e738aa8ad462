"""Markdown for PR comments and step summaries: exact output, and inert untrusted text."""

from __future__ import annotations

import pytest

from policygate.formats import render
from policygate.formats.markdown import escape
from policygate.report import (
    ModelReport,
    PolicyRef,
    PolicyUse,
    Report,
    Result,
    Status,
    WaiverUse,
    control_statuses,
)

NOW = "2026-11-26T00:00:00Z"
RESULTS = (
    Result(policy="p", rule="auc", status=Status.FAIL, message="AUC 0.7 < 0.8", item=0,
           controls=("eu-ai-act:art-15",), remediation="Retrain.", title="AUC"),
    Result(policy="p", rule="owner", status=Status.ERROR, severity="warning",
           message="no such key: owner"),
    Result(policy="p", rule="gap", status=Status.WAIVED, message="gap 0.18",
           waiver=WaiverUse("w1", "w.yaml", "Retraining planned.", "carol@example.com",
                            "2027-01-01T00:00:00Z", False)),
    Result(policy="p", rule="later", status=Status.SKIP, message="when is false"),
    Result(policy="p", rule="ok", status=Status.PASS, title="Owner set"),
)  # fmt: skip
BAD = ModelReport("bad", "2", "models/bad.yaml", False, (PolicyUse("p", True),), RESULTS,
                  control_statuses(RESULTS))  # fmt: skip
GOOD = ModelReport("good", "1", "models/good.yaml", True, (PolicyUse("p", True),), RESULTS[4:],
                   control_statuses(RESULTS[4:]))  # fmt: skip
POLICY = PolicyRef("p", "1.0", "p.yaml", "sha256:" + "a" * 64)

FAILED = """\
## ❌ policygate: failed — 1 of 2 models failed

2 models, 1 passed, 1 failed · 2 pass, 1 fail, 1 error, 1 skip, 1 waived

now 2026-11-26T00:00:00Z · fail on error · policies p@1.0

### bad@2 — ❌ failed

Source: models/bad.yaml

| Status | Rule | Severity | Finding | Fix |
|---|---|---|---|---|
| 🛑 error | p/owner | warning | no such key: owner |  |
| ❌ fail | p/auc\\[0\\] | error | AUC 0.7 &lt; 0.8 | Retrain. |
| ⚠️ waived | p/gap | error | gap 0.18<br>waiver w1 (until 2027-01-01T00:00:00Z, \
carol@example.com) |  |

<details>
<summary>All results (5): 1 pass, 1 fail, 1 error, 1 skip, 1 waived</summary>

| Status | Rule | Severity | Finding | Fix |
|---|---|---|---|---|
| 🛑 error | p/owner | warning | no such key: owner |  |
| ❌ fail | p/auc\\[0\\] | error | AUC 0.7 &lt; 0.8 | Retrain. |
| ⚠️ waived | p/gap | error | gap 0.18<br>waiver w1 (until 2027-01-01T00:00:00Z, \
carol@example.com) |  |
| ✅ pass | p/ok | error | Owner set |  |
| ⏭️ skip | p/later | error | when is false |  |

</details>

<details>
<summary>Controls: 1 violated</summary>

| Control | Status | Evidence |
|---|---|---|
| eu-ai-act:art-15 | violated | p/auc |

</details>

### good@1 — ✅ passed

Source: models/good.yaml

| Status | Rule | Severity | Finding | Fix |
|---|---|---|---|---|
| ✅ pass | every rule | — | 1 pass, 0 fail, 0 error, 0 skip, 0 waived | — |

<details>
<summary>All results (1): 1 pass, 0 fail, 0 error, 0 skip, 0 waived</summary>

| Status | Rule | Severity | Finding | Fix |
|---|---|---|---|---|
| ✅ pass | p/ok | error | Owner set |  |

</details>
"""

PASSED_HEAD = """\
## ✅ policygate: passed — 1 of 1 models pass

1 model, 1 passed, 0 failed · 1 pass, 0 fail, 0 error, 0 skip, 0 waived
"""

NOTHING_HEAD = """\
## 🛑 policygate: nothing evaluated (no model found)
"""


@pytest.mark.parametrize(
    ("models", "policies", "expected"),
    [
        ((GOOD, BAD), (POLICY,), FAILED),  # the failing model comes first
        ((GOOD,), (), PASSED_HEAD),
        ((), (), NOTHING_HEAD),
    ],
)
def test_exact_output(models, policies, expected):
    text = render(Report(now=NOW, fail_on="error", models=models, policies=policies), "markdown")
    assert text.startswith(expected)
    if expected is FAILED:
        assert text == expected


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        ("a | b", "a \\| b"),
        ("*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"),
        ("[link](http://x)", "\\[link\\](http://x)"),
        ("ping @octo-org/team", "ping @\u200bocto-org/team"),
        ("see #12", "see \\#\u200b12"),
        ("bob@example.com", "bob@example.com"),  # an e-mail address is no mention
        ("a & b", "a &amp; b"),
    ],
)
def test_escape(raw, escaped):
    assert escape(raw) == escaped


def test_hostile_model_cannot_break_the_table(hostile_report):
    text = render(hostile_report, "markdown")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for row in rows:
        # Every row has exactly its columns: no unescaped pipe, no line break.
        assert row.replace("\\|", "").count("|") in (4, 6)
    assert "<script>" not in text and "<img" not in text
    assert "](http" not in text.replace("\\](http", "")
    assert "@octo-org" not in text


def test_examples_render(example_report):
    text = render(example_report, "markdown")
    assert text.startswith("## ❌ policygate: failed — 2 of 4 models failed\n")
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    assert [s.split(" — ")[1] for s in sections] == ["❌ failed"] * 2 + ["✅ passed"] * 2
    assert text.count("<details>") == text.count("</details>") >= 4


def _many(example_report, copies: int):
    """The shipped examples' models, ``copies`` times over (distinct names)."""
    from dataclasses import replace

    from policygate.report import Report

    models = tuple(
        replace(model, name=f"{model.name}-{n}")
        for n in range(copies)
        for model in example_report.models
    )
    return Report(now=example_report.now, fail_on=example_report.fail_on, models=models,
                  policies=example_report.policies)  # fmt: skip


def test_a_report_too_long_for_github_is_cut_with_a_note(example_report):
    """GitHub refuses a comment or job summary over 65,536 characters: 400 models
    (6.2 MB before) fit, failing models first, each with what needs attention."""
    big = _many(example_report, 100)
    text = render(big, "markdown")
    assert len(text) <= 65_536
    assert text.startswith("## ❌ policygate: failed — 200 of 400 models failed")
    assert text.rstrip("\n").splitlines()[-1].startswith(
        "> ✂️ Cut to GitHub's 65,536-character limit: each model shows only what needs "
        "attention, without its full result and control lists; "
    )
    assert "<details>" not in text
    shown = [line for line in text.splitlines() if line.startswith("### ")]
    assert shown and all("failed" in line for line in shown)  # failing models first
    hidden = 400 - len(shown)
    assert f"; {hidden} more models ({200 - len(shown)} failed) not shown." in text


def test_a_report_that_fits_is_not_cut(example_report):
    text = render(example_report, "markdown")
    assert "Cut to GitHub" not in text and text.count("<details>") >= 4


@pytest.mark.parametrize("limit", [5_000, 20_000, 65_536])
def test_the_cut_report_keeps_to_its_limit(example_report, limit):
    from policygate.formats.markdown import render as markdown

    text = markdown(_many(example_report, 30), max_chars=limit)
    assert len(text) <= limit and "Cut to GitHub" in text


def test_a_policy_that_does_not_apply_is_one_row_not_one_per_rule(example_report):
    text = render(example_report, "markdown")
    assert "| ⏭️ skip | limited-risk-promotion (15 rules) | — | the policy does not apply" in text
    assert "| ⏭️ skip | limited-risk-promotion/" not in text
    assert "| ⏭️ skip | production-promotion (" in text  # for the limited-risk model


def _items(count: int, message: str = "gap 0.2 > 0.1") -> ModelReport:
    """One model whose for_each rule failed on ``count`` items."""
    results = tuple(
        Result(policy="p", rule="gap", status=Status.FAIL, message=message, item=n)
        for n in range(count)
    )
    return ModelReport("huge", "1", "models/huge.yaml", False, (PolicyUse("p", True),), results,
                       control_statuses(results))  # fmt: skip


@pytest.mark.parametrize("count", [2_000, 20_000])
def test_a_model_too_big_to_fit_shows_its_first_findings_and_how_many_more(count):
    """A model whose findings alone pass GitHub's limit was left out whole: the
    comment said a model failed and not which rule. It shows the findings that
    fit, in order, and one row with the count of the rest."""
    from policygate.formats.markdown import render as markdown

    report = Report(now=NOW, fail_on="error", models=(_items(count), GOOD), policies=(POLICY,))
    text = markdown(report)
    assert len(text) <= 65_536
    rows = [line for line in text.splitlines() if line.startswith("| ❌ fail | p/gap")]
    assert len(rows) > 100 and rows[0].startswith("| ❌ fail | p/gap\\[0\\] |")
    assert rows[-1].startswith(f"| ❌ fail | p/gap\\[{len(rows) - 1}\\] |")  # in order, none lost
    assert f"| ✂️ | {count - len(rows):,} more findings of this model not shown |" in text
    assert "### huge@1 — ❌ failed" in text
    assert "; 1 more model (0 failed) not shown." in text  # the passing model, left out


def test_a_model_that_fits_only_in_part_is_cut_after_the_models_before_it():
    from policygate.formats.markdown import render as markdown

    small = _items(3)
    small = ModelReport("small", "1", small.source, False, small.policies, small.results,
                        small.controls)  # fmt: skip
    report = Report(now=NOW, fail_on="error", models=(small, _items(5_000)), policies=(POLICY,))
    text = markdown(report, max_chars=20_000)
    assert len(text) <= 20_000
    assert text.index("### small@1") < text.index("### huge@1")
    assert text.count("| ❌ fail | p/gap\\[") > 100 and "more findings of this model" in text
