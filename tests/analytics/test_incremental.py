"""The live loop's incremental load gives, pass after pass, the frame a whole load gives."""

from __future__ import annotations

import bisect
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from analytics.frame import HourlyFrame
from analytics.incremental import IncrementalLoad
from analytics.production import load_hourly
from eggwatch.park import Park
from eggwatch.store.base import Point
from eggwatch.store.embedded import EmbeddedStore
from simulator.park_sim import ParkSim

START = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
DAYS = 7
HISTORY = dt.timedelta(days=4)


def _same(a: HourlyFrame, b: HourlyFrame) -> None:
    assert (a.start, a.houses, a.rows, a.breeds) == (b.start, b.houses, b.rows, b.breeds)
    for name in ("hens", "age_weeks", "water_l", "feed_kg", "temp_c", "eggs"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), equal_nan=True, err_msg=name)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[EmbeddedStore, Park]:
    """A week of two simulated houses, with gateway gaps: 5 h in the middle of the refreshed hours
    of some passes, 30 h across the join of others, and a water meter silent for 3 days."""
    sim = ParkSim.generate(
        seed=11, start=START.date(), days=DAYS, n_houses=2, n_lines=0, site="s", hens=30_000
    )
    store = EmbeddedStore(tmp_path_factory.mktemp("inc") / "t.db")
    t0 = START.timestamp()

    def silent(unit: str, device: str, ts_ms: int) -> bool:
        h = (ts_ms / 1000 - t0) / 3600
        if unit == sim.park.houses[0].unit and 100 <= h < 105:
            return True  # the whole house's gateway
        if device.startswith("eggcounter") and unit == sim.park.houses[1].unit and 90 <= h < 120:
            return True
        return device.startswith("water") and 60 <= h < 132

    batch: list[Point] = []
    for ch in sim.channels(t0, t0 + DAYS * 86400, step_s=600.0):
        batch += [
            Point("s", ch.unit, ch.device, r) for r in ch.readings() if not silent(ch.unit, ch.device, r.ts)
        ]
    store.write(batch)
    return store, sim.park


def test_pass_after_pass_the_incremental_frame_is_the_whole_one(filled: tuple[EmbeddedStore, Park]) -> None:
    store, park = filled
    calls: list[dt.timedelta] = []

    def load(st, pk, start, end):  # type: ignore[no-untyped-def]
        calls.append(end - start)
        return load_hourly(st, pk, start, end)

    inc = IncrementalLoad(load)
    for hour in range(100, 160, 1):  # passes an hour apart, across every gap
        end = START + dt.timedelta(hours=hour)
        _same(inc(store, park, end - HISTORY, end), load_hourly(store, park, end - HISTORY, end))
    assert inc.whole_loads == 1 and inc.partial_loads == 59
    assert calls[1:] == [dt.timedelta(hours=50)] * 59


def test_a_whole_load_again_when_the_window_jumps_or_goes_back_or_is_old(
    filled: tuple[EmbeddedStore, Park],
) -> None:
    store, park = filled
    now = [0.0]
    inc = IncrementalLoad(
        lambda st, pk, s, e: load_hourly(st, pk, s, e), clock=lambda: now[0], full_every_s=3600
    )
    end = START + dt.timedelta(hours=110)
    inc(store, park, end - HISTORY, end)
    inc(store, park, end - HISTORY + dt.timedelta(hours=30), end + dt.timedelta(hours=30))  # jumped > 24 h
    inc(store, park, end - HISTORY, end)  # went back
    now[0] = 3601
    inc(store, park, end - HISTORY + dt.timedelta(hours=1), end + dt.timedelta(hours=1))  # an hour old
    assert (inc.whole_loads, inc.partial_loads) == (4, 0)
    inc(store, park, end - HISTORY + dt.timedelta(hours=2), end + dt.timedelta(hours=2))
    assert (inc.whole_loads, inc.partial_loads) == (4, 1)


def test_a_tier_gap_seen_while_it_lasted_is_a_gap_once_the_tier_is_back(tmp_path: Path) -> None:
    """Readings arrive as time goes on (each pass sees those before its end).  Tier 2 of one
    house's rows is silent for 4.5 h: while it is, its rows hold tier 1's counts; once it is back
    those hours are a gap and the hour after holds all that both tiers counted.  The incremental
    frame kept tier 1's counts as well (old values where the refreshed hours were blank): the
    house's eggs over those 10 hours read 2,971 instead of 1,988 until the next whole load."""
    sim = ParkSim.generate(
        seed=11, start=START.date(), days=DAYS, n_houses=2, n_lines=0, site="s", hens=30_000, tiers=2
    )
    t0, unit = START.timestamp(), sim.park.houses[0].unit
    readings = [
        Point("s", ch.unit, ch.device, r)
        for ch in sim.channels(t0, t0 + DAYS * 86400, step_s=600.0)
        for r in ch.readings()
        if not (ch.unit == unit and r.tags.get("tier") == "2" and 100 <= (r.ts / 1000 - t0) / 3600 < 104.5)
    ]
    readings.sort(key=lambda p: p.reading.ts)
    store = EmbeddedStore(tmp_path / "t.db")
    inc = IncrementalLoad(load_hourly)
    written = 0
    for hour in range(96, 116):
        end = START + dt.timedelta(hours=hour)
        upto = bisect.bisect_left([p.reading.ts for p in readings], int(end.timestamp() * 1000))
        store.write(readings[written:upto])
        written = upto
        _same(inc(store, sim.park, end - HISTORY, end), load_hourly(store, sim.park, end - HISTORY, end))
    assert inc.whole_loads == 1
