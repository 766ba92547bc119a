"""A simulated park: houses and packing lines over a horizon, readings for every device.

    sim = ParkSim.generate(seed=1, start=dt.date(2026, 3, 1), days=30)
    sim.park                                   # eggwatch.park.Park (dump it for analytics / the API)
    for ch in sim.channels(t0, t1, step_s=60):  # columnar device series, every metric of §3
        readings = list(ch.readings())
    sim.labels                                 # ground truth of the injected incidents

Incidents are injected per house (``incidents={"house-02": [Incident, ...]}``); the whole run is a
pure function of the seed, and any window can be evaluated at any step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from eggwatch.park import Line, Park
from simulator.climate import bird_weight, climate
from simulator.devices import Channel, house_channels, line_channels
from simulator.house import HouseModel
from simulator.incidents import DAY, Incident
from simulator.packing import LineModel, LineSpec
from simulator.scenarios import Label, label_of
from simulator.silo import Silos, build
from simulator.spec import HouseSpec, draw_house
from simulator.weather import Weather


class ParkSim:
    def __init__(
        self,
        site: str,
        houses: Sequence[HouseSpec],
        lines: Sequence[LineSpec],
        seed: int,
        start_s: float,
        end_s: float,
        incidents: Mapping[str, Sequence[Incident]] | None = None,
        timezone: str = "Asia/Shanghai",
        tiers: int = 1,
    ) -> None:
        self.seed = seed
        # tiers > 1: one counter per row and tier (multi-tier cages with a belt per tier)
        shares = np.random.default_rng([seed, 23]).uniform(0.9, 1.1, (len(houses), tiers))
        self.tier_shares = shares / shares.sum(axis=1, keepdims=True) if tiers > 1 else None
        self.start_s, self.end_s = start_s, end_s
        offset = ZoneInfo(timezone).utcoffset(dt.datetime.fromtimestamp(start_s, dt.UTC).replace(tzinfo=None))
        self.utc_offset_s = offset.total_seconds() if offset else 0.0
        incidents = incidents or {}
        self.weather = Weather(np.random.default_rng([seed, 8]), start_s - 3 * DAY, end_s + 3 * DAY)
        self.specs = list(houses)
        self.houses: dict[str, HouseModel] = {}
        self.silos: dict[str, Silos] = {}
        for j, spec in enumerate(houses):
            unit = spec.house.unit
            model = HouseModel(spec, incidents.get(unit, ()), seed * 1000 + j, start_s, end_s,
                               utc_offset_s=self.utc_offset_s, weather=self.weather)  # fmt: skip
            self.houses[unit] = model
            self.silos[unit] = build(model, np.random.default_rng([seed, j, 3]))
        self.lines = {
            ls.unit: LineModel(ls, [self.houses[u] for u in ls.houses], seed * 1000 + 500 + k)
            for k, ls in enumerate(lines)
        }
        self.park = Park(
            site=site,
            timezone=timezone,
            houses=tuple(s.house for s in houses),
            lines=tuple(Line(unit=ls.unit, name_zh=f"{k + 1}号包装线") for k, ls in enumerate(lines)),
        )
        self.labels: list[Label] = sorted(
            (label_of(inc, spec) for spec in houses for inc in incidents.get(spec.house.unit, ())),
            key=lambda lb: (lb.onset, lb.house),
        )

    @classmethod
    def generate(
        cls,
        seed: int,
        start: dt.date,
        days: int,
        *,
        n_houses: int = 6,
        n_lines: int = 2,
        site: str = "jinji",
        hens: int | None = 50_000,
        rows: int | None = None,
        tiers: int = 1,
        incidents: Mapping[str, Sequence[Incident]] | None = None,
    ) -> ParkSim:
        """A park of ``n_houses`` flocks of staggered ages feeding ``n_lines`` lines."""
        rng = np.random.default_rng([seed, 42])
        specs = []
        for j in range(n_houses):
            age = 19.0 + (j + float(rng.uniform(0, 1))) * (70.0 / max(n_houses, 1))  # staggered flocks
            spec = draw_house(rng, f"house-{j + 1:02d}", start, age_weeks=age, rows=rows)
            if hens is not None:
                spec = HouseSpec(spec.house.model_copy(update={"hens_placed": hens}), spec.traits)
            specs.append(spec)
        n_lines = min(n_lines, n_houses)  # a line no house feeds has no eggs (and no model: LineModel)
        lines = [
            LineSpec(
                f"packing-{k + 1}",
                tuple(s.house.unit for s in specs[k::n_lines]),
                float(rng.uniform(30e3, 45e3)),
            )
            for k in range(n_lines)
        ]
        start_s = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp() - 8 * 3600
        return cls(site, specs, lines, seed, start_s, start_s + days * DAY, incidents, tiers=tiers)

    def channels(self, start_s: float, end_s: float, step_s: float = 60.0) -> list[Channel]:
        """Every device's readings in ``[start_s, end_s)`` every ``step_s`` (stamped at step ends)."""
        out: list[Channel] = []
        for j, (unit, model) in enumerate(self.houses.items()):
            f = model.frame(start_s, end_s, step_s, seed=self.seed)
            rng = np.random.default_rng([self.seed, j, int(start_s), int(step_s)])
            gauges = climate(model, f, rng)
            silo = self.silos[unit].at(f.t_s) + rng.normal(0, 3.0, (len(f.t_s), 2))
            shares = None if self.tier_shares is None else self.tier_shares[j]
            out += house_channels(model, f, gauges, silo, bird_weight(model, f, rng), shares)
        for unit, line in self.lines.items():
            out += line_channels(unit, line.frame(start_s, end_s, step_s))
        return out
