"""A house's temperature probe stuck at one figure while the house's day moves.

A probe that freezes (a sensor bus that hangs, a device repeating its last message) reads one
figure hour after hour.  Read as the house's temperature, a figure frozen in the afternoon is a
house that stays warm through the night, and one frozen at night a heat wave missed: with each
house's probe stuck for 48 h once (seeds 1-36), 25 more false alarms (213 → 238), most of them
``heat_stress``.

A probe to a tenth of a degree repeats its figure an hour in seven in the simulator's houses, and
a climate-controlled house can hold one figure for hours.  So, as for the meters
(stuck_meters.py), a run of at least :data:`MIN_HOURS` equal hours is a fault once it has crossed
hours whose usual temperatures (the same hour's median over the last :data:`USUAL_DAYS` days)
differ by :data:`USUAL_SWING_C` or more: the house's day changed and the reading did not.  From
then until the figure changes the temperature is unknown, and a ``sensor_fault`` names the probe.
A house whose usual day is flatter than that is not judged so.  Each threshold grows by the
probe's resolution (:func:`reading_step`), and the park's other houses must have moved too.

A probe in a house whose day hardly moves (climate-controlled, or a flat week) is judged by its
own noise instead (:func:`noise_gone`): one read to tenths, its figure flickering as a probe's
does, that stands twice as long as any in the week before.  Such a house is the one whose cooling failing nobody would see.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from analytics.detector.stuck import repeats
from analytics.detector.stuck_meters import StandingRuns
from analytics.detector.windows import (
    DAY,
    lagged,
    robust_center,
    run_lengths,
    runs_touching,
    value_at,
)

MIN_HOURS = 5  # equal figures this many hours running, at the least
USUAL_SWING_C = 1.5  # ... across hours whose usual temperatures differ this much
USUAL_DAYS = 3
MIN_USUAL_DAYS = 2
GATE_C = 1.0  # a run is looked at once its figure is this far off the same hour's a day or two before
PARK_MOVE_C = 1.0  # ... and stuck where the park's other houses moved this much (median) meanwhile
# Each threshold grows by this many of the probe's steps (its resolution, reading_step): a figure
# read is off the truth by up to a step, the usual's and the park's by another.  Parks of six
# from seeds 1-12 (288 houses × 120 days) read to whole degrees: 4 / 1 / 0 houses falsely "stuck"
# at 1 / 2 / 3 steps, to half degrees 1 / 0 / 0; 48 h stuck once a house, read to tenths: 105 /
# 97 / 93 named.
STEP_MARGIN = 2.0
# A probe's own noise (noise_gone): a figure standing RECORD_FACTOR times as long as any in the
# RECORD_DAYS × 24 hours before its first figure, FROZEN_MIN equal hours after the first at the
# least; not judged where that would take more than FROZEN_MAX (nights that stand half a day).
RECORD_FACTOR = 2
RECORD_DAYS = 7
FROZEN_MIN = 10
FROZEN_MAX = 23
# ... and only a probe read finer than this (°C): at whole degrees a house's slow nights repeat a
# figure for a day (a first, chance-based version of the rule: 4 false faults on seeds 1-36 read so).
FINE_STEP_C = 0.25
FLICKERS_MIN = 2 * RECORD_DAYS  # ... whose figure went up and back (or down and back) twice a day


def stuck_probe(temp: np.ndarray) -> np.ndarray:
    """``[house, hour]``: True where the house's temperature has stood at one figure across hours
    whose usual temperatures differ by :data:`USUAL_SWING_C`, or for longer than its own noise
    allows (:func:`noise_gone`), from then until it changes."""
    with np.errstate(invalid="ignore"):
        off = np.zeros(temp.shape, dtype=bool)
        for back in (lagged(temp, DAY), lagged(temp, 2 * DAY)):
            off |= np.abs(temp - back) >= GATE_C
    same = repeats(temp)
    out = noise_gone(temp, same)
    runs = StandingRuns.of(temp, same, off, MIN_HOURS, USUAL_DAYS, MIN_USUAL_DAYS)
    if runs is None:  # the usual case
        return out
    step = STEP_MARGIN * reading_step(temp[runs.houses])
    with np.errstate(invalid="ignore"):
        # NaN (no usual days yet): not judged so
        crossed = np.abs(runs.usual - value_at(runs.usual, runs.first)) >= USUAL_SWING_C + step
    need = (runs.run >= MIN_HOURS - 1) & crossed
    out[runs.houses] |= runs_touching(runs.repeat, _park_moved(temp, runs.houses, runs.first, need, step))
    return out


def noise_gone(temp: np.ndarray, same: np.ndarray | None = None) -> np.ndarray:
    """``[house, hour]``: True where a probe read finer than :data:`FINE_STEP_C` stands at one
    figure for :data:`RECORD_FACTOR` times as many hours as any run of its last
    :data:`RECORD_DAYS` days (at least :data:`FROZEN_MIN` equal hours after the first, at most
    :data:`FROZEN_MAX` needed), from then until it changes.

    A probe to a tenth of a degree in a house held at 22 °C changes its figure most hours (its
    noise is a tenth or two), and a heated house's quiet nights repeat it for a few hours.  A
    figure standing twice as long as any in the week before, ten hours after the first at the
    least, is the probe's, not the house's: in the simulator's 66 seeds (24 houses × 120 days
    each) no figure stands more than 8 hours after the first.  Not where most of the park's
    other houses stand still too, nor a probe read to half or whole degrees."""
    out = np.zeros(temp.shape, dtype=bool)
    same = repeats(temp) if same is None else same  # ``same``: :func:`repeats` of ``temp``
    run = run_lengths(same)
    long = run >= FROZEN_MIN
    some = np.flatnonzero(long.any(axis=-1))  # the usual case: no house
    if not some.size:
        return out
    # Most of the park standing still at once is the weather (or a gateway repeating them all).
    park = ((long.sum(axis=0) - long) > (temp.shape[0] - 1) / 2)[some]
    step = reading_step(temp[some])
    fine = (step > 0) & (step <= FINE_STEP_C)  # 0: it has never changed, its noise is unknown
    judged = (long[some] & fine & ~park).any(axis=-1)
    some, park, fine = some[judged], park[judged], fine[judged]
    if not some.size:
        return out
    run, same = run[some], same[some]
    # The longest run of the RECORD_DAYS before each hour (-1: not that much history yet): the
    # hours before a run's first figure, whatever hour the frame starts at (a live pass's and a
    # whole file's verdicts are the same).
    window = RECORD_DAYS * DAY
    before = np.full(run.shape, -1, dtype=run.dtype)
    if run.shape[-1] > window:
        before[:, window:] = sliding_window_view(run, window, axis=-1)[:, :-1].max(axis=-1)
    first = np.arange(run.shape[-1]) - run  # the run's first figure
    record = value_at(before, first)
    needed = np.maximum(FROZEN_MIN, RECORD_FACTOR * record)
    # Its noise must show: a figure that went up and came back down (or the reverse) most days.
    # A smooth rise that levels off has none, and its probe may simply read the house settled.
    with np.errstate(invalid="ignore"):
        change = np.diff(temp[some], axis=-1, prepend=np.nan)
        turned = np.cumsum(np.nan_to_num(change * lagged(change, 1)) < 0, axis=-1)
    flickers = value_at(turned - lagged(turned, window, 0), first) >= FLICKERS_MIN
    frozen = same & fine & ~park & flickers & (record >= 0) & (needed <= FROZEN_MAX) & (run >= needed)
    out[some] = runs_touching(same, frozen)
    return out


def reading_step(temp: np.ndarray) -> np.ndarray:
    """``[house, hour]``: the smallest change the probe has read so far (0 before any) — its
    resolution.  A probe reading whole degrees stands at one figure while the house moves by up
    to a degree: with the thresholds alone, 88 of 128 such simulated houses were "stuck" in 30 days
    (31 at half degrees, none at tenths; a park of 128 copies of 24 houses)."""
    with np.errstate(invalid="ignore"):
        change = np.round(np.abs(np.diff(temp, axis=-1, prepend=np.nan)), 6)
    change[~(change > 0)] = np.inf
    step = np.minimum.accumulate(change, axis=-1)
    step[np.isinf(step)] = 0.0
    return step


def _park_moved(
    temp: np.ndarray, some: np.ndarray, first: np.ndarray, need: np.ndarray, step: np.ndarray
) -> np.ndarray:
    """``need`` (``[house of some, hour]``) where the park's other houses moved (their median)
    :data:`PARK_MOVE_C` and ``step`` since the hour ``first``.  A cloudy day after warm ones is flat
    in every house, and a probe to a tenth of a degree then stands at one figure for hours by
    chance (5 false faults in seeds 1-36).  Where fewer than two other houses tell, ``need``.
    Judged at those hours only: a park of coarse probes can have many runs."""
    out = np.zeros(need.shape, dtype=bool)
    si, ti = np.nonzero(need)
    if not si.size:
        return out
    since = np.abs(temp[:, ti] - temp[:, np.clip(first[si, ti], 0, None)]).T  # [hour judged, house]
    since[np.arange(si.size), some[si]] = np.nan  # not the house itself
    moved = robust_center(since, 2)
    with np.errstate(invalid="ignore"):
        ok = np.isnan(moved) | (moved >= PARK_MOVE_C + step[si, ti])
    out[si[ok], ti[ok]] = True
    return out
