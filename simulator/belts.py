"""Egg belts: row counters count eggs when the belt carries them past, not when they are laid.

The belt's travel ``B(t)`` (in row lengths) is piecewise linear: scheduled collection moves it one
row length during each run; continuous collection moves it slowly all the time (one row length per
transit time) except while it is stopped.  An egg laid at time ``s`` a fraction ``d`` of the row
away from the counter passes the counter once ``B(t) - B(s) >= d``.  With eggs spread evenly along
the row, the counter's cumulative count is the mean over ``d`` of ``laid(s*(B(t) - d))`` where
``s*(b)`` is the last time the travel was at most ``b``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

POSITIONS = 8  # quantiles of the position along the row (enough to smooth a belt run)


@dataclass(frozen=True)
class BeltMotion:
    """Knots of the belt travel: ``t_s`` strictly increasing, ``travel`` non-decreasing."""

    t_s: np.ndarray
    travel: np.ndarray

    @classmethod
    def scheduled(cls, runs: list[tuple[float, float]], t0: float, t1: float) -> BeltMotion:
        """Belt runs ``(start_s, duration_s)``, sorted and not overlapping, within ``[t0, t1]``."""
        ts, tr = [t0], [0.0]
        for start, dur in runs:
            if start <= ts[-1] or start + dur >= t1:
                continue
            ts += [start, start + dur]
            tr += [tr[-1], tr[-1] + 1.0]
        ts.append(t1)
        tr.append(tr[-1])
        return cls(np.array(ts), np.array(tr))

    @classmethod
    def continuous(
        cls, transit_s: float, stops: list[tuple[float, float]], t0: float, t1: float
    ) -> BeltMotion:
        """A belt moving one row length per ``transit_s``, standing still during ``stops``."""
        ts, tr = [t0], [0.0]
        for start, end in sorted(stops):
            if start <= ts[-1] or end >= t1:
                continue
            at_stop = tr[-1] + (start - ts[-1]) / transit_s  # travelled up to the stop
            ts += [start, end]
            tr += [at_stop, at_stop]
        ts.append(t1)
        tr.append(tr[-1] + (t1 - ts[-2]) / transit_s)
        return cls(np.array(ts), np.array(tr))

    def travel_at(self, t_s: np.ndarray) -> np.ndarray:
        return np.interp(t_s, self.t_s, self.travel)

    def last_time_at_most(self, b: np.ndarray) -> np.ndarray:
        """``s*(b)``: the latest time the travel was ``<= b`` (flat stretches resolve to their end)."""
        k = np.searchsorted(self.travel, b, side="right") - 1
        k = np.clip(k, 0, len(self.t_s) - 2)
        b0, b1 = self.travel[k], self.travel[k + 1]
        t0, t1 = self.t_s[k], self.t_s[k + 1]
        rising = b1 > b0
        frac = np.where(rising, (b - b0) / np.where(rising, b1 - b0, 1.0), 1.0)
        s = t0 + np.clip(frac, 0.0, 1.0) * (t1 - t0)
        return np.where(b < self.travel[0], self.t_s[0] - 1.0, s)

    def counted(self, t_s: np.ndarray, laid: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Cumulative eggs past the counter at ``t_s``; ``laid(times) -> (len(times), rows)``."""
        b = self.travel_at(t_s)
        acc: np.ndarray | None = None
        for j in range(POSITIONS):
            d = (j + 0.5) / POSITIONS
            v = laid(self.last_time_at_most(b - d))
            acc = v if acc is None else acc + v
        assert acc is not None
        return acc / POSITIONS
