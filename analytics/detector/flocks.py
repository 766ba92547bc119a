"""Flocks: a house emptied and stocked again holds a new flock, analysed as a series of its own.

What the detector learns of a house — its laying level, its row shares, its daily rhythm, its place
on the breed curve, its intake per hen — belongs to the flock in it.  A new flock learned from the
last one's weeks was a string of false alerts: water and feed "drops" the day it came in (the
baseline days were the empty house's or the old flock's), laying "drops" weeks later (the old
flock's place on its curve), and counter faults for rows the new flock fills unlike the last one.

A house is restocked at the first hour with hens after two hours or more with none (``hens`` 0),
or where the flock's age has been more than :data:`YOUNGER_WEEKS` younger for a day (a younger
flock, the emptying not entered; split from then on).  An age that jumps by that much and comes
back within the day is a typo (:func:`age_unsettled`): the detector reads the flock as it was
meanwhile and gives no verdicts.
Each flock is then a series of its own, blank (no data) outside its hours, exactly as a house whose
data begins later; alerts keep the house's id.  Causal: before a restocking the old flock's series
is the house's data as it is, so every verdict up to then is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from analytics.detector.windows import (
    DAY,
    along_last,
    ffill,
    lagged,
    last_true,
    run_lengths,
    trailing_extreme,
    window_mean,
)
from analytics.frame import HourlyFrame

YOUNGER_WEEKS = 4.0  # the age this much younger than before, for AGE_HOURS: a new flock
AGE_HOURS = DAY  # an age this far off believed once it has lasted this long (shorter: a typo)
MERGE_HOURS = 7 * DAY  # an age that falls within a week of a restocking belongs to that restocking
EMPTY_HOURS = 2  # a house without hens this long and then with hens again: restocked
RISE_FRAC = 0.03  # a flock that grows by more than this (a typo, not mortality entered late) ...
RISE_HOURS = DAY  # ... is believed once the new figure has lasted this long (see believed_hens)
DIP_FRAC = 0.03  # a count this far below the hour before it, back within a day: a typo (day_mean_hens)


@dataclass(frozen=True)
class Flocks:
    frame: HourlyFrame  # one series per flock (the frame itself when no house was restocked)
    house_of: tuple[str, ...]  # the house of each series


def filled_hens(hens: np.ndarray) -> np.ndarray:
    """``hens`` (``[house, hour]``) without blanks after the first figure: the last one carried
    forward.  Not back before it: a count entered days after the meters began reporting (or a count
    estimated from the first days' eggs, hen_count.py) is not known by the hours before, and the
    input cut then has no count (CONTRACTS §6: cutting after an alert keeps it)."""
    return ffill(hens)


def believed_hens(hens: np.ndarray) -> np.ndarray:
    """:func:`filled_hens` with rises a flock cannot make believed only once they last.

    A flock only shrinks (deaths, birds sold) until the house is emptied and stocked again.  A figure
    that jumps up — a typo of ten times the flock, a count entered twice — divided every per-hen
    figure of the next 24 h by it: a one-hour typo was a 23-point `laying_drop` with a `water_drop`
    and a `feed_drop`.  So in a series that rose by more than ``RISE_FRAC`` the hens are taken as at
    most the highest level held for ``RISE_HOURS`` within the last two days (not a bird more: once
    back, a typo taken as even 5 % more hens read as a 5 % fall two days later, a depopulation); a
    real correction upwards is believed a day late, and a figure back from a typo downwards, or a
    restocked house (no level held: empty), at once.
    Causal: each hour uses only the hours up to it."""
    filled = filled_hens(hens)
    with np.errstate(invalid="ignore"):
        rises = (filled[:, 1:] > (1.0 + RISE_FRAC) * filled[:, :-1]).any(axis=-1)
    some = np.flatnonzero(rises)
    if not some.size:  # the usual case: no flock ever grew
        return filled
    sub = filled[some]
    held = trailing_extreme(sub, RISE_HOURS, lowest=True)  # the level held for RISE_HOURS up to each hour
    ceiling = trailing_extreme(held, 2 * DAY, lowest=False)
    with np.errstate(invalid="ignore"):
        out = filled.copy()
        out[some] = np.where(ceiling > 0, np.fmin(sub, ceiling), sub)
    return out


def day_mean_hens(hens: np.ndarray) -> np.ndarray:
    """The mean count of the last 24 h, ``[house, hour]`` (``hens`` filled), with a fall that came
    back within a day (a count of 0 or a tenth for an hour: a typo) counted at the level before it
    once the count is back.  Kept, it lowered the day's mean flock and raised every per-hen figure
    of the next day by up to 4 %: a high day in the baselines, and two-day trends of 3-5 points
    after it (three such typos a house on seeds 1-6: 6-7 false alarms).  Causal: until the count is
    back, the mean is the count's as reported."""
    mean = window_mean(hens, DAY)
    with np.errstate(invalid="ignore"):
        starts = np.argwhere(hens[:, 1:] < (1.0 - DIP_FRAC) * hens[:, :-1])
    if not starts.size:  # the usual case: no count ever fell by that much
        return mean
    repaired = hens.copy()
    back_at = []
    for h, t in starts:  # falls are few (a depopulation, a typo): a loop over them
        level, first = hens[h, t], t + 1
        ahead = hens[h, first : first + DAY + 1]
        back = np.flatnonzero(ahead >= (1.0 - DIP_FRAC) * level)
        if back.size:  # back within a day: the fall was a typo
            repaired[h, first : first + back[0]] = level
            back_at.append((h, first + back[0]))
    if not back_at:
        return mean
    fixed = window_mean(repaired, DAY)
    out = mean.copy()
    for h, v in back_at:  # from the hour the count is back, for the day its windows hold the typo
        out[h, v : v + DAY] = fixed[h, v : v + DAY]
    return out


def _age_moved(age_weeks: np.ndarray) -> np.ndarray:
    """``[house, hour]``: the age now less the age it had ``AGE_HOURS`` + 1 hours before, run on to
    now (0 for a flock whose age is entered as it runs; NaN before two figures are known)."""
    age = ffill(age_weeks)
    return age - (lagged(age, AGE_HOURS + 1) + (AGE_HOURS + 1) / (7 * DAY))


def age_unsettled(age_weeks: np.ndarray) -> np.ndarray:
    """``[house, hour]``: the age is more than :data:`YOUNGER_WEEKS` off what it was a day before —
    a typo not yet corrected, or a new flock not yet believed (:func:`restocked`).

    A wrong age cut the flock in two, and the second half had no baseline for days: three typos a
    house, 10 weeks too young or too old for 6 h (seeds 1-6), 168 → 152 incidents found.  While it
    is unsettled the detector gives no verdicts and reads the age it had before.  Compared with the
    age a day before, not an hour: the hour a typo is corrected moves the age back by as much."""
    with np.errstate(invalid="ignore"):
        return np.abs(_age_moved(age_weeks)) > YOUNGER_WEEKS


def restocked(hens: np.ndarray, age_weeks: np.ndarray) -> np.ndarray:
    """``[house, hour]``: the first hour of a new flock (``hens`` filled, no blanks)."""
    empty = hens <= 0
    # A younger age that has lasted a day: a new flock, split off from then on.  The hours before
    # are the old flock's series, without verdicts (age_unsettled); a typo corrected sooner splits
    # nothing.
    with np.errstate(invalid="ignore"):
        younger = _age_moved(age_weeks) < -YOUNGER_WEEKS
    believed = younger & (run_lengths(younger) == AGE_HOURS) if younger.any() else younger
    if not empty.any():  # the usual case (a live pass over a park): no house emptied
        return believed
    # After at least EMPTY_HOURS without hens: a count of 0 for one hour (a typo) is no emptying, and
    # had cut the flock in two like a wrong age (above).  Nor is a count back within a day to where
    # it was (within RISE_FRAC): the same flock, the 0 a typo — a new flock is never the old one's
    # count to the bird, and a house is emptied for days (6 h at 0 three times a house, seeds 1-6:
    # 152 of 188 incidents found, 168 without).
    was_empty = lagged(run_lengths(empty), 1, fill=0).astype(np.intp)
    t = np.arange(hens.shape[-1])
    before = along_last(hens, np.maximum(t - was_empty - 1, 0))
    with np.errstate(invalid="ignore"):
        same = (np.abs(hens - before) <= RISE_FRAC * before) & (was_empty < AGE_HOURS) & (t > was_empty)
    placed = ~empty & (was_empty >= EMPTY_HOURS) & ~same
    last_placed = last_true(placed, -MERGE_HOURS - 1)
    return placed | (believed & ~empty & (t - last_placed > MERGE_HOURS))


def split_flocks(frame: HourlyFrame) -> Flocks:
    """``frame`` with every flock of a restocked house as a series of its own.  A series without
    hens at any hour (the house empty until restocked) is left out."""
    hens = filled_hens(frame.hens)
    starts = restocked(hens, frame.age_weeks)
    if not starts.any():  # the usual case
        return Flocks(frame, frame.houses)
    series: list[tuple[int, int, int]] = []  # (house, first hour, end)
    for h in range(len(frame.houses)):  # a loop over houses only when some house was restocked
        cuts = [0, *np.flatnonzero(starts[h]).tolist(), frame.n_hours]
        series += [(h, a, b) for a, b in pairwise(cuts) if b > a and (hens[h, a:b] > 0).any()]
    idx = np.array([h for h, _, _ in series])
    inside = np.zeros((len(series), frame.n_hours), dtype=bool)
    for i, (_, a, b) in enumerate(series):
        inside[i, a:b] = True
    blank = lambda x: np.where(inside, x[idx], np.nan)  # noqa: E731
    count: dict[int, int] = {}
    ids = []
    for h, _, _ in series:  # the house's id for its first series, "<id>/flock-2" ... after it
        count[h] = count.get(h, 0) + 1
        ids.append(frame.houses[h] if count[h] == 1 else f"{frame.houses[h]}/flock-{count[h]}")
    split = HourlyFrame(
        start=frame.start,
        houses=tuple(ids),
        rows=frame.rows,
        hens=blank(frame.hens),
        age_weeks=blank(frame.age_weeks),
        water_l=blank(frame.water_l),
        feed_kg=blank(frame.feed_kg),
        temp_c=blank(frame.temp_c),
        eggs=np.where(inside[:, None, :], frame.eggs[idx], np.nan),
        breeds=tuple(frame.breeds[h] for h in idx),
        row_names=tuple(frame.row_names[h] for h in idx) if frame.row_names else (),
    )
    return Flocks(split, tuple(frame.houses[h] for h in idx))
