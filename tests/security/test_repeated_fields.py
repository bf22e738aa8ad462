"""A record's field repeated into every item's message is bounded (T-OUT-10).

A ``for_each`` rule words its failure (or its error) once per item. When the
words quote a field of the whole record (``{model.spec.description}`` in the
message, or ``timestamp(model.spec.until)`` failing in the check), a record of
one megabyte with a list of 20,000 items made 20,000 copies of that megabyte:
24 GB of memory before the report was written. Each placeholder now writes at
most ``PLACEHOLDER_CHARACTERS`` characters (a list or map read only as far as
it shows), and an error quotes at most 40 characters of a value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import policygate
from policygate.cel.lang.errors import quoted
from policygate.cel.own import OwnBackend
from policygate.message import PLACEHOLDER_CHARACTERS, format_value, placeholder_text

ITEMS = 20_000
BIG = "A" * 1_000_000


def _policy(tmp_path: Any, check: str, message: str | None = None) -> Any:
    path = tmp_path / "p.yaml"
    lines = [
        "apiVersion: policygate/v1", "kind: Policy", "metadata: {name: p}", "spec:",
        "  rules:", "    - id: r", f"      check: '{check}'", "      for_each: model.spec.xs",
    ]  # fmt: skip
    if message is not None:
        lines.append(f"      message: '{message}'")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return policygate.load_policies([path])


def _results(policies: Any, spec: dict[str, Any]) -> list[Any]:
    record = {"apiVersion": "policygate/v1", "kind": "ModelRecord",
              "metadata": {"name": "m", "version": "1"}, "spec": spec}  # fmt: skip
    report = policygate.evaluate([record], policies, now="2026-06-01T00:00:00Z")
    results: list[Any] = report.models[0].results
    return results


@pytest.mark.parametrize(
    ("message", "limit"),
    [
        ("{model.spec.blob} at {index}", PLACEHOLDER_CHARACTERS + 40),
        ("{model.spec.xs}", PLACEHOLDER_CHARACTERS + 40),
        ("{model.spec}", PLACEHOLDER_CHARACTERS + 40),
    ],
    ids=["string", "list", "map"],
)
def test_a_field_repeated_into_each_item_s_message_is_cut(
    tmp_path: Any, message: str, limit: int
) -> None:
    policies = _policy(tmp_path, "item < 0.0", message)
    results = _results(policies, {"blob": BIG, "xs": [1] * ITEMS})
    assert len(results) == ITEMS
    assert {r.status.value for r in results} == {"fail"}  # every item still fails
    assert max(len(r.message) for r in results) <= limit
    assert "…" in results[0].message
    if "index" in message:  # what follows the cut placeholder is still written
        assert results[7].message.endswith(" at 7")


def test_a_field_repeated_into_each_item_s_error_is_cut(tmp_path: Any) -> None:
    policies = _policy(tmp_path, "timestamp(model.spec.blob) > now")
    results = _results(policies, {"blob": BIG, "xs": [1] * ITEMS})
    assert {r.status.value for r in results} == {"error"}  # fail closed, item by item
    assert max(len(r.message) for r in results) < 200
    assert "AAAA..." in results[0].message


@pytest.mark.parametrize(
    "expression",
    [
        "{'a': 1}[k]",
        "timestamp(k)",
        "duration(k)",
        "int(k)",
        "'x'.matches(k + '(')",
        "timestamp('2026-01-01T00:00:00Z').getHours(k + ':')",
    ],
)
def test_an_error_quotes_at_most_forty_characters_of_a_value(expression: str) -> None:
    with pytest.raises(policygate.CELEvaluationError) as raised:
        policygate.cel_evaluate(expression, {"k": "B" * 100_000})
    assert "B" * 40 in str(raised.value)
    assert "B" * 41 not in str(raised.value)


def test_quoted_cuts_strings_bytes_and_other_values() -> None:
    assert quoted("abc") == "'abc'"
    assert quoted("x" * 41) == repr("x" * 40 + "...")
    assert quoted(b"y" * 50) == repr(b"y" * 40 + b"...")
    assert quoted(7) == "7"
    assert quoted(["z" * 100]).endswith("...") and len(quoted(["z" * 100])) == 83


_plain_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)


@given(_plain_values)
def test_a_small_placeholder_reads_as_format_value_has_it(value: Any) -> None:
    """The bound changes nothing a message shows of a value that fits in it."""
    to_python = OwnBackend().to_python
    expected = format_value(to_python(value))
    if len(expected) <= PLACEHOLDER_CHARACTERS and len(json.dumps(value)) < 2_000:
        assert placeholder_text(value, to_python) == expected


@given(st.lists(st.text(min_size=0, max_size=3_000), max_size=400))
def test_a_placeholder_never_writes_more_than_its_bound(value: list[str]) -> None:
    text = placeholder_text(value, OwnBackend().to_python)
    assert len(text) <= PLACEHOLDER_CHARACTERS + len("… (1,000,000,000 characters in all)")


def test_explain_reads_only_as_much_of_a_value_as_it_shows() -> None:
    """``check --explain`` shows each sub-expression's value per item: a record's
    megabyte field, once per item of 20,000, was dumped whole each time (32 s)."""
    from policygate.explain import show

    huge = [BIG] * 1_000  # a gigabyte of JSON, read whole before
    text = show(huge)
    assert len(text) == 120 and text.startswith('["AAAA') and text.endswith("…")
    assert show({"b": [BIG], "a": 1}).startswith('{"a": 1, "b": ["AAAA')


@given(_plain_values)
def test_explain_shows_a_small_value_whole(value: Any) -> None:
    from policygate.explain import show

    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    if len(text) <= 120 and not any(isinstance(v, float) for v in _leaves(value)):
        assert show(value) == text


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]
