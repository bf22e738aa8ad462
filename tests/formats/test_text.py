"""Tests for the text report: exact expected output, table-driven."""

from __future__ import annotations

import pytest

from policygate.formats import render
from policygate.formats.text import summary_line
from policygate.report import (
    ModelReport,
    PolicyUse,
    Report,
    Result,
    Status,
    WaiverUse,
    control_statuses,
)

NOW = "2026-11-26T00:00:00Z"


def result(status: str, rule: str, **kwargs) -> Result:
    return Result(policy="prod", rule=rule, status=Status(status), **kwargs)


def model(name: str, version: str, passed: bool, *results: Result, **kwargs) -> ModelReport:
    return ModelReport(
        name=name,
        version=version,
        source=f"models/{name}.yaml",
        passed=passed,
        policies=kwargs.pop("policies", (PolicyUse("prod", True),)),
        results=results,
        controls=control_statuses(results),
        **kwargs,
    )


GOOD = model("good", "1.0", True, result("pass", "a"), result("skip", "b", message="when is false"))
BAD = model(
    "bad",
    "2.0",
    False,
    result("pass", "ok", controls=("c:ok",)),
    result(
        "fail", "gap", item=0, message="gap is 0.18", remediation="Mitigate.", controls=("c:fair",)
    ),  # fmt: skip
    result(
        "error",
        "warn",
        severity="warning",
        message="cannot evaluate check: no such key: x",
        remediation="Add x.",
    ),  # fmt: skip
    result("fail", "info", severity="info", title="Only a title"),
    result(
        "waived",
        "ratio",
        item="sex",
        message="ratio is 0.7",
        remediation="Never shown for a waived result.",
        waiver=WaiverUse("w1", "w.yaml", "why", "carol@example.com", "2027-01-01T00:00:00Z", False),
    ),
    result(
        "fail",
        "approval",
        message="expired (waiver 'old' expired 2026-01-01T00:00:00Z)",
        waiver=WaiverUse("old", "w.yaml", "why", "dan@example.com", "2026-01-01T00:00:00Z", True),
    ),
    policies=(PolicyUse("prod", True), PolicyUse("limited", False), PolicyUse("x", None)),
)

BAD_TEXT = """\
FAILED  bad@2.0  models/bad.yaml
  not applicable: limited
  ERROR  prod/warn (warning)
         cannot evaluate check: no such key: x
         fix: Add x.
  FAIL   prod/gap[0] (error)
         gap is 0.18
         fix: Mitigate.
  FAIL   prod/approval (error)
         expired (waiver 'old' expired 2026-01-01T00:00:00Z)
         waiver old (expired 2026-01-01T00:00:00Z, dan@example.com)
  FAIL   prod/info (info)
         Only a title
  WAIVED prod/ratio[sex] (error)
         ratio is 0.7
         waiver w1 (until 2027-01-01T00:00:00Z, carol@example.com)
  1 pass, 3 fail, 1 error, 0 skip, 1 waived
  controls violated: c:fair
"""

GOOD_TEXT = """\
PASSED  good@1.0  models/good.yaml
  1 pass, 0 fail, 0 error, 1 skip, 0 waived
"""

GOOD_VERBOSE = """\
PASSED  good@1.0  models/good.yaml
  PASS   prod/a (error)
  SKIP   prod/b (error)
         when is false
  1 pass, 0 fail, 0 error, 1 skip, 0 waived
"""


@pytest.mark.parametrize(
    ("models", "verbose", "expected"),
    [
        (
            (GOOD,),
            False,
            GOOD_TEXT
            + "\n1 model, 1 passed, 0 failed · 1 pass, 0 fail, 0 error, 1 skip, 0 waived\n",
        ),
        (
            (GOOD,),
            True,
            GOOD_VERBOSE
            + "\n1 model, 1 passed, 0 failed · 1 pass, 0 fail, 0 error, 1 skip, 0 waived\n",
        ),
        (
            # failing models come first, whatever the input order
            (GOOD, BAD),
            False,
            BAD_TEXT
            + "\n"
            + GOOD_TEXT
            + "\n2 models, 1 passed, 1 failed · 2 pass, 3 fail, 1 error, 1 skip, 1 waived\n",
        ),
        (
            (),
            False,
            "nothing evaluated: no model found\n"
            "0 models, 0 passed, 0 failed · 0 pass, 0 fail, 0 error, 0 skip, 0 waived\n",
        ),
    ],
)
def test_text_report(models, verbose, expected):
    report = Report(now=NOW, fail_on="error", models=models)
    assert render(report, "text", verbose=verbose) == expected


def test_nothing_evaluated_is_said_before_the_summary():
    skipped = model("m", "", False, result("skip", "a"), evaluated=False)
    text = render(Report(now=NOW, fail_on="error", models=(skipped,)), "text")
    assert text == (
        "FAILED  m  models/m.yaml\n"
        "  0 pass, 0 fail, 0 error, 1 skip, 0 waived\n"
        "\n"
        "nothing evaluated: no rule applies to any model (every result is skip)\n"
        "1 model, 0 passed, 1 failed · 0 pass, 0 fail, 0 error, 1 skip, 0 waived\n"
    )


@pytest.mark.parametrize(
    ("counts", "line"),
    [
        (
            (3, 2, 41, 2, 1, 5, 1),
            "3 models, 2 passed, 1 failed · 41 pass, 2 fail, 1 error, 5 skip, 1 waived",
        ),
        (
            (1, 1, 1, 0, 0, 0, 0),
            "1 model, 1 passed, 0 failed · 1 pass, 0 fail, 0 error, 0 skip, 0 waived",
        ),
    ],
)
def test_summary_line(counts, line):
    n_models, n_passed, n_pass, n_fail, n_error, n_skip, n_waived = counts
    results: list[Result] = []
    for status, n in (("pass", n_pass), ("fail", n_fail), ("error", n_error), ("skip", n_skip),
                      ("waived", n_waived)):  # fmt: skip
        results.extend(result(status, f"{status}{i}") for i in range(n))
    models = [model("m0", "1", n_passed > 0, *results)]
    models += [model(f"m{i}", "1", i < n_passed) for i in range(1, n_models)]
    assert summary_line(Report(now=NOW, fail_on="error", models=tuple(models))) == line


def test_color_only_when_asked():
    report = Report(now=NOW, fail_on="error", models=(BAD, GOOD))
    plain = render(report, "text")
    colored = render(report, "text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31mFAILED\x1b[0m" in colored
    assert "\x1b[32mPASSED\x1b[0m" in colored
    assert "\x1b[33mWAIVED\x1b[0m" in colored
    # stripping the escapes gives the plain text back
    import re

    assert re.sub(r"\x1b\[\d+m", "", colored) == plain


def test_model_without_version_shows_the_name_only():
    text = render(
        Report(now=NOW, fail_on="error", models=(model("x", "", True, result("pass", "a")),))
    )
    assert text.startswith("PASSED  x  models/x.yaml\n")


def test_record_text_cannot_forge_a_verdict_line():
    hostile = model(
        "evil\nPASSED  good@1.0",
        "1\x1b[32m",
        False,
        result("fail", "a", message="ok\r\nPASSED  x@1\u2028y", severity="error"),
    )
    text = render(Report(now=NOW, fail_on="error", models=(hostile,)), "text")
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("PASSED")] == []
    assert "\x1b" not in text
    assert "evil\\x0aPASSED  good@1.0@1\\x1b[32m" in lines[0]
    assert "ok\\x0d\\x0aPASSED  x@1\\u2028y" in text
