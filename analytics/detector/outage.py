"""A water line that stops: the last 3 h of water against what those hours of the day usually get.

The 24 h figure needs hours of outage before it falls far enough (and then ``consumption_hours`` more
to confirm); a line failure shows at once in a short window.  Short windows carry the drinking
rhythm, so the check is made only in the middle of the drinking day: the hours from 5 h before to
4 h after have all been busy on the previous days (their usual share of the day, learned causally),
so lights switched on or off up to ~3 h later or earlier cannot look like an outage.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.profile import daily_profiles
from analytics.detector.windows import DAY, run_lengths, window_sums

SHORT_H = 3  # the short window (hours)
STEADY_BEFORE, STEADY_AFTER = 5, 4  # hours around now that must usually be busy


def short_window_fall(
    amount: np.ndarray, expected_day: np.ndarray, first_hod: int, days: int, busy_share: float
) -> np.ndarray:
    """``[house, hour]`` 1 - (last 3 h) / (their usual share x expected 24 h amount); NaN where the
    hour is not mid-day (see module doc) or unknown."""
    h, t = amount.shape
    prof, day_of_hour = daily_profiles(amount, first_hod, days)  # [house, day, 24], causal
    hod = (np.arange(t) + first_hod) % DAY
    peak = np.nanmax(np.where(np.isnan(prof), -1.0, prof), axis=-1)[:, day_of_hour]  # [house, hour]
    steady = np.ones((h, t), dtype=bool)
    usual = np.zeros((h, t))
    for j in range(-STEADY_BEFORE, STEADY_AFTER + 1):  # a loop over hour offsets, not houses
        s = prof[:, day_of_hour, (hod + j) % DAY]
        with np.errstate(invalid="ignore"):
            steady &= s >= busy_share * peak
        if -SHORT_H < j <= 0:
            usual += s
    observed = window_sums(amount, SHORT_H)
    with np.errstate(invalid="ignore", divide="ignore"):
        exp = usual * expected_day
        return np.where(steady & (exp > 0), 1.0 - observed / exp, np.nan)


def outage_alarm(fall: np.ndarray, min_frac: float, hours: int, pause: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        cond = (fall >= min_frac) & ~pause
    return run_lengths(cond) >= hours
