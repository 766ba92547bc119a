"""The demo park from the project's flock simulator, written to InfluxDB through InfluxStore, with
the breed standard from ``eggwatch dashboards standards``: the realistic data set the dashboards'
queries are also run against (the hand-made ``demo_data`` covers every metric deterministically)."""

from __future__ import annotations

import datetime as dt

from eggwatch.grafana import standard_points
from eggwatch.park import Park
from eggwatch.store.base import Point
from eggwatch.store.influx import InfluxStore
from simulator.park_sim import ParkSim

DAYS = 3
STEP_S = 600.0


def load_simulated(influx_url: str, db: str, site: str, end: dt.datetime) -> Park:
    """Three days of two houses and one line up to ``end``; returns the simulated park."""
    start_day = (end - dt.timedelta(days=DAYS + 1)).date()
    sim = ParkSim.generate(
        seed=7, start=start_day, days=DAYS + 2, n_houses=2, n_lines=1, site=site, hens=40_000
    )
    end_s = end.timestamp()
    store = InfluxStore(influx_url, db)
    try:
        store.ensure_ready()
        batch: list[Point] = []
        for ch in sim.channels(end_s - DAYS * 86400, end_s + 1, step_s=STEP_S):
            batch += [Point(site, ch.unit, ch.device, r) for r in ch.readings()]
            if len(batch) > 20_000:
                store.write(batch)
                batch = []
        batch += standard_points(sim.park, end.date())
        store.write(batch)
    finally:
        store.close()
    return sim.park
