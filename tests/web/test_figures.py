"""The page's figures at a fixed time of day (yesterday 11:00 local), against the demo's truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from api.web.figures import park_figures, spark_values, usual_share
from api.web.svg import sparkline
from eggwatch.store.base import Point
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.store.influx import InfluxStore
from eggwatch.wire import Reading
from tests.support.servers import Influxd
from tests.web.conftest import WebDemo
from tests.web.park_demo import HOUSES, SITE, fill_store


def test_hen_day_so_far_is_compared_with_the_usual_share_of_the_standard(web_demo: WebDemo) -> None:
    tz = web_demo.park.tz
    yesterday = web_demo.now.astimezone(tz).date() - dt.timedelta(days=1)
    at = dt.datetime.combine(yesterday, dt.time(11, 0), tz)
    figures = park_figures(web_demo.app.state.telemetry(), web_demo.park, at)
    for h in figures.houses:
        _, level = HOUSES[h.unit]
        assert 0.6 < h.usual_share < 0.95  # most eggs are laid by 11:00
        assert h.ratio_pct is not None and abs(h.ratio_pct - 100 * level) < 3, (h.unit, h.ratio_pct)
        full_days = [d.hen_day_pct for d in h.days[1:] if d.hen_day_pct is not None]
        assert len(full_days) >= 12
        assert all(abs(p - level * d.standard_pct) < 1.5 for p, d in zip(full_days, h.days[1:], strict=False))


def test_the_day_the_counters_begin_has_no_figure(web_demo: WebDemo, tmp_path: Path) -> None:
    """A new install (or a demo's first day) counted part of its first day: no collapse drawn."""
    tz = web_demo.park.tz
    now = dt.datetime.combine(web_demo.now.astimezone(tz).date(), dt.time(9, 30), tz)
    store = EmbeddedStore(tmp_path / "store")
    fill_store(store, web_demo.park, now, days=5)  # from 09:00 five days ago: half its eggs
    figures = park_figures(store, web_demo.park, now)
    store.close()
    for h in figures.houses:
        shown = [d.hen_day_pct is not None for d in h.days]
        assert shown[-5:] == [False, True, True, True, True], (h.unit, shown)
        assert not any(shown[:-5])


def test_a_counter_replaced_today_does_not_count_its_new_reading(web_demo: WebDemo, tmp_path: Path) -> None:
    """Reproduction: an egg counter (and a grader) swapped under the same device id at 3,000,000
    showed 2,990,800 eggs today and a hen-day of 299,080 %; the page now counts as the detector."""
    tz = web_demo.park.tz
    now = dt.datetime.combine(web_demo.now.astimezone(tz).date(), dt.time(14, 30), tz)
    store = EmbeddedStore(tmp_path / "store")
    truth = fill_store(store, web_demo.park, now, days=3)
    swapped = []
    for h in (3, 2, 1):  # row 01's last three hourly readings, from the new counter
        ts = (int(now.timestamp()) // 3600 - h) * 3_600_000 + 3_540_000
        swapped.append(
            Point(SITE, "house-01", "eggcounter-01", Reading(ts, "eggs_total", 3_000_000 + h, {"row": "01"}))
        )
    for k in range(1, 4):  # the grader's last readings
        ts = int(now.timestamp() * 1000) - k * 600_000
        swapped.append(
            Point(
                SITE, "packing-1", "grader-1", Reading(ts, "eggs_graded_total", 9_000_000 - k, {"grade": "L"})
            )
        )
    store.write(swapped)
    figures = park_figures(store, web_demo.park, now)
    store.close()
    house = figures.houses[0]
    assert 0.8 * truth["house-01"] < house.eggs_today <= truth["house-01"] + 1
    assert house.hen_day_today_pct < 100
    assert figures.lines[0].graded_today < 5_000 * 6 * 17  # 5,000 every 10 minutes since midnight


def test_before_laying_starts_there_is_no_comparison(web_demo: WebDemo) -> None:
    tz = web_demo.park.tz
    yesterday = web_demo.now.astimezone(tz).date() - dt.timedelta(days=1)
    at = dt.datetime.combine(yesterday, dt.time(0, 30), tz)
    figures = park_figures(web_demo.app.state.telemetry(), web_demo.park, at)
    assert all(h.ratio_pct is None for h in figures.houses)


def test_usual_share_of_an_even_day_is_the_elapsed_fraction() -> None:
    tz = dt.UTC
    now = dt.datetime(2026, 5, 10, 6, 0, tzinfo=tz)
    start = int(dt.datetime(2026, 5, 3, tzinfo=tz).timestamp() * 1000)
    hourly = {start + k * 3_600_000: 100.0 for k in range(7 * 24)}
    assert abs(usual_share(hourly, now, tz) - 0.25) < 1e-9
    assert usual_share({}, now, tz) == 0.0


def test_sparkline_breaks_at_missing_days_and_escapes_its_title() -> None:
    actual = np.array([90.0, 91.0, np.nan, 92.0, 93.0])
    standard = np.array([94.0, 94.0, 94.0, 93.9, 93.8])
    svg = str(sparkline(actual, standard, "<b>house</b>"))
    assert svg.count('<polyline class="act"') == 2 and svg.count('<polyline class="std"') == 1
    assert "&lt;b&gt;house&lt;/b&gt;" in svg and "nan" not in svg
    empty = str(sparkline(np.full(3, np.nan), np.full(3, np.nan), "x"))
    assert "<svg" in empty and "polyline" not in empty
    assert spark_values([])[0].size == 0


@pytest.mark.integration
def test_figures_are_the_same_on_influxdb_as_on_the_embedded_store(
    web_demo: WebDemo, influxd: Influxd, influx_db: str
) -> None:
    """Production runs the page on InfluxDB, the demo on the embedded store: same numbers."""
    influx = InfluxStore(influxd.url, influx_db)
    influx.ensure_ready()
    fill_store(influx, web_demo.park, web_demo.now)
    embedded = park_figures(web_demo.app.state.telemetry(), web_demo.park, web_demo.now)
    on_influx = park_figures(influx, web_demo.park, web_demo.now)
    influx.close()
    for a, b in zip(embedded.houses, on_influx.houses, strict=True):
        assert a.eggs_today == b.eggs_today and a.hens == b.hens
        assert a.usual_share == pytest.approx(b.usual_share)
        assert [d.hen_day_pct for d in a.days] == pytest.approx([d.hen_day_pct for d in b.days])
    assert embedded.lines == on_influx.lines
