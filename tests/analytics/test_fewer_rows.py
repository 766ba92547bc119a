"""A house figure read from fewer rows is noisier (analytics/detector/houses.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.detector import DetectorConfig
from analytics.detector.analysis import analyse
from analytics.detector.houses import fewer_rows_factor
from analytics.detector.rows import RowState
from tests.analytics.synth import Flock


def _rows(share: list[float], included: list[bool], window: list[float] | None = None) -> RowState:
    """One house, one hour: rows with these shares, the house figure using ``included``."""
    s = np.array(share, dtype=float)[None, :, None]
    inc = np.array(included)[None, :, None]
    win = np.ones_like(s) if window is None else np.array(window, dtype=float)[None, :, None]
    none = np.zeros_like(inc)
    return RowState(win, s, np.ones_like(s), inc, ~inc, none, none)


def _factor(share: list[float], included: list[bool], window: list[float] | None = None) -> float:
    rows = _rows(share, included, window)
    return float(fewer_rows_factor(rows)[0, 0])


def test_one_row_of_six_left_out_weighs_the_rows_noise_a_fifth_more() -> None:
    six = [1 / 6] * 6
    assert _factor(six, [True] * 6) == pytest.approx(1.0)
    assert _factor(six, [False] + [True] * 5) == pytest.approx(6 / 5)
    assert _factor(six, [False, False] + [True] * 4) == pytest.approx(6 / 4)


def test_rows_without_hens_and_rows_not_in_the_house_do_not_count() -> None:
    # An emptied row's share is 0 (rows.py) and a frame's spare row slots have none: the figure
    # still has every row with hens.
    assert _factor([0.25, 0.25, 0.25, 0.25, 0.0, np.nan], [True] * 4 + [False, False]) == pytest.approx(1.0)


def test_a_row_whose_last_24_h_are_unknown_is_not_used() -> None:
    six = [1 / 6] * 6
    assert _factor(six, [True] * 6, [np.nan] + [1.0] * 5) == pytest.approx(6 / 5)


def test_no_row_used_is_no_factor() -> None:
    assert _factor([0.5, 0.5], [False, False]) == 1.0


def test_the_noise_unit_is_larger_while_a_dead_counter_is_left_out() -> None:
    # Noisy rows (8 % a day each) and a quiet house: most of the house's day-to-day noise is its
    # rows'.  While row 01 is left out the seven others carry the figure, a larger unit; the hour
    # the revived counter is used again the unit is back to the eight rows' (its baseline days the
    # same: a 24 h window moved one hour).
    flock = Flock(days=60, houses=2, rows=8, day_noise=0.002, row_noise=0.08)
    frame = flock.build()
    frame.eggs[0, 0, 40 * 24 + 10 : 46 * 24 + 10] = 0.0
    an = analyse(frame, DetectorConfig())
    out = an.rows.left_out[0, 0]
    back = int(np.flatnonzero(out)[-1]) + 1
    assert 46 * 24 + 10 <= back < 48 * 24
    unit = an.drops.sigma_quiet[0]
    assert 1.01 < unit[back - 1] / unit[back] < np.sqrt(8 / 7)
    assert unit[back + 1] == unit[back]
