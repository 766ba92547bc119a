"""The one query layer: the same hourly frame from the embedded store and from a real InfluxDB."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analytics.figures import figures_from_frame
from analytics.production import counter_hourly, house_figures, load_hourly, silo_used_hourly
from eggwatch.park import House, Park
from eggwatch.store.base import Point, Query, Series, TelemetryStore
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.wire import Reading

T0 = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
HOURS = 12
GAP = (4, 7)  # the gateway is offline in hours 4, 5, 6
RESET_HOUR = 9  # row 02's counter restarts from zero in the middle of hour 9


def _ms(hour: float) -> int:
    return int((T0 + dt.timedelta(hours=hour)).timestamp() * 1000)


def _points(site: str) -> list[Point]:
    pts: list[Point] = []

    def add(device: str, hour: float, metric: str, value: float, **tags: str) -> None:
        if GAP[0] <= hour < GAP[1]:
            return  # nothing reaches the store while the gateway is offline
        pts.append(Point(site, "house-01", device, Reading(_ms(hour), metric, value, tags)))

    row1 = 65535 - 100  # a 16-bit register that wraps during hour 2
    row2 = 5000
    silo = 9000.0
    for k in range(-6, HOURS * 6):  # every 10 minutes, starting one hour early
        hour = k / 6
        row1 = (row1 + 10) % 65536
        row2 = 0 + 20 if (hour == RESET_HOUR + 0.5) else row2 + 20
        silo = silo - 5 + (3000 if hour == 8.5 else 0)  # a refill in hour 8
        add("eggcounter-01", hour, "eggs_total", row1, row="01", tier="1")
        add("eggcounter-02", hour, "eggs_total", row2, row="02", tier="1")
        add("water-1", hour, "water_l_total", 1000 + 50 * (k + 6), line="1")
        add("silo-1", hour, "feed_kg", silo, silo="1")
        add("climate-1", hour, "temp_c", 20.0 + (k % 2))
    add("manual", 3.2, "mortality", 7)
    return pts


@pytest.fixture
def park(site: str) -> Park:
    house = House(
        unit="house-01", placed=dt.date(2026, 1, 1), age_weeks_at_placement=20, hens_placed=1000, rows=2
    )
    return Park(site=site, houses=(house,))


def _check(store: TelemetryStore, park: Park) -> None:
    store.write(_points(park.site))
    f = load_hourly(store, park, T0, T0 + dt.timedelta(hours=HOURS))
    assert f.houses == ("house-01",) and f.rows == ("01", "02") and f.n_hours == HOURS
    row1, row2 = f.eggs[0]
    gap = slice(*GAP)
    assert np.isnan(row1[gap]).all() and np.isnan(row2[gap]).all()
    # Hour 7 holds the back-fill of the three gap hours plus its own hour.
    assert row1[GAP[1]] == 4 * 60 and row2[GAP[1]] == 4 * 120
    normal = [h for h in range(HOURS) if not GAP[0] <= h <= GAP[1]]
    assert (row1[normal] == 60).all()  # across the register wrap too
    assert (row2[normal] == 120).all()  # across the power-cycle reset too
    assert (f.water_l[0, normal] == 300).all() and f.water_l[0, GAP[1]] == 1200
    refill = 8
    steady = [h for h in normal if h != refill]
    assert (f.feed_kg[0, steady] == 30).all()
    # A refill is not (negative) consumption; only what was eaten during the refill sample is unseen.
    assert 25 <= f.feed_kg[0, refill] <= 30
    assert f.hens[0, 2] == 1000 and f.hens[0, 3] == 993 and f.hens[0, -1] == 993
    assert f.temp_c[0, 0] == pytest.approx(20.5)
    assert f.age_weeks[0, 0] == pytest.approx(
        20 + (T0 - dt.datetime(2026, 1, 1, tzinfo=park.tz)).total_seconds() / 86400 / 7, abs=0.01
    )

    figs = house_figures(store, park, T0, T0 + dt.timedelta(hours=HOURS))
    (h,) = figs
    assert h.eggs_hourly[0] == 180 and h.eggs_by_row_hourly["02"][0] == 120
    assert h.hens == 993 and h.days[0].eggs == sum(v for v in h.eggs_hourly if v is not None)
    assert h.days[0].standard_hen_day_pct is not None and h.to_json()["breed_label"]["zh"] == "海兰褐"


T1 = T0 + dt.timedelta(days=5)  # beyond the lookback from _points' readings


def _check_silences(store: TelemetryStore, park: Park) -> None:
    """A counter repeated through the night (an on-change device behind gateway/repeat.py) whose
    link was down for three hours, and a water meter whose last reading came 30 h before."""

    def at(hour: float, metric: str, value: float, **tags: str) -> Point:
        device = "counter-01" if metric == "eggs_total" else "water-1"
        when = int((T1 + dt.timedelta(hours=hour)).timestamp() * 1000)
        return Point(park.site, "house-01", device, Reading(when, metric, value, tags))

    night = [at(k / 12, "eggs_total", 5000, row="01") for k in range(-24, 72) if not 24 <= k < 60]
    laying = [at(6 + k / 6, "eggs_total", 5000 + 20 * (k + 1), row="01") for k in range(24)]  # 06:00-09:50
    water = [at(-30.0, "water_l_total", 800, line="1"), at(12.5, "water_l_total", 900, line="1")]
    store.write(night + laying + water)
    day = load_hourly(store, park, T1, T1 + dt.timedelta(hours=24))
    row1 = day.eggs[0, 0]
    # The link was down in hours 2-4: the counter read 5,000 before and after, so it counted nothing.
    assert (row1[:6] == 0).all() and (row1[6:10] == 120).all()
    assert np.isnan(row1[10:]).all()  # silent after its last reading: unknown
    # The water meter's first increase starts from its reading 30 h before (48 h are looked back).
    assert np.isnan(day.water_l[0, :12]).all() and day.water_l[0, 12] == 100


def test_embedded_store(tmp_path: Path, park: Park) -> None:
    store = EmbeddedStore(tmp_path / "telemetry.db")
    store.ensure_ready()
    try:
        _check(store, park)
        _check_silences(store, park)
    finally:
        store.close()


@pytest.fixture
def influx_store(influxd, influx_db: str) -> Iterator[TelemetryStore]:  # type: ignore[no-untyped-def]
    from eggwatch.store.influx import InfluxStore

    store = InfluxStore(influxd.url, influx_db)
    store.ensure_ready()
    yield store
    store.close()


@pytest.mark.integration
def test_influxdb_store(influx_store: TelemetryStore, park: Park) -> None:
    _check(influx_store, park)
    _check_silences(influx_store, park)


class _Recording:
    """A real store that notes the queries it answers."""

    def __init__(self, store: TelemetryStore) -> None:
        self.store = store
        self.queries: list[Query] = []

    def query(self, q: Query) -> list[Series]:
        self.queries.append(q)
        return self.store.query(q)


def test_the_lookback_is_read_as_one_reading_a_series(tmp_path: Path, park: Park) -> None:
    # 48 hourly buckets of look-back made InfluxDB read every reading of the 48 h before the window:
    # a page refresh of 50 h read 98 h of egg counters (4.4 s against 1.6 s for the 50 h on a
    # 24-house park read each minute).  The frame must not change: _check_silences covers a counter
    # whose value comes from 30 h before the window.
    store = EmbeddedStore(tmp_path / "telemetry.db")
    store.ensure_ready()
    try:
        store.write(_points(park.site))
        rec = _Recording(store)
        f = load_hourly(rec, park, T0, T0 + dt.timedelta(hours=HOURS))  # type: ignore[arg-type]
    finally:
        store.close()
    start = _ms(0)
    hourly = [q for q in rec.queries if q.bucket_ms is not None and q.agg == "last"]
    assert hourly and min(q.start_ms for q in hourly) >= start - 3_600_000
    looked_back = {q.metric for q in rec.queries if q.latest and q.start_ms == start - 48 * 3_600_000}
    assert looked_back == {"eggs_total", "water_l_total", "feed_kg", "hens_housed"}
    assert f.eggs[0, 0, 0] == 60 and f.water_l[0, 0] == 300  # the first hour counts from the one before


def test_a_flock_has_no_hens_before_its_placement(tmp_path: Path, site: str) -> None:
    # A house restocked: the park file names the new flock, placed at Beijing midnight (hour 16 UTC).
    house = House(unit="house-01", placed=dt.date(2026, 3, 11), hens_placed=1000, rows=2)
    park = Park(site=site, houses=(house,))
    store = EmbeddedStore(tmp_path / "telemetry.db")
    store.ensure_ready()
    try:
        store.write(
            [
                Point(site, "house-01", "manual", Reading(_ms(h), "mortality", n, {}))
                for h, n in ((3.2, 7), (20.5, 5))  # the last flock's deaths, then the new one's
            ]
        )
        f = load_hourly(store, park, T0, T0 + dt.timedelta(hours=24))
    finally:
        store.close()
    assert (f.hens[0, :16] == 0).all() and (f.hens[0, 16:20] == 1000).all() and (f.hens[0, 20:] == 995).all()


def test_counter_increases_wrap_reset_and_gap() -> None:
    last = np.array([100.0, 160, np.nan, 400, 30, 65530, 10])
    peak = np.array([100.0, 160, np.nan, 400, 450, 65530, 65535])
    inc = counter_hourly(last, peak)
    assert inc[0] == 60 and np.isnan(inc[1]) and inc[2] == 240
    assert inc[3] == 50 + 30  # reset inside the hour: up to the peak, then 30 since the restart
    assert inc[4] == 65500 and inc[5] == 16  # 32-bit guess: 65530 → 10 is a reset, not a wrap


def test_a_counter_that_read_the_same_across_a_silence_counted_nothing() -> None:
    last = np.array([np.nan, 100.0, np.nan, np.nan, 100, 130, np.nan, 170, np.nan])
    inc = counter_hourly(last)  # inc[i]: the hour ending at last[i + 1]
    assert np.isnan(inc[0])  # nothing known before the first reading
    assert inc[1:5].tolist() == [0, 0, 0, 30]  # silent between two equal readings: nothing counted
    assert np.isnan(inc[5]) and inc[6] == 40  # a silence across a change: back-filled, as before
    assert np.isnan(inc[7])  # after the last reading: unknown


def test_silo_refills_are_bridged() -> None:
    last = np.array([1000.0, 990, 2980, 2970])
    low = np.array([1000.0, 990, 985, 2970])
    high = np.array([1000.0, 1000, 2990, 2980])
    assert silo_used_hourly(last, low, high).tolist() == [10, 5 + 10, 10]


def test_figures_from_a_frame_use_local_days() -> None:
    from tests.analytics.synth import Flock

    frame = dataclasses.replace(Flock(days=3, houses=1).build(), houses=("house-01",))
    park = Park(houses=(House(unit="house-01", placed=dt.date(2026, 1, 1), hens_placed=30000, rows=8),))
    (fig,) = figures_from_frame(frame, park)
    assert [d.day for d in fig.days] == [
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 4),
    ]
    full = fig.days[1]
    assert not fig.days[0].complete and full.complete
    assert full.hen_day_pct == pytest.approx(90, abs=3)
    assert full.water_ml_per_hen == pytest.approx(220, rel=0.05)


def test_a_local_day_has_its_own_number_of_hours() -> None:
    from zoneinfo import ZoneInfo

    from analytics.figures import _hours_in

    ny = ZoneInfo("America/New_York")
    assert [_hours_in(dt.date(2026, 3, 8), ny), _hours_in(dt.date(2026, 11, 1), ny)] == [23, 25]
    assert _hours_in(dt.date(2026, 3, 8), ZoneInfo("Asia/Shanghai")) == 24
