"""The drinking rhythm and the counting profile (analytics/detector/timing.py, profile.py) through gaps."""

from __future__ import annotations

import numpy as np

from analytics.detector.profile import daily_profiles, quiet_hours
from analytics.detector.timing import rhythm_shift_hours
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour, gap


def _flock_with_gateway_gaps() -> tuple[HourlyFrame, HourlyFrame]:
    """One house as it was, and with a 4 h gateway gap over the morning belt run of every third day
    (04:00-08:00 UTC, lit hours), back-filled."""
    clean = Flock(days=30, houses=1).build()
    gapped = Flock(days=30, houses=1).build()
    for d in range(16, 30, 3):
        gap(gapped, 0, day_hour(d, 4), 4)
    return clean, gapped


def test_a_back_filled_gap_does_not_move_the_drinking_rhythm() -> None:
    """The gap's water lands in its first hour back: the day's total is right, its timing is not, so
    those windows say nothing about the rhythm (they made a lighting change of every gateway gap)."""
    clean, gapped = _flock_with_gateway_gaps()
    start = day_hour(15, 0)
    shift = rhythm_shift_hours(gapped.water_l, gapped.start.hour, 14, start)
    assert np.nanmax(np.abs(shift[:, start:])) < 0.2
    assert np.isnan(shift[0, day_hour(16, 4) : day_hour(17, 8)]).all()
    ok = rhythm_shift_hours(clean.water_l, clean.start.hour, 14, start)
    assert np.nanmax(np.abs(ok[:, start:])) < 0.2


def test_days_with_a_gap_are_left_out_of_the_counting_profile() -> None:
    clean, gapped = _flock_with_gateway_gaps()
    counted = [np.nansum(f.eggs, axis=1) for f in (clean, gapped)]
    counted[1][np.isnan(gapped.eggs).all(axis=1)] = np.nan
    quiet = [quiet_hours(daily_profiles(c, clean.start.hour, 14)[0], 0.02, 2)[0, -1] for c in counted]
    assert quiet[0].any() and quiet[0].tolist() == quiet[1].tolist()
