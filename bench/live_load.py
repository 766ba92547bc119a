"""The live loop's data load: a whole 70-day ``load_hourly`` against the incremental one.

Run: ``.venv/bin/python -m bench.live_load [--houses 30] [--days 72]``.  Writes a simulated park
(8 rows a house, a reading every 10 minutes from every device) into a throwaway influxd and into
the embedded store, then times, on each, what a live pass loads every five minutes:

- the baseline: ``load_hourly`` over the whole ``history_days`` (70) window, as every pass did;
- ``IncrementalLoad``: the same window one hour later, after a first whole load (it reloads the
  last 50 hours and joins them to the hours it has), and checks the two frames are equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np

from analytics.incremental import IncrementalLoad
from analytics.production import load_hourly
from bench.stores import both_stores
from eggwatch.store.base import Point, TelemetryStore
from simulator.park_sim import ParkSim

HISTORY = dt.timedelta(days=70)


def fill(stores: list[TelemetryStore], houses: int, days: int) -> tuple[object, dt.datetime]:
    start = dt.date(2026, 3, 1)
    sim = ParkSim.generate(seed=5, start=start, days=days, n_houses=houses, n_lines=0, site="bench", rows=8)
    t0 = dt.datetime.combine(start, dt.time(), dt.UTC).timestamp()
    batch: list[Point] = []
    n = 0
    for ch in sim.channels(t0, t0 + days * 86400, step_s=600.0):
        batch += [Point("bench", ch.unit, ch.device, r) for r in ch.readings()]
        if len(batch) >= 50_000:
            for s in stores:
                s.write(batch)
            n += len(batch)
            batch = []
    for s in stores:
        s.write(batch)
    n += len(batch)
    print(f"wrote {n:,} readings of {houses} houses x 8 rows x {days} days to each store", flush=True)
    return sim.park, dt.datetime.combine(start, dt.time(), dt.UTC) + dt.timedelta(days=days)


def same(a: object, b: object) -> bool:
    return all(
        np.allclose(getattr(a, k), getattr(b, k), rtol=1e-9, atol=1e-9, equal_nan=True)
        for k in ("hens", "age_weeks", "water_l", "feed_kg", "temp_c", "eggs")
    )


def measure(name: str, store: TelemetryStore, park: object, end: dt.datetime, repeat: int) -> None:
    whole, partial = [], []
    equal = True
    for i in range(repeat):
        e = end - dt.timedelta(hours=2 * repeat - 2 * i)
        t = time.perf_counter()
        reference = load_hourly(store, park, e - HISTORY, e)  # type: ignore[arg-type]
        whole.append(time.perf_counter() - t)
        inc = IncrementalLoad(load_hourly)
        inc(store, park, e - HISTORY - dt.timedelta(hours=1), e - dt.timedelta(hours=1))  # the pass before
        t = time.perf_counter()
        frame = inc(store, park, e - HISTORY, e)
        partial.append(time.perf_counter() - t)
        equal = equal and same(frame, reference)
    w, p = statistics.median(whole), statistics.median(partial)
    print(
        f"{name}: whole 70-day load {w:.2f} s, incremental pass {p:.3f} s "
        f"({w / p:.0f} x faster; frames equal: {equal}; median of {repeat})",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--houses", type=int, default=30)
    ap.add_argument("--days", type=int, default=72)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with both_stores("live") as (influx, embedded):
        park, end = fill([influx, embedded], args.houses, args.days)
        measure("InfluxDB 1.6", influx, park, end, args.repeat)
        measure("embedded", embedded, park, end, args.repeat)


if __name__ == "__main__":
    main()
