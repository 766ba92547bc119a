"""The full park simulator: every metric of CONTRACTS §3, valid readings, counters, silos, lines."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simulator.incidents import DAY
from simulator.packing import grade_shares
from simulator.park_sim import ParkSim

CONTRACT_METRICS = {
    "temp_c", "outdoor_temp_c", "rh_pct", "nh3_ppm", "co2_ppm", "light_lux", "static_pressure_pa",
    "water_l_total", "feed_kg", "bird_weight_g", "eggs_total", "mortality", "eggs_graded_total",
    "rejects_total", "cases_packed_total", "line_speed_eph", "line_state",
}  # fmt: skip
COUNTERS = {"eggs_total", "water_l_total", "eggs_graded_total", "rejects_total", "cases_packed_total"}


@pytest.fixture(scope="module")
def sim() -> ParkSim:
    return ParkSim.generate(seed=4, start=dt.date(2026, 6, 1), days=12, n_houses=3, n_lines=1, hens=30_000)


def test_every_contract_metric_is_produced_as_valid_readings(sim: ParkSim) -> None:
    channels = sim.channels(sim.start_s + DAY, sim.start_s + 2 * DAY, 300.0)
    assert {c.metric for c in channels} >= CONTRACT_METRICS | {"hens_housed"}
    n = sum(1 for c in channels for _ in c.readings())  # Reading validates range and type
    assert n > 10_000
    units = {c.unit for c in channels}
    assert units == {"house-01", "house-02", "house-03", "packing-1"}


def test_counters_never_decrease_and_windows_join(sim: ParkSim) -> None:
    a = sim.channels(sim.start_s + DAY, sim.start_s + 3 * DAY, 60.0)
    b = sim.channels(sim.start_s + 3 * DAY, sim.start_s + 4 * DAY, 60.0)
    for ca, cb in zip(a, b, strict=True):
        assert (ca.unit, ca.device, ca.metric, ca.tags) == (cb.unit, cb.device, cb.metric, cb.tags)
        if ca.metric in COUNTERS:
            joined = np.concatenate([ca.values, cb.values])
            assert (np.diff(joined) >= 0).all(), (ca.unit, ca.metric, ca.tags)


def test_silo_weight_falls_by_the_feed_used_and_gets_refilled(sim: ParkSim) -> None:
    model = sim.houses["house-01"]
    silos = sim.silos["house-01"]
    assert silos.refills, "a 30,000-hen house empties a silo within 12 days"
    t = np.arange(sim.start_s, sim.end_s, 3600.0)
    total = silos.at(t).sum(axis=1)
    used = model.feed_used(t)
    delivered = np.array([sum(kg for at, _, kg in silos.refills if at <= x) for x in t])
    np.testing.assert_allclose(total + used - delivered, total[0] + used[0], atol=1.0)


def test_packing_line_grades_what_the_houses_collect(sim: ParkSim) -> None:
    line = sim.lines["packing-1"]
    f = line.frame(sim.start_s + 2 * DAY, sim.start_s + 10 * DAY, 3600.0)
    processed = f.graded[-1].sum() + f.rejects[-1].sum() - f.graded[0].sum() - f.rejects[0].sum()
    collected = 0.0
    for unit in line.spec.houses:
        hf = sim.houses[unit].frame(sim.start_s + 2 * DAY, sim.start_s + 10 * DAY, 3600.0)
        collected += (hf.eggs_laid[-1] - hf.eggs_laid[0]).sum()
    assert processed == pytest.approx(collected, rel=0.03)
    assert set(np.unique(f.state)) <= {0, 1, 2} and (f.state == 1).any() and (f.state == 0).any()
    fm = line.frame(sim.start_s + 2 * DAY, sim.start_s + 3 * DAY, 60.0)
    assert fm.speed_eph.max() <= line.spec.speed_eph * 1.1
    assert (fm.speed_eph[fm.state != 1] == 0).all()  # stopped or jammed: nothing graded


def test_bigger_eggs_from_older_flocks() -> None:
    young, old = grade_shares(np.array([52.0, 64.5]))
    assert young[0] > old[0] and old[3] > young[3]
    assert young.sum() == pytest.approx(1.0) and old.sum() == pytest.approx(1.0)


def test_same_seed_same_readings() -> None:
    kw = {"seed": 9, "start": dt.date(2026, 2, 1), "days": 3, "n_houses": 1, "n_lines": 1, "hens": 20_000}
    a, b = ParkSim.generate(**kw), ParkSim.generate(**kw)  # type: ignore[arg-type]
    ca = a.channels(a.start_s, a.start_s + DAY, 600.0)
    cb = b.channels(b.start_s, b.start_s + DAY, 600.0)
    for x, y in zip(ca, cb, strict=True):
        np.testing.assert_array_equal(x.values, y.values)


def test_counters_per_tier_add_up_to_the_row() -> None:
    kw = {"seed": 2, "start": dt.date(2026, 4, 1), "days": 3, "n_houses": 1, "n_lines": 1, "hens": 20_000}
    flat = ParkSim.generate(**kw)  # type: ignore[arg-type]
    tiered = ParkSim.generate(**kw, tiers=3)  # type: ignore[arg-type]
    t0 = flat.start_s + DAY
    rows = {c.tags["row"]: c for c in flat.channels(t0, t0 + DAY, 600.0) if c.metric == "eggs_total"}
    tiers = [c for c in tiered.channels(t0, t0 + DAY, 600.0) if c.metric == "eggs_total"]
    assert {c.tags["tier"] for c in tiers} == {"1", "2", "3"}
    for row, ch in rows.items():
        mine = [c for c in tiers if c.tags["row"] == row]
        laid = sum(np.diff(c.values) for c in mine)
        np.testing.assert_allclose(laid, np.diff(ch.values), atol=3)  # rounding of 3 counters
        assert all((np.diff(c.values) >= 0).all() for c in mine)


def test_a_park_smaller_than_its_lines_has_one_line_per_house() -> None:
    # `eggwatch demo --houses 1` (2 lines by default): a line fed by no house has nothing to grade.
    sim = ParkSim.generate(seed=1, start=dt.date(2026, 6, 1), days=3, n_houses=1, hens=30_000)
    assert [line.unit for line in sim.park.lines] == ["packing-1"]
    assert sim.lines["packing-1"].spec.houses == ("house-01",)
