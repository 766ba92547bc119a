"""What each house's row counters add to its day-to-day noise, learned from the spread of the rows
against each other over the last ``noise_days`` days (part of the two-day trend's noise unit,
houses.trend_noise).

The unit used to come from the residuals of the 24 h figure over the 14 baseline days alone: a
sample of 14, inflated for weeks wherever an incident sat in those days (the park's median unit read
1.68 points mid-scenario and 1.41 late on seeds 1-38, with the deficit's own spread 1.61-1.64).
Much of a house's day-to-day noise is its rows' (a counter's own errors, eggs rolling into the next
row, a tier laying more one day and less the next), and that part shows in how the rows' day-to-day
changes differ on the same day: eight rows give seven degrees of freedom a day, four weeks ~190, and
an incident, which takes eggs from every row alike, does not show there at all.  The rest of the
noise (the whole house's) is what the baseline residuals show beyond it (houses.trend_noise).

At daily resolution, on whole days cut at two UTC hours 12 h apart: a cut through the counting
splits each row's day and mixes two days' noise (less spread), so each house keeps the cut that
shows more.  Each row's change from the day before is measured, not a level, so a breed curve's
rise, a slow drift, a row's own share of the house or a level an incident left behind add nothing;
a row whose change is far from the others' (a counter failing, a row emptied) is left out that day.
Causal: an hour uses the whole days before it, so a live pass (which learns this from the history
it loads before its analysed days, like maturity.py) and a run over a whole file agree.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import DAY, window_mean

CUTS_UTC = (0, 12)  # hours a day is cut at (see above)
MAX_DEV = 0.5  # a row whose day-to-day change is this far (log) from the others' is a fault, not noise
MIN_ROWS = 3  # fewer rows counting: no spread to learn from
MIN_DAYS = 7  # fewer days known within the window: nothing learned (the caller falls back)


def learn_days(days: int) -> int:
    """Days before a day whose data its figure uses: the window, the day before it, a cut's part-day."""
    return days + 2 if days > 0 else 0


def row_noise(eggs: np.ndarray, first_hour_of_day: int, days: int) -> np.ndarray:
    """The relative variance the rows' own noise gives the house's daily hen-day %, ``[house, hour]``
    (times the expected level squared: points²); NaN where fewer than ``MIN_DAYS`` days are known
    or ``days`` is 0.  ``eggs`` is ``[house, row, hour]``, as counted."""
    h, _, n = eggs.shape
    best = np.full((h, n), np.nan)
    if days <= 0:
        return best
    for cut in CUTS_UTC:
        at_cut = _at_cut(eggs, (cut - first_hour_of_day) % DAY, days)
        best = np.where(np.isnan(best) | (at_cut > best), at_cut, best)
    return best


def _at_cut(eggs: np.ndarray, offset: int, days: int) -> np.ndarray:
    h, r, n = eggs.shape
    nd = (n - offset) // DAY
    if nd < 2:
        return np.full((h, n), np.nan)
    span = slice(offset, offset + nd * DAY)
    day_eggs = eggs[:, :, span].reshape(h, r, nd, DAY).sum(axis=3)  # NaN unless every hour known
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.log(day_eggs[..., 1:] / day_eggs[..., :-1])  # [house, row, day - 1]
        ok = np.isfinite(change)
        for _ in range(2):  # a failing counter moves the mean it is judged against: judge twice
            ok &= np.abs(change - _masked_mean(change, ok)[:, None, :]) < MAX_DEV
        count = ok.sum(axis=1)
        dev2 = np.where(ok, (change - _masked_mean(change, ok)[:, None, :]) ** 2, 0.0)
        counted = np.where(ok, day_eggs[..., 1:], 0.0)
        shares2 = (counted**2).sum(axis=1) / counted.sum(axis=1) ** 2  # Σ share² of the rows used
        # A change is the difference of two days' noise: twice the variance of each.
        per_day = np.where(count >= MIN_ROWS, dev2.sum(axis=1) / (count - 1) / 2.0 * shares2, np.nan)
    learned = _trailing_mean(per_day, days)
    # ``per_day[k]`` is the cut's day k + 1, known from its last hour on.
    k = (np.arange(n) - offset - (DAY - 1)) // DAY - 1
    known = (k >= 0) & (k < learned.shape[1])
    return np.where(known, learned[:, np.clip(k, 0, learned.shape[1] - 1)], np.nan)


def _masked_mean(x: np.ndarray, ok: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, x, 0.0).sum(axis=1) / ok.sum(axis=1)


def _trailing_mean(x: np.ndarray, days: int) -> np.ndarray:
    """Mean of the known values among the last ``days`` of ``x`` (``[house, day]``); NaN with
    fewer than ``MIN_DAYS`` known."""
    known = window_mean((~np.isnan(x)).astype(float), days) * np.minimum(np.arange(1, x.shape[1] + 1), days)
    return np.where(known >= MIN_DAYS - 0.5, window_mean(x, days), np.nan)
