"""The second-generator check runs and scores what it generated."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from tests.analytics import crosscheck_events
from tests.analytics.crosscheck import flocks, hours_until_visible, run
from tests.analytics.synth import Flock, day_hour


def test_crosscheck_scores_one_dip_per_flock() -> None:
    det, chart = run(2, noise=0.5, ramp_h=48)
    assert det.production_events == chart.production_events == 2
    assert det.house_months == chart.house_months > 0


def test_a_ramped_dip_reaches_its_depth_at_the_end_of_the_ramp() -> None:
    onset = day_hour(10, 0)
    flat = Flock(days=20, houses=1, day_noise=0.0, row_noise=0.0).build()
    ramp = Flock(
        days=20, houses=1, day_noise=0.0, row_noise=0.0, ramp_h=48, drop_from={0: (onset, 0.9)}
    ).build()
    day = lambda f, d: np.nansum(f.eggs[0, :, day_hour(d, 0) : day_hour(d + 1, 0)])  # noqa: E731
    assert day(ramp, 9) == day(flat, 9)
    assert day(flat, 10) > day(ramp, 10) > day(ramp, 11) > day(ramp, 12)
    assert day(ramp, 13) / day(flat, 13) == pytest.approx(0.9, rel=1e-3)  # the full depth from then on


def test_flocks_are_reproducible() -> None:
    a = [(f.seed, h, o, p) for f, h, o, p in flocks(3, 1.0, 0)]
    assert a == [(f.seed, h, o, p) for f, h, o, p in flocks(3, 1.0, 0)]


def test_dip_depths_follow_the_range_asked_for() -> None:
    assert all(8 <= p <= 15 for _, _, _, p in flocks(5, 1.0, 0, depth=(8.0, 15.0)))


def test_intake_falls_at_the_dips_onset_only_when_asked() -> None:
    plain = [f.intake_from for f, _, _, _ in flocks(3, 1.0, 0)]
    assert plain == [{}, {}, {}]
    for flock, house, onset, _ in flocks(3, 1.0, 0, intake_fall=(0.1, 0.2)):
        assert 0.8 <= flock.intake_from[house] <= 0.9
        same = replace(flock, intake_from={}).build()
        fell = flock.build()
        assert np.array_equal(fell.water_l[:, :onset], same.water_l[:, :onset])
        ratio = fell.water_l[house, onset:] / same.water_l[house, onset:]
        assert ratio == pytest.approx(flock.intake_from[house])
        assert fell.feed_kg[house, onset:].sum() < same.feed_kg[house, onset:].sum()


def test_crosscheck_command_explains_itself() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "tests.analytics.crosscheck", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert "--noise" in res.stdout and "--ramp-h" in res.stdout


def test_a_drop_after_the_mornings_laying_shows_in_the_counters_only_the_next_morning() -> None:
    """The floor for eggs-only detection: a step just before lights-on is short within hours, one
    after the morning's laying only once the next morning's eggs are counted."""
    flock = Flock(days=20, houses=1, runs=(), lights_on=20)  # continuous belts, two hours' lag

    def visible(onset: int) -> int:
        return hours_until_visible(replace(flock, drop_from={0: (onset, 0.8)}), 0, onset, 0.04)

    before_lights, after_laying = visible(day_hour(10, 20)), visible(day_hour(11, 6))
    assert before_lights <= 8
    assert 18 <= after_laying <= 24


def test_crosscheck_command_prints_the_counters_floor() -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.analytics.crosscheck",
            "--flocks",
            "2",
            "--depth",
            "15",
            "30",
            "--floor",
            "0.04",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "short by 4% of a day's eggs after a median" in res.stdout


def test_event_sweep_names_a_dead_counter_and_leaves_a_depopulation_alone() -> None:
    dead = crosscheck_events.run("dead-blank", n=2)
    assert dead.cases == dead.named == 2 and dead.false_drops == 0
    depop = crosscheck_events.run("depopulation", n=2)
    assert depop.cases == 2 and depop.false_drops == depop.named == 0


def test_event_sweep_counts_round_the_clock_too() -> None:
    late = crosscheck_events.run("late-run", n=2, round_the_clock=True)
    assert late.cases == 2 and late.false_drops == 0


def test_a_late_run_needs_belt_runs() -> None:
    flock = Flock(days=3, houses=1, runs=())
    frame = flock.build()
    ev = crosscheck_events.Event(0, 30)
    assert crosscheck_events.late_run(frame, flock, ev, np.random.default_rng(0)) is None


def test_a_counter_dying_after_rows_were_emptied_is_one_of_the_others() -> None:
    flock = Flock(days=40, houses=1)
    frame = flock.build()
    ev = crosscheck_events.dead_after_emptying(
        frame, flock, crosscheck_events.Event(0, 30 * 24), np.random.default_rng(1)
    )
    assert ev.row is not None and (frame.eggs[0, ev.row, ev.hour :] == 0).all()
    quiet = np.flatnonzero((frame.eggs[0, :, ev.hour - 24 : ev.hour] == 0).all(axis=-1))
    assert ev.row not in quiet and 1 <= quiet.size <= 2  # the emptied rows, a day before
    assert frame.hens[0, ev.hour] < frame.hens[0, 0]
