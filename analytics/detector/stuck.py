"""Row counters stuck at one figure: the same count, hour after hour, day and night.

A counter read as a cumulative register that freezes counts nothing (0 an hour: a dead counter,
rows.py).  An export that writes each hour's count from a register of "eggs in the last hour", or
a device that repeats its last message, freezes at a figure instead: 319 eggs every hour, through
the night when the house lays none.  Taken as counts, such a row counts a day's eggs or more
every 24 h whatever the hens do, and its 44 h went unnoticed (a dead counter of the simulator
so written, 5 of 61 in seeds 1-12, was never named).

Only a row that repeats while most of its house's rows do not: an export that spreads each day's
count evenly over its hours repeats every row for a day, and is no fault.  Real counts are rarely
equal for long: two hours of a Poisson count of λ eggs agree about one
time in 2√(πλ) (20 eggs: one in 16; 5,000 eggs: one in 250).  A row's count is stuck once it has
stood at one figure for as many hours as make that chance about 10^-9 (eight hours at 20 eggs,
five at 5,000 — a belt run's count, repeated; no fewer than :data:`MIN_HOURS`); from then on the
row's count is unknown (the detector's other checks see a row that is not reporting, and take
the others for the house) and a ``sensor_fault`` names it.  The run's first hours are left as they
are: a verdict at an hour uses only the hours up to it.  What reads them a day or more later
sets the whole run aside, its first hours too (:func:`stuck_runs`): the row shares (four hours of
a belt run's count repeated had made one row's share twice its own for two weeks) and the house
figure's baselines (six hours of a row's 274 eggs had lifted a unit-test flock's figure up to 5.5
points, and a low day five days on was a 3.3-point two-day trend); nor is the stuck row's last
24 h count, which holds those hours, carried on for the hours after (rows.py's bridge).

Seeds 1-36 with every dead counter written as its last count repeated: 172 of 186 named before,
184 now, as written as zeros; 1,009 -> 1,011 incidents found and 222 -> 213 false alarms, the
totals of the file as the simulator writes it.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import run_lengths, runs_touching

MIN_HOURS = 4  # the fewest hours of one figure taken as stuck (a count of thousands)
MAX_HOURS = 8  # ... and the most (a count of 20 stands 8 hours by chance one time in 10^8)
STUCK_MIN_EGGS = 20.0  # counts below this repeat by chance (a few stray eggs an hour at night)
CHANCE_DIGITS = 9.0  # stuck once equal counts that long come by chance one time in 10^9


def hours_needed(count: np.ndarray) -> np.ndarray:
    """Hours a count must stand at one figure to be stuck (see the module's text)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        per_pair = np.log10(2.0 * np.sqrt(np.pi * np.maximum(count, STUCK_MIN_EGGS)))
        return np.clip(1 + np.ceil(CHANCE_DIGITS / per_pair), MIN_HOURS, MAX_HOURS)


def repeats(x: np.ndarray) -> np.ndarray:
    """True where an hour's figure is the hour before's (NaN equals nothing; the first hour never)."""
    out = np.zeros(x.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        out[..., 1:] = x[..., 1:] == x[..., :-1]
    return out


def stuck_counts(eggs: np.ndarray) -> np.ndarray:
    """``[house, row, hour]``: True where a row's count (at least :data:`STUCK_MIN_EGGS`) has stood
    at one figure for :func:`hours_needed` hours running, this one included, while most of the
    house's other rows did not."""
    out = np.zeros(eggs.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        same = repeats(eggs) & (eggs >= STUCK_MIN_EGGS)
    k = MIN_HOURS - 1  # equalities in a row the shortest stuck run holds
    if same.shape[-1] <= k:
        return out
    fewest = same[..., k:].copy()
    for lag in range(1, k):
        fewest &= same[..., k - lag : same.shape[-1] - lag]
    some = np.flatnonzero(fewest.any(axis=tuple(range(1, fewest.ndim))))  # the usual case: no house
    if some.size:
        counts, same = eggs[some], same[some]
        # A row repeats alone: most of the house's other rows do not.  A park that exports each
        # day's count spread evenly over its hours repeats every row for a day; not a fault.
        known = (~np.isnan(counts)).sum(axis=1, keepdims=True)
        others = (same.sum(axis=1, keepdims=True) - same) / np.maximum(known - 1, 1)
        alone = same & (others < 0.5) & (known >= 2)
        out[some] = run_lengths(alone) >= hours_needed(counts) - 1
    return out


def stuck_runs(eggs: np.ndarray, stuck: np.ndarray) -> np.ndarray:
    """The whole of each run of one figure that :func:`stuck_counts` found stuck, from its first
    hour: known only once it is stuck, so for figures read a day or more later."""
    out = np.zeros(stuck.shape, dtype=bool)
    some = np.flatnonzero(stuck.any(axis=tuple(range(1, stuck.ndim))))
    if some.size == 0:
        return out
    repeat = repeats(eggs[some])
    # The repeats of each run that became stuck, back to its start (the causal "runs touching" on
    # time reversed), and the hour they repeat (not the run of another figure just before it).
    run = runs_touching(repeat[..., ::-1], stuck[some][..., ::-1])[..., ::-1]
    run[..., :-1] |= run[..., 1:].copy()
    out[some] = run
    return out
