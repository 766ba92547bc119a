"""The detector on hand-made flocks: drops found fast, faults named, look-alikes ignored, causal."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from analytics import detector
from analytics.detector import DetectorConfig, analyse, analysed_days, detect, detect_live
from analytics.detector.analysis import LEAD_DAYS, row_noise_of
from analytics.detector.flocks import day_mean_hens
from analytics.detector.houses import trend_noise
from analytics.detector.windows import DAY, window_mean
from analytics.frame import HourlyFrame
from tests.analytics.crosscheck_events import remove
from tests.analytics.synth import Flock, day_hour, gap


def kinds(alerts: list, house: str | None = None) -> list[str]:
    return [a.kind for a in alerts if house is None or a.house == house]


@pytest.mark.parametrize(
    "flock",
    [
        Flock(),
        Flock(runs=(23,), day_noise=0.02, seed=1),  # one run a day, noisier
        Flock(runs=(), seed=2),  # continuous belts
        Flock(runs=(0, 3, 7), age0=75, level=0.8, seed=3),  # three runs, old flock
        Flock(age0=22, level=0.85, seed=4),  # young flock near peak
    ],
    ids=["two-runs", "one-run-noisy", "continuous", "three-runs-old", "young"],
)
def test_clean_flocks_raise_nothing(flock: Flock) -> None:
    assert detect(flock.build()) == []


@pytest.mark.parametrize(
    ("runs", "within_h"),
    [((1, 6), 30), ((23,), 40), ((), 30)],  # one run a day: the morning's eggs wait a day on the belt
    ids=["two-runs", "one-run", "continuous"],
)
def test_sudden_drop_found_within_a_day_with_onset(runs: tuple[int, ...], within_h: int) -> None:
    onset = day_hour(25, 14)
    frame = Flock(runs=runs, drop_from={0: (onset, 0.8)}).build()
    alerts = [a for a in detect(frame) if a.kind == "laying_drop"]
    assert [a.house for a in alerts] == ["H01"]
    a = alerts[0]
    delay_h = (a.detected_at - frame.hour_start(onset)).total_seconds() / 3600
    assert 0 < delay_h <= within_h
    assert abs((a.onset - frame.hour_start(onset)).total_seconds()) / 3600 <= 24
    assert 4 <= a.magnitude_pct <= 24  # 18 points once a full day is short; less when found early
    assert a.evidence["expected_pct"] == pytest.approx(90, abs=3)
    assert "下降" in a.message_zh and "points" in a.message


def test_mild_persistent_dip_found_within_three_days() -> None:
    onset = day_hour(25, 14)
    frame = Flock(day_noise=0.005, drop_from={1: (onset, 0.93)}).build()  # ~6 points
    alerts = [a for a in detect(frame) if a.kind == "laying_drop"]
    assert [a.house for a in alerts] == ["H02"]
    assert alerts[0].detected_at - frame.hour_start(onset) <= timedelta(hours=72)


def test_one_alert_per_event() -> None:
    frame = Flock(drop_from={0: (day_hour(20, 3), 0.7)}).build()
    assert kinds(detect(frame)).count("laying_drop") == 1


def test_dead_row_counter_is_a_sensor_fault_not_a_drop() -> None:
    frame = Flock().build()
    frame.eggs[0, 4, day_hour(25, 10) :] = 0.0
    alerts = detect(frame)
    assert kinds(alerts) == ["sensor_fault"]
    assert alerts[0].row == "05" and alerts[0].house == "H01"
    assert "计蛋器" in alerts[0].message_zh


@pytest.mark.parametrize("row", [0, 1])
def test_a_house_with_two_row_counters_still_tells_a_dead_counter_from_its_hens(row: int) -> None:
    # No majority of rows to take the median of: the higher count stands (hens do not stop laying
    # in one row only), so the dead one is named, and a drop in both rows is still a drop.
    onset = day_hour(25, 10)
    frame = Flock(rows=2).build()
    frame.eggs[0, row, onset:] = 0.0
    after = [a for a in detect(frame) if a.detected_at > frame.hour_start(onset)]
    assert [(a.kind, a.house, a.row) for a in after] == [("sensor_fault", "H01", f"{row + 1:02d}")]
    dropped = Flock(rows=2, drop_from={0: (onset, 0.7)}).build()
    after = [a for a in detect(dropped) if a.detected_at > dropped.hour_start(onset)]
    assert [(a.kind, a.house) for a in after] == [("laying_drop", "H01")]


def test_row_under_counting_by_half_is_a_sensor_fault() -> None:
    frame = Flock(runs=()).build()
    frame.eggs[1, 2, day_hour(25, 10) :] *= 0.45
    alerts = detect(frame)
    assert [(a.kind, a.house, a.row) for a in alerts] == [("sensor_fault", "H02", "03")]


@pytest.mark.parametrize("counts", [0.6, 0.75])
def test_row_counting_short_for_weeks_is_a_sensor_fault_and_never_a_drop(counts: float) -> None:
    # Once its share had been re-learned from its own short counts, the row used to rejoin the
    # house figure about ten days on, as a 3-4 point "laying drop".
    # Two months short: longer than the 14 days the shares are learned from.
    frame = Flock(days=90, houses=6, seed=3).build()
    frame.eggs[2, 3, day_hour(30, 9) :] *= counts
    alerts = detect(frame)
    assert [(a.kind, a.house, a.row) for a in alerts] == [("sensor_fault", "H03", "04")]
    assert alerts[0].evidence["cause"] == "counter_short"
    assert alerts[0].detected_at - frame.hour_start(day_hour(30, 9)) <= timedelta(hours=72)
    drop = Flock(days=90, houses=6, seed=3, drop_from={2: (day_hour(75, 3), 0.8)}).build()
    drop.eggs[2, 3, day_hour(30, 9) :] *= counts
    found = [a for a in detect(drop) if a.kind == "laying_drop"]
    assert len(found) == 1 and found[0].magnitude_pct > 15  # the figure stayed whole: the full drop


def test_silent_row_counter_is_reported() -> None:
    frame = Flock().build()
    frame.eggs[0, 7, day_hour(25, 10) :] = np.nan
    alerts = detect(frame)
    assert ("sensor_fault", "08") in [(a.kind, a.row) for a in alerts]
    assert "laying_drop" not in kinds(alerts)


@pytest.mark.parametrize("runs", [(1, 6), ()])
@pytest.mark.parametrize(("start", "hours"), [(21, 4), (22, 8), (1, 6)])
def test_gap_whose_backlog_was_lost_is_not_a_drop(runs: tuple[int, ...], start: int, hours: int) -> None:
    # The counters restarted from zero while the gateway was down (a power cut): the first hour
    # back holds only its own eggs.  This used to be a laying_drop of 8-89 points.
    frame = Flock(days=50, houses=3, seed=7, runs=runs).build()
    frame.eggs[0, :, day_hour(35, start) : day_hour(35, start) + hours] = np.nan
    frame.water_l[1, day_hour(35, start) : day_hour(35, start) + hours] = np.nan
    assert detect(frame) == []


@pytest.mark.parametrize("hours", [3, 11, 20])
def test_gateway_gap_that_back_fills_is_not_a_drop(hours: int) -> None:
    frame = Flock().build()
    gap(frame, 0, day_hour(25, 0), hours)
    assert detect(frame) == []


@pytest.mark.parametrize(
    ("runs", "lights_on", "hour", "within_h"),
    [((23,), 18, 14, 11), ((0, 3, 7), 22, 4, 28), ((1, 6), 20, 8, 23)],
    ids=["one-run", "three-runs", "two-runs"],
)
def test_a_drop_that_outlasts_the_days_last_run_is_found_there(
    runs: tuple[int, ...], lights_on: int, hour: int, within_h: int
) -> None:
    # A quarter fewer eggs from the next runs on.  The fast channel waits for another 30 % of a
    # day's flow to show that a short run is not made up by the next one; after the day's last
    # run (and the hour after it, where a run that came a little late counts the rest) there is
    # none, and the day's quiet hours found the drop 2-3 h later (13, 31 and 26 h).
    onset = day_hour(25, hour)
    frame = Flock(runs=runs, lights_on=lights_on, drop_from={0: (onset, 0.75)}).build()
    alerts = [a for a in detect(frame) if a.kind == "laying_drop"]
    assert [(a.house, a.evidence["channel"]) for a in alerts] == [("H01", "fast")]
    assert alerts[0].detected_at - frame.hour_start(onset) <= timedelta(hours=within_h)


@pytest.mark.parametrize(("times", "hours"), [(10, 1), (10, 3), (1.5, 6), (2, 12), (0.1, 1)])
def test_a_hen_count_that_jumps_for_hours_is_a_typo_not_a_drop(times: float, hours: int) -> None:
    # Ten times the flock for an hour (a typo, a count entered twice) divided every per-hen figure
    # of the next day by it: a 23-point laying_drop, a water_drop and a feed_drop.  A flock does not
    # grow: a rise is believed once it has lasted a day.
    frame = Flock(houses=6, seed=5).build()
    at = day_hour(25, 10)
    frame.hens[0, at : at + hours] *= times
    assert detect(frame) == []


def test_a_drop_after_a_hen_count_typo_is_found_as_soon() -> None:
    onset = day_hour(25, 16)
    alone = Flock(houses=6, seed=5, drop_from={0: (onset, 0.75)}).build()
    after_typos = copy.deepcopy(alone)
    after_typos.hens[0, day_hour(25, 10)] *= 10
    after_typos.hens[0, day_hour(25, 12)] *= 0.1
    first = [[a.detected_at for a in detect(f) if a.kind == "laying_drop"][:1] for f in (alone, after_typos)]
    assert first[0] and first[0] == first[1]


def test_the_days_mean_flock_forgets_a_typo_once_the_count_is_back() -> None:
    hens = np.full((1, 5 * 24), 30000.0)
    hens[0, 60] = 0.0  # a count of 0 for an hour
    hens[0, 90:] = 24000.0  # ... and a real depopulation later
    mean = day_mean_hens(hens)
    assert mean[0, 60] == pytest.approx(30000.0 * 23 / 24)  # while it stands, as reported
    assert (mean[0, 61:84] == 30000.0).all()  # once back, at the level before it
    assert mean[0, 100] == pytest.approx((13 * 30000.0 + 11 * 24000.0) / 24)  # a real fall stays


def test_a_row_dying_hours_after_a_hen_count_typo_is_a_sensor_fault() -> None:
    # A tenth of the flock for an hour reads as a depopulation; a row going to zero within a day
    # after one was taken as emptied, and its loss as a laying_drop.  The count was back by then.
    frame = Flock(houses=6, seed=5).build()
    frame.hens[0, day_hour(25, 10)] *= 0.1
    frame.eggs[0, 2, day_hour(25, 14) :] = 0
    alerts = [a for a in detect(frame) if a.house == "H01"]
    assert [(a.kind, a.row) for a in alerts] == [("sensor_fault", "03")]


def test_partial_depopulation_is_not_a_drop() -> None:
    frame = Flock(drop_from={0: (day_hour(25, 10), 0.7)}).build()  # 30 % of the birds leave ...
    frame.hens[0, day_hour(25, 10) :] *= 0.7  # ... and the hen count says so
    frame.water_l[0, day_hour(25, 10) :] *= 0.7
    frame.feed_kg[0, day_hour(25, 10) :] *= 0.7
    assert detect(frame) == []


@pytest.mark.parametrize("removed_at", [day_hour(25, 2), day_hour(25, 10), day_hour(25, 18)])
def test_a_large_depopulation_at_any_hour_is_not_a_drop(removed_at: int) -> None:
    # The 24 h windows mix the flock before and after for a day: per-hen figures off by up to the
    # share removed are explained by it (half of it is allowed for, and the thresholds on top).
    frame = Flock(drop_from={0: (removed_at, 0.6)}).build()
    for series in (frame.hens, frame.water_l, frame.feed_kg):
        series[0, removed_at:] *= 0.6
    assert detect(frame) == []


@pytest.mark.parametrize(("runs", "at"), [((23,), 22), ((2,), 0)])
def test_two_fifths_removed_before_the_days_run_is_not_a_drop(runs: tuple[int, ...], at: int) -> None:
    # The run after the removal counts the day's eggs at the new flock's level (those still on the
    # belt too, crosscheck_events.remove) while the day's mean count still holds most of the old
    # flock: eggs per hen a third down for a day.  A fifth of the flock or more gone within a day
    # is hens taken out (a disease kills a few % a day), and the whole share is allowed for.
    frame = Flock(runs=runs).build()
    remove(frame, 0, day_hour(25, at), 0.4)
    assert detect(frame) == []
    half = DetectorConfig(depopulation_whole_frac=1.0)  # half the share allowed for, as for deaths
    assert [a.kind for a in detect(frame, half)] == ["laying_drop"]


@pytest.mark.parametrize("then", ["zeros", "blanks", "a-new-flock"])
def test_a_house_emptied_at_the_end_of_its_flock_raises_nothing(then: str) -> None:
    frame = Flock(days=60).build()
    sold = day_hour(25, 10)
    empty = 0.0 if then != "blanks" else np.nan
    for series in (frame.hens[0], frame.water_l[0], frame.feed_kg[0], frame.eggs[0]):
        series[..., sold:] = empty
    if then == "a-new-flock":  # pullets of 17 weeks, not laying yet, ten days later
        placed = day_hour(35, 2)
        frame.hens[0, placed:] = 30000.0
        frame.age_weeks[0, placed:] = 17.0 + np.arange(frame.n_hours - placed) / (24 * 7)
        frame.water_l[0, placed:] = frame.water_l[1, placed:]
        frame.feed_kg[0, placed:] = frame.feed_kg[1, placed:]
    assert detect(frame) == []


def test_a_disease_that_kills_hens_is_no_depopulation() -> None:
    # Hens dying 4 % a day, entered as they die, while the living lay, eat and drink a fifth less:
    # the fall of hens used to pause every verdict for two days after each step, past the 72 h.
    onset = day_hour(25, 4)
    frame = Flock(drop_from={0: (onset, 0.8)}).build()
    frame.water_l[0, onset:] *= 0.8
    frame.feed_kg[0, onset:] *= 0.8
    for day in range(3):
        at = onset + 24 * day
        for series in (frame.hens, frame.water_l, frame.feed_kg):
            series[0, at:] *= 0.96
        frame.eggs[0, :, at:] = np.round(frame.eggs[0, :, at:] * 0.96)
    alerts = detect(frame)
    assert {a.kind for a in alerts} >= {"laying_drop", "water_drop", "feed_drop"}
    assert {a.house for a in alerts} == {"H01"}
    assert min(a.detected_at for a in alerts) - frame.hour_start(onset) <= timedelta(hours=30)


def _emptied_rows_then_dip(emptied: int, dip: int) -> HourlyFrame:
    """Two of eight rows of H01 emptied (their hens sold), later a 5-point dip ramping in over a day."""
    frame = Flock(days=60, houses=4, day_noise=0.004, row_noise=0.01, ramp_h=24,
                  drop_from={0: (dip, 0.94)}).build()  # fmt: skip
    frame.eggs[0, :2, emptied:] = 0.0
    for series in (frame.hens, frame.water_l, frame.feed_kg):
        series[0, emptied:] *= 0.75
    return frame


def _found_by_the_trend(frame: HourlyFrame, dip: int) -> None:
    alerts = [a for a in detect(frame) if a.house == "H01"]
    assert [a.kind for a in alerts] == ["laying_drop"]
    assert alerts[0].evidence["channel"] == "two_day_trend"
    assert timedelta(0) < alerts[0].detected_at - frame.hour_start(dip) <= timedelta(hours=72)


def test_a_mild_dip_after_rows_were_emptied_is_still_found() -> None:
    """The emptied rows' shares are re-learned as 0 and the two-day trend still judges the house; it
    used to stay off for good once a row was out of the figure."""
    dip = day_hour(45, 14)
    _found_by_the_trend(_emptied_rows_then_dip(day_hour(22, 10), dip), dip)


def test_a_gap_in_an_emptied_row_keeps_it_emptied() -> None:
    """An emptied row that misses a few hours (its counter offline, back-filled) while its share is
    being re-learned stays an emptied row; its share goes on to 0.  Kept at its old share, it would
    skew the house figure whenever another row is left out (here: a day's gap in row 6)."""
    dip = day_hour(45, 14)
    frame = _emptied_rows_then_dip(day_hour(22, 10), dip)
    frame.eggs[0, 0, day_hour(27, 3) : day_hour(27, 7)] = np.nan  # 0 eggs meanwhile
    clean = copy.deepcopy(frame)
    row6 = frame.eggs[0, 5]
    start, end = day_hour(38, 12), day_hour(38, 16)
    row6[end] += row6[start:end].sum()  # back-filled in the first hour after
    row6[start:end] = np.nan
    an, ok = analyse(frame, DetectorConfig()), analyse(clean, DetectorConfig())
    assert an.rows.share[0, :2, day_hour(40, 0)].max() < 0.01
    hours = slice(day_hour(38, 12), day_hour(39, 16))
    assert np.nanmax(np.abs(an.drops.hen_day[0, hours] - ok.drops.hen_day[0, hours])) < 1.0
    _found_by_the_trend(frame, dip)


def test_a_row_counter_that_misses_hours_every_day_leaves_the_house_judged() -> None:
    """One row's counter offline 4 h a day (its backlog back-filled): the row stays in the house
    figure, its count moved with the other rows', so a mild dip is still found by the two-day trend
    (leaving the row out kept the trend off) and nothing else is raised."""
    dip = day_hour(40, 14)
    frame = Flock(days=50, houses=4, day_noise=0.004, row_noise=0.01, ramp_h=24,
                  drop_from={0: (dip, 0.955)}).build()  # fmt: skip
    for house in (0, 1):
        row = frame.eggs[house, 3]
        for d in range(25, 49):
            start, end = day_hour(d, 21), day_hour(d, 25)
            row[end] += row[start:end].sum()
            row[start:end] = np.nan
    alerts = detect(frame)
    assert [(a.house, a.kind) for a in alerts] == [("H01", "laying_drop")]
    assert alerts[0].evidence["channel"] == "two_day_trend"
    assert timedelta(0) < alerts[0].detected_at - frame.hour_start(dip) <= timedelta(hours=72)


def test_water_falling_is_reported_before_the_eggs() -> None:
    onset = day_hour(25, 22)
    frame = Flock(drop_from={0: (onset + 24, 0.8)}).build()
    frame.water_l[0, onset:] *= 0.75
    alerts = [a for a in detect(frame) if a.house == "H01"]
    assert [a.kind for a in alerts][:2] == ["water_drop", "laying_drop"]
    assert alerts[0].detected_at < alerts[1].detected_at


def _cut(frame: HourlyFrame, n_hours: int) -> HourlyFrame:
    return frame.head(n_hours)


@pytest.mark.parametrize("round_the_clock", [False, True], ids=["belts", "round-the-clock"])
def test_causal_cutting_after_detected_at_keeps_each_alert(round_the_clock: bool) -> None:
    frame = Flock(drop_from={0: (day_hour(25, 14), 0.8)}, round_the_clock=round_the_clock).build()
    frame.eggs[1, 3, day_hour(28, 5) :] = 0.0
    full = detect(frame)
    assert full
    for a in full:
        n = frame.index_of(a.detected_at)  # hours up to detected_at
        again = detect(_cut(frame, n))
        assert a in again


@pytest.mark.parametrize("round_the_clock", [False, True], ids=["belts", "round-the-clock"])
def test_live_pass_returns_only_the_last_window(round_the_clock: bool) -> None:
    frame = Flock(drop_from={0: (day_hour(25, 14), 0.8)}, round_the_clock=round_the_clock).build()
    (alert,) = [a for a in detect(frame) if a.kind == "laying_drop"]
    n = frame.index_of(alert.detected_at)
    assert [a.to_json() for a in detect_live(_cut(frame, n), window_hours=1)] == [alert.to_json()]
    assert detect_live(_cut(frame, n + 1), window_hours=1) == []
    assert detect_live(_cut(frame, n - 1), window_hours=1) == []


def test_live_pass_on_threads_finds_what_one_thread_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of houses analysed on several threads: the same alerts, in the same order, as on one."""
    monkeypatch.setattr(detector, "LIVE_BLOCK", 4)  # 12 houses → 3 blocks
    drops = {0: (day_hour(36, 14), 0.8), 5: (day_hour(37, 2), 0.75), 9: (day_hour(37, 20), 0.8)}
    frame = Flock(houses=12, days=40, drop_from=drops).build()
    frame.eggs[6, 2, day_hour(37, 5) :] = 0.0  # a dead row counter
    one = detect_live(frame, window_hours=72, workers=1)
    assert {a.house for a in one} >= {"H01", "H06", "H07", "H10"}
    assert detect_live(frame, window_hours=72, workers=3) == one


def test_settings_can_be_overridden_by_name() -> None:
    cfg = DetectorConfig.with_overrides({"trend_z": "3.0", "baseline_days": "21", "rearm_hours": 24.0})
    assert (cfg.trend_z, cfg.baseline_days, cfg.rearm_hours) == (3.0, 21, 24)
    cases: list[tuple[dict[str, object], str]] = [
        ({"trendz": 3}, "unknown detector setting 'trendz'"),
        ({"trend_z": "high"}, "trend_z='high' is not a number"),
        ({"baseline_days": "14.5"}, "baseline_days='14.5' is not a whole number"),
        ({"trend_z": True}, "is not a number"),
        ({"min_baseline_days": 1}, "min_baseline_days"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            DetectorConfig.with_overrides(bad)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        DetectorConfig(daily_z=-1)
    with pytest.raises(ValueError):
        DetectorConfig(row_fault_ratio=0.9, row_exclude_ratio=0.5)
    with pytest.raises(ValueError, match="noise_park_days <= 3"):  # longer than a live pass's lead-in
        DetectorConfig(noise_park_days=4)
    with pytest.raises(ValueError, match="midday_days <= 3"):
        DetectorConfig(midday_days=4)
    with pytest.raises(ValueError, match="noise_days 0"):  # never enough days to learn from
        DetectorConfig(noise_days=5)
    assert DetectorConfig(noise_days=0).noise_days == 0


def test_heat_wave_is_an_early_heat_stress_warning() -> None:
    frame = Flock().build()
    onset = day_hour(25, 4)
    frame.temp_c[1, onset:] += np.linspace(0, 6, frame.n_hours - onset).clip(0, 4.5)
    alerts = detect(frame)
    assert [(a.kind, a.house) for a in alerts] == [("heat_stress", "H02")]
    assert float(alerts[0].evidence["temp_rise_c"] or 0) >= 2.5 and "热应激" in alerts[0].message_zh
    assert alerts[0].evidence["temp_rise_above_park_c"] == alerts[0].evidence["temp_rise_c"]  # 2 houses


def test_a_laying_drop_during_heat_stress_names_the_heat() -> None:
    onset = day_hour(25, 4)
    frame = Flock(houses=4, drop_from={1: (onset + 24, 0.95)}, ramp_h=48).build()
    cool = [a for a in detect(frame) if a.kind == "laying_drop"]
    assert [a.house for a in cool] == ["H02"] and cool[0].evidence["heat_stress"] is None
    assert "Check water, feed, lights" in cool[0].message
    frame.temp_c[1, onset:] += np.minimum(np.arange(frame.n_hours - onset) / 3.0, 4.0)  # cooling fails
    hot = [a for a in detect(frame) if a.kind == "laying_drop"]
    assert [(a.house, a.detected_at) for a in hot] == [("H02", cool[0].detected_at)]  # same thresholds
    assert hot[0].evidence["heat_stress"] == "recent" and float(hot[0].evidence["temp_rise_c"] or 0) > 3
    assert "heat stress" in hot[0].message and "热应激" in hot[0].message_zh


@pytest.mark.parametrize(
    ("water", "feed", "en", "zh"),
    [
        (1.0, 1.0, "Check water, feed, lights", "请检查饮水、饲料、光照"),
        (0.9, 1.0, "Water per hen is down 10% too", "饮水量也下降 10%"),
        (1.0, 0.9, "Feed per hen is down 10% too", "采食量也下降 10%"),
        (0.9, 0.9, "Water and feed per hen are down 10% and 10% too", "饮水量和采食量也分别下降"),
    ],
)
def test_a_laying_drop_names_water_or_feed_falling_with_it(
    water: float, feed: float, en: str, zh: str
) -> None:
    onset = day_hour(25, 4)
    frame = Flock(houses=4, drop_from={1: (onset, 0.9)}).build()
    frame.water_l[1, onset:] *= water
    frame.feed_kg[1, onset:] *= feed
    (drop,) = [a for a in detect(frame) if a.kind == "laying_drop"]
    assert drop.house == "H02" and en in drop.message and zh in drop.message_zh


def test_warm_weather_over_the_whole_park_is_heat_stress_only_when_hot() -> None:
    frame = Flock(houses=4).build()
    onset = day_hour(25, 4)
    warming = np.linspace(0, 8, frame.n_hours - onset).clip(0, 4.0)
    frame.temp_c[:, onset:] += warming  # 21 -> 25 °C in every house: the weather, and bearable
    assert detect(frame) == []
    frame.temp_c[:, onset:] += 2 * warming  # 21 -> 33 °C: hot whatever the cause
    assert sorted(a.house for a in detect(frame) if a.kind == "heat_stress") == ["H01", "H02", "H03", "H04"]


def test_the_afternoon_after_a_day_without_data_is_no_heat_stress() -> None:
    # Each house swings 8 °C over the day (warmest at 07:00 UTC, 15:00 in China).  H02's gateway is
    # out for a day from 08:00 UTC; the hours after it come in with the afternoon's heat, and a
    # 24 h mean over those alone was a 2-3 °C "rise" above the same windows of earlier days.
    frame = Flock(houses=4).build()
    frame.temp_c[:] += 4.0 * np.cos(2 * np.pi * (np.arange(frame.n_hours) - 7) / 24)
    gap(frame, 1, day_hour(25, 8), 24)
    frame.temp_c[1, day_hour(25, 8) : day_hour(26, 8)] = np.nan
    assert detect(frame) == []


@pytest.mark.parametrize("houses", [1, 2])
def test_a_park_too_small_to_compare_judges_a_rise_by_the_houses_own_temperature_noise(houses: int) -> None:
    # Without three houses the weather cannot be told from one house's cooling.  Passing weather
    # (a 5-day cycle) moves these houses' 24 h mean by ±2 °C: a 3 °C warm spell is ordinary for them,
    # a 12 °C rise is not (whatever its cause).
    def with_weather(flock: Flock) -> HourlyFrame:
        frame = flock.build()
        frame.temp_c[:] += 2.0 * np.sin(2 * np.pi * np.arange(frame.n_hours) / (5 * 24))
        return frame

    frame = with_weather(Flock(houses=houses))
    spell = np.zeros(frame.n_hours)
    onset = day_hour(25, 4)
    spell[onset : onset + 4 * 24] = 3.0
    frame.temp_c[:] += spell
    assert [a for a in detect(frame) if a.kind == "heat_stress"] == []
    frame.temp_c[:] += 3.0 * spell  # 12 °C above usual
    assert sorted(a.house for a in detect(frame) if a.kind == "heat_stress") == list(frame.houses)
    # The same spell in one house of a larger park is that house's cooling failing.
    park = with_weather(Flock(houses=3))
    park.temp_c[0] += spell
    assert [a.house for a in detect(park) if a.kind == "heat_stress"] == ["H01"]


def test_a_house_warming_2_degrees_more_than_the_others_is_heat_stress_in_a_park_only() -> None:
    # The others' rise is the weather, so 2 °C of this house's own already tells its cooling is
    # losing (heat_excess_c); with no park to compare, a rise must reach heat_rise_c (2.5 °C).
    onset = day_hour(25, 4)
    for houses, expected in ((4, ["H01"]), (2, [])):
        frame = Flock(houses=houses).build()
        frame.temp_c[0, onset:] += 2.2
        assert [a.house for a in detect(frame) if a.kind == "heat_stress"] == expected, houses


def test_emptying_whole_rows_is_neither_a_fault_nor_a_drop() -> None:
    frame = Flock().build()
    out = day_hour(25, 10)
    frame.eggs[0, :2, out:] = 0.0  # rows 01 and 02 emptied of hens ...
    frame.hens[0, out:] *= 0.75  # ... and the hen count says so
    frame.water_l[0, out:] *= 0.75
    frame.feed_kg[0, out:] *= 0.75
    assert detect(frame) == []


def test_a_park_without_any_row_counter_is_judged_on_its_meters() -> None:
    frame = Flock(houses=3).build()
    frame.water_l[0, day_hour(25, 6) :] *= 0.7
    bare = replace(frame, rows=(), eggs=np.zeros((3, 0, frame.n_hours)))  # no counter has reported
    assert [(a.house, a.kind) for a in detect(bare)] == [("H01", "water_drop")]
    (alert,) = detect(bare)
    live = detect_live(bare.head(frame.index_of(alert.detected_at)), window_hours=24)
    assert [(a.house, a.kind, a.detected_at) for a in live] == [(alert.house, alert.kind, alert.detected_at)]


@pytest.mark.parametrize("late", [6, 12, 16, 20])
def test_rows_emptied_before_the_count_was_entered_are_no_counter_fault(late: int) -> None:
    # The count follows the records, entered hours after the birds left: the rows' zeros are
    # explained once the fall is entered, up to a day after they began (causal: a fault alert
    # raised before the entry stays raised; here that is 20 h after the rows went quiet).
    frame = Flock().build()
    out = day_hour(25, 10)
    frame.eggs[0, :2, out:] = 0.0
    frame.hens[0, out + late :] *= 0.75
    frame.water_l[0, out:] *= 0.75
    frame.feed_kg[0, out:] *= 0.75
    assert [a for a in detect(frame) if a.kind == "sensor_fault"] == []


def test_mild_dip_found_by_two_day_evidence() -> None:
    # 6 % (~5.4 points) in a noisy one-run house: no single day is convincing, two together are.
    onset = day_hour(25, 14)
    frame = Flock(runs=(23,), day_noise=0.01, seed=4, drop_from={0: (onset, 0.94)}).build()
    alerts = detect(frame)
    assert [(a.kind, a.house) for a in alerts] == [("laying_drop", "H01")]
    assert alerts[0].evidence["channel"] == "two_day_trend"
    assert float(alerts[0].evidence["trend_z"] or 0) >= DetectorConfig().trend_z
    assert alerts[0].detected_at - frame.hour_start(onset) <= timedelta(hours=72)
    without = detect(frame, DetectorConfig(trend_z=1000.0))
    assert all(a.detected_at - frame.hour_start(onset) > timedelta(hours=72) for a in without)


def test_water_line_stopping_mid_day_is_found_within_hours() -> None:
    frame = Flock().build()
    stop = day_hour(25, 2)  # lights on at 20 UTC: six hours into the drinking day
    frame.water_l[0, stop : stop + 8] *= 0.05
    alerts = [a for a in detect(frame) if a.kind == "water_drop"]
    assert [a.house for a in alerts] == ["H01"]
    assert alerts[0].detected_at - frame.hour_start(stop) <= timedelta(hours=4)
    assert alerts[0].magnitude_pct >= 50 and float(alerts[0].evidence["fall_3h_pct"] or 0) >= 50
    # Worded as a stopped line (or meter), to be checked at once; not as the hens drinking less.
    assert "water line has stopped" in alerts[0].message and "水线停水" in alerts[0].message_zh


@pytest.mark.parametrize(("shift", "cut_h"), [(-3, 12), (2, 12), (3, 12), (2, 19), (3, 19)])
def test_lights_moved_by_hours_raise_nothing(shift: int, cut_h: int) -> None:
    # Cut at 12:00 the moved day starts at its new time after the old one ended; cut at 19:00 the
    # night before a later start grows by ``shift`` hours (the water and feed over 24 h fall by as
    # much for a day, while mid-day drinking is normal).
    frame = Flock(seed=5).build()
    moved = Flock(seed=5, lights_on=(20 + shift) % 24).build()
    cut = day_hour(25, cut_h)
    frame.water_l[:, cut:] = moved.water_l[:, cut:]
    frame.feed_kg[:, cut:] = moved.feed_kg[:, cut:]
    frame.eggs[:, :, cut:] = moved.eggs[:, :, cut:]
    assert detect(frame) == []


def test_small_lasting_feed_fall_is_a_feed_drop() -> None:
    # A feed change: 6 % less eaten, too little for a day's alarm, but it lasts (eggs follow later).
    frame = Flock(seed=3).build()
    cut = day_hour(25, 8)
    frame.feed_kg[1, cut:] *= 0.94
    alerts = detect(frame)
    assert [(a.kind, a.house) for a in alerts] == [("feed_drop", "H02")]
    assert alerts[0].detected_at - frame.hour_start(cut) <= timedelta(hours=72)
    # This feed is measured hour by hour: its short windows see the fall within a day.  Without
    # them, the last 48 h do.
    (slow,) = detect(frame, DetectorConfig(midday_frac=0.0))
    fall = slow.evidence["fall_48h_pct"]
    assert isinstance(fall, float) and 4.5 <= fall <= 7.5  # judged over the last 48 h
    assert detect(frame, DetectorConfig(feed_slow_frac=0.0, midday_frac=0.0)) == []


def test_a_lasting_feed_fall_within_the_noise_is_not_a_feed_drop() -> None:
    frame = Flock(seed=3).build()
    frame.feed_kg[1, day_hour(25, 8) :] *= 0.97
    assert detect(frame) == []


def test_without_any_age_water_and_feed_are_still_judged() -> None:
    # Intake is compared against the breed guide for the age; a house whose age is never reported is
    # compared as it is.
    frame = Flock().build()
    frame.age_weeks[:] = np.nan
    stop = day_hour(25, 2)
    frame.water_l[0, stop : stop + 8] *= 0.05
    assert [(a.kind, a.house) for a in detect(frame)] == [("water_drop", "H01")]


def _without_meters(frame: HourlyFrame) -> HourlyFrame:
    """A park with egg counters only: no water, feed or temperature reported at all."""
    for column in (frame.water_l, frame.feed_kg, frame.temp_c):
        column[:] = np.nan
    return frame


def test_a_park_with_egg_counters_only_still_has_drops_and_faults_judged() -> None:
    # Water and feed give earlier warnings and lighting-change evidence, but the laying verdicts and
    # the counter faults must not depend on them being metered.
    assert detect(_without_meters(Flock().build())) == []
    onset = day_hour(25, 14)
    frame = _without_meters(Flock(drop_from={0: (onset, 0.8)}).build())
    alerts = detect(frame)
    assert [(a.kind, a.house) for a in alerts] == [("laying_drop", "H01")]
    assert alerts[0].detected_at - frame.hour_start(onset) <= timedelta(hours=30)
    frame = _without_meters(Flock().build())
    frame.eggs[1, 2, day_hour(25, 10) :] = 0.0
    assert [(a.kind, a.house, a.row) for a in detect(frame)] == [("sensor_fault", "H02", "03")]


def test_water_that_follows_the_weather_is_expected_to_fall_on_a_cold_snap() -> None:
    frame = Flock(houses=3).build()
    t = np.arange(frame.n_hours)
    temp = 24 + 3 * np.sin(2 * np.pi * t / (24 * 9))  # weather: 21-27 °C in 9-day waves ...
    snap = day_hour(30, 0)
    temp[snap:] -= np.linspace(0, 10, frame.n_hours - snap).clip(0, 5.0)  # ... then 5 °C colder
    frame.temp_c[:] = temp
    day_mean = np.nan_to_num(window_mean(frame.temp_c, 24), nan=24.0)
    frame.water_l[:] *= 1 + 0.05 * (day_mean - 22)  # these hens drink 5 % more per °C
    assert detect(frame) == []  # the house's own sensitivity is learned
    # Blind to the weather, the same days read as hens drinking a quarter less (each time of day's
    # own noise unit, widened by the weather's swings, now keeps that short of a water_drop too).
    late = slice(snap + 3 * DAY, frame.n_hours)
    learned = analyse(frame, DetectorConfig()).water
    blind = analyse(frame, DetectorConfig(temp_days=0)).water
    assert np.nanmax(learned.z[:, late]) < 1.0
    assert np.nanmax(blind.fall[:, late]) > 0.25 and np.nanmax(blind.z[:, late]) > 2.0


def test_warm_weather_with_steady_intake_raises_nothing() -> None:
    # Intake that never followed the temperature gets no correction: warmth is not a water drop.
    frame = Flock(houses=3).build()
    onset = day_hour(25, 4)
    frame.temp_c[:, onset:] += np.linspace(0, 12, frame.n_hours - onset).clip(0, 6.0)
    assert detect(frame) == []


def test_a_live_pass_over_a_large_park_judges_warm_weather_as_the_whole_park() -> None:
    # 130 houses are analysed in two blocks of 65 (not 128 + 2): every block holds enough of the
    # park to see that all houses warmed together.
    frame = Flock(houses=130).build()
    onset = day_hour(25, 4)
    frame.temp_c[:, onset:] += (np.arange(frame.n_hours - onset) / 3.0).clip(0, 4.0)  # +4 °C in 12 h
    end = onset + 36
    cut = HourlyFrame(frame.start, frame.houses, frame.rows, frame.hens[:, :end], frame.age_weeks[:, :end],
                      frame.water_l[:, :end], frame.feed_kg[:, :end], frame.temp_c[:, :end],
                      frame.eggs[:, :, :end], frame.breeds)  # fmt: skip
    assert detect_live(cut, window_hours=24) == []


@pytest.mark.parametrize("runs", [(1, 6), (23,), ()], ids=["two-runs", "one-run", "continuous"])
def test_a_quiet_park_has_a_three_point_dip_found(runs: tuple[int, ...]) -> None:
    # Day noise ~0.5 points: a 3.2-point step is 6 sigma a day.  A hard 1.5-point noise floor hid it.
    onset = day_hour(40, 9)
    flock = Flock(days=60, houses=6, runs=runs, day_noise=0.004, row_noise=0.012, seed=3,
                  drop_from={2: (onset, 1 - 3.2 / 90)})  # fmt: skip
    frame = flock.build()
    alerts = detect(frame)
    assert [(a.kind, a.house) for a in alerts] == [("laying_drop", "H03")]
    assert alerts[0].detected_at - frame.hour_start(onset) <= timedelta(hours=72)
    assert float(alerts[0].evidence["trend_noise_pts"] or 0) < DetectorConfig().trend_sigma_floor_pts
    hard_floor = DetectorConfig(trend_park_weight=0.0, trend_sigma_scale=1.0, trend_floor_power=1.0)
    assert detect(frame, hard_floor) == []


def test_trend_noise_pulls_a_lucky_low_estimate_towards_the_park() -> None:
    cfg = DetectorConfig()
    sigma = np.array([[2.0], [2.0], [2.0], [0.6]])  # the last house's MAD read low by chance
    full = np.full_like(sigma, 14.0)
    noise = trend_noise(sigma, full, cfg)[:, 0]
    assert noise[0] == pytest.approx(2.0 * cfg.trend_sigma_scale)
    assert noise[3] > 1.5  # sqrt((0.6² + 2²) / 2) x 1.15 = 1.70
    alone = trend_noise(sigma[3:], full[3:], cfg)[0, 0]  # no park to learn from
    assert 0.6 < alone < cfg.trend_sigma_floor_pts  # the soft floor: believed in part


def test_trend_noise_trusts_a_low_estimate_only_with_a_full_baseline() -> None:
    cfg = DetectorConfig()
    sigma = np.full((1, 2), 0.5)
    noise = trend_noise(sigma, np.array([[6.0, 14.0]]), cfg)[0]
    assert noise[0] == pytest.approx(cfg.trend_sigma_floor_pts)  # six days: the hard floor
    assert noise[1] < cfg.trend_sigma_floor_pts


def test_a_live_pass_has_the_whole_runs_figures_from_its_lead_in_on() -> None:
    """The figures a live pass computes before its first verdict (multi-day checks and onsets look
    back on them) are the whole run's after their first day (each hour's noise pools the day before
    it): with 19 days analysed none of the lead-in's were (12 days of baseline of 14).  The two-day
    trend's, whose unit pools the park over ``noise_park_days``, from a day before the first verdict
    (a round-the-clock trend looks back ``round_the_clock_trend_hours`` on them)."""
    frame = Flock(days=40, houses=4, seed=5, day_noise=0.02).build()
    cfg = DetectorConfig()
    keep = 24 * analysed_days(cfg, 3)
    # What the rows add to the noise is learned from the days before the analysed ones (as by detect_live).
    rows = row_noise_of(frame, cfg)[:, -keep:]
    live = analyse(frame.tail(keep), cfg, evaluate_from=keep - 72, noise=rows)
    whole = analyse(frame, cfg)
    first_day = keep - 72 - 24 * (LEAD_DAYS - 1)
    day_before = keep - 72 - 24
    assert cfg.round_the_clock_trend_hours <= 24
    for name in ("hen_day", "expected", "sigma", "deficit", "sigma_quiet", "trend", "trend_noise"):
        exact = day_before if name.startswith("trend") else first_day
        np.testing.assert_allclose(
            getattr(live.drops, name)[:, exact:],
            getattr(whole.drops, name)[:, frame.n_hours - keep + exact :],
            rtol=1e-9,
        )
