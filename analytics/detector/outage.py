"""A water line that stops: the last 3 h of water against what those hours of the day usually get.

The 24 h figure needs hours of outage before it falls far enough (and then ``consumption_hours`` more
to confirm); a line failure shows at once in a short window.  Short windows carry the drinking
rhythm, so the check is made only in the middle of the drinking day: the hours from 5 h before to
4 h after have all been busy on the previous days (their usual share of the day, learned causally),
so lights switched on or off up to ~3 h later or earlier cannot look like an outage.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.profile import at_hours, daily_profiles
from analytics.detector.windows import run_lengths, window_sums

SHORT_H = 3  # the short window (hours)
STEADY_BEFORE, STEADY_AFTER = 5, 4  # hours around now that must usually be busy


def short_window_fall(
    amount: np.ndarray, expected_day: np.ndarray, first_hod: int, days: int, busy_share: float
) -> np.ndarray:
    """``[house, hour]`` 1 - (last 3 h) / (their usual share x expected 24 h amount); NaN where the
    hour is not mid-day (see module doc) or unknown."""
    prof, day_of_hour = daily_profiles(amount, first_hod, days)  # [house, day, 24], causal
    # Worked out per (day, hour of day) — 24 values a day — then looked up for every hour.
    peak = np.nanmax(np.where(np.isnan(prof), -1.0, prof), axis=-1, keepdims=True)
    steady = np.ones(prof.shape, dtype=bool)
    usual = np.zeros(prof.shape)
    for j in range(-STEADY_BEFORE, STEADY_AFTER + 1):  # a loop over hour offsets, not houses
        s = np.roll(prof, -j, axis=-1)  # s[..., p] = prof[..., (p + j) % 24]
        with np.errstate(invalid="ignore"):
            steady &= s >= busy_share * peak
        if -SHORT_H < j <= 0:
            usual += s
    usual = at_hours(np.where(steady, usual, np.nan), day_of_hour, first_hod)
    observed = window_sums(amount, SHORT_H)
    with np.errstate(invalid="ignore", divide="ignore"):
        exp = usual * expected_day
        return np.where(exp > 0, 1.0 - observed / exp, np.nan)


def outage_alarm(fall: np.ndarray, min_frac: float, hours: int, pause: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        cond = (fall >= min_frac) & ~pause
    return run_lengths(cond) >= hours
