"""A row counter stuck at one figure (analytics/detector/stuck.py): named, and not taken for eggs."""

from __future__ import annotations

import numpy as np

from analytics.detector import DetectorConfig, analyse, detect, detect_live
from analytics.detector.stuck import MAX_HOURS, hours_needed, stuck_counts, stuck_runs
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour


def test_a_figure_is_stuck_after_the_hours_its_size_needs() -> None:
    assert list(hours_needed(np.array([20.0, 140.0, 1000.0, 5000.0, 1e6]))) == [8, 7, 6, 5, 4]
    row = [0, 0, *[30] * 9, 7, np.nan, 25, 25]  # the zeros before the run are not part of it
    belt = [0, *[5000] * 6, 0, *[1] * 7]
    neighbours = np.random.default_rng(0).poisson(300, (2, 15))  # counting, not repeating
    eggs = np.array([[row, belt, *neighbours]], dtype=float)
    stuck = stuck_counts(eggs)
    assert np.flatnonzero(stuck[0, 0]).tolist() == [9, 10]  # the 8th and 9th hour of 30
    assert np.flatnonzero(stuck[0, 1]).tolist() == [5, 6]  # the 5th and 6th hour of 5000
    assert not stuck[0, 2:].any()
    runs = stuck_runs(eggs, stuck)
    assert np.flatnonzero(runs[0, 0]).tolist() == list(range(2, 11))
    assert np.flatnonzero(runs[0, 1]).tolist() == list(range(1, 7))


def test_a_day_spread_evenly_over_its_hours_is_not_stuck() -> None:
    # An export of each day's count by the hour: every row repeats for a day, none alone.
    days = np.random.default_rng(2).poisson(3000, (2, 8, 10)).astype(float)
    eggs = np.repeat(days / 24, 24, axis=-1)
    assert not stuck_counts(eggs).any()


def test_counts_that_repeat_by_chance_are_not_stuck() -> None:
    # Counting round the clock, 20-200 eggs an hour: a count equals the one before up to one time
    # in 16.  2,000 rows over 60 days (2.9 million row-hours): equal pairs by the thousand, no run.
    rng = np.random.default_rng(1)
    eggs = rng.poisson(rng.uniform(20, 200, (250, 8, 1)), (250, 8, 60 * 24)).astype(float)
    assert (eggs[..., 1:] == eggs[..., :-1]).sum() > 50_000
    assert not stuck_counts(eggs).any()


def _stuck_from(frame: HourlyFrame, house: int, row: int, start: int, hours: int) -> int:
    """The row's count from ``start`` on, ``hours`` long, is its last belt run's count repeated
    (the value an export writes when the register stops changing); the run's count."""
    counted = np.flatnonzero(frame.eggs[house, row, :start] > 0)
    value = frame.eggs[house, row, counted[-1]]
    frame.eggs[house, row, start : start + hours] = value
    return int(value)


def test_a_stuck_counter_is_named_and_its_counts_not_taken_for_eggs() -> None:
    # Seed 1: the run's first six hours, counted before it is known stuck, lifted one day's figure
    # up to 5.5 points (and bridged on for six hours more); read back as the baseline, a low day
    # five days later was a 3.3-point two-day trend.
    for seed in range(4):
        frame = Flock(days=45, houses=3, seed=seed).build()
        start = day_hour(20, 9)
        value = _stuck_from(frame, 0, 4, start, 40)
        alerts = [a for a in detect(frame) if a.house == "H01"]
        # Nothing else: no laying drop or rise, no row short once it is back.
        assert [(a.kind, a.row, a.evidence["cause"]) for a in alerts] == [
            ("sensor_fault", "05", "counter_stuck")
        ]
        (alert,) = alerts
        hours = int(hours_needed(np.array(float(value))))
        assert frame.index_of(alert.detected_at) == start + hours
        assert alert.evidence["count"] == value
        assert f"{value}" in alert.message and f"{value}" in alert.message_zh
        # Causal: a live pass ending at that hour raises it too.
        (live,) = [a for a in detect_live(frame.head(start + hours), window_hours=1) if a.house == "H01"]
        assert (live.kind, live.row, live.detected_at) == ("sensor_fault", "05", alert.detected_at)
        # The row's share after the run is its own, not the share of the repeated counts.
        share = analyse(frame, DetectorConfig()).rows.share[0, 4]
        after = share[day_hour(23, 0) : day_hour(40, 0)] / share[day_hour(19, 0)]
        assert np.allclose(after, 1.0, atol=0.05), (seed, after.min(), after.max())


def test_a_stuck_counter_is_named_once_not_also_as_silent() -> None:
    frame = Flock(days=40, houses=3, seed=4).build()
    _stuck_from(frame, 1, 2, day_hour(25, 9), 3 * 24)  # three days: past the silent rule's 12 h
    faults = [(a.house, a.row, a.evidence["cause"]) for a in detect(frame) if a.kind == "sensor_fault"]
    assert faults == [("H02", "03", "counter_stuck")]
    assert DetectorConfig().row_silent_hours > MAX_HOURS
