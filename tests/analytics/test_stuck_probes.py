"""A temperature probe stuck at one figure (analytics/detector/stuck_probes.py): named, and its
figure not read as the house's warmth."""

from __future__ import annotations

import numpy as np

from analytics.alerts.recovery import recovered
from analytics.detector import detect, detect_live
from analytics.detector.stuck_probes import stuck_probe
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour

WARMEST = 8  # UTC hour of the houses' warmest (afternoon in China)


def _with_weather(frame: HourlyFrame, seed: int = 0, swing_c: float = 3.0) -> HourlyFrame:
    """Houses that follow the day's weather (± ``swing_c``), each a little off, read to 0.1 °C."""
    rng = np.random.default_rng(seed)
    hours = np.arange(frame.n_hours)
    day = swing_c * np.cos(2 * np.pi * (hours - WARMEST) / 24)
    offset = rng.normal(0.0, 0.5, (len(frame.houses), 1))
    frame.temp_c[:] = np.round(21.0 + day + offset + rng.normal(0.0, 0.15, frame.temp_c.shape), 1)
    return frame


def test_a_figure_standing_through_the_houses_day_is_stuck() -> None:
    frame = _with_weather(Flock(days=12, houses=4).build())
    t = day_hour(10, WARMEST)
    frame.temp_c[1, t : t + 12] = frame.temp_c[1, t - 1]  # frozen at the afternoon's warmth
    stuck = np.flatnonzero(stuck_probe(frame.temp_c)[1])
    assert stuck.size and t + 3 <= stuck[0] <= t + 6 and stuck[-1] == t + 11
    assert not stuck_probe(frame.temp_c)[[0, 2, 3]].any()


def test_a_flat_day_in_every_house_is_not_stuck() -> None:
    # A cloudy day after warm ones: every house reads about one figure for hours, by chance the
    # same tenth for five or more; the usual day says a swing, the park says the weather.
    frame = _with_weather(Flock(days=12, houses=4).build())
    t = day_hour(10, WARMEST - 3)
    frame.temp_c[:, t : t + 10] = np.round(frame.temp_c[:, t - 1 : t], 1)
    assert not stuck_probe(frame.temp_c).any()


def test_a_house_whose_day_is_flat_is_not_judged() -> None:
    frame = Flock(days=12, houses=3).build()  # climate-controlled: 21.0 °C at every hour
    assert not stuck_probe(frame.temp_c).any()


def test_a_stuck_probe_is_named_and_its_figure_not_read() -> None:
    for seed in range(3):
        frame = _with_weather(Flock(days=40, houses=4, seed=seed).build(), seed)
        t = day_hour(30, WARMEST)
        frame.temp_c[0, t : t + 40] = frame.temp_c[0, t - 1] + 2.0  # frozen warm: a heat wave read
        alerts = [a for a in detect(frame) if a.house == "H01"]
        assert [(a.kind, a.row, a.evidence["cause"]) for a in alerts] == [
            ("sensor_fault", None, "temp_probe_stuck")
        ], alerts
        (alert,) = alerts
        assert "temperature probe" in alert.message and "温度探头" in alert.message_zh
        seen = frame.head(frame.index_of(alert.detected_at))  # the data up to its detection
        (live,) = [a for a in detect_live(seen) if a.house == "H01"]
        assert live.evidence["cause"] == "temp_probe_stuck"
        # Its recovery: not while stuck, and once the probe reads the house's day again.
        args = ("H01", "sensor_fault", None, alert.onset, alert.detected_at)
        during, after = frame.hour_end(t + 30), frame.hour_end(t + 40 + 12)
        assert recovered(frame, *args, during, 12, "temp_probe_stuck") is False
        assert recovered(frame, *args, after, 12, "temp_probe_stuck") is True


def test_a_probe_reading_whole_degrees_is_judged_by_its_steps() -> None:
    # Whole degrees stand for hours while the house moves by up to one: not stuck by that alone.
    frame = _with_weather(Flock(days=20, houses=4).build(), seed=3)
    frame.temp_c[:] = np.round(frame.temp_c)
    assert not stuck_probe(frame.temp_c).any()
    # Frozen through the night's fall of six degrees, it is.
    t = day_hour(15, WARMEST)
    frame.temp_c[2, t : t + 14] = frame.temp_c[2, t - 1]
    stuck = np.flatnonzero(stuck_probe(frame.temp_c)[2])
    assert stuck.size and stuck[-1] == t + 13
    assert not stuck_probe(frame.temp_c)[[0, 1, 3]].any()
