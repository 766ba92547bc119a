"""Water read once a day (a daily sheet, an export of day totals): the lights checks read the hens'
day in the feed, as in a park without water meters (analysis.read_once_a_day)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.detector import detect
from analytics.detector.analysis import read_once_a_day
from tests.analytics.synth import Flock, day_hour


def _daily(amount: np.ndarray, at_utc: int = 0) -> np.ndarray:
    """Each day's amount (the 24 h up to ``at_utc``) written at that hour, 0 at the others."""
    out = np.zeros_like(amount)
    for t in range(at_utc, amount.shape[-1], 24):
        out[..., t] = np.nansum(amount[..., max(0, t - 23) : t + 1], axis=-1)
    return out


def test_a_meter_read_once_a_day_is_told_from_one_read_hourly() -> None:
    frame = Flock(days=20, houses=3).build()
    frame.water_l[1] = _daily(frame.water_l[1])
    frame.water_l[2, day_hour(10, 0) : day_hour(12, 0)] = 0.0  # a line dry for two days
    frame.water_l[2, day_hour(14, 0) :: 24] = np.nan  # and an hour missing every day after
    assert read_once_a_day(frame.water_l).tolist() == [False, True, False]
    assert not read_once_a_day(np.full((2, 30), np.nan)).any()  # no whole day: not judged so


@pytest.mark.parametrize("shift_h", [-3, -2, 2, 3])
def test_lights_moved_are_no_drop_with_water_read_daily(shift_h: int) -> None:
    """H02's lights move at day 30 (eggs, feed and water with them); the water is a day's total at
    00 UTC.  Read as the hens' rhythm it had made 2 false laying drops in these 24 flocks, and the
    day's total, cut at the reading hour, 12 false water drops."""
    for seed in range(6):
        frame = Flock(days=40, houses=4, seed=seed).build()
        moved = Flock(days=40, houses=4, seed=seed, lights_on=(20 + shift_h) % 24).build()
        cut = day_hour(30, 14)  # in the dark
        for name in ("eggs", "feed_kg", "water_l"):
            getattr(frame, name)[1, ..., cut:] = getattr(moved, name)[1, ..., cut:]
        frame.water_l[:] = _daily(frame.water_l)
        assert detect(frame) == []


def test_a_water_line_partly_blocked_is_found_with_water_read_daily() -> None:
    frame = Flock(days=40, houses=4, seed=3).build()
    frame.water_l[2, day_hour(30, 6) :] *= 0.7
    frame.water_l[:] = _daily(frame.water_l)
    alerts = detect(frame)
    assert [(a.house, a.kind) for a in alerts] == [("H03", "water_drop")]
    assert alerts[0].detected_at <= frame.hour_end(day_hour(32, 0))  # at the second day's total
