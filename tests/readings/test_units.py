"""tidy(): whole numbers as ints, the rest rounded to 2 decimals."""

import math
import sys

import pytest

from pulsebridge.readings.units import tidy


def tidy_before_the_shortcut(value):
    """tidy() as it was before fcc02e7 skipped round() for whole numbers."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


VALUES = [
    0, 1, 129, -3, 2**70,  # ints: int.is_integer() only exists from Python 3.12
    0.0, -0.0, 129.0, 129.004, 129.005, 129.995, -0.004, -0.005, 0.1 + 0.2, 98.6, 176.37,
    1e-300, -1e-300, 5e-324, 1e15 + 0.5, 2.0**52 + 1, 1e16, 1e300, -1e300, sys.float_info.max,
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_it_writes_what_it_wrote_before_skipping_round(value):
    expected = tidy_before_the_shortcut(value)
    assert tidy(value) == expected
    assert type(tidy(value)) is type(expected)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_what_is_not_a_number_still_fails_as_before(value):
    with pytest.raises((ValueError, OverflowError)) as before:
        tidy_before_the_shortcut(value)
    with pytest.raises(before.type):
        tidy(value)
