"""Multi-day evidence: a CUSUM of the house's daily standardised laying deficits.

A mild dip (3-7 points of hen-day) hides inside one day's noise, but it is there every day: summing
the evidence over days finds it within the 72 h that matter.  The statistic runs per hour of day
(``S[t] = max(0, S[t-24] + z[t] - k)``), so each step adds one new, independent day; ``z`` is the
24 h deficit in units of the house's own noise, winsorised so one odd day (a late belt run, a
back-filled gap) cannot carry it alone.  Hours with no verdict (depopulation, lighting change, late
run) restart it; unknown days add nothing.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import DAY


def daily_cusum(z: np.ndarray, k: float, restart: np.ndarray) -> np.ndarray:
    """``[house, hour]`` one-sided CUSUM of ``z`` (NaN adds nothing) along 24 h steps; 0 where ``restart``.

    The loop runs over days (not houses): every phase of the day and every house advance together.
    """
    h, t = z.shape
    n_days = (t + DAY - 1) // DAY
    pad = n_days * DAY - t
    step = np.nan_to_num(np.pad(z, ((0, 0), (0, pad)), constant_values=np.nan) - k, nan=0.0)
    stop = np.pad(restart, ((0, 0), (0, pad)), constant_values=False)
    step = step.reshape(h, n_days, DAY)
    stop = stop.reshape(h, n_days, DAY)
    out = np.empty_like(step)
    s = np.zeros((h, DAY))
    for d in range(n_days):
        s = np.where(stop[:, d], 0.0, np.maximum(0.0, s + step[:, d]))
        out[:, d] = s
    return out.reshape(h, n_days * DAY)[:, :t]
