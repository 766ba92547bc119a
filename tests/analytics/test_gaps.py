"""Gaps whose backlog never came (analytics/detector/gaps.py)."""

from __future__ import annotations

import numpy as np

from analytics.detector.gaps import restore_lost_backlogs

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
