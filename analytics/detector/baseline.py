"""Expected value of a 24 h figure: the same-time-of-day windows of the previous days.

Comparing a window with the windows that ended at the same hour on earlier days makes the intraday
timing (laying, belt runs, drinking) cancel.  The estimate is robust (medians, MAD): the median of
the recent half of the past days, raised along the flock's own rising trend (the median of the
recent half against the older half), since young flocks come into lay at their own pace; the breed
curve moves each past day to today's age for the natural decline.  Declining trends are *not*
extrapolated: a slow fall is what a mild production problem looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.windows import past_days, robust_center, robust_center_scale

GUIDE_RISE_MIN = 0.01  # the guide's rise (log) between the baseline halves below this: flat


@dataclass(frozen=True)
class PastStandard:
    """The breed standard on the past days of an hour at that hour's own curve shift (maturity.py),
    for the hours whose shift moved within the baseline days (``houses``, ``hours`` from the first
    verdict; ``values`` ``[that hour, day back]``).  The standard as it stood on each past day mixes
    two shifts, and the flock then reads a rise or a fall between them that its curve has at
    neither (its decline scaled, its own rise capped by it; seeds 1-36, 61-90 and 151-186: 612 →
    602 false alarms, 2,902 → 2,901 drops found; held-out seeds 91-114: 126 → 130, 683 found)."""

    houses: np.ndarray
    hours: np.ndarray
    values: np.ndarray


def same_time_baseline(
    x: np.ndarray,
    days: int,
    min_days: int,
    start: int,
    standard: np.ndarray | None = None,
    rise_credit: float = 0.0,
    standard_then: PastStandard | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(expected, sigma) of ``x[..., t]`` for ``t >= start`` → arrays of shape ``(..., T - start)``;
    ``x`` ``[house, hour]`` where ``standard_then`` is given."""
    stack = past_days(x, days, start)  # [..., t, k]: k = 1 .. days back
    if standard is None:  # no breed curve (water, feed): the plain median and MAD
        return robust_center_scale(stack, min_days)
    now = standard[..., start:, None]
    then = past_days(standard, days, start)
    if standard_then is not None:
        then[standard_then.houses, standard_then.hours] = standard_then.values
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where((then > 5) & (now > 5), now / then, 1.0)
    rise_cap = np.clip(f[..., (days // 2) // 2] - 1.0, 0.0, None)  # breed rise since the recent centre
    f = np.where(f > 1, 1 + rise_credit * (f - 1), f)
    stack = stack * f
    half = days // 2
    recent = robust_center(stack[..., :half], max(2, min_days // 2))
    older = robust_center(stack[..., half:], max(2, min_days // 2))
    slope = np.where(np.isnan(older), 0.0, (recent - older) / (days - half))  # per day
    centre = (half + 1) / 2.0  # the recent half's median sits this many days back
    k = np.arange(1, days + 1, dtype=np.float64)
    line = recent[..., None] + slope[..., None] * (centre - k)
    _, sigma = robust_center_scale(stack - line, min_days)  # noise around the local trend
    # Follow the flock's own rise, but never faster than the breed curve rises at this age (so the
    # rise flattening into the peak, or a recovery after a dip, is not extrapolated past the peak).
    expected = recent + np.minimum(np.maximum(slope, 0.0) * centre, recent * rise_cap)
    expected[np.isnan(sigma)] = np.nan
    return expected, sigma


def guided_baseline(
    x: np.ndarray, guide: np.ndarray, days: int, min_days: int, start: int
) -> tuple[np.ndarray, np.ndarray]:
    """(expected, sigma) of ``x`` like :func:`same_time_baseline` without a curve, but following the
    breed ``guide`` (water or feed per hen for the age) as far as the flock itself does.

    Young flocks eat and drink more week by week, and a plain median lags that rise: a feed change
    hid behind it.  Judged against the guide outright, a flock whose intake does not follow the guide
    (its rise comes a week or two early or late, or the park's birds simply eat what they eat) looked
    short every day of its rise: with intake flat per hen, 148 false alarms instead of 57 on seeds
    1-6 and 11-14, nearly all `feed_drop` at 18-25 weeks.  So the guide counts with the power
    ``kappa``: the flock's own rise from the older to the recent half of the baseline days over the
    guide's (clipped to 0..1; 0 where the guide hardly rises between the halves, so the first days
    of its rise are not assumed either).  ``guide`` 1 throughout (no age) is the plain median.
    """
    stack = past_days(x, days, start)  # [..., t, k]
    guide_then = past_days(guide, days, start)
    half, min_half = days // 2, max(2, min_days // 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        guide_rise = np.log(
            _smooth_center(guide_then[..., :half], min_half)
            / _smooth_center(guide_then[..., half:], min_half)
        )
        kappa = np.zeros(guide_rise.shape)
        rising = guide_rise > GUIDE_RISE_MIN  # young flocks only: the flock's own rise is read there
        if rising.any():
            part = stack[rising]
            own_rise = np.log(
                robust_center(part[..., :half], min_half) / robust_center(part[..., half:], min_half)
            )
            kappa[rising] = np.nan_to_num(np.clip(own_rise / guide_rise[rising], 0.0, 1.0), nan=0.0)
            stack = stack / _power(guide_then, kappa[..., None])
        centre, sigma = robust_center_scale(stack, min_days)
    now = _power(guide[..., start:], kappa)
    return centre * now, sigma * now


def _power(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``x ** p`` (broadcast), the same numbers, with ``pow`` only where ``p`` is neither 0 nor 1: most
    flocks follow the guide fully or not at all, and ``pow`` costs 20 times a product."""
    p = np.broadcast_to(p, np.broadcast_shapes(x.shape, p.shape))
    out = np.where(p == 0.0, 1.0, np.broadcast_to(x, p.shape))
    part = (p != 0.0) & (p != 1.0)
    if part.any():
        out[part] = np.broadcast_to(x, p.shape)[part] ** p[part]
    return out


def _smooth_center(stack: np.ndarray, min_n: int) -> np.ndarray:
    """:func:`robust_center` of a guide's past days, the same numbers: a guide (a curve of age) is
    mostly monotone over a week, and the median of a monotone odd-length run is its middle value,
    so only the rest is sorted."""
    k = stack.shape[-1]
    if k % 2 == 0:
        return robust_center(stack, min_n)
    step = np.diff(stack, axis=-1)
    easy = (step >= 0).all(axis=-1) | (step <= 0).all(axis=-1)  # False where a value is NaN
    out = stack[..., k // 2].copy()
    if not easy.all():
        out[~easy] = robust_center(stack[~easy], min_n)
    return out
