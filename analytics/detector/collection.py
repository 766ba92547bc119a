"""Belt collection: the hours in which the counted eggs say nothing yet about the hens' laying.

Eggs reach the counters when a belt runs.  A run that counts almost nothing when it should count a
lot is a late collection (its eggs come later); a continuous belt that stops mid-flow is the same.
While either is awaited the house's 24 h figure is short by eggs that were laid, so the drop
channels hold their verdict (at most ``hold_max_hours`` unless no egg at all came; a main run until
its own eggs have come, :func:`_run_awaited`; while a stopped belt's backlog is still coming in,
:func:`backlog_arriving`; and the day after a main run's stall, whose leftovers on the belt the next
runs count, :func:`day_after_a_late_run`).  Not one egg from any row for a day and a half while
the hens eat and drink as usual is the belts or the counting stopped, not the hens
(:func:`counting_stopped`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.config import DetectorConfig
from analytics.detector.profile import usual_shares
from analytics.detector.windows import DAY, lagged, last_true, run_start, value_at, window_sums

FLOWING_SHARE = 0.02  # an hour that counts this share of a day or more: eggs flow (a continuous belt)
MADE_UP = 0.75  # a late run's eggs have come when this share of what was due since has been counted
BACKLOG_FACTOR = 2.0  # an hour counting this many times its usual share ...
BACKLOG_SHARE = 0.01  # ... and this share of a day beyond it brings a stopped belt's eggs


@dataclass(frozen=True)
class _Belts:
    """What the late-run rules read, ``[house, hour]`` each (see :func:`collection_holds`)."""

    counted_hour: np.ndarray  # eggs all rows counted in the hour
    share_now: np.ndarray  # share of a day's eggs the hour usually counts
    flow: np.ndarray  # cumulative usual share
    day_eggs: np.ndarray  # eggs of a usual day
    intake_down: np.ndarray  # water or feed clearly down

    def select(self, houses: np.ndarray) -> _Belts:
        return _Belts(*(a[houses] for a in vars(self).values()))


@dataclass(frozen=True)
class Collection:
    held: np.ndarray  # [house, hour] bool: no verdict (a run awaited, nothing counted, a stop within a day)
    stopped: np.ndarray  # [house, hour] bool: no row has counted an egg for stop_hours


def collection_holds(
    counted_hour: np.ndarray,
    share_now: np.ndarray,
    day_of_hour: np.ndarray,
    first_hod: int,
    round_the_clock: np.ndarray,
    day_eggs: np.ndarray,
    intake_down: np.ndarray,
    cfg: DetectorConfig,
) -> Collection:
    """When a house's count waits for its belts, ``[house, hour]``.

    ``counted_hour``: the eggs all rows counted in the hour (NaN: no row reported); ``share_now``:
    the share of a day's eggs the hour usually counts; ``day_eggs``: the eggs of a usual day;
    ``intake_down``: water or feed clearly down (``hold_release_factor``: hens that drink and eat
    less are not held).
    """
    t = counted_hour.shape[-1]
    hour = np.arange(t)
    flow = np.cumsum(share_now, axis=-1)
    # A late belt run: an hour that should count a lot and counts almost nothing starts a hold.
    last_egg = last_true(counted_hour > 0)
    usual = usual_shares(
        counted_hour, share_now, day_of_hour, first_hod, cfg.baseline_days, FLOWING_SHARE / 2
    )
    usual_flow = np.cumsum(usual, axis=-1)
    with np.errstate(invalid="ignore"):
        run_stalled = (share_now >= cfg.stall_expected_share) & (
            counted_hour < cfg.stall_ratio * share_now * day_eggs
        )
        # Not one egg from any row through hours that each usually count some (FLOWING_SHARE), in
        # a row since the last egg or the last hour that usually counts nothing, which together
        # should have brought a stall's share: a run split over two hours, a continuous belt stopped
        # mid-flow.  Counting round the clock no hour holds much: nothing since the last egg where
        # even one hour's worth was due (``quiet_share``) is the same — every counter stopping was
        # read as a laying drop, and with 8 % (two hours) a one-hour stop left the 24 h figure an
        # hour short until its backlog came: a 5-point `laying_drop` in a quiet house.  The hold
        # then waits for the backlog, the first hour that counts ≥ 5 % of a day.
        since_egg = flow - value_at(flow, last_egg)
        streak = usual_flow - value_at(usual_flow, np.maximum(last_egg, last_true(usual < FLOWING_SHARE)))
        stopped_mid_flow = (
            (round_the_clock & (since_egg >= cfg.quiet_share))
            | ((usual >= FLOWING_SHARE) & (streak >= cfg.stall_expected_share))
        ) & (counted_hour == 0)
        # Such a stop stays a stall, past the laying hours, until an egg comes (hens drinking and
        # eating as usual have not stopped laying: the belt or the counters have).
        stalled = run_stalled | stopped_mid_flow
        still = (counted_hour == 0) & (last_true(stopped_mid_flow) > last_egg) & ~stalled & ~intake_down
        stall = stalled | still
        catch_up = (counted_hour >= 0.05 * day_eggs) & ~stall
    last_stall = last_true(stall)
    # The hold ends an hour after eggs arrive again: a late run that starts near the end of an hour
    # counts most of its eggs in the next one.
    caught = np.zeros_like(catch_up)
    caught[:, 1:] = catch_up[:, :-1]
    last_catch = last_true(caught)
    # ``>=``: a stall in the hour after a counting one is "caught" by that hour's eggs, which came
    # before it (a continuous belt stopping mid-flow); it holds all the same.
    late = (last_stall >= last_catch) & (hour - last_stall < cfg.hold_max_hours)
    # A stall that leaves a main run's share of a day uncounted since the last egg (one run, a run
    # split over two hours, or a continuous belt stopped) is awaited longer; a small run stalling
    # after it does not make it forgotten.
    last_main_stall = last_true(stalled & (np.fmax(share_now, since_egg) >= cfg.late_run_share))
    belts = _Belts(counted_hour, share_now, flow, day_eggs, intake_down)
    late |= _run_awaited(belts, last_main_stall, cfg)
    late |= _run_missed(belts, last_true(run_stalled), cfg)
    late |= backlog_arriving(counted_hour, share_now, day_eggs, last_stall, cfg)
    late |= day_after_a_late_run(last_main_stall, intake_down)
    idle, stopped = counting_stopped(counted_hour, day_eggs, last_stall, intake_down, cfg)
    # No verdict while nothing comes, nor for a day after a stop: the 24 h windows still hold it (a
    # dead counter never counts the stop's eggs).
    held = late | idle | (hour - last_true(stopped) <= DAY)
    return Collection(held, stopped)


def backlog_arriving(
    counted_hour: np.ndarray,
    share_now: np.ndarray,
    day_eggs: np.ndarray,
    last_stall: np.ndarray,
    cfg: DetectorConfig,
) -> np.ndarray:
    """``[house, hour]``: within ``late_run_hours`` of a stall, an hour counting far more than it
    usually does (``BACKLOG_FACTOR`` times, and ``BACKLOG_SHARE`` of a day beyond): a stopped belt's
    eggs still coming in.  The hold ended an hour after the first eggs came, or once three quarters
    of those due had; a continuous belt restarted at 08:00 after a 4-hour stop was still bringing a
    sixth of the day at 09:00 and 10:00, and its house read 13 points short (suite-160-4)."""
    hour = np.arange(counted_hour.shape[-1])
    with np.errstate(invalid="ignore"):
        surge = counted_hour >= (BACKLOG_FACTOR * share_now + BACKLOG_SHARE) * day_eggs
    return surge & (last_stall >= 0) & (hour - last_stall < cfg.late_run_hours)


def day_after_a_late_run(last_main_stall: np.ndarray, intake_down: np.ndarray) -> np.ndarray:
    """``[house, hour]``: the day after a main run's stall (24-48 h on), unless water or feed are
    down.  The eggs on the belt as the late run ended reach the counters with the next runs, so the
    24 h windows from the hour the late run leaves them read a day short by up to a tenth, while
    the hens laid as before: six `laying_drop`s of 3-21 points a day after a delayed collection on
    seeds 61-90 (suite-71-3: the late run 94 %, the next day's 81 %)."""
    since = np.arange(last_main_stall.shape[-1]) - last_main_stall
    return (last_main_stall >= 0) & (since >= DAY) & (since < 2 * DAY) & ~intake_down


def stop_hours(cfg: DetectorConfig) -> int:
    """Hours without one egg from any row that make a counting stop: a day, since a one-run house's
    run may come an hour later than yesterday's (leaving a 24 h window empty) or a few hours late,
    and ``row_silent_hours`` more."""
    return DAY + cfg.row_silent_hours


def _run_awaited(belts: _Belts, last_stall: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """``[house, hour]``: a main belt run (``late_run_share`` of a day or more) counted nothing and
    its eggs have not come yet: hold for up to ``late_run_hours`` from that run (``last_stall``: the
    last such run's stall, or a continuous belt's stop that has left that share of a day uncounted).

    The short hold ends when any eggs come, which is right for a run an hour or two late but not for
    one left until the afternoon or the next morning: the other runs bring their own eggs meanwhile,
    and the day was a 20-80-point "drop" (runs delayed by 8-23 h).  Here the hold lasts until the
    eggs counted since the stalled run make up three quarters of what was due since.  Hens laying
    less are not held: a run that brings some eggs but clearly fewer than usual (2-75 %) since the
    stall, or water or feed down, ends it at once.
    """
    counted_hour, share_now, flow, day_eggs = belts.counted_hour, belts.share_now, belts.flow, belts.day_eggs
    hour = np.arange(counted_hour.shape[-1])
    counted = np.cumsum(np.nan_to_num(counted_hour), axis=-1)
    before = last_stall - 1
    usual = share_now * day_eggs
    with np.errstate(invalid="ignore"):
        due = (flow - value_at(flow, before)) * day_eggs
        made_up = (counted - value_at(counted, before) >= MADE_UP * due) & (hour > last_stall)
        fewer = (
            (share_now >= cfg.stall_expected_share)
            & (counted_hour >= 0.02 * usual)
            & (counted_hour < MADE_UP * usual)
        )
    awaited = (
        (last_stall >= 0)
        & (last_stall >= last_true(lagged(made_up, 1, False)))  # ends an hour after, as the short hold
        & (last_true(fewer) < last_stall)
    )
    return awaited & (hour - run_start(awaited) < cfg.late_run_hours) & ~belts.intake_down


def _run_missed(belts: _Belts, last_stall: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """``[house, hour]``: a belt run counted nothing, a later run counted as usual (at least
    ``MADE_UP`` of its own usual count: the hens lay), and the missed run's eggs have not come: they
    went by uncounted (the counters or their bus off as the belt ran).  The 24 h windows are a run
    short for a day, which is no drop: hold until the stalled hour has left them.  A run counting
    fewer than usual since (hens laying less), or water or feed clearly down, does not hold."""
    out = np.zeros(last_stall.shape, dtype=bool)
    some = np.flatnonzero((last_stall >= 0).any(axis=-1))  # most houses never stall: only theirs
    if not some.size:
        return out
    b, last_stall = belts.select(some), last_stall[some]
    counted_hour, share_now, flow, day_eggs = b.counted_hour, b.share_now, b.flow, b.day_eggs
    hour = np.arange(counted_hour.shape[-1])
    counted = np.cumsum(np.nan_to_num(counted_hour), axis=-1)
    usual = share_now * day_eggs
    with np.errstate(invalid="ignore"):
        # The missed run's eggs came if the hours since brought half of them beyond their own.
        since = counted - value_at(counted, last_stall)
        own = (flow - value_at(flow, last_stall)) * day_eggs
        made_up = since - own >= 0.5 * value_at(usual, last_stall)
        run = share_now >= FLOWING_SHARE / 2  # a run since, however small, tells the hens' laying
        as_usual = run & (counted_hour >= MADE_UP * usual) & (hour > last_stall)
        fewer = run & (counted_hour < MADE_UP * usual) & (hour > last_stall)
    missed = (
        (last_stall >= 0)
        & (last_true(as_usual) > last_stall)
        & (last_true(fewer) < last_stall)
        & ~made_up
        & (hour - last_stall < DAY)
    )
    out[some] = missed & ~b.intake_down
    return out


def counting_stopped(
    counted_hour: np.ndarray,
    day_eggs: np.ndarray,
    last_stall: np.ndarray,
    intake_down: np.ndarray,
    cfg: DetectorConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """(idle, stopped), ``[house, hour]``, in houses whose water and feed are not down (``intake_down``
    off: hens do not stop laying altogether, and drinking as usual they are not dying).

    - idle: not one egg since an hour that should count a lot (``last_stall``), with the last 24 h
      short of half a day's eggs (not a run that came early): wait for the eggs;
    - stopped: not one egg from any row for :func:`stop_hours` in a house that counts hundreds a
      day: the belts, the counter bus or the counters stopped (a ``sensor_fault``)."""
    with np.errstate(invalid="ignore"):
        short_day = window_sums(counted_hour, DAY) < 0.5 * day_eggs
    idle = (last_stall > last_true(counted_hour > 0)) & short_day & ~intake_down
    span = stop_hours(cfg)
    none_missing = window_sums(np.isnan(counted_hour).astype(float), span) == 0  # a gap is not a zero
    with np.errstate(invalid="ignore"):
        nothing = (window_sums(counted_hour, span) == 0) & none_missing
        stopped = nothing & (day_eggs >= 10 * cfg.min_row_eggs) & ~intake_down
    return idle, stopped
