"""Two feed silos per house on load cells: one feeds the house until nearly empty, then the other;
the feed truck refills the empty one during working hours.

The silo weights are built once over the horizon on the house's one-minute meter grid, from the
feed the house drew (:meth:`HouseModel.feed_used`), so the weight drop is exactly the feed used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.house import HouseModel
from simulator.incidents import H

SWITCH_AT_KG = 300.0  # the auger starts to suck air: switch silo


@dataclass(frozen=True)
class Silos:
    t_s: np.ndarray
    kg: np.ndarray  # (len(t_s), 2): silo "a" and "b"
    refills: list[tuple[float, int, float]]  # (time, silo index, kg delivered)

    def at(self, t_s: np.ndarray) -> np.ndarray:
        idx = np.clip(np.searchsorted(self.t_s, t_s, side="right") - 1, 0, len(self.t_s) - 1)
        return self.kg[idx]


def _next_delivery(t: float, rng: np.random.Generator, utc_offset_s: float) -> float:
    """A delivery between 2 and 30 h later, moved into working hours (08:00-17:00 local)."""
    t = t + float(rng.uniform(2, 30)) * H
    local_h = ((t + utc_offset_s) % (24 * H)) / H
    if local_h < 8:
        t += (8 - local_h + float(rng.uniform(0, 2))) * H
    elif local_h > 17:
        t += (24 - local_h + 8 + float(rng.uniform(0, 2))) * H
    return t


def build(model: HouseModel, rng: np.random.Generator) -> Silos:
    grid = model._grid
    used = model.feed_used(grid)
    daily_kg = model.spec.house.hens_placed * 0.115
    cap = round(daily_kg * float(rng.uniform(4.0, 6.0)) / 1000.0) * 1000.0 + 2000.0
    level = np.zeros((len(grid), 2))
    current = [cap * float(rng.uniform(0.3, 0.9)), cap * float(rng.uniform(0.8, 1.0))]
    active, i0 = 0, 0
    refills: list[tuple[float, int, float]] = []
    pending: tuple[float, int] | None = None  # (when, silo)
    while i0 < len(grid):
        drawn = used[i0:] - used[i0]
        empty = np.searchsorted(drawn, current[active] - SWITCH_AT_KG, side="left")
        stop = i0 + int(empty)
        if pending is not None:
            k = int(np.searchsorted(grid, pending[0]))
            if k < stop:  # the truck comes before the active silo runs out
                stop = max(k, i0 + 1)
        stop = min(max(stop, i0 + 1), len(grid))
        level[i0:stop, active] = current[active] - drawn[: stop - i0]
        level[i0:stop, 1 - active] = current[1 - active]
        if stop >= len(grid):
            break
        current[active] -= float(drawn[stop - i0])
        if pending is not None and grid[stop] >= pending[0]:
            silo = pending[1]
            amount = cap * float(rng.uniform(0.85, 1.0)) - current[silo]
            current[silo] += amount
            refills.append((float(grid[stop]), silo, amount))
            pending = None
        else:
            active = 1 - active
            pending = (_next_delivery(float(grid[stop]), rng, model.utc_offset_s), 1 - active)
        i0 = stop
    return Silos(grid, level, refills)
