"""Schema error messages never echo a huge value whole (issue 14, item 16).

A record or card may hold a 1 MB string or a 4,000-digit integer (the loader's
limits allow both); the message that says it is wrong gives its start and its
size, so a report or a terminal is not flooded with it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.errors import LoadError
from policygate.importers import import_records
from policygate.validation import make_validator, schema_errors, shipped_validator

LONG = 100_000
HUGE_INT = int("9" * 4000)  # under Python's 4,300-digit limit, so a loader can build it


def messages(schema: dict, data: object) -> list[str]:
    return [message for _, message in schema_errors(make_validator(schema), data)]


@pytest.mark.parametrize(
    ("schema", "data", "size"),
    [
        ({"maximum": 5}, HUGE_INT, "(4000 digits)"),
        ({"const": 1}, HUGE_INT, "(4000 digits)"),
        ({"enum": ["a", "b"]}, "x" * LONG, f"({LONG} characters)"),
        ({"maxLength": 3}, "x" * LONG, f"({LONG} characters)"),
        ({"pattern": "^a$"}, "x" * LONG, f"({LONG} characters)"),
        ({"not": {"type": "string"}}, "x" * LONG, f"({LONG} characters)"),
        ({"properties": {"a": {"multipleOf": 7}}}, {"a": HUGE_INT}, "(4000 digits)"),
        ({"additionalProperties": False}, {"k" * LONG: 1}, f"({LONG} characters)"),
        ({"maxItems": 1}, ["x" * LONG, "y"], "..."),
    ],
    ids=["maximum", "const", "enum", "maxLength", "pattern", "not", "multipleOf", "key", "items"],
)
def test_a_long_value_is_cut_in_the_message(schema, data, size):
    (message,) = messages(schema, data)
    assert len(message) < 300, message[:400]
    assert size in message


def test_an_imported_card_with_a_huge_value_gives_a_short_error(tmp_path):
    card = tmp_path / "README.md"
    card.write_text(f"---\npolicygate:\n  spec:\n    risk_tier: {'x' * LONG}\n---\n# m\n")
    with pytest.raises(LoadError) as caught:
        import_records("hf", str(card))
    text = str(caught.value)
    assert "risk_tier" in text
    assert len(text) < 400 + len(str(card)), text[:500]
    assert f"({LONG} characters)" in text


@settings(max_examples=50, deadline=None)
@given(
    st.one_of(
        st.text(min_size=0, max_size=2000),
        st.integers(min_value=-(10**3000), max_value=10**3000),
        st.lists(st.text(max_size=500), max_size=50),
    )
)
def test_every_message_about_a_value_is_bounded(value):
    """Whatever the value, the message about it stays short (the shipped ModelRecord schema)."""
    record = {
        "apiVersion": "policygate/v1",
        "kind": "ModelRecord",
        "metadata": {"name": "m", "version": "1"},
        "spec": {"risk_tier": value, "stage_extra": value},
    }
    for _, message in schema_errors(shipped_validator("ModelRecord"), record):
        assert len(message) < 400, message[:500]


def test_an_unknown_key_of_a_megabyte_is_named_briefly():
    from policygate.documents import load_text
    from policygate.validation import validate_document

    key = "k" * LONG
    text = 'apiVersion: policygate/v1\nkind: Policy\nmetadata: {name: p, version: "1"}\n'
    text += f"spec:\n  rules: []\n  ? {key}\n  : 1\n"
    (error,) = validate_document(load_text(text, "p.yaml")[0], "Policy")
    assert str(error).startswith("p.yaml:6:")
    assert len(str(error)) < 600, str(error)[:700]
    assert f"({LONG} characters)" in str(error)
