"""Young flocks whose rise does not keep to the breed curve's dates (analytics/detector/maturity.py)
and whose intake does not follow the breed guide (baseline.guided_baseline)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from analytics.detector import DetectorConfig, analyse, detect, detect_live
from analytics.detector.analysis import maturity_shift
from analytics.detector.maturity import history_days
from analytics.frame import HourlyFrame
from eggwatch.breeds import curve
from tests.analytics.synth import Flock, day_hour

HYLINE = curve("hyline_brown")


def _rising(flock: Flock, ahead_weeks: list[float]) -> HourlyFrame:
    """``flock`` laying along the breed curve, house ``i`` ``ahead_weeks[i]`` weeks ahead of the
    age its ``age_weeks`` states (the synthetic flock's own level and noise kept)."""
    frame = flock.build()
    for h, ahead in enumerate(ahead_weeks):
        factor = HYLINE.hen_day(frame.age_weeks[h] + ahead) / 100.0 / flock.level
        frame.eggs[h] = np.round(frame.eggs[h] * factor[None, :])
    return frame


def test_the_shift_is_learned_from_the_rise_and_forgotten_on_the_plateau() -> None:
    frame = _rising(Flock(days=100, houses=3, age0=18.0, seed=5), [1.5, 0.0, -1.0])
    shift = maturity_shift(frame, DetectorConfig())
    in_the_rise = day_hour(30, 0)  # 22-23 weeks old, days after the first eggs
    assert shift[:, in_the_rise] == pytest.approx([1.5, 0.0, -1.0], abs=0.5)
    assert (shift[:, : day_hour(8, 0)] == 0).all()  # nothing learned before a week of laying
    assert shift[:, -1] == pytest.approx([0.0, 0.0, 0.0], abs=0.5)  # weeks on the plateau
    off = maturity_shift(frame, DetectorConfig(maturity_days=0))
    assert (off == 0).all()


def test_an_old_flock_keeps_its_stated_age() -> None:
    frame = _rising(Flock(days=60, houses=2, age0=50.0, seed=6), [0.0, 0.0])
    assert np.abs(maturity_shift(frame, DetectorConfig())).max() <= 0.5


@pytest.mark.parametrize("ahead", [1.0, -1.0, 0.5], ids=["a-week-early", "a-week-late", "half-a-week-early"])
def test_a_young_flock_off_its_breed_curve_raises_nothing(ahead: float) -> None:
    # Intake per hen stays flat here (the synthetic flock's), though the breed guide rises by a
    # third from 18 to 26 weeks: neither the laying nor the intake may look short.
    frame = _rising(Flock(days=80, houses=3, age0=18.0, seed=7), [ahead, ahead, 0.0])
    assert detect(frame) == []


def test_a_feed_change_in_a_young_flock_eating_along_the_guide_is_still_found() -> None:
    frame = _rising(Flock(days=70, houses=2, age0=19.0, seed=8), [0.0, 0.0])
    for h in range(2):  # both houses eat along the guide ...
        frame.feed_kg[h] *= HYLINE.feed_g(frame.age_weeks[h]) / HYLINE.feed_g(19.0)
    change = day_hour(40, 0)  # ... at 24-25 weeks, when it still rises 3 % a week
    frame.feed_kg[0, change:] *= 0.9
    intake = [a for a in detect(frame) if a.kind in ("feed_drop", "water_drop")]
    assert [(a.kind, a.house) for a in intake] == [("feed_drop", "H01")]
    assert intake[0].detected_at - frame.hour_start(change) <= timedelta(hours=36)


def test_the_live_pass_learns_the_shift_from_the_history_before_its_window() -> None:
    # The live pass analyses its last 23 days only; the shift comes from all the days it is given.
    flock = Flock(days=50, houses=3, age0=18.0, seed=9, drop_from={0: (day_hour(38, 14), 0.85)})
    frame = _rising(flock, [1.0, 1.0, 1.0])
    (alert,) = [a for a in detect(frame) if a.kind == "laying_drop"]
    n = frame.index_of(alert.detected_at)
    assert [a.to_json() for a in detect_live(frame.head(n), window_hours=1)] == [alert.to_json()]
    assert maturity_shift(frame.head(n), DetectorConfig())[0, n - 1] == pytest.approx(1.0, abs=0.5)


def test_the_analysis_keeps_the_learned_shift() -> None:
    frame = _rising(Flock(days=40, houses=2, age0=18.0, seed=5), [1.5, 0.0])
    an = analyse(frame, DetectorConfig())
    np.testing.assert_array_equal(an.maturity, maturity_shift(frame, DetectorConfig()))
    assert an.maturity[0, -1] == pytest.approx(1.5, abs=0.5)


def test_the_shift_needs_only_history_days_before_it() -> None:
    # What lets the live pass learn it from a bounded past, whatever history it is given.
    frame = _rising(Flock(days=90, houses=2, age0=13.0, seed=10), [1.0, -0.5])
    cfg = DetectorConfig()
    hours = 24 * (history_days(cfg.maturity_days) + 1) + 72
    for end in (day_hour(60, 7), day_hour(75, 0), frame.n_hours):
        seen = frame.head(end)
        full = maturity_shift(seen, cfg)[:, -72:]
        assert (full != 0).all(axis=1).any()  # a shift learned from the rise (13 weeks old at day 0)
        np.testing.assert_array_equal(maturity_shift(seen.tail(hours), cfg)[:, -72:], full)
    assert frame.tail(10).start == frame.hour_start(frame.n_hours - 10)
    assert frame.tail(10).n_hours == 10 and frame.tail(10_000).n_hours == frame.n_hours
