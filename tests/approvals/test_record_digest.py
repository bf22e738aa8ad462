"""What a signature covers: the record without its approvals, numbers as the engine sees them."""

from __future__ import annotations

import copy
import json

import pytest
from approvals_support import BOB, CREDIT_DEFAULT
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.approvals import record_digest, signed_payload
from policygate.documents import load_file, load_text


def test_adding_approvals_keeps_the_digest(record):
    before = record_digest(record)
    record["spec"]["approvals"].append({"role": "x"})
    assert record_digest(record) == before
    del record["spec"]["approvals"]
    assert record_digest(record) == before


def test_an_empty_spec_is_not_a_missing_spec():
    assert record_digest({"spec": {"approvals": []}}) == record_digest({"spec": {}})
    assert record_digest({"spec": {}}) != record_digest({})


def test_yaml_and_json_give_the_same_digest():
    data = load_file(CREDIT_DEFAULT)[0].data
    as_json = load_text(json.dumps(data, indent=3), "model.json")[0].data
    assert record_digest(as_json) == record_digest(data)


def test_key_order_and_integral_floats_do_not_matter():
    assert record_digest({"a": 1, "b": [2.0, 0.5]}) == record_digest({"b": [2, 0.5], "a": 1.0})
    assert record_digest({"a": 1}) != record_digest({"a": "1"})
    assert record_digest({"a": True}) != record_digest({"a": 1})


def test_the_digest_is_pinned():
    """A change to the canonical form would invalidate every approval ever signed.

    The value is ``printf '%s' '{"metadata":{"name":"m","version":"1"},"spec":{"x":[1,0.25,"é"]}}'
    | sha256sum``.
    """
    data = {"metadata": {"name": "m", "version": "1"}, "spec": {"x": [1.0, 0.25, "é"]}}
    assert record_digest(data) == (
        "sha256:46c146b63f932212149fb7f7d978fba97cc13d0eda20ea19ebd01e5db5c229a9"
    )


def test_the_signed_payload_is_canonical_json():
    approval = {"role": "r", "verified": True, "verification": "x", "signature": {}, "n": 2.0}
    assert signed_payload(approval, "sha256:ab") == (
        b'{"approval":{"n":2,"role":"r"},"record_digest":"sha256:ab",'
        b'"type":"policygate.dev/approval/v1"}'
    )


FINITE = st.floats(allow_nan=False, allow_infinity=False)


@settings(deadline=None)
@given(
    path=st.sampled_from(["metadata.owner", "spec.metrics.auc", "spec.risks", "kind"]),
    value=st.one_of(st.text(), FINITE, st.integers()),
)
def test_a_changed_field_changes_the_digest(path, value):
    data = load_file(CREDIT_DEFAULT)[0].data
    changed = copy.deepcopy(data)
    target = changed
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    if target[last] == value:
        return
    target[last] = value
    assert record_digest(changed) != record_digest(data)


@pytest.mark.parametrize("key", [1, True, None, 1.5])
def test_a_key_that_is_no_string_is_not_digested_as_its_text(key):
    """JSON writes the key 1 as "1": two records a rule tells apart (m[1], m["1"])
    would share one digest, and a signature of one would verify on the other."""
    with pytest.raises(TypeError, match="not a string"):
        record_digest({"spec": {"labels": {key: "a"}}})
    with pytest.raises(TypeError, match="not a string"):
        signed_payload({"role": "r", "extra": {key: "a"}}, "sha256:ab")
    assert record_digest({"spec": {"labels": {json.dumps(key): "a"}}})


def test_a_record_with_a_key_that_is_no_string_verifies_nothing(record, signer, approvers):
    from policygate.approvals import with_verified_approvals
    from policygate.timestamps import parse_timestamp

    record["metadata"]["labels"] = {"1": "a"}
    record["spec"]["approvals"] = [signer(record, "bob", "model-risk-officer", BOB)]
    record["metadata"]["labels"] = {1: "a"}
    data = with_verified_approvals(
        record, name="credit-default", version="3.1.0",
        now=parse_timestamp("2026-11-26T00:00:00Z"), approvers=approvers,
    )  # fmt: skip
    (approval,) = data["spec"]["approvals"]
    assert approval["verified"] is False
    assert approval["verification"] == (
        "the model record cannot be digested (it holds non-JSON values)"
    )


_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 0.5, 2.0]),
    st.sampled_from(["", "1", "true", "null", "é", "e\u0301", "1.0"]),
)  # fmt: skip
_KEYS = st.one_of(st.sampled_from(["1", "true", "null", "a", "1.5"]), st.integers(0, 2),
                  st.booleans(), st.none(), st.just(1.5))  # fmt: skip
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


def _same(a, b) -> bool:
    """Equal as a rule can tell: an integral float is its integer (the engine compares
    them equal), but a bool is no number, and a key is its own type."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        keys_a = sorted((type(k).__name__, repr(k)) for k in a)
        keys_b = sorted((type(k).__name__, repr(k)) for k in b)
        return keys_a == keys_b and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def _digest_or_none(value):
    try:
        return record_digest({"spec": {"x": value}})
    except (TypeError, ValueError):
        return None


_LITERAL_KEYS = {"1": 1, "true": True, "null": None, "1.5": 1.5}


def _respelled(value, flip):
    """``value`` with some parts written otherwise: a key as the literal its text
    spells, a number as the other type of the same value."""
    if isinstance(value, dict):
        return {
            (_LITERAL_KEYS.get(k, k) if isinstance(k, str) and flip() else k): _respelled(v, flip)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_respelled(v, flip) for v in value]
    if isinstance(value, bool) or value is None:
        return int(value) if value is not None and flip() else value
    if isinstance(value, int) and flip():
        return float(value)
    if isinstance(value, float) and value.is_integer() and flip():
        return int(value)
    return value


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.data())
def test_one_digest_is_one_record_as_a_rule_sees_it(a, data):
    """Law: two records of one digest are the same record to every rule."""
    b = _respelled(a, lambda: data.draw(st.booleans()))
    first, second = _digest_or_none(a), _digest_or_none(b)
    if first is not None and first == second:
        assert _same(a, b)
