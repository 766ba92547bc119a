"""Labelled scenarios: every kind covered, labels match what the data show, CSVs per CONTRACTS §6."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from simulator.incidents import KINDS, PRODUCTION_KINDS
from simulator.scenarios import Scenario, make_scenario, make_suite


@pytest.fixture(scope="module")
def suite() -> list[Scenario]:
    return make_suite(3)


def _t(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_suite_covers_every_kind_and_keeps_clean_houses(suite: list[Scenario]) -> None:
    kinds = {lb.kind for s in suite for lb in s.labels}
    assert kinds == set(KINDS)
    for s in suite:
        houses = {r["house"] for r in s.houses_rows}
        assert len(houses) == 6
        assert houses - {lb.house for lb in s.labels}, "each scenario keeps a house without incidents"
        for lb in s.labels:
            assert lb.production == (lb.kind in PRODUCTION_KINDS)
            assert (lb.row is not None) == (lb.kind == "dead_counter")
            if lb.production:
                assert lb.magnitude_pct is not None and lb.magnitude_pct > 0
            if lb.kind == "mild_dip":
                assert 3 <= lb.magnitude_pct <= 7  # type: ignore[operator]


def test_suite_varies_flocks_rows_and_schedules(suite: list[Scenario]) -> None:
    houses = [h for s in suite for h in s.park.houses]  # type: ignore[union-attr]
    ages = [h.age_weeks_at_placement + (dt.date(2030, 1, 1) - h.placed).days * 0 for h in houses]
    assert {h.rows for h in houses} >= {6, 8, 10} or len({h.rows for h in houses}) >= 4
    assert any(not h.collection for h in houses) and any(len(h.collection) >= 2 for h in houses)
    assert len({h.lights_on for h in houses}) >= 3
    assert ages  # placement ages vary with the flocks
    first_age = [float(r["age_weeks"]) for s in suite for r in s.houses_rows[: len(s.park.houses)]]  # type: ignore[union-attr]
    assert min(first_age) < 20 and max(first_age) > 65


def test_same_seed_same_scenario() -> None:
    a = make_scenario("a", 5, n_houses=2, days=40)
    b = make_scenario("b", 5, n_houses=2, days=40)
    c = make_scenario("c", 6, n_houses=2, days=40)
    assert a.houses_rows == b.houses_rows and a.rows_rows == b.rows_rows and a.labels == b.labels
    assert a.rows_rows != c.rows_rows


def test_rows_per_house_can_be_chosen() -> None:
    s = make_scenario("r", 5, n_houses=2, days=30, rows=4)
    assert {(r["house"], r["row"]) for r in s.rows_rows} == {
        (h, f"{k:02d}") for h in ("house-01", "house-02") for k in (1, 2, 3, 4)
    }
    assert all(h.rows == 4 for h in s.park.houses)  # type: ignore[union-attr]


def test_labels_match_the_data(suite: list[Scenario]) -> None:
    for s in suite:
        eggs: dict[tuple[str, str | None], list[tuple[dt.datetime, int | None]]] = defaultdict(list)
        for r in s.rows_rows:
            eggs[(r["house"], r["row"])].append((_t(r["ts"]), r["eggs"]))
        for lb in s.labels:
            if lb.kind == "dead_counter" and lb.details["fraction"] == 0.0:
                assert lb.end is not None
                counted = [
                    e
                    for t, e in eggs[(lb.house, lb.row)]
                    if lb.onset + dt.timedelta(hours=1) < t < lb.end - dt.timedelta(hours=1)
                ]  # type: ignore[index]
                assert sum(e or 0 for e in counted) == 0
            if lb.kind == "gateway_offline":
                assert lb.end is not None
                hours = [
                    r for r in s.houses_rows if r["house"] == lb.house and lb.onset <= _t(r["ts"]) < lb.end
                ]
                assert hours and all(r["water_l"] is None and r["temp_c"] is None for r in hours)
                after = next(r for r in s.houses_rows if r["house"] == lb.house and _t(r["ts"]) == lb.end)
                assert after["water_l"] is not None and after["water_l"] > 0  # the backlog


def test_production_labels_show_in_daily_hen_day(suite: list[Scenario]) -> None:
    """A big drop (>= 8 points) in a laying flock shows in the hen-day of the days after the egg onset."""
    checked = 0
    for s in suite:
        daily: dict[tuple[str, dt.date], int] = defaultdict(int)
        hens: dict[tuple[str, dt.date], int] = {}
        age: dict[tuple[str, dt.date], float] = {}
        for r in s.rows_rows:
            daily[(r["house"], (_t(r["ts"]) + dt.timedelta(hours=8)).date())] += r["eggs"] or 0
        for r in s.houses_rows:
            key = (r["house"], (_t(r["ts"]) + dt.timedelta(hours=8)).date())
            hens[key], age[key] = r["hens"], r["age_weeks"]
        for lb in s.labels:
            if not lb.production or (lb.magnitude_pct or 0) < 8 or lb.egg_onset is None:
                continue
            d0 = (lb.egg_onset + dt.timedelta(hours=8)).date()
            if age[(lb.house, d0)] < 26:
                continue  # in the rise the curve climbs faster than a drop falls

            def hd(days: range, lb=lb, d0=d0, daily=daily, hens=hens) -> float:  # type: ignore[no-untyped-def]
                keys = [(lb.house, d0 + dt.timedelta(days=k)) for k in days]
                return sum(100 * daily[k] / hens[k] for k in keys) / len(keys)

            worst = min(hd(range(k, k + 2)) for k in range(8))
            before = float(np.median([hd(range(k, k + 1)) for k in range(-8, 0)]))
            assert worst < before - 0.4 * lb.magnitude_pct, lb  # type: ignore[operator]
            checked += 1
    assert checked >= 3


def test_write_follows_the_offline_format(tmp_path: Path) -> None:
    s = make_scenario("w", 8, n_houses=2, days=30)
    h_path, r_path = s.write(tmp_path)
    h_lines = h_path.read_text().splitlines()
    r_lines = r_path.read_text().splitlines()
    assert h_lines[0] == "ts,house,hens,age_weeks,water_l,feed_kg,temp_c"
    assert r_lines[0] == "ts,house,row,eggs"
    assert len(h_lines) == 1 + 2 * 30 * 24
    first = next(csv.DictReader(h_lines))
    assert first["ts"].endswith(":00:00Z") and _t(first["ts"]).minute == 0
    doc = json.loads((tmp_path / "labels.json").read_text())
    assert doc["seed"] == 8 and len(doc["labels"]) == len(s.labels)
