"""load_hourly and house_figures on awkward telemetry, each case on the real influxd and the
embedded store alike (the reproductions of the figures review)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analytics.figures import house_figures
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


def _counter(park: Park, start: float, jump_at: int | None = None, jump_to: float = 0) -> list[Point]:
    """Row 01's counter, +10 every 10 minutes from 2 h before the frame; at ``jump_at`` (a step in
    10-minute units) it reads ``jump_to`` and counts on from there."""
    out, v = [], start
    for k in range(-12, 36):
        v = jump_to if k == jump_at else v
        out.append(at(park, "ec-1", k / 6, "eggs_total", v, row="01"))
        v += 10
    return out


@pytest.mark.parametrize(
    ("start", "jump_to", "hour3"),
    [
        (12_000, 3_000_000, None),  # replaced, same device id, new counter far above: was 2,987,730 eggs
        (12_000, 5_000, None),  # ... below: was 5,050 eggs (read as a reset that counted 5,000)
        (60_000, 0, 50),  # a 32-bit counter reset at 60,240: was 5,256 eggs (read as a 16-bit wrap)
    ],
)
def test_a_counter_that_jumps_beyond_the_flock_is_a_new_counter(
    store: TelemetryStore, park: Park, start: float, jump_to: float, hour3: float | None
) -> None:
    store.write(_counter(park, start, jump_at=21, jump_to=jump_to))  # 03:30
    row = hours(store, park).eggs[0, 0]  # type: ignore[attr-defined]
    assert row[[0, 1, 2, 4, 5]].tolist() == [60] * 5
    assert np.isnan(row[3]) if hour3 is None else row[3] == hour3


def test_wraps_at_the_hour_still_count(store: TelemetryStore, park: Park) -> None:
    # 65,535 is the last reading of hour 1 (at 01:50); a 16-bit wrap is still a wrap with the limit.
    store.write(_counter(park, 65_535 - 10 * 23, jump_at=12, jump_to=9))
    assert hours(store, park).eggs[0, 0].tolist() == [60] * 6  # type: ignore[attr-defined]


def test_feed_eaten_while_the_silo_scale_was_silent_lands_after(store: TelemetryStore, park: Park) -> None:
    # Reproduction: the scale silent in hours 1-3 (5 kg every 10 min eaten) and a refill at 04:50
    # gave hours 1-4 no feed at all: the day lost 120 kg.  Now hour 4 holds what left since 00:50
    # but the 5 kg eaten during the refill sample (unseen); silo b, never silent, is summed in.
    pts, w = [], 5000.0
    for k in range(-12, 36):
        w -= 5 - (1000 if k == 29 else 0)
        if not 6 <= k < 24:
            pts.append(at(park, "silo-1", k / 6, "feed_kg", w, silo="a"))
        pts.append(at(park, "silo-1", k / 6, "feed_kg", 9000 - 2 * k, silo="b"))
    store.write(pts)
    feed = hours(store, park).feed_kg[0]  # type: ignore[attr-defined]
    assert np.isnan(feed[1:4]).all() and feed[[0, 4, 5]].tolist() == [42, 115 + 48, 42]


def test_per_hen_figures_only_for_whole_local_days(store: TelemetryStore, park: Park) -> None:
    # Asia/Shanghai: local days start at 16:00 UTC.  Rows 01 and 02 count 24 and 18 eggs an hour;
    # row 02 goes silent at 20:00 local on the 10th and back-fills at 02:00 on the 11th.
    local_midnight = dt.datetime(2026, 3, 9, 16, tzinfo=dt.UTC)
    pts = []
    for k in range(-12, 50 * 6):
        t = int((local_midnight + dt.timedelta(minutes=10 * k)).timestamp() * 1000)
        pts.append(
            Point(park.site, "house-01", "ec-1", Reading(t, "eggs_total", 10_000 + 4 * k, {"row": "01"}))
        )
        if not 20 * 6 <= k < 26 * 6:
            pts.append(
                Point(park.site, "house-01", "ec-2", Reading(t, "eggs_total", 20_000 + 3 * k, {"row": "02"}))
            )
    store.write(pts)
    cut = house_figures(
        store, park, dt.datetime(2026, 3, 10, tzinfo=dt.UTC), dt.datetime(2026, 3, 12, tzinfo=dt.UTC)
    )
    first, whole, last = cut[0].days
    assert (first.day, first.eggs, first.hen_day_pct, first.complete) == (
        dt.date(2026, 3, 10),
        12 * 42 + 4 * 24,
        None,
        False,
    )
    assert last.hen_day_pct is None and last.water_ml_per_hen is None and last.feed_g_per_hen is None
    assert whole.day == dt.date(2026, 3, 11) and whole.hen_day_pct == 108.0 and whole.complete is False
    (days,) = (
        h.days for h in house_figures(store, park, local_midnight, local_midnight + dt.timedelta(days=2))
    )
    # The 10th misses row 02's last four hours (they back-fill into the 11th): not complete either.
    assert [d.hen_day_pct for d in days] == [93.6, 108.0]  # 24 x 24 + 20 x 18, 24 x 24 + 28 x 18
    assert [d.complete for d in days] == [False, False]


def test_a_controller_count_holds_until_its_next_report(store: TelemetryStore, park: Park) -> None:
    # Reproduction: a controller reporting hens_housed on change (06:00 local, 22:00 UTC) left 23
    # of the day's 24 hours without hens, so no hen-day % until 06:00.
    store.write([at(park, "controller-1", h, "hens_housed", 990 - d) for d, h in enumerate((-26, -2, 22))])
    hens = load_hourly(store, park, T0, T0 + dt.timedelta(hours=24)).hens[0]
    assert hens.tolist() == [989] * 22 + [988] * 2


def test_a_water_meter_reset_inside_an_hour_counts_what_it_showed_before(
    store: TelemetryStore, park: Park
) -> None:
    # Reproduction: 50 l every 10 minutes, the meter power-cycled at 03:25 (reads 0 at 03:30): the
    # hour gave 100 l, only what it counted since the restart; 150 l before it are now counted too.
    pts, v = [], 40_000.0
    for k in range(-12, 36):
        v = 0.0 if k == 21 else v + 50
        pts.append(at(park, "water-1", k / 6, "water_l_total", v, line="1"))
    store.write(pts)
    assert hours(store, park).water_l[0].tolist() == [300, 300, 300, 250, 300, 300]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("start", "jump_to", "hour3"),
    [
        (12_000.0, 3_000_000.0, None),  # replaced, same device id: was 2,978,200 l in one hour
        (58_350.0, 0.0, 250),  # restarted at 60,000 l: was 5,786 l (read as a 16-bit wrap)
    ],
)
def test_a_water_meter_replaced_or_restarted_is_judged_by_its_own_busy_hour(
    store: TelemetryStore, park: Park, start: float, jump_to: float, hour3: float | None
) -> None:
    pts, v = [], start
    for k in range(-12, 30 * 6):  # 50 l every 10 minutes; at 03:30 it reads ``jump_to``
        v = jump_to if k == 21 else v + 50
        pts.append(at(park, "water-1", k / 6, "water_l_total", v, line="1"))
    store.write(pts)
    water = hours(store, park, 30).water_l[0]  # type: ignore[attr-defined]
    assert water[[0, 1, 2, 4, 5, 29]].tolist() == [300] * 6
    assert np.isnan(water[3]) if hour3 is None else water[3] == hour3


def test_a_32_bit_egg_counter_restarting_near_60000_in_a_big_house_is_a_reset(
    store: TelemetryStore, site: str
) -> None:
    # Reproduction: 50,000 hens may lay 52,000 eggs an hour by the hens' limit alone, so a counter
    # restarting at 60,000 was read as a 16-bit wrap: 5,586 eggs in an hour of 50.
    house = House(
        unit="house-01", placed=dt.date(2026, 1, 1), age_weeks_at_placement=20, hens_placed=50_000, rows=1
    )
    park = Park(site=site, houses=(house,))
    pts, v = [], 60_000.0 - 33 * 10
    for k in range(-12, 30 * 6):
        v = 0.0 if k == 21 else v + 10
        pts.append(at(park, "ec-1", k / 6, "eggs_total", v, row="01"))
    store.write(pts)
    row = hours(store, park, 30).eggs[0, 0]  # type: ignore[attr-defined]
    assert row[[0, 1, 2, 4, 29]].tolist() == [60] * 5 and row[3] == 50
