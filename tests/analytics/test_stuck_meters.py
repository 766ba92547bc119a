"""A water or feed meter stuck at one figure (analytics/detector/stuck_meters.py): named, not taken
for the hens drinking or eating less."""

from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.alerts.recovery import recovered
from analytics.detector import detect, detect_live
from analytics.detector.stuck_meters import stuck_meter
from tests.analytics.synth import Flock, day_hour

LIGHTS_ON = 20  # the synthetic flocks' lights-on, UTC


def test_a_figure_standing_into_the_hens_day_is_stuck_from_that_hour() -> None:
    frame = Flock(days=12, houses=1, seed=0).build()
    water = frame.water_l
    t = day_hour(10, LIGHTS_ON - 2)  # two dark hours before the lights come on
    water[0, t : t + 6] = water[0, t - 1]
    stuck = stuck_meter(water)
    # Equal in the dark (its usual trickle) is no fault; its fourth hour, lit, at the same figure is.
    assert np.flatnonzero(stuck[0]).tolist() == list(range(t + 2, t + 6))


def test_a_steady_trickle_repeating_at_night_is_not_stuck() -> None:
    frame = Flock(days=12, houses=1, seed=0).build()
    night = day_hour(10, LIGHTS_ON - 7)
    frame.water_l[0, night : night + 6] = 20.0  # a coarse meter's steady night: six equal hours
    assert not stuck_meter(frame.water_l).any()


def test_a_day_spread_evenly_over_its_hours_is_not_stuck() -> None:
    # An export of each day's water and feed by the hour: 24 equal hours a day, every day, and
    # the same for days on end where the feed is a fixed ration.
    frame = Flock(days=12, houses=2, seed=0).build()
    for column in (frame.water_l, frame.feed_kg):
        days = column.reshape(2, 12, 24).sum(axis=-1)
        days[:, 4:9] = days[:, 4:5]
        column[:] = np.repeat(days / 24, 24, axis=-1)
        assert not stuck_meter(column).any()


def test_a_stuck_water_meter_is_named_and_not_a_water_drop() -> None:
    # Stuck at the last dark hour's trickle into the day: read as litres, a 95 % water_drop.
    for seed in range(3):
        frame = Flock(days=40, houses=3, seed=seed).build()
        t = day_hour(30, LIGHTS_ON - 1)
        frame.water_l[0, t : t + 30] = frame.water_l[0, t - 1]
        alerts = [a for a in detect(frame) if a.house == "H01"]
        assert [(a.kind, a.row, a.evidence["cause"]) for a in alerts] == [
            ("sensor_fault", None, "water_meter_stuck")
        ]
        (alert,) = alerts
        assert alert.detected_at == frame.hour_end(t + 2)  # its fourth hour, the second lit one
        assert "water meter" in alert.message and "水表" in alert.message_zh
        (live,) = [a for a in detect_live(frame.head(t + 3), window_hours=1) if a.house == "H01"]
        assert (live.kind, live.evidence["cause"]) == ("sensor_fault", "water_meter_stuck")
        # Its recovery: not while stuck, and once the meter reads the hens' water again.
        args = ("H01", "sensor_fault", None, alert.onset, alert.detected_at)
        during, after = frame.hour_end(t + 20), frame.hour_end(t + 30 + 24)
        assert recovered(frame, *args, during, 12, "water_meter_stuck") is False
        assert recovered(frame, *args, after, 12, "water_meter_stuck") is True


def test_a_stuck_feed_meter_is_named() -> None:
    frame = Flock(days=40, houses=3, seed=5).build()
    t = day_hour(30, LIGHTS_ON + 3)  # a lit hour's figure, on through the night
    frame.feed_kg[1, t : t + 24] = frame.feed_kg[1, t - 1]
    faults = [(a.house, a.evidence["cause"]) for a in detect(frame) if a.kind == "sensor_fault"]
    assert faults == [("H02", "feed_meter_stuck")]
    assert all(a.kind != "feed_drop" for a in detect(frame))


def test_recovered_is_none_for_an_unknown_house() -> None:
    frame = Flock(days=12, houses=1, seed=0).build()
    when = frame.hour_end(day_hour(10, 0))
    assert (
        recovered(frame, "H99", "sensor_fault", None, when, when, when + dt.timedelta(hours=30), 12) is None
    )
