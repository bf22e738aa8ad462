"""Record text that reaches a terminal or a CI log is inert (issue 14, item 10).

One helper, :func:`policygate.formats.inert.inert`, escapes every control
character, every format character but the joiners (so every bidirectional
override, isolate and mark), the line and paragraph separators and lone
surrogates. The properties: for any string a record can carry, the ``text``,
``markdown`` and ``github`` outputs hold none of those characters but the
format's own line breaks (and the ANSI colours ``text`` itself paints).
"""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile_text import JOINERS, hostile_text, unsafe
from policygate.formats import render
from policygate.formats.inert import inert
from policygate.report import (
    ControlState,
    ControlStatus,
    ModelReport,
    PolicyRef,
    PolicyUse,
    Report,
    Result,
    RiskUse,
    Status,
    WaiverUse,
    control_statuses,
)

NOW = "2026-11-26T00:00:00Z"
# Besides what hostile_text leans on, the syntax of each format.
RECORD_TEXT = hostile_text("%", ":", ",", "::", "|", "<", "@", "#", "\\", "`", "*", max_size=12)


def test_inert_escapes_exactly_the_unsafe_classes_of_this_unicode():
    """Every code point, against the running Python's unicodedata."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        expected = category in ("Cc", "Zl", "Zp", "Cs")
        expected = expected or (category == "Cf" and char not in JOINERS)
        if category == "Cn" and 0x13439 <= code <= 0x1343F:
            expected = True  # format characters since Unicode 15, escaped already
        assert (inert(char) != char) is expected, f"U+{code:04X} ({category})"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, é, 中文, emoji 👩\u200d💻", "plain text, é, 中文, emoji 👩\u200d💻"),
        ("a\nb\r\tc", "a\\x0ab\\x0d\\x09c"),
        ("\x1b[2J\x07\x00\x7f\x85\x9b", "\\x1b[2J\\x07\\x00\\x7f\\x85\\x9b"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("\u2066x\u2069 \u200e\u200f\u061c", "\\u2066x\\u2069 \\u200e\\u200f\\u061c"),
        ("\u2028\u2029\ufeff\u200b", "\\u2028\\u2029\\ufeff\\u200b"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("\ud800", "\\ud800"),
    ],
)
def test_inert_examples(raw, shown):
    assert inert(raw) == shown


def test_inert_keeps_what_the_caller_asks_for():
    assert inert("a\nb\tc\x1b", keep="\n") == "a\nb\\x09c\\x1b"
    assert inert(12) == "12"


def _report(texts: list[str]) -> Report:
    t = iter(texts * 2)
    waiver = WaiverUse(next(t), next(t), next(t), next(t), next(t), False)
    results = (
        Result(policy=next(t), rule=next(t), status=Status.FAIL, message=next(t), title=next(t),
               item=next(t), remediation=next(t), controls=(next(t),), line=3),
        Result(policy="p", rule="e", status=Status.ERROR, severity="warning", message=next(t)),
        Result(policy="p", rule="w", status=Status.WAIVED, message=next(t), waiver=waiver),
        Result(policy="p", rule="ok", status=Status.PASS, title=next(t)),
    )  # fmt: skip
    controls = (
        *control_statuses(results),
        ControlStatus(next(t), ControlState.VIOLATED, ("p/x",), title=next(t), risks=(next(t),),
                      via=(next(t),)),
    )  # fmt: skip
    model = ModelReport(
        name=next(t),
        version=next(t),
        source=next(t),
        passed=False,
        policies=(PolicyUse(next(t), True), PolicyUse(next(t), False)),
        results=results,
        controls=controls,
        risks=(RiskUse(next(t), next(t)),),
    )
    policy = PolicyRef(next(t), next(t), next(t), "sha256:" + "a" * 64)
    return Report(now=NOW, fail_on="error", models=(model,), policies=(policy,))


TEXTS = st.lists(RECORD_TEXT, min_size=30, max_size=30)


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_the_text_report_holds_no_unsafe_character(texts):
    report = _report(texts)
    assert unsafe(render(report, "text", verbose=True)) == []
    colored = render(report, "text", verbose=True, color=True)
    assert unsafe(re.sub(r"\x1b\[\d+m", "", colored)) == []  # only the colours it paints


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_markdown_holds_no_unsafe_character(texts):
    text = render(_report(texts), "markdown")
    # U+200B is the format's own: it keeps "@name" from notifying anyone.
    assert unsafe(text, allowed="\n\u200b") == []
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(row.replace("\\|", "").count("|") in (4, 6) for row in rows)


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_github_annotations_hold_no_unsafe_character_and_no_forged_command(texts):
    text = render(_report(texts), "github")
    assert unsafe(text) == []
    lines = text.split("\n")
    assert lines[-1] == ""
    commands = [line for line in lines if line.startswith("::")]
    # fail, error, waived, the model's risk ratings; the summary; the end
    assert len(commands) == 4 == len(lines) - 2
    for line in commands:
        head, sep, _ = line[2:].partition("::")
        assert sep and head.split(" ", 1)[0] in {"error", "warning", "notice"}
        names = [p.split("=", 1)[0] for p in head.split(" ", 1)[1].split(",")]
        assert names == ["file", "line", "title"]  # no property ended early, none forged


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_junit_holds_no_unsafe_character_in_any_text_or_attribute(texts):
    """CI systems show a JUnit report's names, messages and details in their pages and
    logs: a record's bidi override or control character is its escape there too."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(render(_report(texts), "junit"))
    shown = [v for e in root.iter() for v in (e.text or "", e.tail or "", *e.attrib.values())]
    assert [u for text in shown for u in unsafe(text, allowed="\n\t")] == []
