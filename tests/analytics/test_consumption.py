"""Water and feed per hen (analytics/detector/consumption.py): a meter that misses an hour is not
hens drinking less; a line that stays dry still is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analytics.detector import detect
from analytics.detector.consumption import day_sums
from analytics.detector.windows import DAY, window_sums
from tests.analytics.simhouse import house


def _peak(frame_water: np.ndarray, day: int) -> int:
    return day * DAY + int(np.nanargmax(frame_water[day * DAY : (day + 1) * DAY]))


@pytest.mark.parametrize("seed", [5, 6, 12, 13, 14, 15, 17])
def test_a_water_meter_that_reads_zero_for_one_busy_hour_raises_nothing(tmp_path: Path, seed: int) -> None:
    # Simulated houses whose one zero hour at the drinking peak was a water_drop (5, 6, 13, 15,
    # 17: the 24 h figure ~10 % down for a day, past 12 % with the day's noise) or a laying_drop
    # (12, 14: water down 6 % lowers the laying thresholds).
    frame = house(tmp_path, seed, 0.0)
    frame.water_l[0, _peak(frame.water_l[0], 30)] = 0.0
    assert detect(frame) == []


def test_a_dropout_is_bridged_causally() -> None:
    water = np.tile(np.r_[np.full(8, 1.0), np.full(16, 10.0)], 5)[None, :].astype(float)
    at = 3 * DAY + 12
    water[0, at] = 0.0
    plain, bridged = window_sums(water, DAY)[0], day_sums(water)[0]
    assert plain[at + 1] == plain[at - 1] - 10.0  # the hour lost for a day ...
    assert bridged[at] == bridged[at - 1]  # ... stood in for by the hour before while it is the latest
    assert bridged[at + 1] == bridged[at - 1]  # ... and by its neighbours' mean once they are known
    np.testing.assert_array_equal(bridged[:at], plain[:at])


def test_a_line_that_stays_dry_is_bridged_for_its_first_hour_only() -> None:
    water = np.tile(np.r_[np.full(8, 1.0), np.full(16, 10.0)], 5)[None, :].astype(float)
    at = 3 * DAY + 12
    water[0, at : at + 4] = 0.0
    plain, bridged = window_sums(water, DAY)[0], day_sums(water)[0]
    assert bridged[at] == plain[at] + 10.0  # the first dry hour, not knowing yet
    np.testing.assert_array_equal(bridged[at + 1 :], plain[at + 1 :])
