"""A house that never reports its hen count: a count estimated from its first days' eggs keeps it
judged (hen_count.py), and its alerts say the per-hen figures rest on that estimate."""

from __future__ import annotations

import numpy as np

from analytics.detector import detect, detect_live
from analytics.detector.hen_count import (
    DEFAULT_LEVEL_PCT,
    GUIDE_SHARE,
    with_estimated_hens,
    with_hens_rescaled,
)
from analytics.frame import HourlyFrame
from eggwatch.breeds import curve
from tests.analytics.synth import Flock, day_hour

DAYS = 5  # min_baseline_days' default


def _no_count(frame: HourlyFrame, house: int) -> HourlyFrame:
    frame.hens[house] = np.nan
    return frame


def test_the_count_is_the_first_days_eggs_at_the_breed_standard() -> None:
    flock = Flock(days=30, houses=3, level=0.9, seed=4)
    frame = _no_count(flock.build(), 1)
    out, estimated = with_estimated_hens(frame, DAYS)
    assert estimated == ("H02",)
    hens = out.hens[1, DAYS * 24 :]
    assert np.all(hens == hens[0])  # one count, every hour from the end of the days it comes from
    assert np.isnan(out.hens[1, : DAYS * 24]).all()  # not before: the input cut then has none
    # The flock lays 90 % of its 30,000 hens' eggs; the count makes that what a flock of the breed
    # lays at its age (a few per cent under the breed standard).
    standard = float(curve(frame.breeds[1]).hen_day(flock.age0))
    assert abs(hens[0] - 30000.0 * 90.0 / (GUIDE_SHARE * standard)) < 0.03 * hens[0]
    np.testing.assert_array_equal(out.hens[[0, 2]], frame.hens[[0, 2]])  # reported counts untouched


def test_without_an_age_the_default_level_stands_in() -> None:
    frame = _no_count(Flock(days=30, houses=2, level=0.85).build(), 0)
    frame.age_weeks[0] = np.nan
    out, _ = with_estimated_hens(frame, DAYS)
    assert abs(out.hens[0, -1] - 30000.0 * 85.0 / DEFAULT_LEVEL_PCT) < 0.03 * 30000.0


def test_every_house_reporting_leaves_the_frame_as_it_is() -> None:
    frame = Flock(days=20).build()
    out, estimated = with_estimated_hens(frame, DAYS)
    assert out is frame and estimated == ()


def test_the_days_start_at_the_first_eggs_and_part_days_do_not_count() -> None:
    frame = _no_count(Flock(days=20, houses=2).build(), 1)
    full, _ = with_estimated_hens(frame, DAYS)
    frame.eggs[1, :, : 6 * 24] = np.nan  # data that begins later (leading empty days)
    later, estimated = with_estimated_hens(frame, DAYS)
    assert estimated == ("H02",) and abs(later.hens[1, -1] - full.hens[1, -1]) < 0.03 * full.hens[1, -1]
    assert np.isnan(later.hens[1, : (6 + DAYS) * 24]).all()  # from the end of its own first days
    frame.eggs[1, :, 6 * 24 + 5 :: 24] = np.nan  # an hour missing every day: no whole day to count
    _, estimated = with_estimated_hens(frame, DAYS)
    assert estimated == ()


def test_a_drop_in_a_house_without_a_count_is_found_and_says_so() -> None:
    onset = day_hour(30, 22)
    frame = _no_count(Flock(days=40, houses=4, seed=2, drop_from={1: (onset, 0.8)}).build(), 1)
    alerts = [a for a in detect(frame) if a.house == "H02"]
    assert alerts, "a 20 % drop must be found without a hen count"
    first = alerts[0]
    assert first.kind == "laying_drop" and first.detected_at >= frame.hour_start(onset)
    assert first.evidence["hens_source"] == "estimated"
    assert "No hen count reported" in first.message and "未上报存栏数" in first.message_zh
    # The estimate comes from days before any verdict: the input cut after the alert gives it too.
    cut = frame.head(frame.index_of(first.detected_at))
    assert first in detect(cut)
    # A live pass over the last days reports the same event, also noting the estimate.
    live = detect_live(frame.head(frame.index_of(first.detected_at)))
    assert [(a.house, a.kind, a.evidence["hens_source"]) for a in live] == [
        ("H02", "laying_drop", "estimated")
    ]


def test_no_drop_no_alert_in_a_house_without_a_count() -> None:
    for seed in range(4):
        frame = _no_count(Flock(days=40, houses=4, seed=seed).build(), 2)
        assert [a for a in detect(frame) if a.house == "H03"] == []


def test_the_days_follow_the_baseline_a_verdict_needs() -> None:
    """With ``min_baseline_days`` 2 a verdict may come on the third day: the count is taken from the
    first two days only (one whole day is enough then), so it still precedes every verdict."""
    frame = _no_count(Flock(days=20, houses=2).build(), 1)
    before, estimated = with_estimated_hens(frame, 2)
    assert estimated == ("H02",)
    frame.eggs[1, :, 48:] *= 2.0  # after its first two days
    after, _ = with_estimated_hens(frame, 2)
    assert after.hens[1, -1] == before.hens[1, -1]
    assert np.isnan(after.hens[1, :48]).all() and after.hens[1, 48] == after.hens[1, -1]


def test_a_count_in_thousands_is_scaled_to_heads() -> None:
    frame = Flock(days=30, houses=3, level=0.9, seed=5).build()
    heads = frame.hens.copy()
    frame.hens[1] /= 1000.0  # 30.0 for 30,000 hens
    frame.hens[1, 20 * 24 :] *= 0.7  # a depopulation the scaled count must keep
    heads[1, 20 * 24 :] *= 0.7
    out, rescaled = with_hens_rescaled(frame, DAYS)
    assert list(rescaled) == ["H02"] and rescaled["H02"].factor == 1000.0 and rescaled["H02"].power_of_ten
    assert abs(rescaled["H02"].eggs_per_hen - 900.0) < 30.0  # the flock lays 90 %
    np.testing.assert_allclose(out.hens, heads)
    # Idempotent: the detector's pieces and live passes meet the scaled count again.
    assert with_hens_rescaled(out, DAYS)[1] == {}


def test_a_count_in_ten_thousands_and_a_flock_coming_into_lay() -> None:
    frame = Flock(days=30, houses=3, level=0.9, seed=6).build()
    frame.hens[0] /= 10000.0  # 3.0 万只 for 30,000 hens
    # Pullets 5 days after their first eggs lay 1-30 %; at 8 % a count in thousands reads 80 eggs
    # a hen a day, which a flock in lay (85 %) would lay with a count in hundreds.
    frame.age_weeks[1] = 17.5 + np.arange(frame.n_hours) / (24 * 7)
    frame.eggs[1] *= 0.08 / 0.9
    frame.hens[1] /= 1000.0
    frame.age_weeks[2] = np.nan  # no age: a flock in lay is assumed
    frame.hens[2] /= 1000.0
    _, rescaled = with_hens_rescaled(frame, DAYS)
    assert {h: r.factor for h, r in rescaled.items()} == {"H01": 10000.0, "H02": 1000.0, "H03": 1000.0}


def test_a_plausible_count_is_left_as_it_is() -> None:
    frame = Flock(days=30, houses=2, level=0.9).build()
    frame.hens[1] *= 0.65  # under-entered, but 1.38 eggs a hen a day could be a counting error
    frame.hens[0, :24] /= 1000.0  # a typo over one of the first days
    out, rescaled = with_hens_rescaled(frame, DAYS)
    assert out is frame and rescaled == {}


def test_counters_counting_each_egg_twice_are_read_at_the_breeds_level() -> None:
    onset = day_hour(30, 22)
    frame = Flock(days=40, houses=3, level=0.9, seed=1, drop_from={0: (onset, 0.8)}).build()
    right = [a for a in detect(frame) if a.house == "H01"]
    frame.eggs[0] *= 2.0  # 1.8 eggs a hen a day: no unit; read as it was, a false 3-point drop too
    _, rescaled = with_hens_rescaled(frame, DAYS)
    r = rescaled["H01"]
    assert abs(r.eggs_per_hen - 1.8) < 0.1 and not r.power_of_ten
    # What a flock of the breed lays at its age (GUIDE_SHARE of the standard) sets the factor.
    standard = float(curve(frame.breeds[0]).hen_day(40.0))
    assert abs(r.factor - 180.0 / (GUIDE_SHARE * standard)) < 0.05 * r.factor
    alerts = [a for a in detect(frame) if a.house == "H01"]
    assert [(a.kind, a.detected_at) for a in alerts] == [(a.kind, a.detected_at) for a in right]
    assert (
        alerts[0].evidence["hens_source"] == "rescaled" and "counters count eggs twice" in alerts[0].message
    )


def test_a_house_counting_from_later_is_judged_on_its_own_first_days() -> None:
    frame = Flock(days=30, houses=2, level=0.9).build()
    frame.eggs[1, :, : 10 * 24] = 0.0  # empty until a flock is placed on day 10
    frame.hens[1, : 10 * 24] = 0.0
    frame.hens[1] /= 1000.0
    _, rescaled = with_hens_rescaled(frame, DAYS)
    assert list(rescaled) == ["H02"] and rescaled["H02"].factor == 1000.0


def test_a_drop_in_a_house_counted_in_thousands_is_the_drop_with_heads() -> None:
    onset = day_hour(30, 22)
    frame = Flock(days=40, houses=4, seed=2, drop_from={1: (onset, 0.8)}).build()
    right = [a for a in detect(frame) if a.house == "H02"]
    frame.hens[1] /= 1000.0
    alerts = [a for a in detect(frame) if a.house == "H02"]
    assert right and [(a.kind, a.detected_at) for a in alerts] == [(a.kind, a.detected_at) for a in right]
    assert alerts[0].magnitude_pct == right[0].magnitude_pct
    assert alerts[0].evidence["hens_source"] == "rescaled" and alerts[0].evidence["hens_factor"] == 1000.0
    assert "× 1,000" in alerts[0].message and "× 1,000" in alerts[0].message_zh
    live = detect_live(frame.head(frame.index_of(alerts[0].detected_at)))
    assert [(a.house, a.evidence["hens_source"]) for a in live] == [("H02", "rescaled")]


def test_a_count_estimated_from_later_eggs_gives_no_verdict_before_them() -> None:
    """A house without a count whose counters report from day 15 (its water and feed from the
    start): the count comes from the eggs of days 15-19, so no verdict before the end of those days
    may rest on it — cut there, the input has no count yet (or one from fewer days)."""
    frame = _no_count(Flock(days=40, houses=3, seed=3).build(), 1)
    frame.eggs[1, :, : day_hour(15, 0)] = np.nan  # counters installed on day 15
    frame.water_l[1, day_hour(9, 6) :] *= 0.6  # a water line partly blocked on day 9
    frame.water_l[1, day_hour(14, 6) :] /= 0.6  # ... mended on day 14, blocked again on day 30
    frame.water_l[1, day_hour(30, 6) :] *= 0.6
    alerts = [a for a in detect(frame) if a.house == "H02"]
    assert [a.kind for a in alerts] == ["water_drop"]  # day 30's, after the count's days
    assert alerts[0].detected_at > frame.hour_start(day_hour(30, 6))
    for a in alerts:
        assert a in detect(frame.head(frame.index_of(a.detected_at)))


def test_a_count_entered_late_is_not_carried_back() -> None:
    """A house whose count is entered on day 20, its eggs and meters reporting from day 0: the hours
    before have no count, as the input cut then has none.  Carried back, the count gave a drop on
    day 12 another size than the input cut after it did (there the count was estimated)."""
    drops = {1: (day_hour(12, 22), 0.8), 2: (day_hour(30, 22), 0.8)}
    frame = Flock(days=40, houses=4, seed=2, drop_from=drops).build()
    frame.hens[1, : day_hour(20, 0)] = np.nan
    alerts = detect(frame)
    assert [a.house for a in alerts if a.kind == "laying_drop"] == ["H03"]
    for a in alerts:
        assert a in detect(frame.head(frame.index_of(a.detected_at)))
