"""Hens that fall ill drink less at once: a partial fall of mid-day drinking, judged in the house's
own noise units (outage.py), is a ``water_drop`` within hours instead of the next day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analytics.detector import DetectorConfig, detect
from analytics.frame import HourlyFrame
from tests.analytics.simhouse import house
from tests.analytics.synth import Flock, day_hour, gap

OFF = DetectorConfig(midday_frac=0.0)


def _sick(seed: int, utc_hour: int, intake: float) -> tuple[HourlyFrame, int]:
    """House H02 lays 10 % less and drinks and eats ``1 - intake`` less from day 30, ``utc_hour``
    (lights on at 20 UTC, so 22 and 02 are mid-morning)."""
    onset = day_hour(30, utc_hour)
    flock = Flock(days=40, houses=4, seed=seed, drop_from={1: (onset, 0.9)}, intake_from={1: intake})
    return flock.build(), onset


def _first(frame: HourlyFrame, onset: int, cfg: DetectorConfig | None = None) -> tuple[str, str, float]:
    alert = detect(frame, cfg)[0]
    return alert.kind, alert.house, (alert.detected_at - frame.hour_start(onset)).total_seconds() / 3600


@pytest.mark.parametrize(
    ("seed", "utc_hour", "intake"),
    [(1, 22, 0.88), (2, 2, 0.9), (3, 22, 0.88), (4, 6, 0.9)],  # 2, 6 and 10 h after lights-on
)
def test_drinking_down_mid_morning_is_a_water_drop_within_hours(
    seed: int, utc_hour: int, intake: float
) -> None:
    frame, onset = _sick(seed, utc_hour, intake)
    kind, house, hours = _first(frame, onset)
    assert (kind, house) == ("water_drop", "H02") and hours <= 5
    alert = detect(frame)[0]
    assert float(alert.evidence["fall_3h_pct"] or 0) >= 8  # the short window's fall, not the 24 h figure's
    # The 24 h figure alone waits for a day's worth of the fall (or the eggs come first).
    assert _first(frame, onset, OFF)[2] >= 10


@pytest.mark.parametrize("gap_end_utc", [16, 19])
def test_a_gateway_gap_ending_in_the_dark_does_not_hide_drinking_less(gap_end_utc: int) -> None:
    """The backlog of a gap that ends in the dark lands in an hour that is usually dry: litres drunk
    over the gap's hours, not lights switched on early (which pauses the partial fall for a day)."""
    frame, onset = _sick(1, 22, 0.88)
    end = day_hour(30, gap_end_utc)
    gap(frame, 1, end - 6, 6)
    kind, house, hours = _first(frame, onset)
    assert (kind, house) == ("water_drop", "H02") and hours <= 5


@pytest.mark.parametrize(("utc_hour", "within"), [(17, 8), (19, 6)])
def test_drinking_down_from_the_dark_is_a_water_drop_hours_after_lights_on(
    utc_hour: int, within: int
) -> None:
    """Hens fall ill 3 h or 1 h before lights-on: the fall shows once they drink (2-3 h after it),
    not the next day, when the eggs show it."""
    frame, onset = _sick(1, utc_hour, 0.9)
    assert _first(frame, onset) == ("water_drop", "H02", within)
    # Without the mid-day check the 24 h figures wait most of a day (water and feed down together,
    # or the eggs).
    _, house, hours = _first(frame, onset, OFF)
    assert house == "H02" and hours >= 14


@pytest.mark.parametrize("shift_h", [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
def test_lights_moved_are_no_fall_of_drinking(tmp_path: Path, shift_h: float) -> None:
    """The project simulator's drinking rhythm (a peak after lights-on and before lights-off) moved
    with the lights: the short window reads the hours that used to be busy, and must not take them
    for hens drinking less.  Earlier lights are seen from drinking in usually dark hours
    (``lights_came_early``); later ones leave the first usual lit hours dry (the hour check)."""
    for seed in (0, 1, 3, 8, 9, 11):
        frame = house(tmp_path / str(seed), seed, shift_h)
        assert [a for a in detect(frame) if a.kind == "water_drop"] == []


def test_hens_removed_as_entered_are_no_fall() -> None:
    """A fifth of the hens leave at 23 UTC and the count says so: the short window judges the hens
    left, not the day's mean flock."""
    frame = Flock(days=40, houses=4, seed=5).build()
    t = day_hour(30, 23)
    frame.hens[1, t:] *= 0.8
    for arr in (frame.water_l[1], frame.feed_kg[1]):
        arr[t:] *= 0.8
    frame.eggs[1, :, t:] = np.round(frame.eggs[1, :, t:] * 0.8)
    assert detect(frame) == []


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_a_park_whose_daily_drinking_swings_needs_more(seed: int) -> None:
    """Every house's whole day of drinking swings ±8 % from day to day: the same 10 % fall is
    within a day's noise, and the short window raises nothing the 24 h figures do not."""
    frame, _ = _sick(2, 2, 0.9)
    rng = np.random.default_rng(seed)
    swing = 1 + 0.08 * rng.standard_normal((frame.water_l.shape[0], frame.n_hours // 24))
    frame.water_l[...] *= np.repeat(swing, 24, axis=1)
    water = [(a.house, a.detected_at) for a in detect(frame) if a.kind == "water_drop"]
    assert water == [(a.house, a.detected_at) for a in detect(frame, OFF) if a.kind == "water_drop"]
