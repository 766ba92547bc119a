"""The outage stress run (tests/analytics/outages.py) places and makes its outages as it says."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from analytics.offline import read_frame
from simulator.scenarios import make_scenario
from tests.analytics.outages import AFTER_H, QUIET_DAYS, gateway_offline, quiet_hour, run_frame, stop_belt


def test_outages_are_placed_away_from_incidents_and_tallied() -> None:
    sc = make_scenario("stops", 3, n_houses=2, days=60)
    with tempfile.TemporaryDirectory() as tmp:
        frame = read_frame(*sc.write(Path(tmp)))
    rng = np.random.default_rng(0)
    at = quiet_hour(frame, sc.labels, "house-01", rng, 12)
    assert at is not None
    t0, margin = frame.hour_start(at), timedelta(days=QUIET_DAYS)
    t1 = t0 + timedelta(hours=12 + AFTER_H)
    for lb in (lb for lb in sc.labels if lb.house == "house-01"):
        assert t1 < lb.onset - margin or t0 > (lb.end or lb.onset) + margin
    day = np.nansum(frame.eggs[0, :, at : at + 36])
    stopped = replace(frame, eggs=frame.eggs.copy())
    stop_belt(stopped, 0, at, 12)
    assert np.nansum(stopped.eggs[0, :, at : at + 12]) == 0
    assert np.nansum(stopped.eggs[0, :, at : at + 36]) == day  # nothing lost, only late
    tally = run_frame(frame, sc.labels, 6, rng)
    assert tally.stops == 2 and tally.false_drops <= tally.stops
    offline = replace(frame, eggs=frame.eggs.copy(), water_l=frame.water_l.copy(), hens=frame.hens.copy())
    gateway_offline(offline, 0, at, 12)
    assert np.isnan(offline.eggs[0, :, at : at + 12]).all() and np.isnan(offline.hens[0, at : at + 12]).all()
    assert np.nansum(offline.eggs[0, :, at : at + 36]) == day
    assert np.nansum(offline.water_l[0, at : at + 36]) == pytest.approx(
        np.nansum(frame.water_l[0, at : at + 36])
    )
