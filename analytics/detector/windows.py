"""Gap-aware rolling windows and same-time-of-day baselines (NumPy, any leading axes, hour last).

A counter's hourly increase is NaN while it does not report and the first hour after the gap holds
everything counted meanwhile.  So a window ``(t-w, t]`` is exact whenever both its ends are reporting
hours, whatever happened inside: window sums are differences of the cumulative sum, valid only where
both ends are known.  A window ending inside a gap is unknown (NaN), never "zero eggs".
"""

from __future__ import annotations

import numpy as np

MIN_PARK = 3  # houses needed for a park's median to say something about one of them

DAY = 24


def cumulative(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(known hours, running total of the known values) of ``x`` along the hour axis: what window
    sums are differences of."""
    known = ~np.isnan(x)
    return known, np.cumsum(np.where(known, x, 0.0), axis=-1)


def window_sums(x: np.ndarray, w: int, cum: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Sum of ``x`` over ``(t-w, t]`` for every hour, NaN where either end is missing or ``t < w``;
    ``cum``: :func:`cumulative` of ``x`` when the caller has it already."""
    known, c = cumulative(x) if cum is None else cum
    out = np.full(x.shape, np.nan)
    out[..., w:] = c[..., w:] - c[..., :-w]
    out[..., w:][~(known[..., w:] & known[..., :-w])] = np.nan
    return out


def lagged(x: np.ndarray, hours: int, fill: float | bool = np.nan) -> np.ndarray:
    """``x[..., t - hours]`` at every hour ``t`` (``fill`` before that; ``hours`` > 0)."""
    out = np.full(x.shape, fill, dtype=x.dtype if isinstance(fill, bool) else np.float64)
    out[..., hours:] = x[..., :-hours]
    return out


def gap_hours(x: np.ndarray) -> np.ndarray:
    """Hours without data and the first hour after each gap (it holds the gap's back-fill): a total
    over them is right, the hour-by-hour timing is not."""
    missing = np.isnan(x)
    return missing | lagged(missing, 1, fill=False)


def ffill(x: np.ndarray) -> np.ndarray:
    """Carry the last known value forward along the hour axis (leading NaNs stay NaN)."""
    known = ~np.isnan(x)
    # Every blank comes before its series' first value (hens and age usually, the row shares whose
    # first day is unknown): nothing to carry.
    if not (known[..., :-1] & ~known[..., 1:]).any():
        return x.copy()
    last = last_true(known, -1)  # the last known hour so far (-1: none yet)
    out = along_last(x, np.maximum(last, 0))
    out[last < 0] = np.nan
    return out


def window_mean(x: np.ndarray, w: int) -> np.ndarray:
    """Mean of the known values of ``x`` over ``(t-w, t]`` (NaN when none)."""
    known = ~np.isnan(x)
    k = min(w, x.shape[-1])  # a window longer than the frame: everything so far
    if known.all():  # the usual case: every window holds min(t + 1, k) values
        total = np.cumsum(x, axis=-1)
        if k < x.shape[-1]:
            total[..., k:] -= total[..., :-k].copy()
        return total / np.minimum(np.arange(1, x.shape[-1] + 1), k)
    total = np.cumsum(np.where(known, x, 0.0), axis=-1)
    count = np.cumsum(known, axis=-1)
    if k < x.shape[-1]:  # in place: the window's start drops out
        total[..., k:] -= total[..., :-k].copy()
        count[..., k:] -= count[..., :-k].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def past_days(x: np.ndarray, days: int, start: int) -> np.ndarray:
    """``x[..., t - 24 k]`` for ``t`` in ``[start, T)`` and ``k = 1 .. days`` → ``(..., T-start, days)``."""
    t = np.arange(start, x.shape[-1])
    idx = t[:, None] - DAY * np.arange(1, days + 1)[None, :]
    ok = idx >= 0
    out = x[..., np.where(ok, idx, 0)]
    out[..., ~ok] = np.nan
    return out


def same_hour_median(
    x: np.ndarray, series: np.ndarray, hours: np.ndarray, days: int, min_n: int
) -> np.ndarray:
    """Median of ``x[series, hours - 24 k]`` over ``k = 1 .. days`` for ``x`` ``[series, hour]``
    (``series`` and ``hours`` broadcast; known values only, NaN with fewer than ``min_n``): the
    usual value of a few chosen hours, where :func:`past_days` would stack every hour."""
    back = hours[..., None] - DAY * np.arange(1, days + 1)
    vals = np.where(back >= 0, x[series[..., None], np.clip(back, 0, None)], np.nan)
    return robust_center(vals, min_n)


def robust_center(stack: np.ndarray, min_n: int) -> np.ndarray:
    """Median over the last axis, ignoring NaNs; NaN with fewer than ``min_n`` values."""
    s = np.sort(stack, axis=-1)  # NaNs sort last
    n = known_count(s)
    med = sorted_median(s, n)
    med[n < min_n] = np.nan
    return med


def robust_center_scale(
    stack: np.ndarray, min_n: int, tail: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD-based sigma over the last axis, ignoring NaNs; NaN with fewer than ``min_n``.

    ``tail`` ``(q, sigmas)``: the sigma is at least the ``q`` quantile of the absolute deviations
    over ``sigmas`` (what that quantile is for a normal, in σ), for tails a MAD does not see."""
    s = np.sort(stack, axis=-1)  # NaNs sort last
    n = known_count(s)
    med = sorted_median(s, n)
    dev = np.sort(np.abs(stack - med[..., None]), axis=-1)
    sigma = 1.4826 * sorted_median(dev, n)
    if tail is not None:
        q, sigmas = tail
        at = np.clip(np.floor(q * (n - 1)).astype(np.int64), 0, None)
        sigma = np.fmax(sigma, along_last(dev, at) / sigmas)
    bad = n < min_n
    med[bad] = np.nan
    sigma[bad] = np.nan
    return med, sigma


def park_median(x: np.ndarray) -> np.ndarray:
    """Median over the houses (axis 0) of the known values, ``[1, hour]``; NaN at hours where no house
    has one.  No warning for those hours, and no ``warnings.catch_warnings`` (process-wide state,
    unsafe while live passes analyse blocks of houses in threads)."""
    known = ~np.isnan(x)
    if known.all():  # the usual case, and np.median's partition is 10 x nanmedian's masked path
        return np.median(x, axis=0, keepdims=True)
    # NaNs sort last: the median of the known values by their count, as robust_center does.
    s = np.sort(x, axis=0).T
    n = known.sum(axis=0)
    out = sorted_median(s, n)
    return np.where(n > 0, out, np.nan)[None, :]


def known_count(s: np.ndarray) -> np.ndarray:
    """Known values of each series of a sorted stack (NaNs last): counted only where the last one
    is NaN, since most stacks are full (4x faster over the live pass's baselines)."""
    n = np.full(s.shape[:-1], s.shape[-1], dtype=np.int64)
    short = np.isnan(s[..., -1])
    if short.any():
        n[short] = np.count_nonzero(~np.isnan(s[short]), axis=-1)
    return n


def sorted_median(s: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Median of each series of a sorted stack ``s`` with ``n`` (its shape without the last axis)
    known values, NaNs last: the full series' middle by slicing, the rest picked one by one."""
    k = s.shape[-1]
    out = (s[..., (k - 1) // 2] + s[..., k // 2]) / 2.0
    short = n < k
    if short.any():
        part, m = s[short], n[short]
        lo, hi = np.clip((m - 1) // 2, 0, None), np.clip(m // 2, 0, None)
        out[short] = (along_last(part, lo) + along_last(part, hi)) / 2.0
    return out


def along_last(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x[..., idx]`` picked per series: ``idx`` has the shape of ``x`` (its leading axes may be 1
    in ``x``, broadcast), or that shape without the last axis (one pick per series).  Like
    ``np.take_along_axis`` but one flat ``take`` (3x faster; the detector picks medians and carried
    values by the million)."""
    n = x.shape[-1]
    lead = idx.shape if idx.ndim == x.ndim - 1 else idx.shape[:-1]
    if len(lead) != x.ndim - 1 or np.broadcast_shapes(x.shape[:-1], lead) != lead:
        raise ValueError(f"along_last: index shape {idx.shape} does not fit {x.shape}")
    x = np.ascontiguousarray(x)
    offset = np.zeros((1,) * len(lead), dtype=np.intp)
    stride = n
    for axis in reversed(range(len(lead))):  # element offset of each series in x (0 where broadcast)
        if x.shape[axis] > 1:
            shape = [1] * len(lead)
            shape[axis] = x.shape[axis]
            offset = offset + np.arange(0, stride * x.shape[axis], stride, dtype=np.intp).reshape(shape)
        stride *= x.shape[axis]
    if idx.ndim == x.ndim:
        offset = offset[..., None]
    return np.take(x.reshape(-1), offset + idx)


def true_at(mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """The indices of ``mask``'s True entries, an array per axis in C order: ``np.nonzero(mask)`` by a
    flat search (50 x faster over a ``[house, row, hour]`` array that holds a few)."""
    return np.unravel_index(np.flatnonzero(mask), mask.shape)


def value_at(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x`` at hour ``idx[..., t]`` for every ``t`` (``x`` broadcast to ``idx``'s shape, ``idx``
    clipped into the frame: mask hours where it points before the start yourself)."""
    x = x.reshape((1,) * (idx.ndim - x.ndim) + x.shape)  # fewer axes than idx: broadcast them
    return along_last(x, np.clip(idx, 0, x.shape[-1] - 1))


def last_true(cond: np.ndarray, none: int = -(10**9)) -> np.ndarray:
    """Index of the last hour, this one included, where ``cond`` held (``none`` before the first)."""
    # (t - none) where cond holds, 0 elsewhere, then + none: a product, many times faster than where()
    last = np.multiply(cond, np.arange(cond.shape[-1], dtype=np.int64) - none, dtype=np.int64)
    last += none
    return np.maximum.accumulate(last, axis=-1, out=last)


def within_last(cond: np.ndarray, hours: int) -> np.ndarray:
    """True where ``cond`` held within the last ``hours`` hours (this one included)."""
    return np.arange(cond.shape[-1]) - last_true(cond) < hours


def trailing_extreme(x: np.ndarray, hours: int, lowest: bool) -> np.ndarray:
    """The lowest (or highest) value of the last ``hours`` hours of each series, this one included
    (a window of ``hours`` views: call it on the few series that need it)."""
    padded = np.pad(x, ((0, 0), (hours - 1, 0)), constant_values=np.inf if lowest else -np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, hours, axis=-1)
    return windows.min(axis=-1) if lowest else windows.max(axis=-1)


def run_start(cond: np.ndarray) -> np.ndarray:
    """First hour of the current run of ``cond`` (meaningful only where ``cond`` holds)."""
    return last_true(~cond, -1) + 1


def runs_touching(cond: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """True where ``cond`` holds in a run of ``cond`` that has met a ``flag`` hour so far (causal)."""
    return cond & (last_true(flag, -1) >= run_start(cond))


def run_lengths(cond: np.ndarray, unknown: np.ndarray | None = None) -> np.ndarray:
    """Consecutive ``True`` count ending at each hour (0 where ``cond`` is False), along the last axis.

    With ``unknown`` (hours without data, broadcast against ``cond``) a run goes on through them
    without counting them: a gateway gap neither ends a persisting fall nor adds to it."""
    t = np.arange(cond.shape[-1], dtype=np.int32)
    if unknown is None:
        run = np.where(cond, np.int32(-1), t)  # last False hour so far (-1: none yet)
        np.maximum.accumulate(run, axis=-1, out=run)
        np.subtract(t, run, out=run)
        run *= cond
        return run
    n = cond.shape[-1]
    flat = cond.reshape(-1, n)
    out = np.zeros(flat.shape, dtype=np.int32)
    some = np.flatnonzero(flat.any(axis=-1))  # most series have no run at all: skip them
    if some.size:
        sub = flat[some]
        ends = ~sub & ~np.broadcast_to(unknown, cond.shape).reshape(-1, n)[some]
        counted = np.cumsum(sub, axis=-1, dtype=np.int32)
        last_end = last_true(ends, -1)
        before = np.where(last_end >= 0, value_at(counted, last_end), 0)
        out[some] = (counted - before) * sub
    return out.reshape(cond.shape)


def trailing_sums(
    x: np.ndarray, w: int, started: np.ndarray | None = None, cum: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Like :func:`window_sums` but early hours use all the history there is: the frame start counts
    as a known end, and so does any hour before ``started`` turns True (bool, broadcast against
    ``x``: before that, nothing was counted yet).  So leading empty days — a long query over a
    site whose data begins later — give the same sums as a frame trimmed to where the data begins.
    ``cum``: :func:`cumulative` of ``x`` when the caller has it already.
    """
    known, c = cumulative(x) if cum is None else cum
    out = c.copy()  # hours < w: everything since the frame start
    out[..., w:] -= c[..., :-w]
    out[~known] = np.nan
    start_known = known[..., :-w]
    if started is not None:
        start_known = start_known | ~np.broadcast_to(started, x.shape)[..., :-w]
    out[..., w:][~start_known] = np.nan
    return out


def window_cov(
    x: np.ndarray, y: np.ndarray, w: int, means: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Covariance (population) of ``x`` and ``y`` over ``(t-w, t]``, from :func:`window_mean`s; with
    ``y`` = ``x`` the variance.  Give both NaN at the same hours (the means are of known values).
    ``means``: ``window_mean(x, w)`` and ``window_mean(y, w)`` when the caller has them already."""
    if means is None:
        mean_x = window_mean(x, w)
        means = (mean_x, mean_x if y is x else window_mean(y, w))
    return window_mean(x * y, w) - means[0] * means[1]


def pooled(var: np.ndarray, weight: float, hours: int = 0) -> np.ndarray:
    """``var`` (``[house, hour]``) pulled towards the park's median (its mean over the last
    ``hours``) by ``weight``; unchanged in a park of fewer than MIN_PARK houses (no park to speak
    of: one house's own figure is the median of two)."""
    if weight <= 0 or var.shape[0] < MIN_PARK:
        return var
    park = park_median(var)
    if hours > 0:
        park = window_mean(park, hours)
    park = np.where(np.isnan(park), var, park)
    return (var + weight * park) / (1.0 + weight)
