"""What approving a payroll run costs now that it re-reads the machine counts.

Run: ``.venv/bin/python -m bench.approval [--step 60] [--influx]`` (PostgreSQL on 127.0.0.1:5432,
a throwaway database; ``--influx`` also a throwaway influxd).  A simulated park (6 houses × 8 rows,
2 packing lines, a reading every ``--step`` seconds from every device) for June and the day before
goes into the embedded store (and InfluxDB); the bench workforce (1,200 households, 2,000 workers,
their June shifts) into PostgreSQL.  Then, best of three each:

- the baseline: computing June's draft (``run_payroll``: shifts, the store read, the pay);
- the approval's re-read: the period's shifts, then the machine counts from the store
  (``load_slices`` + ``machine_counts``), which runs outside the locks;
- the database part of the inputs hash, which runs under the locks;
- on InfluxDB, the re-read again with one statement at a time (``query_workers=1``), the
  baseline for the store reading its week pieces in parallel.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from api.config import load_api_config
from api.models import PayrollRun
from api.security import Keys
from api.services.payroll import inputs_hash, load_slices, machine_counts, run_payroll
from api.services.seed import seed_demo_workforce
from eggwatch.migrations import upgrade
from eggwatch.park import Park
from eggwatch.sql import make_engine, make_sessionmaker
from eggwatch.store.base import Point, TelemetryStore
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.store.influx import InfluxStore
from simulator.park_sim import ParkSim
from tests.support.servers import Influxd, throwaway_database

SITE = "jinji"
TZ = ZoneInfo("Asia/Shanghai")
JUNE = (dt.date(2026, 6, 1), dt.date(2026, 7, 1))


def fill(stores: list[TelemetryStore], step_s: float) -> Park:
    """June (and the day before: the first bucket's predecessor) of a 6-house, 2-line park."""
    start = JUNE[0] - dt.timedelta(days=2)
    days = (JUNE[1] - start).days
    sim = ParkSim.generate(seed=5, start=start, days=days, n_houses=6, n_lines=2, site=SITE, rows=8)
    t0 = dt.datetime.combine(start, dt.time(), dt.UTC).timestamp()
    batch: list[Point] = []
    n = 0
    for ch in sim.channels(t0, t0 + days * 86400, step_s=step_s):
        batch += [Point(SITE, ch.unit, ch.device, r) for r in ch.readings()]
        if len(batch) >= 50_000:
            for s in stores:
                s.write(batch)
            n, batch = n + len(batch), []
    for s in stores:
        s.write(batch)
    print(
        f"wrote {n + len(batch):,} readings (6 houses x 8 rows, 2 lines, every {step_s:.0f} s, {days} days)"
    )
    return sim.park


def best_of(n: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(name: str, url: str, store: TelemetryStore) -> None:
    engine = make_engine(url)
    config = load_api_config()
    with make_sessionmaker(engine)() as s:
        run = PayrollRun(period_start=JUNE[0], period_end=JUNE[1], status="draft",
                         min_monthly_fen=191000, min_hourly_fen=2000)  # fmt: skip
        s.add(run)
        s.flush()
        compute_s = best_of(3, lambda: run_payroll(s, run, store, SITE, TZ, config))
        slices = load_slices(s, *JUNE, TZ)
        recount_s = best_of(3, lambda: machine_counts(store, SITE, TZ, *JUNE, load_slices(s, *JUNE, TZ)))
        shifts_s = best_of(3, lambda: load_slices(s, *JUNE, TZ))
        counts = machine_counts(store, SITE, TZ, *JUNE, slices)
        hash_s = best_of(3, lambda: inputs_hash(s, *JUNE, TZ, counts))
        serial_s, workers = None, 1
        if isinstance(store, InfluxStore):  # the week pieces one statement at a time, as before
            workers, store.query_workers = store.query_workers, 1
            serial_s = best_of(3, lambda: machine_counts(store, SITE, TZ, *JUNE, load_slices(s, *JUNE, TZ)))
            store.query_workers = workers
        assert inputs_hash(s, *JUNE, TZ, counts) == run.inputs_hash, "the re-read counts differ"
        counted = sum(1 for sid in counts.output if counts.output[sid])
        s.rollback()
    engine.dispose()
    print(f"{name}: {len(slices):,} shift slices, {counted:,} with machine output")
    print(f"  draft computed (baseline)          {compute_s:6.2f} s")
    print(
        f"  approval re-read, outside locks    {recount_s:6.2f} s  ({recount_s / compute_s:.2f} x the draft)"
    )
    print(f"    of which the shifts (database)   {shifts_s:6.2f} s")
    if serial_s is not None:
        print(
            f"    with one InfluxDB statement at a time (query_workers=1) {serial_s:6.2f} s "
            f"(the default, {workers} in flight: {recount_s / serial_s:.2f} x)"
        )
    print(f"  inputs hash, under the locks       {hash_s:6.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--step", type=float, default=60.0, help="seconds between a device's readings")
    ap.add_argument("--influx", action="store_true", help="also on a throwaway InfluxDB")
    args = ap.parse_args()
    influxd = Influxd.create() if args.influx else None
    try:
        with throwaway_database("eggwatch_bench") as url, tempfile.TemporaryDirectory() as tmp:
            embedded = EmbeddedStore(Path(tmp) / "telemetry.db")
            embedded.ensure_ready()
            stores: list[tuple[str, TelemetryStore]] = [("embedded store", embedded)]
            if influxd is not None:
                influxd.start()
                influx = InfluxStore(influxd.url, "bench")
                influx.ensure_ready()
                stores.append(("InfluxDB 1.6", influx))
            park = fill([s for _, s in stores], args.step)
            upgrade(url)
            engine = make_engine(url)
            with make_sessionmaker(engine)() as s:
                summary = seed_demo_workforce(
                    s, park, JUNE[0] - dt.timedelta(days=1), JUNE[1], seed=7,
                    keys=Keys.from_secret(secrets.token_urlsafe(32).encode()),
                    households=1200, workers=2000, payroll=False, config=load_api_config(),
                )  # fmt: skip
            engine.dispose()
            print(f"seeded {summary.workers} workers, {summary.shifts:,} shifts")
            for label, store in stores:
                measure(label, url, store)
                store.close()
    finally:
        if influxd is not None:
            influxd.destroy()


if __name__ == "__main__":
    main()
