"""Gaps whose backlog never came (analytics/detector/gaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.detector.gaps import restore_lost_backlogs, window_sums_across_gaps
from analytics.detector.windows import window_sums

nan = np.nan


def days_of(pattern: list[float], days: int) -> np.ndarray:
    return np.tile(np.array(pattern, dtype=float), days)


PATTERN = [0.0] * 20 + [10.0, 40.0, 40.0, 10.0]  # 100 a day, counted in the last four hours


def test_a_lost_backlog_is_put_back_in_the_first_hour_back() -> None:
    x = days_of(PATTERN, 8)
    x[7 * 24 + 20 : 7 * 24 + 23] = nan  # offline for three of the four counting hours ...
    # ... and the counter restarted: the first hour back brings only its own 10
    y = restore_lost_backlogs(x)
    assert y[7 * 24 + 23] == 10.0 + 90.0
    assert np.isnan(y[7 * 24 + 20 : 7 * 24 + 23]).all()  # the gap stays unknown: nothing earlier changes
    assert np.array_equal(np.nan_to_num(y[: 7 * 24 + 23]), np.nan_to_num(x[: 7 * 24 + 23]))


def test_a_backlog_that_came_is_left_alone() -> None:
    x = days_of(PATTERN, 8)
    x[7 * 24 + 23] += x[7 * 24 + 20 : 7 * 24 + 23].sum()
    x[7 * 24 + 20 : 7 * 24 + 23] = nan
    y = restore_lost_backlogs(x)
    assert np.array_equal(np.nan_to_num(y), np.nan_to_num(x))


def test_a_gap_in_hours_that_count_nothing_is_left_alone() -> None:
    x = days_of(PATTERN, 8)
    x[7 * 24 + 2 : 7 * 24 + 12] = nan
    assert np.array_equal(np.nan_to_num(restore_lost_backlogs(x)), np.nan_to_num(x))


def test_each_row_is_judged_on_its_own() -> None:
    x = np.stack([days_of(PATTERN, 8), days_of(PATTERN, 8)])[None]  # [house, row, hour]
    gap = slice(7 * 24 + 20, 7 * 24 + 23)
    x[0, 1, 7 * 24 + 23] += x[0, 1, gap].sum()  # row 2's backlog came, row 1's did not
    x[0, :, gap] = nan
    y = restore_lost_backlogs(x)
    assert y[0, 0, 7 * 24 + 23] == 100.0 and y[0, 1, 7 * 24 + 23] == 100.0


def test_without_history_nothing_is_guessed() -> None:
    x = np.array([10.0, nan, nan, 5.0])
    assert np.array_equal(np.nan_to_num(restore_lost_backlogs(x)), np.nan_to_num(x))


def test_a_belt_run_that_came_an_hour_early_into_the_gap_is_put_back() -> None:
    """The run usually comes at 23:00 (the first hour back); today it came at 22:00, in the gap, and
    the backlog was lost: no single hour is usual for it, the gap and the hour back together are."""
    usual_day, early_day = [0.0] * 23 + [100.0], [0.0] * 22 + [100.0, 0.0]
    x = np.concatenate([np.array(usual_day) for _ in range(7)] + [np.array(early_day)])
    x[7 * 24 + 20 : 7 * 24 + 23] = nan
    assert restore_lost_backlogs(x)[7 * 24 + 23] == 100.0


def test_a_flock_coming_into_lay_gets_its_recent_count_back() -> None:
    """Counts rising day by day from nothing: the usual count is the median of the last three days
    (a week's median would be 0, and the row would look dead)."""
    x = np.concatenate([days_of(PATTERN, 1) * f for f in (0, 0, 0, 0, 0.5, 1.0, 1.5, 2.0)])
    x[7 * 24 + 20 : 7 * 24 + 23] = nan
    assert restore_lost_backlogs(x)[7 * 24 + 23] == 20.0 + 90.0  # its own 20, the gap as on day 5


def _with_gap(x: np.ndarray, start: int, hours: int) -> np.ndarray:
    """The gateway offline for ``hours`` from ``start``: blanks, then the backlog in the first hour back."""
    y = x.copy()
    y[start + hours] += y[start : start + hours].sum()
    y[start : start + hours] = nan
    return y


def test_windows_across_an_ended_gap_are_known_and_right_when_the_day_repeats() -> None:
    x = days_of(PATTERN, 8)
    y = _with_gap(x, 5 * 24 + 18, 4)  # the gap holds two of the four counting hours
    got = window_sums_across_gaps(y, 24)
    want = window_sums(x, 24)
    after = np.arange(5 * 24 + 22, 8 * 24)
    assert np.allclose(got[after], want[after])  # known from the first hour back, and exact
    # In the gap nothing is known; a plain window sum leaves the next day's windows unknown too.
    assert np.isnan(got[5 * 24 + 18 : 5 * 24 + 22]).all()
    assert np.isnan(window_sums(y, 24)[6 * 24 + 18 : 6 * 24 + 22]).all()


def test_windows_across_a_gap_are_causal() -> None:
    x = days_of(PATTERN, 8) + np.random.default_rng(1).uniform(0, 5, 8 * 24)
    y = _with_gap(x, 5 * 24 + 10, 12)
    whole = window_sums_across_gaps(y, 24)
    for cut in range(5 * 24 + 23, 7 * 24):
        assert np.allclose(window_sums_across_gaps(y[:cut], 24), whole[:cut], equal_nan=True)


def test_a_backlog_of_hours_that_usually_count_nothing_is_spread_evenly() -> None:
    x = days_of([4.0] * 24, 4)
    y = _with_gap(x, 2 * 24 + 3, 6)
    y[: 2 * 24] = 0.0  # the days before counted nothing at all
    got = window_sums_across_gaps(y, 24)
    # The window starting 3 h into the gap holds 3/7 of the 28 its 7 h span (gap and first hour
    # back) counted: 12, and 21 hours of 4 after it.
    assert got[2 * 24 + 6 + 24] == pytest.approx(12.0 + 21 * 4.0)


def test_a_gap_before_the_first_report_stays_unknown() -> None:
    y = days_of(PATTERN, 3)
    y[:10] = nan
    assert np.array_equal(window_sums_across_gaps(y, 24), window_sums(y, 24), equal_nan=True)
