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


def test_a_probe_that_never_changed_is_not_judged() -> None:
    frame = Flock(days=12, houses=3).build()  # 21.0 °C at every hour: its noise is unknown
    assert not stuck_probe(frame.temp_c).any()


def _held(frame: HourlyFrame, seed: int = 0, noise_c: float = 0.15) -> HourlyFrame:
    """Climate-controlled houses: 22 °C at every hour of the day, read to 0.1 °C with the probe's
    noise (a tenth or two)."""
    rng = np.random.default_rng(seed)
    frame.temp_c[:] = np.round(22.0 + rng.normal(0.0, noise_c, frame.temp_c.shape), 1)
    return frame


def test_a_frozen_probe_in_a_house_whose_day_is_flat_is_named() -> None:
    # The day never moves, so only the probe's own noise can tell: gone for twice as long as any
    # figure stood in the week before, and ten hours after the first at the least.
    for seed in range(3):
        frame = _held(Flock(days=30, houses=4, seed=seed).build(), seed)
        assert not stuck_probe(frame.temp_c).any()  # its figure changes most hours
        t = day_hour(20, 3)
        frame.temp_c[1, t : t + 30] = frame.temp_c[1, t]
        stuck = np.flatnonzero(stuck_probe(frame.temp_c)[1])
        first = t  # the figure frozen may have been read an hour or two before by chance
        while frame.temp_c[1, first - 1] == frame.temp_c[1, t]:
            first -= 1
        assert stuck.size and stuck[0] == first + 10 and stuck[-1] >= t + 29  # until it changes
        assert (frame.temp_c[1, stuck] == frame.temp_c[1, t]).all()
        assert not stuck_probe(frame.temp_c)[[0, 2, 3]].any()
        alerts = [a for a in detect(frame) if a.kind == "sensor_fault"]
        assert [(a.house, a.evidence["cause"]) for a in alerts] == [("H02", "temp_probe_stuck")]


def test_a_house_that_rose_smoothly_and_levelled_off_is_not_judged_by_its_noise() -> None:
    # No flicker in the week before (every hour a little warmer): the probe's noise does not
    # show, so a figure that then stands may be the house settled.  Alone, as in a park of one.
    frame = Flock(days=40, houses=1).build()
    onset = day_hour(25, 4)
    frame.temp_c[:, onset:] += np.linspace(0, 8, frame.n_hours - onset).clip(0, 4.0)
    assert not stuck_probe(frame.temp_c).any()


def test_nights_that_stand_still_and_coarse_probes_are_not_a_frozen_probe() -> None:
    # A heated house's nights hold one figure for hours (the heating at its set point): a night
    # a little longer than the others is no fault.
    frame = _held(Flock(days=30, houses=4).build())
    for day in range(30):
        night = day_hour(day, 14)
        frame.temp_c[:, night : night + 7] = frame.temp_c[:, night : night + 1]
    t = day_hour(25, 14)
    frame.temp_c[:, t : t + 10] = frame.temp_c[:, t : t + 1]  # 9 equal hours after the first
    assert not stuck_probe(frame.temp_c).any()
    # A probe read to whole degrees repeats most hours: frozen, it is not told from the house.
    frame = _held(Flock(days=30, houses=4).build())
    frame.temp_c[:] = np.round(frame.temp_c)
    frame.temp_c[1, day_hour(20, 3) : day_hour(21, 9)] = 23.0
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
