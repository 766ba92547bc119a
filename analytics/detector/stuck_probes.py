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
"""

from __future__ import annotations

import numpy as np

from analytics.detector.stuck import repeats
from analytics.detector.stuck_meters import StandingRuns
from analytics.detector.windows import DAY, lagged, robust_center, runs_touching, value_at

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


def stuck_probe(temp: np.ndarray) -> np.ndarray:
    """``[house, hour]``: True where the house's temperature has stood at one figure across hours
    whose usual temperatures differ by :data:`USUAL_SWING_C`, from then until it changes."""
    out = np.zeros(temp.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        off = np.zeros(temp.shape, dtype=bool)
        for back in (lagged(temp, DAY), lagged(temp, 2 * DAY)):
            off |= np.abs(temp - back) >= GATE_C
    runs = StandingRuns.of(temp, repeats(temp), off, MIN_HOURS, USUAL_DAYS, MIN_USUAL_DAYS)
    if runs is None:  # the usual case
        return out
    step = STEP_MARGIN * reading_step(temp[runs.houses])
    with np.errstate(invalid="ignore"):
        # NaN (no usual days yet): not judged so
        crossed = np.abs(runs.usual - value_at(runs.usual, runs.first)) >= USUAL_SWING_C + step
    need = (runs.run >= MIN_HOURS - 1) & crossed
    out[runs.houses] = runs_touching(runs.repeat, _park_moved(temp, runs.houses, runs.first, need, step))
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
