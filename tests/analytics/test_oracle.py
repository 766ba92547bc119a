"""The perfect-level bound (tests/analytics/oracle.py): its twin is the scenario without noise or
drops, and the detector given that level does at least as well as with its own baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analytics.detector import DetectorConfig
from analytics.detector.analysis import analyse
from simulator.scenarios import make_scenario
from tests.analytics.oracle import _frame, _twin_houses, run


def test_the_twin_lays_without_day_to_day_noise_and_keeps_everything_else(tmp_path: Path) -> None:
    real = make_scenario("suite-1-1", 100, n_houses=3, days=50)
    with _twin_houses():
        twin = make_scenario("suite-1-1", 100, n_houses=3, days=50)
    assert twin.labels == real.labels
    assert [h["hens"] for h in twin.houses_rows] == [h["hens"] for h in real.houses_rows]
    cfg = DetectorConfig(piece_days=0)
    swings = []
    for sc in (real, twin):
        hd = analyse(_frame(sc, tmp_path / ("twin" if sc is twin else "real")), cfg).drops.hen_day
        daily = hd[:, 24 * 10 + 20 :: 24][:, :30]  # one hour a day over a month
        # Day-to-day swings around each house's own course (a young flock rises ~5 points a week).
        swings.append(np.nansum(np.nanmedian(np.abs(np.diff(daily, 2, axis=1)), axis=1)))
    assert swings[1] < 0.5 * swings[0]


@pytest.mark.slow
def test_the_perfect_level_finds_as_much_with_fewer_false_alarms() -> None:
    own = run([1], [3.1], "own")[3.1]
    perfect = run([1], [3.1], "twin")[3.1]
    assert own.production_events == perfect.production_events > 0
    assert perfect.detected >= own.detected
    assert perfect.false_alarms < own.false_alarms
