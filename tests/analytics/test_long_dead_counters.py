"""A row counting nothing for longer than the detector looks back: the rows that count stand for the
house.

A dead counter is left out of the house figure with the share it had before it died; a row emptied
of its hens stays in with its zero.  When that began before the history does (a file that starts
after it, or a live pass that looks back 23 days) no share was ever learned; the house had no figure
at all then, and a drop in it went unseen.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from analytics.detector import DetectorConfig, analyse, detect, detect_live
from tests.analytics.synth import Flock, day_hour


def test_a_counter_dead_before_the_file_starts_leaves_the_house_its_figure() -> None:
    frame = Flock(days=40, houses=3, drop_from={0: (day_hour(30, 14), 0.8)}).build()
    frame.eggs[0, 4, :] = 0.0
    assert not np.isnan(analyse(frame, DetectorConfig()).drops.hen_day[0, 24 * 10 :]).any()
    (alert,) = detect(frame)
    assert (alert.house, alert.kind) == ("H01", "laying_drop")
    assert alert.detected_at - frame.hour_start(day_hour(30, 14)) <= timedelta(hours=30)
    # Read from the seven counting rows, the figure is short by the dead row's share (an eighth).
    assert 0.8 * 18 < alert.magnitude_pct < 1.05 * 18


def test_a_live_pass_still_finds_a_drop_where_a_counter_has_been_dead_for_weeks() -> None:
    frame = Flock(days=70, houses=3, drop_from={0: (day_hour(60, 14), 0.8)}).build()
    frame.eggs[0, 4, day_hour(5, 0) :] = 0.0  # 55 days dead; a live pass analyses the last 23
    fault, drop = detect(frame)
    assert (fault.kind, fault.row, drop.kind) == ("sensor_fault", "05", "laying_drop")
    n = frame.index_of(drop.detected_at)
    (live,) = detect_live(frame.head(n), window_hours=1)
    assert (live.house, live.kind, live.detected_at) == ("H01", "laying_drop", drop.detected_at)
    assert live.magnitude_pct > 0.8 * drop.magnitude_pct


def test_a_live_pass_weeks_after_rows_were_emptied_still_finds_a_drop() -> None:
    # A partial depopulation emptied two rows of eight (their hens sold) 50 days before: their zero
    # is real, and the counting rows are the whole house, as in a run over the whole history.
    frame = Flock(days=70, houses=3, drop_from={0: (day_hour(60, 14), 0.8)}).build()
    frame.eggs[0, :2, day_hour(10, 0) :] = 0.0
    for series in (frame.hens, frame.water_l, frame.feed_kg):
        series[0, day_hour(10, 0) :] *= 0.75
    (drop,) = [a for a in detect(frame) if a.detected_at > frame.hour_start(day_hour(12, 0))]
    n = frame.index_of(drop.detected_at)
    (live,) = detect_live(frame.head(n), window_hours=1)
    assert (live.house, live.kind, live.detected_at) == ("H01", "laying_drop", drop.detected_at)
    assert live.to_json()["evidence"]["hen_day_24h_pct"] == drop.to_json()["evidence"]["hen_day_24h_pct"]
