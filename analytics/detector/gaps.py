"""Gaps whose backlog never came, and windows whose start lies in a gap that has ended.

A counter or meter that stops reporting normally brings everything it counted meanwhile in its
first hour back (CONTRACTS §6), and the windows across the gap are exact.  One that lost power
during the gap restarts from zero and brings only what it counted since (what
``analytics.production.counter_hourly`` makes of a reset it did not see): the gap's eggs (or litres)
are lost, and every 24 h window over the gap would show a fall of up to a whole day — an 80-point
"laying drop" made of missing data.  When the first hour back lacks half of what the gap usually
counts (or holds less than half of what the gap and that hour count together: a belt run that came
early, into the gap), the backlog is taken as lost and that hour is given the gap's usual count on
top of its own (the same hours of the last three days, median).  The gap's own hours stay unknown, so the
figures remain causal: nothing before the first hour back changes.

A 24 h window whose start lies in a gap is unknown by the cumulative sums alone (its start is), so
every gap left the house figure unknown for a day after it.  Once the backlog is in,
:func:`window_sums_across_gaps` spreads it over the gap's hours as those hours usually count:
only the split of the gap's count at the window's start is estimated.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import (
    DAY,
    cumulative,
    lagged,
    last_true,
    robust_center,
    same_hour_median,
    true_at,
    window_sums,
)

USUAL_DAYS = 3  # days the usual count is taken from (few: a young flock's counts rise fast)
MIN_SHARE = 0.02  # a gap that usually counts less than this share of a day is left as it is


def ended_gaps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The gaps of ``x`` (any leading axes, hour last) that have ended, after a first report: the
    series (``x`` flattened to ``[series, hour]``), the gap's first hour ``a`` and the first hour back
    ``b`` (the gap is ``[a, b)``); None when there is none (the usual case)."""
    known = ~np.isnan(x)
    back = known & ~lagged(known, 1, fill=True)  # first hour back after a gap (or the first report)
    if not back.any():
        return None
    before = lagged(last_true(known, -1), 1, fill=-1).astype(np.int64)  # last known hour before this one
    back &= before >= 0
    if not back.any():
        return None
    s, b = true_at(back.reshape(-1, x.shape[-1]))
    a = before.reshape(-1, x.shape[-1])[s, b] + 1
    return s, a, b


def restore_lost_backlogs(x: np.ndarray, days: int = USUAL_DAYS, min_share: float = MIN_SHARE) -> np.ndarray:
    """``x`` (hourly counts, any leading axes, hour last) with each lost backlog put back."""
    gaps = ended_gaps(x)
    if gaps is None:
        return x
    s, a, b = gaps
    flat = x.reshape(-1, x.shape[-1])
    # What the gap and its first hour back together usually count (the same hours of the previous
    # days, median; a belt run that comes an hour earlier or later from day to day stays inside that
    # span, where the median of each hour alone would miss it), and the gap alone: that less what
    # the first hour back usually counts by itself.
    usual = _usual_span(flat, s, a, b, days)
    gap = np.clip(usual - np.nan_to_num(same_hour_median(flat, s, b, days, 1), nan=0.0), 0.0, None)
    got = flat[s, b]
    floor = min_share * same_hour_median(window_sums(flat, DAY), s, b, days, 1)
    with np.errstate(invalid="ignore"):
        # Lost: the first hour back lacks half of what the gap usually counts, or half of the whole
        # span (today's run came early, into the gap).
        lost = (usual - got >= floor) & (((gap >= floor) & (got < usual - 0.5 * gap)) | (got < 0.5 * usual))
    if not lost.any():
        return x
    out = flat.copy()
    # The gap's usual count on top of what the hour counted itself; all of the span's if the gap
    # usually counts nothing (the run itself was in it).
    out[s[lost], b[lost]] = np.where(gap >= floor, got + gap, usual)[lost]
    return out.reshape(x.shape)


def _usual_span(flat: np.ndarray, s: np.ndarray, a: np.ndarray, b: np.ndarray, days: int) -> np.ndarray:
    """Median over the previous ``days`` days of what series ``s`` counted in hours ``[a, b]`` (0
    without such a day); a day counts only when the hours either side of its span reported, so the
    sum is exact (a gap inside it brought its backlog within the span)."""
    known = ~np.isnan(flat)
    cum = np.concatenate(
        [np.zeros((flat.shape[0], 1)), np.cumsum(np.where(known, flat, 0.0), axis=-1)], axis=-1
    )
    back = DAY * np.arange(1, days + 1)
    lo, hi = a[:, None] - back, b[:, None] - back  # [gap, day]: the span on that day
    ok = lo >= 1
    lo, hi = np.clip(lo, 1, None), np.clip(hi, 0, None)
    row = s[:, None]
    ok &= known[row, hi] & known[row, lo - 1]
    sums = np.where(ok, cum[row, hi + 1] - cum[row, lo], np.nan)
    return np.nan_to_num(robust_center(sums, 1), nan=0.0)


def window_sums_across_gaps(
    x: np.ndarray, w: int, days: int = USUAL_DAYS, cum: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """:func:`window_sums` over ``w`` hours, where a window whose start lies in a gap that has ended
    is known too: the gap's backlog (in its first hour back) spread over the gap's hours as the same
    hours usually count (previous ``days`` days' median; evenly if they usually count nothing).
    Causal: a window ending at a known hour after a gap needs only what came by then.  ``cum``:
    :func:`cumulative` of ``x`` when the caller has it already."""
    cum = cumulative(x) if cum is None else cum  # the plain windows' total, and the gap windows' start
    out = window_sums(x, w, cum)
    gaps = ended_gaps(x)
    if gaps is None:
        return out
    s, a, b = gaps
    flat = x.reshape(-1, x.shape[-1])
    res = out.reshape(flat.shape)
    n = flat.shape[-1]
    span = int((b - a).max()) + 1  # hours a .. b
    hours = a[:, None] + np.arange(span)[None, :]  # [gap, k]
    inside = hours <= b[:, None]
    usual = np.where(inside, same_hour_median(flat, s[:, None], np.clip(hours, 0, n - 1), days, 1), 0.0)
    usual = np.where(np.isnan(usual), 0.0, usual)
    total = usual.sum(axis=1, keepdims=True)
    even = np.where(inside, 1.0, 0.0)
    weights = np.where(total > 0, usual, even)
    frac = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)  # share counted by hour a+k
    kf, c = (part.reshape(flat.shape) for part in cum)  # known hours, running total
    start_c = np.where(a > 0, c[s, np.clip(a - 1, 0, None)], 0.0)[:, None] + flat[s, b][:, None] * frac
    # Windows (t - w, t] with t - w = a + k inside the gap (k < b - a) and t known, t >= b.
    ends = hours + w
    ok = inside & (hours < b[:, None]) & (ends < n)
    gi, k = true_at(ok)
    t = ends[gi, k]
    ser = s[gi]
    good = kf[ser, t]
    res[ser[good], t[good]] = c[ser[good], t[good]] - start_c[gi[good], k[good]]
    return res.reshape(x.shape)
