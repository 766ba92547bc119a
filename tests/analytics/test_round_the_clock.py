"""Eggs, water and feed spread evenly over the 24 hours: no laying time, no belt runs, no lights.

A simple generator, or a park that exports daily figures by the hour, gives such data.  The detector
had learned its quiet hours, stalls and lighting changes from the daily rhythm: with none, it saw
lighting changes in the noise, had no hour to judge a day in, and read every counter stopping as a
laying drop.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import numpy as np
import pytest

from analytics.detector import detect
from tests.analytics.synth import Flock, day_hour, gap

flock = partial(Flock, round_the_clock=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_clean_flocks_raise_nothing(seed: int) -> None:
    assert detect(flock(houses=6, seed=seed).build()) == []


@pytest.mark.parametrize("seed", [1, 2])
def test_counting_that_swings_over_a_drifting_day_raises_nothing(seed: int) -> None:
    # Laying an hour later than yesterday leaves the last hours short, not the day.
    assert detect(flock(houses=6, days=60, seed=seed, swing=0.5, drift_h=0.5).build()) == []


@pytest.mark.parametrize(
    ("factor", "within_h"), [(0.8, 6), (0.9, 10), (0.93, 72)], ids=["18-points", "9-points", "6-points"]
)
def test_a_drop_is_found(factor: float, within_h: int) -> None:
    onset = day_hour(25, 14)
    frame = flock(day_noise=0.005, drop_from={1: (onset, factor)}).build()
    alerts = detect(frame)
    assert [(a.kind, a.house) for a in alerts] == [("laying_drop", "H02")]
    assert alerts[0].detected_at - frame.hour_start(onset) <= timedelta(hours=within_h)


def test_a_dead_row_counter_is_a_sensor_fault() -> None:
    frame = flock().build()
    frame.eggs[0, 4, day_hour(25, 10) :] = 0.0
    assert [(a.kind, a.house, a.row) for a in detect(frame)] == [("sensor_fault", "H01", "05")]


def test_three_counters_dying_at_once_are_not_a_drop_in_the_last_hours() -> None:
    # The last hours' figure would be three eighths short at once; the 24 h figure leaves the rows
    # out only once they are a fifth short, hours later.
    frame = flock().build()
    frame.eggs[0, :3, day_hour(25, 10) :] = 0.0
    alerts = detect(frame)
    assert sorted((a.kind, a.row) for a in alerts) == [("sensor_fault", f"0{r}") for r in (1, 2, 3)]


def test_every_counter_stopping_is_a_sensor_fault_not_a_drop() -> None:
    frame = flock().build()
    frame.eggs[0, :, day_hour(25, 10) : day_hour(28, 10)] = 0.0
    alerts = detect(frame)
    assert [(a.kind, a.row, a.evidence["cause"]) for a in alerts] == [
        ("sensor_fault", None, "counting_stopped")
    ]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("hours", [1, 2])
def test_an_hour_or_two_without_eggs_then_their_backlog_is_not_a_drop(hours: int, seed: int) -> None:
    # Counting round the clock, one hour holds about 4 % of a day: a stall was held only from 8 %,
    # and the 24 h figure an hour short read as a 5-point `laying_drop` (seed 1, one hour).
    frame = flock(houses=6, seed=seed, day_noise=0.005, row_noise=0.02).build()
    at = day_hour(25, 2)
    frame.eggs[0, :, at + hours] += frame.eggs[0, :, at : at + hours].sum(axis=-1)
    frame.eggs[0, :, at : at + hours] = 0.0
    assert [a for a in detect(frame) if a.kind != "sensor_fault"] == []


@pytest.mark.parametrize("hours", [3, 20])
def test_a_gateway_gap_that_back_fills_is_not_a_drop(hours: int) -> None:
    frame = flock().build()
    gap(frame, 0, day_hour(25, 0), hours)
    assert detect(frame) == []


def test_water_falling_is_a_water_drop() -> None:
    frame = flock().build()
    frame.water_l[0, day_hour(25, 10) :] *= 0.85
    assert [(a.kind, a.house) for a in detect(frame)] == [("water_drop", "H01")]
    assert np.isfinite(frame.water_l).all()


def test_a_partial_depopulation_is_not_a_drop() -> None:
    frame = flock(houses=6).build()
    removed = day_hour(25, 10)
    for series in (frame.hens, frame.water_l, frame.feed_kg):
        series[0, removed:] *= 0.7
    frame.eggs[0, :, removed:] *= 0.7
    assert detect(frame) == []
