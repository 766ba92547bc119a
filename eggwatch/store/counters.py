"""Increases of cumulative counters (egg counters, water meters, graders), wraps and resets included.

A device counter only grows, except when it wraps at its register width or restarts from zero
after a power cycle.  Between two consecutive readings ``a`` then ``b``:

- ``b >= a``: the increase is ``b - a``;
- ``b < a`` and ``a`` was near the register's maximum (``wrap``): it wrapped, ``wrap + 1 - a + b``;
- otherwise it was reset and counted ``b`` since the restart;
- with a ``limit`` (what the counter can plausibly count in the step), a wrap that would count
  more is a reset instead (a 32-bit counter restarting near 60,000 is no 16-bit wrap).
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
