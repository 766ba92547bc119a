"""The baseline's past days on the breed curve at today's curve shift (analysis.past_standard)."""

from __future__ import annotations

import numpy as np

from analytics.detector.analysis import breed_standard, past_standard
from analytics.detector.baseline import same_time_baseline
from analytics.detector.windows import DAY, past_days

BREEDS = ("hyline_brown", "lohmann_brown_classic")
DAYS = 14


def _flocks(n_days: int = 40, moved_on: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two young flocks (19 weeks at the start); the first found a quarter-week behind its curve
    from day ``moved_on`` on, the second never moved."""
    n = n_days * DAY
    age = np.tile(19.0 + np.arange(n) / (7 * DAY), (2, 1))
    maturity = np.zeros((2, n))
    maturity[0, moved_on * DAY :] = -0.25
    return age, maturity, breed_standard(age + maturity, BREEDS)


def test_no_shift_moved_is_nothing_to_work_out() -> None:
    age, _, _ = _flocks()
    flat = np.zeros_like(age)
    assert past_standard(breed_standard(age, BREEDS), age, flat, BREEDS, DAYS, 20 * DAY) is None


def test_the_past_days_are_read_at_the_hours_own_shift() -> None:
    age, maturity, standard = _flocks()
    start = 20 * DAY
    got = past_standard(standard, age, maturity, BREEDS, DAYS, start)
    assert got is not None
    # Only the moved flock's hours within 14 days of the move.
    assert set(got.houses.tolist()) == {0}
    assert got.hours.min() + start == 30 * DAY and got.hours.max() + start == 40 * DAY - 1
    then = past_days(standard, DAYS, start)[got.houses, got.hours]
    at_own = past_days(breed_standard(age - 0.25, BREEDS), DAYS, start)[got.houses, got.hours]
    assert np.allclose(got.values, at_own)
    # Past days after the move kept their standard: it already was at that shift.
    assert np.allclose(
        got.values[:, 0][got.hours + start >= 31 * DAY], then[:, 0][got.hours + start >= 31 * DAY]
    )
    assert not np.allclose(got.values, then)


def test_a_shift_moved_is_no_rise_for_the_baseline() -> None:
    # The flock lays exactly its curve at the new shift throughout; the day after it is found behind
    # it, the standard as it stood read the past days higher than now, a fall the baseline scales
    # the past days down by.  At the hour's own shift the expected level is what it lays.
    age, maturity, standard = _flocks()
    laid = breed_standard(age - 0.25, BREEDS)[:1]
    start = 31 * DAY
    mixed, _ = same_time_baseline(laid, DAYS, 5, start, standard[:1])
    own = past_standard(standard[:1], age[:1], maturity[:1], BREEDS[:1], DAYS, start)
    fixed, _ = same_time_baseline(laid, DAYS, 5, start, standard[:1], standard_then=own)
    truth = laid[0, start:]
    assert np.abs(mixed[0] - truth).max() > 1.0  # points of hen-day, for the first days
    assert np.abs(fixed[0] - truth).max() < 0.01
