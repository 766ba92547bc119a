"""The drinking rhythm and the counting profile (analytics/detector/timing.py, profile.py) through gaps."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.detector.profile import daily_profiles, quiet_hours, still_to_count, usual_profiles
from analytics.detector.timing import _wrapped, rhythm_shift_hours
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour, delay_run, gap


def _flock_with_gateway_gaps() -> tuple[HourlyFrame, HourlyFrame]:
    """One house as it was, and with a 4 h gateway gap over the morning belt run of every third day
    (04:00-08:00 UTC, lit hours), back-filled."""
    clean = Flock(days=30, houses=1).build()
    gapped = Flock(days=30, houses=1).build()
    for d in range(16, 30, 3):
        gap(gapped, 0, day_hour(d, 4), 4)
    return clean, gapped


def test_a_back_filled_gap_does_not_move_the_drinking_rhythm() -> None:
    """The gap's water lands in its first hour back: the day's total is right, its timing is not, so
    those windows say nothing about the rhythm (they made a lighting change of every gateway gap)."""
    clean, gapped = _flock_with_gateway_gaps()
    start = day_hour(15, 0)
    shift = rhythm_shift_hours(gapped.water_l, gapped.start.hour, 14, start)
    assert np.nanmax(np.abs(shift[:, start:])) < 0.2
    assert np.isnan(shift[0, day_hour(16, 4) : day_hour(17, 8)]).all()
    ok = rhythm_shift_hours(clean.water_l, clean.start.hour, 14, start)
    assert np.nanmax(np.abs(ok[:, start:])) < 0.2


def test_days_with_a_gap_are_left_out_of_the_counting_profile() -> None:
    clean, gapped = _flock_with_gateway_gaps()
    counted = [np.nansum(f.eggs, axis=1) for f in (clean, gapped)]
    counted[1][np.isnan(gapped.eggs).all(axis=1)] = np.nan
    quiet = [quiet_hours(daily_profiles(c, clean.start.hour, 14)[0], 0.02, 2)[0][0, -1] for c in counted]
    assert quiet[0].any() and quiet[0].tolist() == quiet[1].tolist()


def test_water_without_a_daily_rhythm_has_no_rhythm_to_move() -> None:
    """Water metered evenly round the clock has no drinking centre: its noise placed one anywhere,
    and the "lighting change" that followed held nine verdicts in ten."""
    flat = Flock(days=30, houses=2, round_the_clock=True).build()
    start = day_hour(15, 0)
    assert np.isnan(rhythm_shift_hours(flat.water_l, flat.start.hour, 14, start)[:, start:]).all()


def test_counting_round_the_clock_has_quiet_hours_of_its_own() -> None:
    """No hour of the day is quiet: the hours with few eggs about them stand in."""
    shares = np.full((1, 24), 1 / 24)
    quiet, round_the_clock = quiet_hours(shares, 0.02, 2)
    assert quiet.all() and round_the_clock.all()
    peaked = shares.copy()
    peaked[0, 10:14] = [0.1, 0.2, 0.2, 0.1]  # continuous belts' laying peak, counted 24 h
    quiet, round_the_clock = quiet_hours(peaked / peaked.sum(), 0.02, 2)
    assert round_the_clock.all() and not quiet[0, 9:15].any() and quiet[0, :9].all() and quiet[0, 15:].all()
    belts = Flock(days=20, houses=1).build()
    counted = np.nansum(belts.eggs, axis=1)
    quiet, round_the_clock = quiet_hours(daily_profiles(counted, belts.start.hour, 14)[0], 0.02, 2)
    assert not round_the_clock[0, -1].any() and quiet[0, -1].any()


def test_what_is_still_to_count_runs_to_the_days_quiet_stretch() -> None:
    """Three belt runs (03, 07 and 09 UTC): after the main run 40 % of the day is still to come,
    after the last nothing (the next day's eggs come after the quiet stretch); counting round the
    clock there is no end of the day."""
    shares = np.zeros((1, 24))
    shares[0, [3, 7, 9]] = [0.6, 0.3, 0.1]
    rest = still_to_count(shares, 0.02)[0]
    assert rest[[3, 7, 9]] == pytest.approx([0.4, 0.1, 0.0])
    assert rest[[2, 12]] == pytest.approx([1.0, 1.0])  # before the day's first run: all of it
    assert np.isnan(still_to_count(np.full((1, 24), 1 / 24), 0.02)).all()


def test_the_usual_day_forgets_a_belt_run_late_once() -> None:
    """One run a day at 01:00 UTC; on day 20 it came at 07:00.  The summed profile of the next week
    gives 07:00 a seventh of a day (an empty 07:00 then looks like a stalled run every day); the
    median day gives it nothing, and 01:00 all."""
    frame = Flock(days=30, houses=1, runs=(1,)).build()
    delay_run(frame, 0, day_hour(20, 1), 6)
    counted = np.nansum(frame.eggs, axis=1)
    summed, _ = daily_profiles(counted, frame.start.hour, 7)
    usual = usual_profiles(counted, frame.start.hour, 7)
    assert summed[0, 21, 7] == pytest.approx(1 / 7, abs=0.03)
    assert usual[0, 21, 7] == 0 and usual[0, 21, 1] == pytest.approx(1.0)
    assert usual[0, 28, 7] == 0 and summed[0, 28, 7] == 0  # a week on, both have forgotten it
    assert np.isnan(usual[0, 2]).all()  # fewer than half the week known: no usual day


def test_angles_wrap_as_np_mod_does_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-np.pi, np.pi, (2, 100_000))
    edges = np.array([-np.pi, 0.0, -0.0, np.pi, np.nextafter(np.pi, 0), np.nan])
    a, b = np.concatenate([a, edges.repeat(6)]), np.concatenate([b, np.tile(edges, 6)])
    expected = np.mod(a - b + np.pi, 2 * np.pi) - np.pi
    assert np.array_equal(_wrapped(a - b), expected, equal_nan=True)
