"""Row shares (analytics/detector/rows.py): learned from enough eggs to mean something."""

from __future__ import annotations

import numpy as np

from analytics.detector import DetectorConfig, analyse, detect
from analytics.detector.rows import SHARE_MIN_EGGS
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour


def _starting_after_the_lay(seed: int) -> HourlyFrame:
    """A file that starts at 08 UTC, after the morning's eggs were counted: its first night holds a
    few late eggs (one row 2, the others 1), the next morning the usual thousands."""
    frame = Flock(days=20, houses=6, seed=seed, runs=()).build()
    frame = frame.tail(frame.n_hours - 8)
    frame.eggs[:, :, :12] = 0.0
    frame.eggs[:, :, 0] = [2, 1, 1, 1, 1, 1, 1, 1]
    return frame


def test_a_file_starting_after_the_lay_raises_no_counter_fault() -> None:
    # Shares learned from the first night's 9 eggs made row 01 (2 of them) "collapsed" the next
    # day in 20 of these 36 houses.
    for seed in range(6):
        faults = [a for a in detect(_starting_after_the_lay(seed)) if a.kind == "sensor_fault"]
        assert faults == [], faults


def test_shares_wait_for_enough_eggs_then_match_the_rows() -> None:
    frame = _starting_after_the_lay(0)
    share = analyse(frame, DetectorConfig()).rows.share[0]
    first = int(np.argmax(~np.isnan(share[0])))
    # Learned from the days before the last one: not from the first night's 9 eggs, but from the
    # first morning's lay, the next day.
    assert np.nansum(frame.eggs[0, :, : first - 24 + 1]) >= SHARE_MIN_EGGS * len(frame.rows)
    assert first < 48
    # Each row's share of the house's eggs over the whole file (the rows differ by up to ±20 %).
    truth = np.nansum(frame.eggs[0], axis=1) / np.nansum(frame.eggs[0])
    assert np.allclose(share[:, -1], truth, rtol=0.02)


def test_small_houses_rows_are_not_faulty_by_counting_chance() -> None:
    # Houses of 600 hens: ~65 eggs a row a day, counted by chance (Poisson).  Judged by the ratio
    # thresholds alone, 43 false sensor_faults over these 8 parks; one dead counter each is named.
    for seed in range(8):
        frame = Flock(houses=6, days=40, hens=600.0, seed=seed).build()
        frame.eggs[:] = np.random.default_rng(seed).poisson(frame.eggs)
        frame.eggs[3, 2, day_hour(30, 3) :] = 0.0
        faults = [(a.house, a.row) for a in detect(frame) if a.kind == "sensor_fault"]
        assert faults == [("H04", "03")], (seed, faults)
