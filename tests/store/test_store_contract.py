"""One suite, both stores: InfluxDB (v1 HTTP API) and the embedded SQLite store answer alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from eggwatch import metrics
from eggwatch.store.base import Point, Query, TelemetryStore
from eggwatch.wire import Reading

pytestmark = pytest.mark.integration

T0 = 1_764_316_800_000  # 2025-11-28T08:00:00Z, a whole day boundary
MIN = 60_000


def sample_value(m: metrics.Metric) -> float | int:
    v = min(m.max, max(m.min, 42.5))
    return int(v) if m.integer else v + 0.25


def test_round_trip_every_metric(store: TelemetryStore, site: str) -> None:
    points = [
        Point(site, "house-01", "dev-1", Reading(T0 + i, name, sample_value(m), {"row": "03"}))
        for i, (name, m) in enumerate(metrics.REGISTRY.items())
    ]
    store.write(points)
    for p in points:
        got = store.query(Query(p.reading.metric, site, T0, T0 + 1000))
        assert len(got) == 1, p.reading.metric
        s = got[0]
        assert (s.metric, s.unit, s.device, s.tags) == (p.reading.metric, "house-01", "dev-1", {"row": "03"})
        assert s.ts.tolist() == [p.reading.ts]
        assert s.values.tolist() == [float(p.reading.value)]
        assert s.ts.dtype == np.int64 and s.values.dtype == np.float64


def test_integer_metric_accepts_float_json_number_without_type_conflict(
    store: TelemetryStore, site: str
) -> None:
    store.write([Point(site, "h", "d", Reading(T0, "eggs_total", 10))])
    store.write([Point(site, "h", "d", Reading(T0 + 1, "eggs_total", 11.0))])  # same field type
    store.write([Point(site, "h", "d", Reading(T0 + 2, "temp_c", 20))])
    store.write([Point(site, "h", "d", Reading(T0 + 3, "temp_c", 20.5))])
    assert store.query(Query("eggs_total", site, T0, T0 + 10))[0].values.tolist() == [10.0, 11.0]
    assert store.query(Query("temp_c", site, T0, T0 + 10))[0].values.tolist() == [20.0, 20.5]


def test_rewrite_is_idempotent(store: TelemetryStore, site: str) -> None:
    p = Point(site, "house-02", "climate-1", Reading(T0, "temp_c", 21.5))
    store.write([p, p])
    store.write([p])
    store.write([p._replace(reading=Reading(T0, "temp_c", 22.0))])  # a correction overwrites
    [s] = store.query(Query("temp_c", site, T0 - MIN, T0 + MIN))
    assert s.ts.tolist() == [T0] and s.values.tolist() == [22.0]


def test_series_are_split_by_unit_device_and_tags_and_sorted(store: TelemetryStore, site: str) -> None:
    pts = [
        Point(site, "house-02", "ec-1", Reading(T0, "eggs_total", 5, {"row": "02"})),
        Point(site, "house-01", "ec-2", Reading(T0, "eggs_total", 3, {"row": "01", "tier": "2"})),
        Point(site, "house-01", "ec-1", Reading(T0, "eggs_total", 2, {"row": "02"})),
        Point(site, "house-01", "ec-1", Reading(T0, "eggs_total", 1, {"row": "01"})),
    ]
    store.write(pts)
    got = store.query(Query("eggs_total", site, T0, T0 + 1))
    keys = [(s.unit, s.device, s.tags) for s in got]
    assert keys == [
        ("house-01", "ec-1", {"row": "01"}),
        ("house-01", "ec-1", {"row": "02"}),
        ("house-01", "ec-2", {"row": "01", "tier": "2"}),
        ("house-02", "ec-1", {"row": "02"}),
    ]
    assert [s.values[0] for s in got] == [1, 2, 3, 5]


def test_filters_units_devices_tags_and_half_open_range(store: TelemetryStore, site: str) -> None:
    pts = [
        Point(site, u, d, Reading(T0 + k * MIN, "rejects_total", k, {"reason": r}))
        for u in ("line-1", "line-2")
        for d in ("grader-1", "grader-2")
        for r in ("cracked", "dirty")
        for k in range(3)
    ]
    store.write(pts)
    q = Query("rejects_total", site, T0, T0 + 2 * MIN)  # end is exclusive: k = 0, 1
    assert all(s.ts.tolist() == [T0, T0 + MIN] for s in store.query(q))
    assert len(store.query(q)) == 8
    only = Query(
        "rejects_total",
        site,
        T0,
        T0 + 3 * MIN,
        units=("line-2",),
        devices=("grader-1",),
        tags=(("reason", "dirty"),),
    )
    [s] = store.query(only)
    assert (s.unit, s.device, s.tags) == ("line-2", "grader-1", {"reason": "dirty"})
    assert store.query(Query("rejects_total", site, T0, T0 + MIN, units=())) == []
    assert store.query(Query("rejects_total", "other" + site, T0, T0 + MIN)) == []
    assert store.query(Query("cases_packed_total", site, T0, T0 + MIN)) == []


@pytest.mark.parametrize("agg", ["last", "first", "mean", "sum", "min", "max", "count"])
def test_buckets_align_to_epoch_and_skip_empty(store: TelemetryStore, site: str, agg: str) -> None:
    bucket = 10 * MIN
    rng = np.random.default_rng(7)
    # readings every 90 s over an hour, with a gap of 25 minutes (empty buckets) in the middle
    ts = [T0 + 7_000 + i * 90_000 for i in range(40)]
    ts = [t for t in ts if not T0 + 20 * MIN <= t < T0 + 45 * MIN]
    vals = rng.uniform(10, 30, len(ts)).round(3).tolist()
    store.write(
        [Point(site, "house-03", "climate-1", Reading(t, "temp_c", v)) for t, v in zip(ts, vals, strict=True)]
    )
    start = T0 + 3 * MIN  # not aligned: the first bucket is still labelled at its epoch-aligned start
    [s] = store.query(Query("temp_c", site, start, T0 + 60 * MIN, bucket_ms=bucket, agg=agg))  # type: ignore[arg-type]
    expected: dict[int, list[float]] = {}
    for t, v in zip(ts, vals, strict=True):
        if t >= start:
            expected.setdefault(t // bucket * bucket, []).append(v)
    fns: dict[str, Callable[[list[float]], Any]] = {
        "last": lambda xs: xs[-1],
        "first": lambda xs: xs[0],
        "mean": np.mean,
        "sum": np.sum,
        "min": min,
        "max": max,
        "count": len,
    }
    fn = fns[agg]
    assert s.ts.tolist() == sorted(expected)
    assert s.ts[0] < start  # aligned to the epoch, not to the query start
    np.testing.assert_allclose(s.values, [fn(expected[b]) for b in sorted(expected)], rtol=1e-9)


def test_units_lists_units_with_data(store: TelemetryStore, site: str) -> None:
    store.write(
        [
            Point(site, "house-07", "climate-1", Reading(T0, "temp_c", 20.0)),
            Point(site, "packing-2", "grader-1", Reading(T0, "line_state", 1)),
            Point(site, "house-01", "ec-1", Reading(T0, "eggs_total", 9, {"row": "01"})),
            Point("x" + site, "house-99", "climate-1", Reading(T0, "temp_c", 20.0)),
        ]
    )
    assert store.units(site) == ["house-01", "house-07", "packing-2"]


def test_large_batch(store: TelemetryStore, site: str) -> None:
    pts = [
        Point(site, f"house-{i % 4}", "ec-1", Reading(T0 + i, "eggs_total", i, {"row": "01"}))
        for i in range(20_000)
    ]
    store.write(pts)
    got = store.query(Query("eggs_total", site, T0, T0 + 20_000, bucket_ms=1_000_000, agg="count"))
    assert sum(s.values.sum() for s in got) == 20_000


def test_latest_is_each_series_last_reading_in_the_window(store: TelemetryStore, site: str) -> None:
    # What a counter's look-back asks for: one reading a series, at its own time, from a window
    # longer than a week (InfluxDB answers such windows a week at a time otherwise).
    days = 9
    store.write(
        [
            Point(
                site,
                unit,
                "eggcounter-1",
                Reading(T0 + k * 3_600_000, "eggs_total", 1000 + k + j, {"row": row}),
            )
            for j, (unit, row) in enumerate((("house-01", "01"), ("house-01", "02"), ("house-02", "01")))
            for k in range(24 * days)
            if not (unit == "house-02" and k > 30)  # a counter silent since hour 30
        ]
    )
    end = T0 + (24 * days - 5) * 3_600_000  # half-open: the reading at `end` is not in the window
    got = store.query(Query("eggs_total", site, T0, end, units=("house-01", "house-02"), latest=True))
    assert [(s.unit, s.tags["row"], s.ts.tolist(), s.values.tolist()) for s in got] == [
        ("house-01", "01", [end - 3_600_000], [1000.0 + 24 * days - 6]),
        ("house-01", "02", [end - 3_600_000], [1001.0 + 24 * days - 6]),
        ("house-02", "01", [T0 + 30 * 3_600_000], [1032.0]),
    ]
    assert store.query(Query("eggs_total", site, T0 - 10, T0, latest=True)) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"agg": "mean(value)) --"}, "unknown aggregate"),
        ({"bucket_ms": 0}, "bucket_ms must be positive"),
        ({"latest": True}, "latest takes no bucket"),
    ],
)
def test_query_refuses_what_no_store_could_run(changes: dict[str, Any], message: str) -> None:
    # Both stores write the aggregate and the bucket into their query text: checked once, here.
    with pytest.raises(ValueError, match=message):
        Query("temp_c", "s", 0, 1, **{"bucket_ms": 60_000, **changes})


def test_answers_past_influx_max_row_limit_are_whole(big_store: TelemetryStore, site: str) -> None:
    # Reproduction: 30 houses x 480 hours of hourly buckets came back as 10,000 rows in 21 series
    # from an influxd with max-row-limit = 10000, with nothing but a "partial" flag to say so.
    hour = 3_600_000
    pts = [
        Point(site, f"house-{u:02d}", "ec-1", Reading(T0 + h * hour, "eggs_total", 1000 + h, {"row": "01"}))
        for u in range(30)
        for h in range(480)
    ]
    pts += [Point(site, "house-99", "climate-1", Reading(T0 + i, "temp_c", 20.0)) for i in range(25_000)]
    big_store.write(pts)
    got = big_store.query(Query("eggs_total", site, T0, T0 + 480 * hour, bucket_ms=hour, agg="last"))
    assert len(got) == 30 and all(s.ts.size == 480 for s in got)
    assert all(s.values.tolist() == list(range(1000, 1480)) for s in got)
    [raw] = big_store.query(Query("temp_c", site, T0, T0 + 25_000))  # one series over three chunks
    assert raw.ts.tolist() == list(range(T0, T0 + 25_000))
