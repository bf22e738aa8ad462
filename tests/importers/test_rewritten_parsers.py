"""The linear rewrites of issue 14 read what the expressions they replace read.

Each old expression backtracked super-linearly on long hostile input (see
tests/security/test_regex_cost.py); on short input it is the specification,
and hypothesis checks the rewrite against it.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.importers.huggingface import heading
from policygate.importers.interface import as_number
from policygate.importers.mlflow import _mlmodel_name

OLD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# With ASCII digits, as the rewrites now read them (tests/security/test_ascii_digits.py):
# "١" (an Arabic-Indic one) is no number.
OLD_INT = re.compile(r"[+-]?\d+", re.ASCII)
OLD_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def old_heading(line: str) -> str | None:
    match = OLD_HEADING.match(line)
    return match.group(2) if match else None


def old_number(text: str) -> int | float | None:
    text = text.strip()
    if OLD_INT.fullmatch(text):
        return int(text)
    if OLD_FLOAT.fullmatch(text):
        number = float(text)
        return number if number == number and abs(number) != float("inf") else None
    return None


@settings(max_examples=500)
@given(st.text(alphabet="#  \t\u00a0\u2003aZ1-", max_size=20))
def test_heading_reads_what_the_old_expression_read(line):
    assert heading(line) == old_heading(line)


@settings(max_examples=500)
@given(st.text(alphabet="0123456789.eE+- \u0661x", max_size=12))
def test_a_metric_value_reads_as_it_did(text):
    assert as_number(text) == old_number(text)


@given(
    st.lists(
        st.sampled_from(["a", ".", "MLmodel", ".MLmodel", ".yaml", ".yml", "yaml", "-"]),
        max_size=6,
    )
)
def test_an_mlmodel_file_name_gives_the_name_it_did(parts):
    name = "m" + "".join(parts)  # (a file named MLmodel is named after its directory)
    old = re.sub(r"(\.MLmodel)?(\.ya?ml)?$", "", name) or "model"
    assert _mlmodel_name(f"/models/{name}") == old
