"""Simulator speed: a year of one 50,000-hen house (and its packing line) at 1-minute resolution.

Run: ``.venv/bin/python -m bench.simulator``.  Reports the time per simulated month for
(a) building the model (daily draws, meters, silos, line) and (b) evaluating every device channel
month by month, and (c) turning them into validated wire readings.  Baseline, measured in the same
run: the same model evaluated one minute at a time (what a naive per-tick device loop would do),
extrapolated from 2 simulated hours.  Target: well under 1 s per simulated month.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from simulator.incidents import DAY, H
from simulator.park_sim import ParkSim

MONTH_S = 30 * DAY


def main() -> None:
    t0 = time.perf_counter()
    sim = ParkSim.generate(seed=1, start=dt.date(2026, 1, 1), days=365, n_houses=1, n_lines=1, hens=50_000)
    build_s = time.perf_counter() - t0
    months = 12
    eval_s = 0.0
    read_s = 0.0
    n_values = 0
    for m in range(months):
        a = sim.start_s + m * MONTH_S
        t1 = time.perf_counter()
        channels = sim.channels(a, a + MONTH_S, 60.0)
        eval_s += time.perf_counter() - t1
        n_values += sum(len(c) for c in channels)
        if m == 0:
            t2 = time.perf_counter()
            n_read = sum(1 for c in channels for _ in c.readings())
            read_s = time.perf_counter() - t2
    per_month = (build_s + eval_s) / months

    # Baseline: the same model, one minute at a time (2 simulated hours, extrapolated to a month).
    model = next(iter(sim.houses.values()))
    t3 = time.perf_counter()
    start = sim.start_s + 40 * DAY
    for k in range(120):
        model.frame(start + 60.0 * k, start + 60.0 * (k + 1), 60.0)
    naive_month = (time.perf_counter() - t3) / (2 * H) * MONTH_S

    print(f"one 50,000-hen house + 1 packing line, 365 days at 1-minute resolution ({n_values:,} values)")
    print(f"  build (daily draws, meters, silos, line):   {build_s:6.2f} s")
    print(f"  evaluate all device channels:               {eval_s:6.2f} s")
    print(f"  per simulated month (build + evaluate):     {per_month:6.3f} s   (target < 1 s)")
    print(f"  wire Readings for month 1 ({n_read:,}):  {read_s:6.2f} s  ({n_read / read_s:,.0f} readings/s)")
    print(f"  baseline, minute-by-minute loop:            {naive_month:6.1f} s per simulated month")
    print(f"  speed-up vectorised / per-minute loop:      {naive_month / per_month:6.0f} x")
    np.testing.assert_array_less(per_month, 1.0)


if __name__ == "__main__":
    main()
