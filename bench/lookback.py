"""A counter's look-back: the last reading before a window, as one reading a series or 48 hourly buckets.

Run: ``.venv/bin/python -m bench.lookback [--houses 24] [--repeat 5]``.  Writes egg counters read every
minute (8 rows a house, the serial gateway's example poll) for 5 days into a throwaway influxd, then
times, for the 50 hours the page and the live detector reload after each minute
(``analytics.incremental``), and for the page's 14 days with ``--days 16``:

- the baseline, as ``load_hourly`` read it before: hourly ``last`` buckets from 48 hours before the
  window, the hour before it taking the last of those 48;
- now: hourly buckets of the window only, and the last reading of the 48 hours before it on its own
  (``Query(latest=True)``, InfluxDB ``last()`` without ``GROUP BY time``);

and checks that both give every series the same hourly values.  The 4x park of the 1.2-million-hen
plan is 24 houses of 50,000 hens.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

import numpy as np

from analytics.production import HOUR_MS, LOOKBACK_HOURS, _hourly_with_lookback, _key, _on_grid
from bench.page import START, fill
from bench.stores import influx_store
from eggwatch.park import Park
from eggwatch.store.base import Query, TelemetryStore

Grids = dict[tuple[str, str, tuple[tuple[str, str], ...]], np.ndarray]


def before(store: TelemetryStore, park: Park, start_ms: int, end_ms: int, n: int) -> Grids:
    """The old read: 48 + n hourly buckets, the hour before the window holding the last of the 48."""
    units = tuple(h.unit for h in park.houses)
    q = Query(
        "eggs_total", park.site, start_ms - LOOKBACK_HOURS * HOUR_MS, end_ms, HOUR_MS, "last", units=units
    )
    out = {}
    for s in store.query(q):
        grid = np.full(n + LOOKBACK_HOURS, np.nan)
        idx = (s.ts - (start_ms - LOOKBACK_HOURS * HOUR_MS)) // HOUR_MS
        grid[idx] = s.values
        lead = grid[:LOOKBACK_HOURS][~np.isnan(grid[:LOOKBACK_HOURS])]
        grid[LOOKBACK_HOURS - 1] = lead[-1] if lead.size else np.nan
        out[_key(s)] = grid[LOOKBACK_HOURS - 1 :]
    return out


def now(store: TelemetryStore, park: Park, start_ms: int, end_ms: int, n: int) -> Grids:
    return {
        _key(s): _on_grid(s, start_ms, n)
        for s in _hourly_with_lookback(store, park, "eggs_total", start_ms, end_ms)
    }


def timed(fn: Callable[..., Grids], *args: object) -> tuple[float, Grids]:
    t = time.perf_counter()
    got = fn(*args)
    return time.perf_counter() - t, got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--houses", type=int, default=24)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with influx_store(timeout_s=120) as store:
        park = fill([store], args.houses, args.days)
        end = START + dt.timedelta(days=args.days)
        for label, hours in (("a page or detector refresh, 50 h", 50), ("the page's 14 days", 14 * 24)):
            if hours > args.days * 24 - LOOKBACK_HOURS:  # not enough data written for this window
                continue
            s_ms = int((end - dt.timedelta(hours=hours)).timestamp() * 1000)
            e_ms = int(end.timestamp() * 1000)
            # Alternate the two so a busy machine weighs on both alike.
            t_old, t_new, equal = [], [], True
            for _ in range(args.repeat):
                a, old = timed(before, store, park, s_ms, e_ms, hours)
                b, new = timed(now, store, park, s_ms, e_ms, hours)
                t_old.append(a)
                t_new.append(b)
                equal = (
                    equal
                    and old.keys() == new.keys()
                    and all(np.array_equal(old[k], new[k], equal_nan=True) for k in old)
                )
            o, w = statistics.median(t_old), statistics.median(t_new)
            print(
                f"{label} ({hours} h, {args.houses} houses x 8 rows): 48 hourly buckets of look-back "
                f"{o:.2f} s (the baseline); the last reading on its own {w:.2f} s = {o / w:.1f} x faster; "
                f"grids equal: {equal}; median of {args.repeat}",
                flush=True,
            )


if __name__ == "__main__":
    main()
