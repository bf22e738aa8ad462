"""``s in list`` for a string ``s`` is Python's list search: no CEL value but a
string equals a string, so it finds what the search by CEL equality finds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policygate.cel.lang.equality import cel_equal, contains
from policygate.cel.lang.values import CelType, Duration, Optional, Timestamp, Uint

ITEMS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.floats(allow_nan=True)
    | st.sampled_from(["", "a", "b", "ab"])
    | st.sampled_from(
        [b"a", Uint(1), Timestamp(0), Duration(0), Optional(True, "a"), Optional(False)]
    )
    | st.sampled_from([CelType("string"), CelType("a")]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.just("a"), inner, max_size=1),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None, database=None)
@given(items=st.lists(ITEMS, max_size=6), element=st.sampled_from(["", "a", "b", "ab", "c"]))
def test_a_string_in_a_list_is_found_by_cel_equality(items: list[Any], element: str) -> None:
    expected = any(cel_equal(item, element) for item in items)
    assert contains(items, element) is expected
    assert contains(tuple(items), element) is expected
