"""The detector learns each park's own day: where in the UTC day the lights come on does not matter.

Our simulator switches the lights on at 02:00-06:30 Beijing time (18:00-22:30 UTC), so laying spans
UTC midnight; another generator, or a park logging local time as UTC, puts the whole laying day
inside one UTC day.  Moving the whole hour axis must move the alerts with it and change nothing else
(measured on the simulator's seeds 1-6, moved by 8 and 16 h: the same incidents found, the control
chart's daily windows meanwhile moved its median time to detect from 43 h to 36 h and 50 h).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from analytics.alert import DetectorAlert
from analytics.detector import detect
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour


def _alerts(frame: HourlyFrame, moved_by: int = 0) -> list[tuple[object, ...]]:
    shift = timedelta(hours=moved_by)

    def key(a: DetectorAlert) -> tuple[object, ...]:
        return (a.kind, a.house, a.row, a.onset + shift, a.detected_at + shift, round(a.magnitude_pct, 6))

    return [key(a) for a in detect(frame)]


@pytest.mark.parametrize("round_the_clock", [False, True], ids=["belts", "round-the-clock"])
@pytest.mark.parametrize("hours", [3, 8, 13, 20])
def test_moving_the_hour_axis_moves_the_alerts_and_nothing_else(round_the_clock: bool, hours: int) -> None:
    frame = Flock(houses=6, seed=3, round_the_clock=round_the_clock,
                  drop_from={1: (day_hour(25, 14), 0.9)}).build()  # fmt: skip
    frame.eggs[3, 2, day_hour(30, 10) :] = 0.0  # and a dead counter
    moved = replace(frame, start=frame.start + timedelta(hours=hours))

    expected = _alerts(frame, moved_by=hours)
    assert {(k[0], k[1]) for k in expected} == {("laying_drop", "H02"), ("sensor_fault", "H04")}
    assert _alerts(moved) == expected
