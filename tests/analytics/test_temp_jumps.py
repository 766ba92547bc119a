"""House temperatures no house can reach in an hour (analytics/detector/temp_jumps.py)."""

from __future__ import annotations

import numpy as np

from analytics.detector import detect
from analytics.detector.temp_jumps import BELIEVED_AFTER, JUMP_C, drop_temp_jumps
from tests.analytics.synth import Flock, day_hour

AT = day_hour(40, 6)


def test_a_reading_that_jumps_and_comes_back_is_unknown() -> None:
    temp = np.full((2, 100), 21.0)
    temp[0, 50:56] += 15.0  # six hours a probe slipped
    out = drop_temp_jumps(temp)
    assert np.isnan(out[0, 50:56]).all()
    assert not np.isnan(np.delete(out[0], range(50, 56))).any()
    assert np.array_equal(out[1], temp[1])


def test_a_jump_right_after_a_gap_is_unknown_too() -> None:
    temp = np.full((1, 100), 21.0)
    temp[0, 48:50] = np.nan
    temp[0, 50:56] += 15.0
    assert np.isnan(drop_temp_jumps(temp)[0, 48:56]).all()


def test_a_steady_warming_is_believed() -> None:
    temp = np.full((1, 100), 21.0)
    temp[0, 50:] += np.minimum(np.arange(50) * 2.0, 20.0)  # 2 °C an hour, up to 20 °C: the air can
    assert np.array_equal(drop_temp_jumps(temp), temp)


def test_a_jump_that_stays_is_believed_after_a_day() -> None:
    temp = np.full((1, 100), 21.0)
    temp[0, 50:] = 21.0 + JUMP_C + 2.0
    out = drop_temp_jumps(temp)
    assert np.isnan(out[0, 50 : 50 + BELIEVED_AFTER]).all()
    assert np.array_equal(out[0, 50 + BELIEVED_AFTER :], temp[0, 50 + BELIEVED_AFTER :])


def test_a_probe_fifteen_degrees_off_for_six_hours_is_no_heat_stress() -> None:
    frame = Flock(days=60, houses=6).build()
    frame.temp_c[2, AT : AT + 6] += 15.0
    assert [a for a in detect(frame) if a.kind == "heat_stress"] == []
