"""``matches()``: the library's RE2 search against google-re2's own, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from policygate import cel
from policygate.cel.lang import regex as library

TOKENS = ["a", "b", "é", "[a-c]", "[^a]", ".", "^", "$", "\\d", "\\w", "\\s", "(", ")", "|",
          "*", "+", "?", "{2}", "{1,3}", "(?i)", "\\b", "-", "[0-9]", "\\.", "\\p{L}"]  # fmt: skip
TEXT = st.text(alphabet=st.sampled_from(list("abcAB é0123-._ \n\u00e9\u4e2d")), max_size=30)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=8).map("".join), TEXT)
def test_the_library_search_says_what_re2_search_says(pattern, text):
    try:
        expected = re2.search(pattern, text) is not None
    except re2.error:
        try:
            library.matches(text, pattern)
        except re2.error:
            return
        raise AssertionError(f"{pattern!r} compiled here but not in re2") from None
    assert library.matches(text, pattern) is expected


def test_matches_and_a_bad_pattern_is_an_error():
    backend = cel.get_backend()
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    activation = backend.activation(model={"name": "credit-default"}, params={}, now=now, inputs={})

    def truth(text: str) -> bool:
        return backend.truth(backend.compile(text).evaluate(activation))

    assert truth('model.name.matches("^[a-z]+(-[a-z]+)*$")') is True
    assert truth('model.name.matches("^[0-9]+$")') is False
    with pytest.raises(cel.CELEvaluationError, match="match"):
        backend.compile('model.name.matches("(")').evaluate(activation)
