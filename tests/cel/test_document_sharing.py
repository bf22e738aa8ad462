"""A document as CEL reads it (:func:`policygate.cel.own.document`) shares what
needs no converting: a map or list with string keys, no int and nothing else
to convert is the document's own, never copied; one that needs converting is a
copy; the document given never changes (an evaluation changes no value)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cel.own import document

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 2), inner, max_size=4).filter(
            lambda d: len({str(k) for k in d}) == len(d)  # (0 and "0" would be one key)
        )
    ),
    max_leaves=25,
)


def _as_read(value: Any) -> bool:
    """Whether ``value`` is already as CEL reads it (nothing to convert)."""
    if type(value) is dict:
        return all(type(k) is str and _as_read(v) for k, v in value.items())
    if type(value) is list:
        return all(_as_read(v) for v in value)
    return value is None or type(value) in (str, float, bool)


def _check(original: Any, converted: Any) -> None:
    if type(original) not in (dict, list):
        return
    if _as_read(original):
        assert converted is original
        return
    assert converted is not original
    if type(original) is dict:
        for key, item in original.items():
            _check(item, converted[key if type(key) is str else str(key)])
    else:
        for item, got in zip(original, converted, strict=True):
            _check(item, got)


@settings(max_examples=300, deadline=None, database=None)
@given(value=VALUES)
def test_what_needs_no_converting_is_shared_and_the_rest_copied(value: Any) -> None:
    before = copy.deepcopy(value)
    converted = document(value)
    assert value == before  # the document given is never changed
    _check(value, converted)
    assert document(converted) is converted  # converted once, as CEL reads it


def test_a_record_shares_its_maps_of_text_and_copies_its_maps_of_ints() -> None:
    record = {
        "metadata": {"name": "m", "owner": "credit-ml"},
        "spec": {"metrics": {"auc": 0.9, "latency_ms": 12}, "tags": ["a", "b"]},
        "when": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    converted = document(record)
    assert converted is not record and converted["spec"] is not record["spec"]
    assert converted["metadata"] is record["metadata"]
    assert converted["spec"]["tags"] is record["spec"]["tags"]
    assert converted["spec"]["metrics"] == {"auc": 0.9, "latency_ms": 12.0}
    assert type(converted["spec"]["metrics"]["latency_ms"]) is float
    assert type(record["spec"]["metrics"]["latency_ms"]) is int
