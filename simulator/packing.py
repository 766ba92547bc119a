"""A grading and packing line fed by the egg belts of its houses.

Eggs arrive as the houses' belts bring them (the row counters' counts) and wait in the
accumulation buffer; the line grades them during its shifts at its nominal speed, except during
unplanned stops (jams: state 2).  With cumulative arrivals ``A`` and cumulative capacity ``S`` the
eggs graded are ``D(t) = S(t) + min_{s<=t}(A(s) - S(s))`` (a fluid queue, vectorised).

Size classes by egg weight (小/中/大/特大, the EU weight classes many Chinese packers use):
S < 53 g, M 53-63 g, L 63-73 g, XL >= 73 g; the egg weight follows each flock's age on the breed
curve.  Older flocks lay bigger eggs with thinner shells: more cracks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.house import METER_STEP_S, HouseModel
from simulator.incidents import DAY, H

GRADES = ("s", "m", "l", "xl")
GRADE_ZH = {"s": "小", "m": "中", "l": "大", "xl": "特大"}
GRADE_LIMITS_G = (53.0, 63.0, 73.0)
REJECTS = ("cracked", "dirty")
EGGS_PER_CASE = 360  # 30 dozen
EGG_WEIGHT_SD_G = 5.0
_erf = np.vectorize(math.erf)


@dataclass(frozen=True)
class LineSpec:
    unit: str
    houses: tuple[str, ...]
    speed_eph: float  # nominal grading speed, eggs per hour
    shifts: tuple[tuple[float, float], ...] = ((7.5, 11.5), (12.5, 18.0))  # local hours
    stops_per_day: float = 3.0


@dataclass
class LineFrame:
    t_s: np.ndarray  # n+1 step edges
    graded: np.ndarray  # (n+1, 4) cumulative per grade
    rejects: np.ndarray  # (n+1, 2) cumulative per reason
    cases: np.ndarray  # (n+1,)
    speed_eph: np.ndarray  # (n,) eggs per hour in the step
    state: np.ndarray  # (n,) 0 stopped, 1 running, 2 fault


def grade_shares(weight_g: np.ndarray) -> np.ndarray:
    """Shares of S/M/L/XL (last axis) for eggs of mean ``weight_g``."""
    z = (np.array(GRADE_LIMITS_G) - np.asarray(weight_g)[..., None]) / (EGG_WEIGHT_SD_G * math.sqrt(2))
    cdf = 0.5 * (1 + _erf(z))
    edges = np.concatenate([np.zeros((*cdf.shape[:-1], 1)), cdf, np.ones((*cdf.shape[:-1], 1))], axis=-1)
    return np.diff(edges, axis=-1)


class LineModel:
    """A line over the same horizon (one-minute grid) as its houses."""

    def __init__(self, spec: LineSpec, houses: Sequence[HouseModel], seed: int) -> None:
        self.spec = spec
        rng = np.random.default_rng([seed, 17])
        h0 = houses[0]
        self.utc_offset_s = h0.utc_offset_s
        grid = h0._grid
        self.grid = grid
        arrivals = np.zeros(len(grid))
        day_eggs = []
        for h in houses:
            counted = h.belt.counted(grid, h.laid).sum(axis=1)
            arrivals += counted - counted[0]
            day_eggs.append(h.eggs_day.sum(axis=1))
        local_h = ((grid + self.utc_offset_s) % DAY) / H
        on_shift = np.zeros(len(grid), dtype=bool)
        for a, b in spec.shifts:
            on_shift |= (local_h >= a) & (local_h < b)
        fault = np.zeros(len(grid), dtype=bool)
        n_days = int((grid[-1] - grid[0]) // DAY) + 1
        for _ in range(int(rng.poisson(spec.stops_per_day * n_days))):
            at = int(rng.integers(len(grid)))
            fault[at : at + int(rng.uniform(3, 20) * 60 / METER_STEP_S)] = True
        fault &= on_shift
        running = on_shift & ~fault
        step_speed = spec.speed_eph * (1 + rng.normal(0, 0.02, len(grid))) * METER_STEP_S / H
        capacity = np.concatenate([[0.0], np.cumsum(np.where(running, step_speed, 0.0)[:-1])])
        graded_in = capacity + np.minimum.accumulate(arrivals - capacity)
        self.processed = np.maximum(graded_in, 0.0)
        self.state = np.where(fault, 2, np.where(on_shift, 1, 0))

        # Egg weight of the day's mix of flocks, and the reject shares by flock age.
        days = h0.midnight_s
        weights = np.array([h.curve.egg_weight(h.age_at_day) for h in houses])
        mix = np.array(day_eggs) + 1e-9
        ages = np.array([h.age_at_day for h in houses])
        self.day_start = days
        mean_age = (ages * mix).sum(axis=0) / mix.sum(axis=0)
        shares = (grade_shares(weights.T) * (mix.T / mix.sum(axis=0)[:, None])[..., None]).sum(axis=1)
        cracked = np.clip(0.008 + 0.0004 * (mean_age - 30.0), 0.005, 0.05)
        dirty = rng.uniform(0.005, 0.012, len(days))
        self.day_shares = shares  # (days, 4)
        self.day_rejects = np.stack([cracked, dirty], axis=1)  # (days, 2)
        d = np.diff(self.processed)
        day_idx = np.clip(np.searchsorted(days, grid[:-1], side="right") - 1, 0, len(days) - 1)
        rej = d[:, None] * self.day_rejects[day_idx]
        good = d - rej.sum(axis=1)
        zero = np.zeros((1,))
        self.graded = np.concatenate([np.zeros((1, 4)), np.cumsum(good[:, None] * shares[day_idx], axis=0)])
        self.rejects = np.concatenate([np.zeros((1, 2)), np.cumsum(rej, axis=0)])
        self.cases = np.floor(np.concatenate([zero, np.cumsum(good)]) / EGGS_PER_CASE)

    def frame(self, start_s: float, end_s: float, step_s: float) -> LineFrame:
        n = round((end_s - start_s) / step_s)
        t = start_s + step_s * np.arange(n + 1)
        idx = np.clip(np.searchsorted(self.grid, t, side="right") - 1, 0, len(self.grid) - 1)
        processed = self.processed[idx]
        mid_idx = np.clip(
            np.searchsorted(self.grid, t[:-1] + step_s / 2, side="right") - 1, 0, len(self.grid) - 1
        )
        return LineFrame(
            t_s=t,
            graded=np.floor(self.graded[idx]),
            rejects=np.floor(self.rejects[idx]),
            cases=self.cases[idx],
            speed_eph=np.diff(processed) * H / step_s,
            state=self.state[mid_idx],
        )
