"""``days(n)`` (SPEC §3) is a function of ``n`` alone: asked again of the same
``n`` (a rule's param, once per element of a list) it gives an equal duration
without computing it again."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policygate.cel.lang import EvalError, compile, library
from policygate.cel.lang.values import NANOS, Duration


def _days(n: float) -> Duration:
    """The definition: ``n * 86400`` seconds as a double, the fraction to the nanosecond."""
    total = float(n) * 86_400
    whole = int(total)
    return Duration(whole * NANOS + round((total - whole) * 1e9))


NUMBERS = st.integers(-(10**5), 10**5) | st.floats(-1e5, 1e5, allow_nan=False)


@given(numbers=st.lists(NUMBERS, min_size=1, max_size=8))
def test_days_is_its_definition_however_often_it_is_asked(numbers: list[Any]) -> None:
    for n in numbers + numbers[::-1]:
        assert library.days(n) == _days(n)


def test_an_int_and_its_double_are_the_same_days() -> None:
    assert library.days(3) == library.days(3.0) == _days(3)
    assert library.days(-0.0) == library.days(0) == Duration(0)


def test_what_days_refuses_stays_refused() -> None:
    for n in (True, "1", None, math.inf, math.nan):
        with pytest.raises(EvalError):
            library.days(n)
        with pytest.raises(EvalError):
            library.days(n)  # (a second time: nothing was kept for it)


def test_days_of_a_param_is_computed_once_for_every_element(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counting the work: a rule's days(params.n) over 50 elements makes one duration."""
    made = []
    original = Duration.__init__

    def counted(self: Duration, nanos: int) -> None:
        made.append(nanos)
        original(self, nanos)

    monkeypatch.setattr(library, "_DAYS", {}, raising=False)  # (none kept yet)
    monkeypatch.setattr(Duration, "__init__", counted)
    program = compile("xs.all(x, days(n) > duration('0s'))", {"xs", "n"})
    assert program.evaluate({"xs": list(range(50)), "n": 180.0}) is True
    assert made.count(180 * 86_400 * NANOS) == 1
