"""Where a character of an expression is written in its file (policy.scalar_positions,
inner_location, inner_locator): the shortcut for a string written verbatim on its
line gives exactly what walking the YAML source gives."""

from __future__ import annotations

import random

import pytest
import yaml

from policygate.documents import load_text
from policygate.errors import Location
from policygate.policy import _aligned, inner_location, inner_locator, scalar_positions

ALPHABET = "ab c'\"\\#:-\t{}x\u00e9"


def _cases(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        if rng.random() < 0.3:
            quote = rng.choice(["'", '"', ""])
            text = f"k:\n  check: {quote}{value}{rng.choice([quote, '', ' # c'])}\n"
        else:
            try:
                text = yaml.safe_dump(
                    {"k": {"check": value}},
                    default_style=rng.choice([None, "'", '"', "|", ">"]),
                    width=rng.choice([4, 10, 80]),
                    allow_unicode=rng.random() < 0.5,
                )
            except yaml.YAMLError:
                continue
        cases.append((text, value))
    return cases


@pytest.mark.parametrize("seed", range(4))
def test_shortcut_and_walk_agree(seed):
    compared = 0
    for text, _ in _cases(800, seed):
        try:
            (document,) = load_text(text, "f.yaml")
            value = document.data["k"]["check"]
        except Exception:  # noqa: BLE001 - not every generated text is valid YAML
            continue
        if not isinstance(value, str):
            continue
        lines = text.splitlines()
        start = document.location(("k", "check"))
        assert start.line is not None and start.column is not None
        positions = _aligned(lines, start.line, start.column, value)
        assert scalar_positions(lines, start.line, start.column, value) == positions
        locate = inner_locator(document, ("k", "check"), lines)
        for offset in range(len(value) + 3):
            if positions:
                line, column = positions[min(offset, len(positions) - 1)]
                expected = Location("f.yaml", line, column + (offset >= len(positions)))
            else:
                expected = start
            assert (
                locate(offset)
                == expected
                == inner_location(document, ("k", "check"), offset, lines)
            )
        compared += 1
    assert compared > 300


def test_verbatim_strings_point_at_their_characters():
    text = "spec:\n  check: 'model.a > 1'\n  when: model.b\n  message: \"x {y}\"\n"
    (document,) = load_text(text, "p.yaml")
    lines = text.splitlines()
    assert inner_location(document, ("spec", "check"), 6, lines) == Location("p.yaml", 2, 17)
    assert inner_location(document, ("spec", "check"), 99, lines) == Location("p.yaml", 2, 22)
    assert inner_location(document, ("spec", "when"), 0, lines) == Location("p.yaml", 3, 9)
    assert inner_location(document, ("spec", "message"), 3, lines) == Location("p.yaml", 4, 16)
