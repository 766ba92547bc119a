"""load_hourly and house_figures on awkward telemetry, each case on the real influxd and the
embedded store alike (the reproductions of the figures review)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analytics.production import load_hourly
from eggwatch.park import House, Park
from eggwatch.store.base import Point, TelemetryStore
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.store.influx import InfluxStore
from eggwatch.wire import Reading

T0 = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)


@pytest.fixture(params=["influx", "embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    s: TelemetryStore
    if request.param == "influx":
        s = InfluxStore(request.getfixturevalue("influxd").url, request.getfixturevalue("influx_db"))
    else:
        s = EmbeddedStore(tmp_path / "telemetry.sqlite")
    s.ensure_ready()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def park(site: str) -> Park:
    house = House(
        unit="house-01", placed=dt.date(2026, 1, 1), age_weeks_at_placement=20, hens_placed=1000, rows=1
    )
    return Park(site=site, houses=(house,))


def at(park: Park, device: str, hour: float, metric: str, value: float, **tags: str) -> Point:
    ts = int((T0 + dt.timedelta(hours=hour)).timestamp() * 1000)
    return Point(park.site, "house-01", device, Reading(ts, metric, value, tags))


def hours(store: TelemetryStore, park: Park, n: int = 6) -> object:
    return load_hourly(store, park, T0, T0 + dt.timedelta(hours=n))


def test_a_tier_offline_makes_its_row_a_gap_that_back_fills(store: TelemetryStore, park: Park) -> None:
    # Reproduction: tier 2 of row 01 offline in hours 1-3 gave the row 60, 60, 60 (tier 1 alone)
    # then 300, instead of a gap and 480 where tier 2's back-fill lands.
    pts = [
        at(park, f"ec-{t}", k / 6, "eggs_total", 1000 + 10 * k, row="01", tier=t)
        for k in range(-12, 36)
        for t in ("1", "2")
        if not (t == "2" and 6 <= k < 24)
    ]
    store.write(pts)
    row = hours(store, park).eggs[0, 0]  # type: ignore[attr-defined]
    assert np.isnan(row[1:4]).all() and row[[0, 4, 5]].tolist() == [120, 480, 120]
