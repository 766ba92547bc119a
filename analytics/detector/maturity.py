"""How many weeks ahead of (or behind) its breed curve each flock lays, learned from its own rise.

The laying-drop baseline follows a young flock's rise only as fast as the breed curve rises at the
flock's age (baseline.py): near the peak that cap is what keeps a rise that has just levelled off
from being extrapolated into a "deficit".  Real flocks come into lay a week or two early or late
(body weight, lighting), and a park or a generator may date its curve differently (the middle or
the start of each guide week): half a week ahead was enough to raise 106 false alarms where there
were 58 (seeds 1-6, 11-14), two weeks ahead 163.

The shape of the rise says where a flock is on its curve whatever its level: in a week a flock at
40 % rises far more, relatively, than one at 90 %.  So for each shift on a grid (±3 weeks) the log
ratio of each week's mean hen-day % to the week before's is compared with the curve's at the
shifted age; the shift with the least squared difference over the last 28 days wins, with a small
pull towards 0 (on the plateau and in the decline every shift fits about as well, and the stated
age stands; 28 days after the rise the shift is 0 again, where it no longer matters).  Weekly
means, not days: a belt run moved across midnight made one day 150 % and the next 40 %.
Causal: hours of a UTC day use the days before it, so the live pass (60 days loaded) and a run
over a whole file give the same shift.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import DAY, window_mean
from eggwatch.breeds import curve

GRID_STEP_WEEKS = 0.25
LAG_DAYS = 7  # the rise is compared over a week: long enough to stand out of day-to-day noise
MIN_LEVEL_PCT = 10.0  # a week-ago hen-day below this is the first eggs, not yet a rise to match
LOG_RATIO_RANGE = (-0.7, 1.5)  # a depopulation or a new flock is one bounded misfit, not a verdict
PRIOR = 0.002  # squared-log-ratio units per week²: among near-equal fits, the stated age


def history_days(window_days: int) -> int:
    """Days before a day whose data its shift can use: the window, the week-ago week, a day."""
    return window_days + 2 * LAG_DAYS + 1


def daily_hen_day(eggs: np.ndarray, hens: np.ndarray, first_hour_of_day: int) -> tuple[np.ndarray, int]:
    """Hen-day % of each whole UTC day ``[house, day]`` (NaN unless every hour counted), and the
    hour index where day 0 starts."""
    h, n = hens.shape
    offset = (-first_hour_of_day) % DAY
    nd = max(0, (n - offset) // DAY)
    span = slice(offset, offset + nd * DAY)
    counted = ~np.isnan(eggs[:, :, span]).all(axis=1)
    house_eggs = np.nansum(eggs[:, :, span], axis=1).reshape(h, nd, DAY)
    day_hens = hens[:, span].reshape(h, nd, DAY)
    known = ~np.isnan(day_hens)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_hens = np.where(known, day_hens, 0.0).sum(axis=2) / known.sum(axis=2)
        hd = 100.0 * house_eggs.sum(axis=2) / mean_hens
    whole = counted.reshape(h, nd, DAY).all(axis=2) & np.isfinite(hd) & (mean_hens > 0)
    return np.where(whole, hd, np.nan), offset


def curve_shift(
    eggs: np.ndarray,
    hens: np.ndarray,
    age: np.ndarray,
    breeds: tuple[str, ...],
    first_hour_of_day: int,
    window_days: int,
    max_weeks: float,
) -> np.ndarray:
    """Weeks to add to each house's age for the breed curve, hour by hour ``[house, hour]``.

    ``hens`` as reported (a day's mean of the hours known), ``age`` from ``hourly_age``;
    ``window_days`` 0 turns the estimate off.
    """
    h, n = hens.shape
    shift = np.zeros((h, n))
    hd, offset = daily_hen_day(eggs, hens, first_hour_of_day)
    nd = hd.shape[1]
    if window_days <= 0 or nd <= LAG_DAYS:
        return shift
    # Weekly means (days d-6 .. d): a belt run moved across midnight leaves them whole.
    week = window_mean(hd, LAG_DAYS)
    week[:, : LAG_DAYS - 1] = np.nan
    enough = window_mean(np.isfinite(hd).astype(float), LAG_DAYS) >= 5 / LAG_DAYS
    week = np.where(enough, week, np.nan)
    mid_week_age = age[:, offset + DAY // 2 : offset + nd * DAY : DAY] - (LAG_DAYS // 2) / 7.0
    with np.errstate(invalid="ignore", divide="ignore"):
        seen = np.log(week[:, LAG_DAYS:] / week[:, :-LAG_DAYS])
    usable = np.isfinite(seen) & (week[:, :-LAG_DAYS] >= MIN_LEVEL_PCT)
    seen = np.clip(np.where(usable, seen, 0.0), *LOG_RATIO_RANGE)
    grid = np.arange(-max_weeks, max_weeks + 1e-9, GRID_STEP_WEEKS)
    misfit = np.zeros((grid.size, h, nd))
    for breed in set(breeds):  # a loop over breeds (two) and shifts (25), not houses
        idx = np.array([i for i, b in enumerate(breeds) if b == breed])
        for g, weeks in enumerate(grid):
            std = np.maximum(curve(breed).hen_day(np.nan_to_num(mid_week_age[idx] + weeks)), 0.5)
            expected = np.clip(np.log(std[:, LAG_DAYS:] / std[:, :-LAG_DAYS]), *LOG_RATIO_RANGE)
            total = np.cumsum(np.where(usable[idx], (seen[idx] - expected) ** 2, 0.0), axis=1)
            total[:, window_days:] -= total[:, :-window_days].copy()
            misfit[g][np.ix_(idx, np.arange(LAG_DAYS, nd))] = total
    best = grid[np.argmin(misfit + PRIOR * grid[:, None, None] ** 2, axis=0)]  # [house, day]: days <= d
    # Day d's hours use the fit through day d-1; hours after the last whole day use the last fit.
    per_day = np.concatenate([np.zeros((h, 1)), best], axis=1)
    shift[:, offset : offset + nd * DAY] = np.repeat(per_day[:, :nd], DAY, axis=1)
    shift[:, offset + nd * DAY :] = per_day[:, nd : nd + 1]
    return shift
