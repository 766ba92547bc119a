"""The one query layer from the telemetry store to hourly production figures.

It only calls :meth:`TelemetryStore.query` with hourly buckets, so it runs unchanged on InfluxDB
and on the embedded store, and it produces the same :class:`HourlyFrame` the CSV loader does:

- row eggs: ``eggs_total`` counters per row (tiers summed): increases of the hourly last value,
  with register wraps and power-cycle resets handled (a reset inside an hour counts what the
  counter showed before it, from the hour's maximum, plus what it counted since);  hours without
  readings stay NaN and what was counted meanwhile lands in the first hour after (back-fill) —
  unless the counter read the same before and after them: then it counted nothing (a link down
  at night; a device that publishes only on change, repeated by the gateway: gateway/repeat.py),
  and they are 0.  The value the first hour starts from is the last one within
  :data:`LOOKBACK_HOURS` before it.  An hour inside one tier's gap is a gap of the row
  (:func:`sum_counters`);
- water: ``water_l_total`` counters (resets inside an hour as eggs), summed over lines (as tiers);
- feed: ``feed_kg`` silo weights: what left the silo (a refill within the hour is bridged by the
  hour's min and max; what left during a gap lands in the hour after it, as a counter's back-fill),
  summed over silos;
- hens: ``hens_housed`` when reported (carried forward from its last report within the lookback),
  else the park's ``hens_placed`` minus cumulative ``mortality``;
- temperature: the hourly mean of ``temp_c``; age from the park's placement data.

:func:`house_figures` (in :mod:`analytics.figures`) builds the API's figures on top
(``GET /api/v1/figures/{unit}``); the web page (:mod:`api.web.figures`) reads eggs and hens
through :func:`load_hourly` too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import numpy as np

from analytics.frame import HOUR_S, HourlyFrame, empty_frame, floor_hour
from eggwatch.park import House, Park
from eggwatch.store.base import Agg, Query, Series, TelemetryStore
from eggwatch.store.counters import judged

HOUR_MS = HOUR_S * 1000
# How far back a counter's last reading is looked for, for the first hour's increase: a device that
# publishes only on change says nothing from the last eggs of one day to the first of the next.
LOOKBACK_HOURS = 48


def _bucketed(
    store: TelemetryStore, park: Park, metric: str, start_ms: int, end_ms: int, agg: Agg
) -> list[Series]:
    units = tuple(h.unit for h in park.houses)
    return store.query(Query(metric, park.site, start_ms, end_ms, HOUR_MS, agg, units=units))


def _key(s: Series) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return (s.unit, s.device, tuple(sorted(s.tags.items())))


def _hourly_with_lookback(
    store: TelemetryStore, park: Park, metric: str, start_ms: int, end_ms: int
) -> list[Series]:
    """Hourly last values in ``[start_ms, end_ms)``, each series led, in the hour before
    ``start_ms``, by its last reading of the :data:`LOOKBACK_HOURS` before (a counter's value the
    first hour's increase starts from).  That reading used to be picked from 48 hourly buckets,
    for which InfluxDB read every reading of those 48 hours (each minute's, for an egg counter);
    asked for on its own it reads one a series (``python -m bench.lookback``)."""
    units = tuple(h.unit for h in park.houses)
    back = Query(metric, park.site, start_ms - LOOKBACK_HOURS * HOUR_MS, start_ms, units=units, latest=True)
    lead = {_key(s): s for s in store.query(back)}
    hourly = {_key(s): s for s in _bucketed(store, park, metric, start_ms, end_ms, "last")}
    out = []
    for key in sorted(lead.keys() | hourly.keys()):
        parts = [p for p in (lead.get(key), hourly.get(key)) if p is not None]
        ts = [np.full(1, start_ms - HOUR_MS, dtype=np.int64)] if key in lead else []
        ts += [hourly[key].ts] if key in hourly else []
        s = parts[0]
        out.append(
            Series(
                metric,
                s.unit,
                s.device,
                s.tags,
                np.concatenate(ts),
                np.concatenate([p.values for p in parts]),
            )
        )
    return out


def _on_grid(s: Series, start_ms: int, n: int) -> np.ndarray:
    """The series' hourly values on the grid of the hour before ``start_ms`` and the ``n`` from
    it (NaN: no value)."""
    out = np.full(n + 1, np.nan)
    idx = (s.ts - (start_ms - HOUR_MS)) // HOUR_MS
    ok = (idx >= 0) & (idx < n + 1)
    out[idx[ok]] = s.values[ok]
    return out


def carried(last: np.ndarray) -> np.ndarray:
    """``last`` with each run of hours without a reading filled where the readings on both sides
    are equal: a cumulative counter that reads the same after a silence counted nothing in it."""
    known = ~np.isnan(last)
    if known.all() or known.sum() < 2:
        return last
    idx = np.arange(last.size)
    before = np.maximum.accumulate(np.where(known, idx, -1))  # the last reading at or before
    after = np.minimum.accumulate(np.where(known, idx, last.size)[::-1])[::-1]  # ... at or after
    inside = ~known & (before >= 0) & (after < last.size)
    same = inside.copy()
    same[inside] = last[before[inside]] == last[after[inside]]
    return np.where(same, last[np.clip(before, 0, None)], last)


def counter_hourly(
    last: np.ndarray, peak: np.ndarray | None = None, max_per_day: float | None = None, first_span_h: int = 1
) -> np.ndarray:
    """Hourly increases of a cumulative counter from its hourly last values (grid with one leading
    hour of history).  Missing hours are NaN, the first known hour after a gap holding the
    back-fill, unless the readings on both sides of the gap are equal (:func:`carried`: then 0).

    The counter's own busy hour judges its wraps and new counters (a device replaced, starting from
    any value: NaN; :func:`~eggwatch.store.counters.judged`, once 20 rising hours are known); with
    ``max_per_day`` (an egg counter: the house's hens), no step counts more than that per day plus
    a day's worth either.
    ``first_span_h``: the hours the leading slot stands for (the lookback).
    """
    n = last.size - 1
    out = np.full(n, np.nan)
    last = carried(last)
    known = np.flatnonzero(~np.isnan(last))
    if known.size < 2:
        return out
    vals = last[known]
    span_h = np.diff(known).astype(np.float64)
    span_h[0] += (first_span_h - 1) if known[0] == 0 else 0
    limit = max_per_day * (1.0 + span_h / 24.0) if max_per_day else None
    # What the counter counts in a busy hour tells a new counter (or a reset) from a count.
    inc = judged(vals, span_h, most=limit)
    if peak is not None:
        # A reset inside the hour: the counter first rose to the hour's peak, then restarted.
        prev, cur, top = vals[:-1], vals[1:], peak[known[1:]]
        reset = (cur < prev) & (inc == cur) & (top > prev)
        inc = np.where(reset, (top - prev) + cur, inc)
    if limit is not None:  # the hens' limit holds for an hour with a reset inside it too
        inc = np.where(inc > limit, np.nan, inc)
    out[known[1:] - 1] = inc
    return out


def silo_used_hourly(last: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Feed that left a silo each hour from its weight: decreases count, refills (increases) do not.

    Like a counter's, what left during hours without a reading lands in the first hour after them
    (from the last weight before), and a silence between two equal weights used nothing."""
    last = carried(last)
    known = ~np.isnan(last)
    seen = np.maximum.accumulate(np.where(known, np.arange(last.size), -1))
    prev, cur = np.where(seen >= 0, last[np.clip(seen, 0, None)], np.nan)[:-1], last[1:]
    plain = np.clip(prev - cur, 0.0, None)
    # Refilled within the hour: eaten down to the hour's minimum, refilled, eaten from its maximum.
    refill = cur > prev
    bridged = np.clip(prev - low[1:], 0.0, None) + np.clip(high[1:] - cur, 0.0, None)
    out = np.where(refill, bridged, plain)
    return np.where(np.isnan(prev) | np.isnan(cur), np.nan, out)


def _sum_nan(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Sum of parts, NaN where every part is NaN."""
    if not parts:
        return np.full(n, np.nan)
    stack = np.vstack(parts)
    return np.where(np.isnan(stack).all(axis=0), np.nan, np.nansum(stack, axis=0))


def sum_counters(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Sum of the hourly increases of several counters (a row's tiers, a house's water lines).

    An hour inside a gap of any one counter (readings on both sides of it) is NaN, and what the
    others counted in it moves to the hour the gap back-fills, with the missing counter's: a sum
    of only some counters is neither the hour's figure nor a gap.  Before a counter's first
    reading and after its last, the others are summed as they are (a new or a dead device).
    """
    if len(parts) < 2:
        return _sum_nan(parts, n)
    stack = np.vstack(parts)
    known = ~np.isnan(stack)
    idx = np.arange(n)
    first = np.where(known.any(axis=1), known.argmax(axis=1), n)
    last = n - 1 - known[:, ::-1].argmax(axis=1)
    gap = (~known & (idx > first[:, None]) & (idx < last[:, None])).any(axis=0)
    if not gap.any():
        return _sum_nan(parts, n)
    total = np.cumsum(np.nansum(stack, axis=0))
    prev = np.maximum.accumulate(np.where(~gap, idx, -1))  # the last hour outside a gap, at or before
    before = np.concatenate(([-1], prev[:-1]))
    out = total - np.where(before >= 0, total[np.clip(before, 0, None)], 0.0)
    return np.where(gap | ~known.any(axis=0), np.nan, out)


def load_hourly(
    store: TelemetryStore,
    park: Park,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
    intake: bool = True,
) -> HourlyFrame:
    """Hourly figures of every house of ``park`` in ``[start, end)`` (hour-aligned, UTC); with
    ``as_of``, readings from it on are not read (the hour in progress holds what was counted so
    far); without ``intake``, water, feed and temperature stay NaN (not read: eggs and hens only)."""
    t0, t1 = floor_hour(start), floor_hour(end)
    n = max(0, int((t1 - t0).total_seconds() // HOUR_S))
    s_ms, e_ms = int(t0.timestamp() * 1000), int(t1.timestamp() * 1000)
    if as_of is not None:
        e_ms = max(s_ms, min(e_ms, int(as_of.timestamp() * 1000)))
    houses = [h.unit for h in park.houses]
    max_rows = max((h.rows for h in park.houses), default=0)
    row_ids = [f"{i:02d}" for i in range(1, max_rows + 1)]
    frame = empty_frame(t0, houses, row_ids, n)
    frame = HourlyFrame(**{**frame.__dict__, "breeds": tuple(h.breed for h in park.houses)})
    hidx = {u: i for i, u in enumerate(houses)}
    rows_seen: set[str] = set(row_ids)

    # Eggs per row: a series per (device, tags); tiers of a row are summed.
    q0 = s_ms - HOUR_MS  # one hour of history for the first increase
    lead = LOOKBACK_HOURS  # ... of a counter: its last reading
    peaks = {_key(s): s for s in _bucketed(store, park, "eggs_total", q0, e_ms, "max")}
    per_row: dict[tuple[int, str], list[np.ndarray]] = defaultdict(list)
    for s in _hourly_with_lookback(store, park, "eggs_total", s_ms, e_ms):
        row = s.tags.get("row") or s.device
        peak = peaks.get(_key(s))
        hens = park.houses[hidx[s.unit]].hens_placed or None  # no row lays more eggs a day
        inc = counter_hourly(
            _on_grid(s, s_ms, n), None if peak is None else _on_grid(peak, s_ms, n), hens, lead
        )
        per_row[(hidx[s.unit], row)].append(inc)
        rows_seen.add(row)
    if rows_seen != set(row_ids):  # rows named otherwise than "01".."NN"
        row_ids = sorted(rows_seen)
        frame = HourlyFrame(**{**frame.__dict__, "rows": tuple(row_ids),
                               "eggs": np.full((len(houses), len(row_ids), n), np.nan)})  # fmt: skip
    ridx = {r: i for i, r in enumerate(row_ids)}
    for (h, row), parts in per_row.items():
        frame.eggs[h, ridx[row]] = sum_counters(parts, n)

    if intake:
        _fill_intake(store, park, frame, s_ms, e_ms, n)
    _fill_hens(store, park, frame, s_ms, e_ms, n)
    hours = np.arange(n)
    for h, house in enumerate(park.houses):
        since_h = (s_ms - _placed_ms(house, park)) / HOUR_MS + hours + 0.5
        frame.age_weeks[h] = house.age_weeks_at_placement + since_h / (24 * 7)
    return frame


def _fill_intake(store: TelemetryStore, park: Park, frame: HourlyFrame, s_ms: int, e_ms: int, n: int) -> None:
    """Water, feed and temperature of every house (the frame's hour ``k`` starts at ``s_ms + k`` h)."""
    hidx = {h.unit: i for i, h in enumerate(park.houses)}
    q0 = s_ms - HOUR_MS
    water: dict[int, list[np.ndarray]] = defaultdict(list)
    water_peaks = {_key(s): s for s in _bucketed(store, park, "water_l_total", q0, e_ms, "max")}
    for s in _hourly_with_lookback(store, park, "water_l_total", s_ms, e_ms):
        peak = water_peaks.get(_key(s))  # a meter power-cycled inside an hour, as an egg counter
        water[hidx[s.unit]].append(
            counter_hourly(_on_grid(s, s_ms, n), None if peak is None else _on_grid(peak, s_ms, n))
        )
    for h, parts in water.items():
        frame.water_l[h] = sum_counters(parts, n)

    lows = {_key(s): s for s in _bucketed(store, park, "feed_kg", q0, e_ms, "min")}
    highs = {_key(s): s for s in _bucketed(store, park, "feed_kg", q0, e_ms, "max")}
    feed: dict[int, list[np.ndarray]] = defaultdict(list)
    for s in _hourly_with_lookback(store, park, "feed_kg", s_ms, e_ms):
        last = _on_grid(s, s_ms, n)
        lo = _on_grid(lows[_key(s)], s_ms, n) if _key(s) in lows else last
        hi = _on_grid(highs[_key(s)], s_ms, n) if _key(s) in highs else last
        feed[hidx[s.unit]].append(silo_used_hourly(last, lo, hi))
    for h, parts in feed.items():
        frame.feed_kg[h] = sum_counters(parts, n)

    temps: dict[int, list[np.ndarray]] = defaultdict(list)
    for s in _bucketed(store, park, "temp_c", s_ms, e_ms, "mean"):
        temps[hidx[s.unit]].append(_on_grid(s, s_ms, n)[1:])
    for h, parts in temps.items():
        with np.errstate(invalid="ignore"):
            frame.temp_c[h] = np.nanmean(np.vstack(parts), axis=0) if len(parts) > 1 else parts[0]


def _fill_hens(store: TelemetryStore, park: Park, frame: HourlyFrame, s_ms: int, e_ms: int, n: int) -> None:
    hidx = {h.unit: i for i, h in enumerate(park.houses)}
    reported = np.zeros(len(park.houses), dtype=bool)
    # A controller's count holds until it reports another (many report on change only): carried
    # forward from its last report within the lookback.
    for s in _hourly_with_lookback(store, park, "hens_housed", s_ms, e_ms):
        grid = _on_grid(s, s_ms, n)
        seen = np.maximum.accumulate(np.where(np.isnan(grid), -1, np.arange(grid.size)))
        if seen[-1] < 0:
            continue
        frame.hens[hidx[s.unit]] = np.where(seen >= 0, grid[np.clip(seen, 0, None)], np.nan)[1:]
        reported[hidx[s.unit]] = True
    if not park.houses or reported.all():
        return
    m0 = min(min(_placed_ms(h, park) for h in park.houses), s_ms)  # deaths since the first placement
    deaths: dict[int, list[np.ndarray]] = defaultdict(list)
    for s in _bucketed(store, park, "mortality", m0, e_ms, "sum"):
        # Deaths before the frame are summed into its first hour, then accumulated; deaths entered
        # before the flock's placement were the last flock's.
        grid = np.zeros(n)
        mine = s.ts >= _placed_ms(park.houses[hidx[s.unit]], park)
        idx = (s.ts[mine] - s_ms) // HOUR_MS
        np.add.at(grid, np.clip(idx, 0, max(n - 1, 0)), s.values[mine]) if n else None
        deaths[hidx[s.unit]].append(np.cumsum(grid))
    hour_starts = s_ms + HOUR_MS * np.arange(n)
    for h, house in enumerate(park.houses):
        if not reported[h]:
            dead = np.sum(deaths[h], axis=0) if deaths[h] else np.zeros(n)
            # Before its placement the flock was not in the house: no hens of it (the detector then
            # judges the flock from its placement on, not against whatever the house held before).
            frame.hens[h] = np.where(hour_starts < _placed_ms(house, park), 0.0, house.hens_placed - dead)


def _placed_ms(house: House, park: Park) -> int:
    """The start of the house's placement day (park time), epoch ms."""
    placed = datetime(house.placed.year, house.placed.month, house.placed.day, tzinfo=park.tz)
    return int(placed.timestamp() * 1000)


def house_figures(store: TelemetryStore, park: Park, start: datetime, end: datetime) -> list[Any]:
    """Per-house figures for the API and web page (see :mod:`analytics.figures`)."""
    from analytics.figures import house_figures as _figures

    return _figures(store, park, start, end)
