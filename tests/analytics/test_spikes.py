"""Meter hours no meter can make (analytics/detector/spikes.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analytics.detector import detect
from analytics.detector.spikes import drop_spikes
from analytics.detector.windows import DAY
from analytics.offline import read_frame
from simulator.scenarios import make_scenario


def _feed(days: int = 12) -> np.ndarray:
    day = np.r_[np.zeros(6), np.full(4, 50.0), np.zeros(4), np.full(4, 40.0), np.zeros(6)]
    return np.tile(day, days)[None, :]


def test_an_hour_far_above_the_week_is_unknown() -> None:
    feed = _feed()
    feed[0, 9 * DAY + 7] = 500.0
    out = drop_spikes(feed, 0)
    assert np.isnan(out[0, 9 * DAY + 7])
    assert np.isnan(out).sum() == 1


def test_spikes_lasting_past_midnight_and_a_week_later_are_unknown() -> None:
    feed = _feed()
    feed[0, 8 * DAY - 10 : 8 * DAY + 8] *= 10  # evening to morning: its first day's largest hour is 500
    feed[0, 10 * DAY + 7] *= 10  # and one hour two days later
    out = drop_spikes(feed, 0)
    assert np.isnan(out[0, 8 * DAY - 10 : 8 * DAY + 8][feed[0, 8 * DAY - 10 : 8 * DAY + 8] > 0]).all()
    assert np.isnan(out[0, 10 * DAY + 7])


def test_a_gaps_backlog_and_the_first_week_are_kept() -> None:
    feed = _feed()
    feed[0, 9 * DAY + 3 : 9 * DAY + 7] = np.nan  # a gap; its backlog in the first hour after
    feed[0, 9 * DAY + 7] = 250.0
    out = drop_spikes(feed, 0)
    assert out[0, 9 * DAY + 7] == 250.0
    feed = _feed()
    feed[0, 7] = 500.0  # the first day: nothing to compare with
    assert drop_spikes(feed, 0)[0, 7] == 500.0


def test_a_feed_hour_ten_times_too_high_is_no_feed_drop_days_later(tmp_path: Path) -> None:
    # Seed 3's first scenario of `eggwatch evaluate`: three feed hours of house-01 ten times too
    # high moved its learned sensitivity to the weather, and two days later the expected feed:
    # a 5.8 % feed_drop on 2025-08-08.
    sc = make_scenario("suite-3-1", 300)
    frame = read_frame(*sc.write(tmp_path))
    before = [a.detected_at for a in detect(frame) if a.house == "house-01" and a.kind == "feed_drop"]
    for t in (1811, 2080, 2536):
        frame.feed_kg[0, t] *= 10
    after = [a.detected_at for a in detect(frame) if a.house == "house-01" and a.kind == "feed_drop"]
    assert after == before
