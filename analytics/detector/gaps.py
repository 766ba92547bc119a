"""Gaps whose backlog never came.

A counter or meter that stops reporting normally brings everything it counted meanwhile in its
first hour back (CONTRACTS §6), and the windows across the gap are exact.  One that lost power
during the gap restarts from zero and brings only what it counted since (what
``analytics.production.counter_hourly`` makes of a reset it did not see): the gap's eggs (or litres)
are lost, and every 24 h window over the gap would show a fall of up to a whole day — an 80-point
"laying drop" made of missing data.  When the first hour back holds less than its usual count plus
half of what the gap usually counts, the backlog is taken as lost and that hour is given the gap's
usual count (same hour on the previous days, median).  The gap's own hours stay unknown, so the
figures remain causal: nothing before the first hour back changes.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import DAY, lagged, last_true, same_hour_median, window_sums

USUAL_DAYS = 7  # days the usual count of an hour is taken from
MIN_SHARE = 0.02  # a gap that usually counts less than this share of a day is left as it is


def restore_lost_backlogs(x: np.ndarray, days: int = USUAL_DAYS, min_share: float = MIN_SHARE) -> np.ndarray:
    """``x`` (hourly counts, any leading axes, hour last) with each lost backlog put back."""
    known = ~np.isnan(x)
    back = known & ~lagged(known, 1, fill=True)  # first hour back after a gap (or the first report)
    if not back.any():  # the usual case: no gap at all
        return x
    before = lagged(last_true(known, -1), 1, fill=-1).astype(np.int64)  # last known hour before this one
    back &= before >= 0
    if not back.any():
        return x
    flat = x.reshape(-1, x.shape[-1])
    s, b = np.nonzero(back.reshape(flat.shape))
    a = before.reshape(flat.shape)[s, b] + 1  # the gap is [a, b)
    # The usual count of every hour from a gap's start to its first hour back.
    lengths = b - a + 1
    seg = np.repeat(np.arange(s.size), lengths)
    hours = a[seg] + (np.arange(seg.size) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    usual = same_hour_median(flat, s[seg], hours, days, 1)
    usual = np.nan_to_num(usual, nan=0.0)
    per_gap = np.bincount(seg, weights=usual, minlength=s.size)
    usual_back = usual[np.cumsum(lengths) - 1]  # the first hour back's own usual count
    usual_gap = per_gap - usual_back
    day = same_hour_median(window_sums(flat, DAY), s, b, days, 1)
    with np.errstate(invalid="ignore"):
        lost = (usual_gap >= min_share * day) & (flat[s, b] < usual_back + 0.5 * usual_gap)
    if not lost.any():
        return x
    out = flat.copy()
    out[s[lost], b[lost]] += usual_gap[lost]
    return out.reshape(x.shape)
