"""Row shares (analytics/detector/rows.py): learned from enough eggs to mean something, not shrunk
by a counter's blank days, and learned again once a fault is mended."""

from __future__ import annotations

from dataclasses import replace

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


def _share(frame: HourlyFrame, house: int, row: int) -> np.ndarray:
    return analyse(frame, DetectorConfig()).rows.share[house, row]


def test_a_counter_blank_for_days_keeps_its_share_when_it_is_back() -> None:
    # A counter that writes nothing for five days and comes back without their eggs (dead, then
    # replaced).  Learned across the blank, its share shrank by a third for two weeks after.
    for seed in range(3):
        frame = Flock(days=45, houses=3, seed=seed).build()
        frame.eggs[0, 4, day_hour(20, 3) : day_hour(25, 3)] = np.nan
        share = _share(frame, 0, 4)
        after = share[day_hour(26, 0) : day_hour(40, 0)] / share[day_hour(19, 0)]
        assert np.allclose(after, 1.0, atol=0.05), (seed, after.min())
        faults = {(a.kind, a.row, a.evidence["cause"]) for a in detect(frame) if a.house == "H01"}
        # Silent, and then its 24 h count short of the eggs it missed; not counting too many.
        assert faults == {
            ("sensor_fault", "05", "counter_silent"),
            ("sensor_fault", "05", "counter_collapsed"),
        }


def test_shares_are_learned_again_after_a_mended_counter() -> None:
    # Back from five dead days, the counter's 24 h count wavered about 1.5 times the share it had
    # learned while dead; that kept the house's shares as they were for the rest of the file.
    for seed in range(2):
        frame = Flock(days=70, houses=3, seed=seed).build()
        frame.eggs[0, 4, day_hour(20, 3) : day_hour(25, 3)] = 0.0
        assert np.ptp(_share(frame, 0, 2)[day_hour(45, 0) : day_hour(70, 0)]) > 0.0, seed


def test_a_row_emptied_earlier_does_not_keep_the_house_from_learning_its_shares() -> None:
    # A row emptied of its hens, a dead counter ten days later: the emptied row, short against the
    # share it had before the counter died, kept the house's shares as they were for the rest of
    # the file (up to 88 days in the simulator's parks).
    for seed in range(4):
        frame = Flock(days=70, houses=3, seed=seed).build()
        emptied = day_hour(15, 6)
        frame.eggs[0, 1, emptied:] = 0.0
        frame.hens[0, emptied:] *= 7 / 8
        frame.eggs[0, 4, day_hour(25, 3) : day_hour(28, 3)] = 0.0
        assert np.ptp(_share(frame, 0, 2)[day_hour(45, 0) : day_hour(70, 0)]) > 0.0, seed


def test_a_counter_replaced_under_a_new_id_is_counted_once_the_old_one_is_out_of_use() -> None:
    # Dead three days, then counting again under a new row id, the old id blank for good.  Counted
    # as one of the house's rows for ever, the old id kept every share as it was, the new row out
    # of the figure and the two-day trend blind (a row left out) to the end of the file.
    for seed in range(3):
        frame = Flock(days=60, houses=3, seed=seed).build()
        eggs = np.concatenate([frame.eggs, np.full((3, 1, frame.n_hours), np.nan)], axis=1)
        dead, back = day_hour(20, 3), day_hour(23, 3)
        eggs[0, 4, dead:back] = 0.0
        eggs[0, 8, back:], eggs[0, 4, back:] = eggs[0, 4, back:], np.nan
        frame = replace(frame, eggs=eggs, rows=(*frame.rows, "09"))
        rows = analyse(frame, DetectorConfig()).rows
        # Once the old id has been blank for the share window and the new one has a whole window
        # (and the left-out stretch its 48 h of counts): 18 days.
        later = slice(back + 24 * 19, frame.n_hours)
        assert rows.included[0, 8, later].all(), seed
        assert np.isnan(rows.share[0, 4, later]).all() and not rows.left_out[0, :, later].any()
        assert abs(rows.share[0, 8, later].mean() / rows.share[0, 4, dead - 48] - 1) < 0.05


def test_a_counter_dying_a_week_after_rows_were_emptied_is_only_a_counter_fault() -> None:
    # Two rows of six emptied (the count says so), then another row's counter dies 7 days later.
    # The emptied rows kept the shares they had with hens for the 14 days the shares read: the rows
    # standing in for the dead one were scaled by too small a share (a 7-point `laying_drop`) and
    # the emptied rows' zero estimates pulled the median down (three rows "counting too many").
    for seed in range(3):
        frame = Flock(days=50, houses=3, rows=6, seed=seed).build()
        emptied = day_hour(20, 6)
        frame.eggs[0, [1, 4], emptied:] = 0.0
        frame.hens[0, emptied:] *= 4 / 6
        frame.water_l[0, emptied:] *= 4 / 6
        frame.feed_kg[0, emptied:] *= 4 / 6
        frame.eggs[0, 2, day_hour(27, 3) :] = 0.0
        alerts = [(a.house, a.kind, a.row) for a in detect(frame)]
        assert alerts == [("H01", "sensor_fault", "03")], seed
        share = _share(frame, 0, 0)[day_hour(27, 0)]
        assert abs(share - 1 / 4) < 0.02, (seed, share)  # a quarter of the eggs, not a sixth


def test_a_counter_dying_a_day_after_rows_were_emptied_is_no_row_emptied_with_them() -> None:
    # Two rows of eight emptied, another row's counter dead 24-40 h later: the hen count fell within
    # the two days before its window went to 0, so it passed for a third row emptied, its hens'
    # eggs gone from the house figure (a false drop).  The hens taken out hold two rows, not three.
    for seed, hours in ((0, 24), (1, 30), (2, 40)):
        frame = Flock(days=50, houses=3, seed=seed).build()
        emptied = day_hour(20, 6)
        frame.eggs[0, [1, 5], emptied:] = 0.0
        for series in (frame.hens, frame.water_l, frame.feed_kg):
            series[0, emptied:] *= 6 / 8
        frame.eggs[0, 3, emptied + hours :] = 0.0
        alerts = [(a.house, a.kind, a.row) for a in detect(frame)]
        assert alerts == [("H01", "sensor_fault", "04")], (seed, alerts)


def test_a_row_emptied_weeks_after_another_is_emptied_too() -> None:
    # Row 02 emptied on day 15, row 06 on day 40, the count falling each time by that row's hens.
    # Summing every row emptied since the file began against the second fall, row 06 held more
    # than the hens taken out then: a false `sensor_fault` (seed 23 of the simulator's suites).
    for seed in range(3):
        frame = Flock(days=60, houses=3, seed=seed).build()
        for row, day, left in ((1, 15, 7 / 8), (5, 40, 6 / 7)):
            t = day_hour(day, 6)
            frame.eggs[0, row, t:] = 0.0
            for series in (frame.hens, frame.water_l, frame.feed_kg):
                series[0, t:] *= left
        assert detect(frame) == [], seed


def test_a_counter_dying_days_after_a_row_was_emptied_is_no_emptied_row() -> None:
    # A depopulation is flagged for four days; a counter dying 2-4 days after one was taken for a
    # row emptied then: its zero "real", the hens still in it laying for nothing (a false drop).
    for seed, days in ((0, 2.5), (1, 3.0), (2, 4.0)):
        frame = Flock(days=50, houses=3, seed=seed).build()
        emptied = day_hour(20, 6)
        frame.eggs[0, 5, emptied:] = 0.0
        frame.hens[0, emptied:] *= 7 / 8
        frame.water_l[0, emptied:] *= 7 / 8
        frame.feed_kg[0, emptied:] *= 7 / 8
        frame.eggs[0, 2, emptied + int(days * 24) :] = 0.0
        alerts = [(a.house, a.kind, a.row) for a in detect(frame)]
        assert alerts == [("H01", "sensor_fault", "03")], (seed, alerts)
