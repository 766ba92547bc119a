"""Meter readings no meter can make: an hour far above anything the meter read in the last week.

A feed chain or a water line delivers at most its capacity in an hour.  An hour reading three times
the largest hour of a usual day of the previous seven (the median of their largest hours),
straight after an hour that reported (so not the backlog of a gap, which §6 puts in the first hour
after it), is a glitch — a load cell knocked, a reading entered twice, a unit slip — and is taken
as unknown.  Kept, one feed hour ten times too high
moved the house's learned sensitivity to the weather (a least-squares slope over two weeks) and
with it the expected feed for days: three such hours a house on seeds 1-6 made 6 false alarms.
Causal: the week is the seven whole UTC days before the hour's own.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import DAY, lagged, park_median

SPIKE_FACTOR = 3.0  # this many times the week's largest hour: no meter delivers that
WEEK_DAYS = 7


def drop_spikes(amount: np.ndarray, first_hod: int) -> np.ndarray:
    """``amount`` (``[house, hour]``, hourly amounts) with impossible hours blank; ``first_hod``: the
    UTC hour of the first column (days are UTC days)."""
    h, t = amount.shape
    lead = (-first_hod) % DAY  # hours before the first whole UTC day
    n_days = (t - lead) // DAY
    if n_days <= 1:
        return amount
    days = amount[:, lead : lead + n_days * DAY].reshape(h, n_days, DAY)
    # fmax ignores blanks, and gives NaN for an all-blank day without a warning (warnings'
    # filters are process-wide: not to be touched while live passes run in threads).
    day_max = np.fmax.reduce(days, axis=-1)  # [house, day]
    # The median of the largest hours of the previous WEEK_DAYS whole days, for each day: the median,
    # so that a glitch lasting hours (ten times the feed from 21:00 to 03:00) does not raise the
    # ceiling for the rest of its own run past midnight and for the week after (the largest hour
    # let its second day through: 8 false feed_drops, three 6 h glitches a house on seeds 1-6).
    back = np.full((WEEK_DAYS, h, n_days), np.nan)
    for k in range(1, WEEK_DAYS + 1):  # a loop over days back (7), not houses or hours
        back[k - 1, :, k:] = day_max[:, :-k]
    week = park_median(back.reshape(WEEK_DAYS, -1)).reshape(h, n_days)  # the median over days back
    ceiling = np.full((h, t), np.nan)
    ceiling[:, lead : lead + n_days * DAY] = np.repeat(week, DAY, axis=1)
    with np.errstate(invalid="ignore"):
        spike = (amount > SPIKE_FACTOR * ceiling) & ~np.isnan(lagged(amount, 1)) & (ceiling > 0)
    if not spike.any():  # the usual case
        return amount
    return np.where(spike, np.nan, amount)
