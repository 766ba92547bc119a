"""The web page's figures on a full park: every load computed afresh against the page's cache.

Run: ``.venv/bin/python -m bench.page [--houses 30] [--days 16] [--no-embedded]``.  Writes egg
counters read every minute (8 rows a house, the serial gateway's example poll, ~5.5 M readings
for 30 houses) into a throwaway influxd and the embedded store, then times on each:

- the baseline: ``park_figures`` as every page load ran it before, the whole 14 days loaded;
- a load a minute later, past the cache's 60 s: ``FiguresCache`` moves its frame forward (the last
  50 hours read again) and the figures are checked equal to the baseline's at the same time;
- a load within the minute: the figures already computed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np

from api.web.cache import FiguresCache
from api.web.figures import park_figures
from bench.stores import both_stores
from eggwatch.park import Park
from eggwatch.store.base import Point, TelemetryStore
from eggwatch.wire import Reading
from simulator.park_sim import ParkSim

STEP_S = 60  # gateway/examples/serial-house.yaml polls the egg counters every minute
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def fill(stores: list[TelemetryStore], houses: int, days: int) -> Park:
    """Every row's counter every minute: Poisson eggs, most of them in the morning (local)."""
    park = ParkSim.generate(seed=5, start=START.date(), days=days, n_houses=houses, n_lines=0,
                            site="bench", rows=8).park  # fmt: skip
    n = days * 86_400 // STEP_S
    ts = int(START.timestamp()) + np.arange(n) * STEP_S
    hour = (ts // 3600 + 8) % 24  # UTC+8
    rate = np.where((hour >= 6) & (hour < 12), 9.0, 1.0)
    total = 0
    for i_house, h in enumerate(park.houses):
        for r in range(1, h.rows + 1):
            # A seed per row that is the same in every run (hash() of a str changes per process).
            counts = np.cumsum(np.random.default_rng([i_house, r]).poisson(rate))
            points = [
                Point(
                    "bench", h.unit, "eggcounter-1", Reading(t * 1000, "eggs_total", v, {"row": f"{r:02d}"})
                )
                for v, t in zip(counts.tolist(), ts.tolist(), strict=True)
            ]
            for s in stores:
                for i in range(0, len(points), 50_000):
                    s.write(points[i : i + 50_000])
            total += len(points)
    print(f"wrote {total:,} egg-counter readings ({houses} houses x 8 rows x {days} days, "
          f"one a minute) to each store", flush=True)  # fmt: skip
    return park


def measure(name: str, store: TelemetryStore, park: Park, now: dt.datetime, repeat: int) -> None:
    whole, moved, kept = [], [], []
    equal = True
    clock = [0.0]
    cache = FiguresCache(clock=lambda: clock[0])
    cache.get(store, park, now - dt.timedelta(minutes=1))  # the page's first load since start
    for i in range(repeat):
        at = now + dt.timedelta(minutes=i)
        t = time.perf_counter()
        reference = park_figures(store, park, at)
        whole.append(time.perf_counter() - t)
        clock[0] += 61  # past the cache's minute
        t = time.perf_counter()
        figures = cache.get(store, park, at)
        moved.append(time.perf_counter() - t)
        equal = equal and figures == reference
        t = time.perf_counter()
        cache.get(store, park, at + dt.timedelta(seconds=20))
        kept.append(time.perf_counter() - t)
    w, m, k = (statistics.median(x) for x in (whole, moved, kept))
    print(
        f"{name}: whole load {w:.2f} s (the baseline); after the minute {m:.2f} s ({w / m:.1f} x "
        f"faster; figures equal: {equal}); within the minute {k * 1000:.2f} ms ({w / k:,.0f} x); "
        f"median of {repeat}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--houses", type=int, default=30)
    ap.add_argument("--days", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-embedded", action="store_true")
    args = ap.parse_args()
    with both_stores("page") as (influx, embedded):
        stores: list[TelemetryStore] = [influx] if args.no_embedded else [influx, embedded]
        park = fill(stores, args.houses, args.days)
        now = START + dt.timedelta(days=args.days, hours=-5, minutes=-7)  # 06:53 local, laying
        measure("InfluxDB 1.6", influx, park, now, args.repeat)
        if not args.no_embedded:
            measure("embedded", embedded, park, now, args.repeat)


if __name__ == "__main__":
    main()
