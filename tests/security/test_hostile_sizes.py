"""Hostile YAML sizes (SECURITY.md, T-LOAD): aliases of big strings, deep nesting,
many documents, base-60 scalars, huge numbers, billion laughs, long keys, merge
chains, drawn at random sizes. Each is loaded or refused with a ``LoadError``
within two seconds of CPU at the default limits, never anything else. The
builders are the ``hostile`` fuzz target's (fuzz/hostile.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "fuzz"))

from hostile import KINDS, build, load_bounded, load_hostile  # noqa: E402

# Sizes around the default limits (1 MiB strings, 100,000 nodes, 64 levels, 1,000
# documents, 10 MiB of expanded characters) and far past them.
SIZES = st.one_of(
    st.integers(0, 100),
    st.sampled_from([63, 64, 65, 999, 1000, 1001, 4300, 4301, 99_999, 100_001,
                     1024 * 1024, 1024 * 1024 + 1]),
    st.integers(0, 1_200_000),
)  # fmt: skip
COUNTS = st.one_of(st.integers(0, 50), st.sampled_from([999, 1000, 1001]), st.integers(0, 6000))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(kind=st.sampled_from(KINDS), size=SIZES, count=COUNTS)
def test_a_hostile_size_is_loaded_or_refused_quickly(kind, size, count):
    if kind.startswith("deep"):
        size %= 20_000
    load_bounded(build(kind, size, count))


@pytest.mark.parametrize(
    "kind, size, count, outcome",
    [
        ("aliased-string", 1_000_000, 5000, "refused"),  # 5 G characters expanded
        ("aliased-string", 1_000_000, 9, "loaded"),  # 10 M characters: just under
        ("base-60", 300_000, 0, "loaded"),  # a string now, not a quadratic integer
        ("decimal", 4301, 0, "refused"),
        ("hex", 1_000_000, 0, "refused"),
        ("documents", 0, 1001, "refused"),
        ("deep-mixed", 10_000, 0, "refused"),
        ("laughs", 9, 7, "refused"),  # 9 wide, 11 deep
        ("merge-chain", 199, 59, "refused"),
    ],
)
def test_the_known_bombs(kind, size, count, outcome):
    assert load_bounded(build(kind, size, count)) == outcome


def test_the_fuzz_target_reads_its_numbers_from_bytes():
    load_hostile(bytes([KINDS.index("aliased-string"), 0x0F, 0x42, 0x40, 0x13, 0x88]))
    load_hostile(b"\x00")  # too short: nothing to build
