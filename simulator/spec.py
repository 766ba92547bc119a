"""What makes one simulated house unlike another: its park description plus hidden traits.

:class:`eggwatch.park.House` is what the farm knows (breed, age, hens, rows, lights, belt runs);
:class:`Traits` is what only the simulator knows (how well this flock lays compared with the breed
standard, how noisy its rows are, when its hens lay, how fast its belts run).  Both are drawn from a
seed so a whole park is reproducible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from eggwatch.park import House


@dataclass(frozen=True)
class Traits:
    level: float  # production relative to the breed standard (0.90-1.03)
    drift_sd: float  # daily step of the slow drift of that level
    house_noise_sd: float  # day-to-day noise of the whole house
    row_noise_sd: float  # extra day-to-day noise of each row
    row_share: tuple[float, ...]  # share of the hens in each row (sums to 1)
    counter_eff: tuple[float, ...]  # share of eggs each row counter actually counts
    lay_start_h: float  # laying-time distribution after lights-on (shifted gamma)
    lay_shape: float
    lay_scale_h: float
    belt_run_min: float  # duration of a scheduled belt run
    transit_h: float  # continuous belts: time to bring an egg from the far end
    water_level: float
    feed_level: float
    feed_runs: int
    setpoint_c: float
    mortality_level: float
    counter_start: tuple[int, ...]  # counter readings at the start (counters are not new)
    water_meter_start: float
    weight_level: float


def draw_traits(rng: np.random.Generator, rows: int) -> Traits:
    share = rng.normal(1.0, 0.02, rows).clip(0.9, 1.1)
    return Traits(
        level=float(rng.uniform(0.90, 1.03)),
        drift_sd=float(rng.uniform(0.001, 0.003)),
        house_noise_sd=float(rng.uniform(0.004, 0.010)),
        row_noise_sd=float(rng.uniform(0.025, 0.05)),
        row_share=tuple(float(s) for s in share / share.sum()),
        counter_eff=tuple(float(e) for e in rng.uniform(0.96, 1.0, rows)),
        lay_start_h=float(rng.uniform(0.6, 1.6)),
        lay_shape=float(rng.uniform(4.0, 6.5)),
        lay_scale_h=float(rng.uniform(0.55, 0.8)),
        belt_run_min=float(rng.uniform(15, 40)),
        transit_h=float(rng.uniform(2.0, 4.0)),
        water_level=float(rng.uniform(0.9, 1.1)),
        feed_level=float(rng.uniform(0.95, 1.05)),
        feed_runs=int(rng.integers(3, 7)),
        setpoint_c=float(rng.uniform(20.0, 23.0)),
        mortality_level=float(rng.uniform(0.7, 1.5)),
        counter_start=tuple(int(c) for c in rng.integers(0, 3_000_000, rows)),
        water_meter_start=float(rng.uniform(0, 5e6)),
        weight_level=float(rng.uniform(0.96, 1.04)),
    )


@dataclass(frozen=True)
class HouseSpec:
    house: House
    traits: Traits


def draw_house(
    rng: np.random.Generator,
    unit: str,
    start: dt.date,
    *,
    age_weeks: float | None = None,
    rows: int | None = None,
) -> HouseSpec:
    """A house with a flock of a random age (or ``age_weeks`` on ``start``) and random management."""
    drawn_rows = int(rng.integers(6, 11))
    rows = rows or drawn_rows
    age = float(rng.uniform(17.0, 92.0)) if age_weeks is None else age_weeks
    placed_age = float(rng.uniform(16.0, 18.0))
    placed = start - dt.timedelta(days=round((age - placed_age) * 7))
    if placed > start:  # a pullet flock not yet placed: place it on the start day
        placed, placed_age = start, age
    n_runs = int(rng.choice([0, 1, 2, 2, 3]))
    lights_on = dt.time(int(rng.integers(2, 7)), int(rng.choice([0, 30])))
    lights_h = lights_on.hour + lights_on.minute / 60
    # Belt runs on the clock, planned around laying: a single daily run once most eggs are laid,
    # several runs starting earlier (the later runs take the rest).
    first = lights_h + float(rng.uniform(6.0, 8.5) if n_runs == 1 else rng.uniform(4.0, 6.5))
    runs = [first + k * float(rng.uniform(3.0, 5.0)) for k in range(n_runs)]
    runs = [round(h * 4) / 4 for h in runs]  # quarter hours, as set on a controller
    collection = tuple(dt.time(int(h) % 24, round((h % 1) * 60) % 60) for h in runs)
    house = House(
        unit=unit,
        name_zh=f"{int(unit.rsplit('-', 1)[-1])}号鸡舍" if unit[-1].isdigit() else None,
        breed=str(rng.choice(["hyline_brown", "hyline_brown", "lohmann_brown_classic"])),
        placed=placed,
        age_weeks_at_placement=round(placed_age, 2),
        hens_placed=int(rng.integers(20, 61)) * 1000,
        rows=rows,
        lights_on=lights_on,
        lights_hours=float(rng.choice([15.0, 16.0, 16.0, 16.5, 17.0])),
        collection=collection,
    )
    return HouseSpec(house, draw_traits(rng, rows))
