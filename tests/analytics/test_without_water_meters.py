"""A park without water meters: the feed, where it is measured hour by hour, carries what the water
would — hens eating less at once (the short windows of outage.py) and the lights moving (lights.py,
schedule.py read the feed's rhythm instead)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from analytics.detector import DetectorConfig, detect
from analytics.frame import HourlyFrame
from tests.analytics.simhouse import CHANGE_S, house
from tests.analytics.synth import Flock, day_hour

OFF = DetectorConfig(midday_frac=0.0)  # no partial fall judged in a short window


def _no_water(frame: HourlyFrame) -> HourlyFrame:
    frame.water_l[...] = np.nan
    return frame


@pytest.mark.parametrize(("seed", "utc_hour"), [(1, 22), (2, 2), (3, 22), (4, 6)])
def test_hens_eating_less_at_once_are_a_feed_drop_within_hours(seed: int, utc_hour: int) -> None:
    """H02 lays 10 % less and eats 12 % less from mid-morning (lights on at 20 UTC)."""
    onset = day_hour(30, utc_hour)
    flock = Flock(days=40, houses=4, seed=seed, drop_from={1: (onset, 0.9)}, intake_from={1: 0.88})
    frame = _no_water(flock.build())
    first = detect(frame)[0]
    hours = (first.detected_at - frame.hour_start(onset)).total_seconds() / 3600
    assert (first.kind, first.house) == ("feed_drop", "H02") and hours <= 5
    assert float(first.evidence["fall_3h_pct"] or 0) >= 8
    # The 24 h figures alone wait for most of a day.
    later = detect(frame, OFF)[0]
    assert (later.detected_at - frame.hour_start(onset)).total_seconds() / 3600 >= 10


def test_a_feed_line_stopping_mid_day_is_a_feed_drop_within_hours() -> None:
    frame = _no_water(Flock().build())
    stop = day_hour(25, 2)  # lights on at 20 UTC: six hours into the day
    frame.feed_kg[0, stop : stop + 8] *= 0.05
    (alert,) = [a for a in detect(frame) if a.kind == "feed_drop"]
    assert alert.house == "H01" and alert.detected_at - frame.hour_start(stop) <= dt.timedelta(hours=4)
    assert "feed line has stopped" in alert.message and "料线停止" in alert.message_zh


@pytest.mark.parametrize("shift_h", [-3, -2, 2, 3])
def test_lights_moved_are_no_feed_drop_in_flat_feeding(shift_h: int) -> None:
    """House H02's lights (and its feeding with them) move at day 30: the 24 h feed falls by the
    moved hours for a day, which the feed's own rhythm tells from hens eating less."""
    for seed in range(6):
        frame = _no_water(Flock(days=40, houses=4, seed=seed).build())
        moved = Flock(days=40, houses=4, seed=seed, lights_on=(20 + shift_h) % 24).build()
        cut = day_hour(30, 14)  # in the dark
        for name in ("eggs", "feed_kg"):
            getattr(frame, name)[1, ..., cut:] = getattr(moved, name)[1, ..., cut:]
        assert [a for a in detect(frame) if a.kind == "feed_drop"] == []


@pytest.mark.parametrize("shift_h", [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
def test_lights_moved_are_no_feed_drop_with_the_simulators_rhythm(tmp_path: Path, shift_h: float) -> None:
    """The project simulator's daily rhythm (a peak after lights-on and before lights-off), measured
    as feed: lights earlier move the morning peak out of the usual hours, later ones leave the first
    usual hours empty and the evening's peak late."""
    change = dt.datetime.fromtimestamp(CHANGE_S, dt.UTC)
    for seed in (0, 1, 3, 8, 9, 11):
        frame = house(tmp_path / str(seed), seed, shift_h)
        frame.feed_kg[...] = 0.5 * frame.water_l  # a feed that follows the hens hour by hour
        _no_water(frame)
        soon = [
            a
            for a in detect(frame)
            if a.kind == "feed_drop" and a.detected_at < change + dt.timedelta(days=3)
        ]
        assert soon == []
