"""Increases of cumulative counters (egg counters, water meters, graders), wraps and resets included.

A device counter only grows, except when it wraps at its register width or restarts from zero
after a power cycle.  Between two consecutive readings ``a`` then ``b``:

- ``b >= a``: the increase is ``b - a``;
- ``b < a`` and ``a`` was near the register's maximum (``wrap``): it wrapped, ``wrap + 1 - a + b``;
- otherwise it was reset and counted ``b`` since the restart;
- with a ``limit`` (what the counter can plausibly count in the step), a wrap that would count
  more is a reset instead (a 32-bit counter restarting near 60,000 is no 16-bit wrap).

:func:`judged` learns such a limit from the counter's own busy rate, and calls a step far above
it a new counter (a device replaced under the same id, starting from any value), not a count.
"""

from __future__ import annotations

import numpy as np

WRAP_U16 = float(2**16 - 1)
WRAP_U32 = float(2**32 - 1)


def increases(
    values: np.ndarray,
    wrap: float | None = None,
    near_wrap: float = 0.9,
    limit: np.ndarray | float | None = None,
) -> np.ndarray:
    """Per-step increases of a counter series (length ``len(values) - 1``; NaNs propagate).

    ``limit`` (per step) is the most the counter can plausibly have counted: a drop read as a wrap
    would count more is a reset instead (a 32-bit counter reset at 60,000 is no 16-bit wrap).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        return np.zeros(0)
    a, b = v[:-1], v[1:]
    d = b - a
    dropped = d < 0
    if wrap is not None:
        wrapped = dropped & (a >= near_wrap * wrap)
        if limit is not None:
            wrapped &= wrap + 1.0 - a + b <= limit
        d = np.where(wrapped, wrap + 1.0 - a + b, d)
        dropped &= ~wrapped
    return np.where(dropped, b, d)


def guess_wrap(max_seen: float) -> float | None:
    """The register width a counter probably has, judged by the largest value it showed."""
    if max_seen <= WRAP_U16:
        return WRAP_U16
    if max_seen <= WRAP_U32:
        return WRAP_U32
    return None


# A counter's steps judged by its busy rate (the 95th percentile of its rising steps, per unit of
# time): a drop read as a wrap must count no more than WRAP_FACTOR busy units (a true wrap's step is
# an ordinary one; a reset read as a wrap adds up to 6,553 at 59,000), and a step of more than
# NEW_COUNTER_FACTOR is a new counter (a device replaced under the same id, starting anywhere).
WRAP_FACTOR = 3.0
NEW_COUNTER_FACTOR = 10.0
MIN_RISING_STEPS = 20  # fewer: nothing known of the counter's rate, nothing judged


def busy_rate(inc: np.ndarray, spans: np.ndarray, min_steps: int = MIN_RISING_STEPS) -> float | None:
    """What a counter counts in a busy unit of time: the 95th percentile of its rising steps, each
    divided by the units it spans (a counter read every other unit rises every other unit).
    ``None`` with fewer than ``min_steps`` rising steps."""
    with np.errstate(invalid="ignore"):
        rising = (inc / np.maximum(spans, 1.0))[inc > 0]
    return float(np.quantile(rising, 0.95)) if rising.size >= min_steps else None


def judged(
    values: np.ndarray, spans: np.ndarray, floor: float = 0.0, most: np.ndarray | None = None
) -> np.ndarray:
    """Increases of one counter series (steps spanning ``spans`` units of time) judged by its own busy
    rate: a drop is a wrap only if that counts at most ``WRAP_FACTOR`` busy units per unit spanned,
    else a reset; a step of more than ``NEW_COUNTER_FACTOR`` busy units (at least ``floor``) per
    unit is a new counter, NaN (nothing counted).  ``most`` (per step, e.g. what the house's hens
    can lay) caps both limits, and is the only judge while the rate is unknown."""
    wrap = guess_wrap(float(np.nanmax(values))) if values.size else None
    plain = increases(values, wrap=wrap)
    busy = busy_rate(plain, spans)
    if busy is None:
        if most is None:
            return plain
        wrap_limit = new_limit = most
    else:
        units = np.maximum(spans, 1.0)
        wrap_limit = WRAP_FACTOR * busy * units
        new_limit = max(floor, NEW_COUNTER_FACTOR * busy) * units
        if most is not None:
            wrap_limit, new_limit = np.minimum(wrap_limit, most), np.minimum(new_limit, most)
    inc = increases(values, wrap=wrap, limit=wrap_limit)
    return np.where(inc > new_limit, np.nan, inc)
