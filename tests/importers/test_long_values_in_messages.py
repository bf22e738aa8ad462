"""An importer's error never echoes a huge value of its source whole (issue 14, item 16).

A card, BOM or registry field may hold a 1 MB string; the error that names it
gives its start and its size.
"""

from __future__ import annotations

import json

import pytest

from policygate.errors import PolicygateError
from policygate.importers import import_records

LONG = 100_000


def refused(fmt: str, path) -> str:
    with pytest.raises(PolicygateError) as caught:
        import_records(fmt, str(path))
    text = str(caught.value)
    assert len(text) < 600 + len(str(path)), text[:700]
    return text


def test_a_huge_bom_format(tmp_path):
    bom = tmp_path / "bom.json"
    bom.write_text(json.dumps({"bomFormat": "x" * LONG, "specVersion": "1.6"}))
    assert f"({LONG} characters)" in refused("cyclonedx", bom)


def test_a_huge_overlay_property_name(tmp_path):
    bom = tmp_path / "bom.json"
    component = {
        "type": "machine-learning-model",
        "name": "m",
        "version": "1",
        "modelCard": {},
        "properties": [{"name": "policygate:" + "k" * LONG, "value": "1"}],
    }
    bom.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [component]})
    )
    assert f"({LONG + len('policygate:')} characters)" in refused("cyclonedx", bom)


def test_a_huge_overlay_key_in_a_card(tmp_path):
    card = tmp_path / "README.md"
    card.write_text(f"---\npolicygate:\n  ? {'k' * LONG}\n  : 1\n---\n")  # a long key
    assert f"({LONG} characters)" in refused("hf", card)


def test_a_huge_key_where_the_record_is_invalid(tmp_path):
    card = tmp_path / "README.md"  # a metric must be a number: the error names its path
    card.write_text(
        f"---\npolicygate:\n  spec:\n    metrics:\n      ? {'k' * LONG}\n      : high\n---\n"
    )
    assert "characters)" in refused("hf", card)
