"""A row counter counting too many: a counter counting double, or one whose reading sticks high.

The detector knew only counters that miss eggs.  One counting double was never reported; it lifted
the house figure, and once mended it was reported as the good counter "counting short".  Now a row
above 1.5 × what its neighbours imply for 30 h is a ``sensor_fault`` (``counter_high``) and is left
out of the house figure until it is back; a late belt run, whose row holds two runs in its 24 h
window for less than a day, is not.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.alert import DetectorAlert
from analytics.detector import detect
from tests.analytics.synth import Flock, day_hour

FAULT = day_hour(25, 3)


def faults(alerts: list[DetectorAlert]) -> list[tuple[str, str, str | None, object]]:
    return [(a.kind, a.house, a.row, a.evidence.get("cause")) for a in alerts]


@pytest.mark.parametrize("round_the_clock", [False, True], ids=["belts", "round-the-clock"])
@pytest.mark.parametrize("days", [3, 7, 20])
def test_a_row_counting_double_is_one_sensor_fault_and_nothing_when_mended(
    round_the_clock: bool, days: int
) -> None:
    frame = Flock(houses=6, seed=4, round_the_clock=round_the_clock).build()
    frame.eggs[2, 3, FAULT : FAULT + 24 * days] *= 2
    alerts = detect(frame)
    # One fault, not a second one ("counting short") for the good counter once it is mended.
    assert faults(alerts) == [("sensor_fault", "H03", "04", "counter_high")]
    ratio = alerts[0].evidence["row_ratio"]
    assert isinstance(ratio, float) and ratio > 1.5
    assert (alerts[0].detected_at - frame.hour_start(FAULT)).total_seconds() / 3600 <= 60


def test_a_reading_stuck_at_a_belt_runs_count_is_a_sensor_fault() -> None:
    frame = Flock(houses=6, seed=4).build()
    row = frame.eggs[2, 3]
    row[FAULT:] = row[np.flatnonzero(row[:FAULT] > 0)[-1]]  # the last run's count, every hour
    assert faults(detect(frame)) == [("sensor_fault", "H03", "04", "counter_stuck")]  # stuck.py


def test_a_drop_while_a_row_counts_double_is_still_found() -> None:
    frame = Flock(houses=6, seed=4, drop_from={2: (day_hour(33, 14), 0.85)}).build()
    frame.eggs[2, 3, FAULT:] *= 2
    alerts = detect(frame)
    assert faults(alerts) == [
        ("sensor_fault", "H03", "04", "counter_high"),
        ("laying_drop", "H03", None, None),
    ]
    assert 12 <= alerts[1].magnitude_pct <= 18  # the true 15 % of the house, the doubled row left out


@pytest.mark.parametrize("by", [6, 12, 18])
def test_one_rows_late_belt_run_is_not_counting_too_many(by: int) -> None:
    # Its 24 h window holds the late run and the next one until the late run falls out of it.
    frame = Flock(houses=6, seed=4).build()
    run = day_hour(25, 1)
    frame.eggs[2, 3, run + by] += frame.eggs[2, 3, run]
    frame.eggs[2, 3, run] = 0.0
    assert all(a.evidence.get("cause") != "counter_high" for a in detect(frame))


def test_a_mended_counter_that_was_dead_is_not_counting_too_many() -> None:
    frame = Flock(houses=6, seed=4).build()
    frame.eggs[2, 3, FAULT : FAULT + 24 * 6] = 0.0
    assert faults(detect(frame)) == [("sensor_fault", "H03", "04", "counter_collapsed")]
