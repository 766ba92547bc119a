"""Lights that came on later (or earlier) than usual, told from the water — or, in a house without
water readings, from a feed measured hour by hour, which the caller passes instead (analysis.py).

Hens drink with the lights.  When the lighting schedule moves later, the first hours of the usual lit
day stay as dry as the night, then drinking starts at its usual rate.  For the next 24 h every 24 h
window misses those hours of drinking, eating and laying — they moved later, nothing was lost — so
a continuous belt shows a "drop" of one hour's laying at its peak and the water and feed windows
fall by ~10 %.  The drinking-rhythm rule (:mod:`analytics.detector.timing`) needs 12 h to confirm a
move and a normal water total, which such a day does not have; this check sees the move within 1-3
hours of the usual lights-on.

A line failure keeps the water low for longer (≥ 4 h in the simulator, and it is then an outage);
a sick flock drinks less, not later; a gateway gap leaves the hours unknown, never "dark", and
its backlog in the first hour back is no drinking in a usually dark hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.windows import (
    DAY,
    gap_hours,
    lagged,
    past_days,
    robust_center,
    same_hour_median,
    true_at,
    window_sums,
)

MAX_LATE_H = 3  # lights later than this by the water are not told apart from a line failure
FEED_DRY_FRAC = 0.15  # feeders that moved deliver next to nothing; a line failure's hens get ≥ 1/3
NIGHT_FRAC = 0.15  # an hour drinking less than this share of its usual is as dry as the night


@dataclass(frozen=True)
class UsualDrinking:
    """What each hour usually drinks (same hour, previous days' median) and a usual day's mean
    hourly amount, ``[house, hour]`` (:func:`usual_drinking`)."""

    hour: np.ndarray
    rate: np.ndarray


def usual_drinking(water: np.ndarray, days: int, start: int) -> UsualDrinking:
    """Learned causally from the ``days`` days before each hour (NaN before ``start``)."""
    h, t = water.shape
    usual = np.full((h, t), np.nan)
    usual[:, start:] = robust_center(past_days(water, days, start), 2)  # same hour, previous days
    rate = np.full((h, t), np.nan)  # mean hourly amount over a usual day
    rate[:, start:] = robust_center(past_days(window_sums(water, DAY), days, start), 2) / DAY
    return UsualDrinking(usual, rate)


def lights_came_late(
    water: np.ndarray, drinking: UsualDrinking, dark_frac: float, lit_frac: float
) -> np.ndarray:
    """``[house, hour]``: True at the hour drinking started 1-3 h after its usual start of the day
    (``drinking``, learned from the previous days' same hours) and after yesterday's (so only the
    first day of a new schedule counts)."""
    h, t = water.shape
    usual, rate = drinking.hour, drinking.rate
    with np.errstate(invalid="ignore"):
        lit_usual = usual >= 0.5 * rate  # this hour of the day is usually lit (drinking)
        dark_now = water < dark_frac * usual  # ... and today it was dry
        lit_now = water >= lit_frac * usual
    first_lit = lit_usual & ~lagged(lit_usual, 1, False)  # the usual first lit hour of a lit period
    trigger = np.zeros((h, t), dtype=bool)
    for k in range(1, MAX_LATE_H + 1):  # lights k hours late: the usual first lit hour dry, the
        # next ones not yet lit (a half-lit hour when the lights moved at the half hour) ...
        late = lagged(first_lit, k, False) & lagged(dark_now, k, False) & lit_now & lit_usual
        for j in range(1, k + 1):  # ... and all of them lit yesterday: the move is today's
            late &= ~lagged(lit_now, j, False) & lagged(lit_usual, j, False) & lagged(lit_now, j + DAY, False)
        trigger |= late
    return trigger


def still_dark(
    water: np.ndarray, drinking: UsualDrinking, lit_frac: float, dry_frac: float = NIGHT_FRAC
) -> np.ndarray:
    """``[house, hour]``: True from the usual first lit hour of the day for up to ``MAX_LATE_H``
    hours while every hour since has been as dry as the night (below ``dry_frac`` of its usual
    drinking; a sick flock drinking a third of its usual is not dark) and was lit the day before
    (``lit_frac``): the lights have not come on yet.  Until they do, lights moved later (seen by
    :func:`lights_came_late` at the hour they come on) and a line failing at dawn look the same in
    the water."""
    usual, rate = drinking.hour, drinking.rate
    with np.errstate(invalid="ignore"):
        lit_usual = usual >= 0.5 * rate
        dry = lit_usual & (water < dry_frac * usual) & lagged(water >= lit_frac * usual, DAY, False)
    first_lit = lit_usual & ~lagged(lit_usual, 1, False)
    out = np.zeros(water.shape, dtype=bool)
    for k in range(MAX_LATE_H):  # the usual first lit hour was k hours ago; it and those since dry
        run = (lagged(first_lit, k, False) if k else first_lit) & dry
        for j in range(1, k + 1):
            run &= lagged(dry, j, False)
        out |= run
    return out


def lights_came_early(water: np.ndarray, drinking: UsualDrinking, lit_frac: float) -> np.ndarray:
    """``[house, hour]``: True at an hour that is usually dark (under a fifth of a usual day's mean
    hourly drinking) in which the hens drank at least ``lit_frac`` of that mean: the lights came
    on earlier (or went off later) than usual.  The day's drinking then runs ahead of its usual
    hours, and a short window of them reads a fall that is no fall; it keeps doing so, a day at a
    time, until the usual hours have moved too."""
    with np.errstate(invalid="ignore"):
        drank = (drinking.hour < 0.2 * drinking.rate) & (water >= lit_frac * drinking.rate)
    # The first hour after a gap holds the gap's backlog (CONTRACTS §6): litres drunk over hours.
    return drank & ~gap_hours(water)


def moved_too(amount: np.ndarray, late: np.ndarray, days: int, dry_frac: float = FEED_DRY_FRAC) -> np.ndarray:
    """``[house, hour]``: ``late`` and ``amount`` (the feed) also dry over the ``MAX_LATE_H`` hours
    before — below ``dry_frac`` of what those hours usually get (same hours, previous ``days``
    days' median), with something usually there: the feeders moved with the lights.  A night water
    line failure dries the water the same way, but the feed chain runs at its usual hours."""
    out = np.zeros(late.shape, dtype=bool)
    hs, ts = true_at(late)
    if hs.size == 0:
        return out
    hours = ts[:, None] - np.arange(1, MAX_LATE_H + 1)[None, :]  # [n, k]
    now = amount[hs[:, None], np.clip(hours, 0, None)]
    usual = np.nansum(same_hour_median(amount, hs[:, None], hours, days, 2), axis=1)
    with np.errstate(invalid="ignore"):
        dry = ~np.isnan(now).any(axis=1) & (usual > 0) & (now.sum(axis=1) < dry_frac * usual)
    out[hs[dry], ts[dry]] = True
    return out
