"""The demo's park, its injected incident, resume state, and option validation."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest

from eggwatch.demo import world
from eggwatch.demo.options import MAX_HISTORY_DAYS, DemoOptions
from eggwatch.settings import ConfigError
from simulator.incidents import DAY, H


@pytest.mark.parametrize("hour", range(3, 24, 6))
def test_a_new_park_gets_a_warm_up_and_an_incident_inside_the_history(tmp_path: Path, hour: int) -> None:
    """At any time of day (the incident is placed on a laying day, so where it falls moves with it)."""
    now = float(np.floor(time.time() / DAY) * DAY + hour * H)
    path = tmp_path / "state.json"
    state, sim, warm_s, start_s = world.prepare(path, 3, 4, 2.0, now, "jinji", warmup_days=6.0)
    assert start_s == pytest.approx(now - 2 * DAY, abs=1)
    assert warm_s == pytest.approx(start_s - 6 * DAY)
    assert path.exists() and state.incident_house in sim.houses
    (label,) = sim.labels
    assert label.production and label.kind == "disease"
    # Water and feed may start to fall up to 12 h before the history (in the warm-up, which already
    # gives the detector its baseline); the eggs fall inside it.
    assert start_s - 12 * H <= label.onset.timestamp() < label.egg_onset.timestamp() < now  # type: ignore[union-attr]
    assert start_s < label.egg_onset.timestamp()  # type: ignore[union-attr]
    # The eggs of the last laying day of the history really fall.
    model = sim.houses[label.house]
    day = int(np.searchsorted(model.day_start_s, label.egg_onset.timestamp()))  # type: ignore[union-attr]
    assert model.hen_day_pct[day] < model.hen_day_pct[day - 2] - 15
    assert model.day_start_s[day] + 12 * H <= now


def test_a_second_run_resumes_the_same_park(tmp_path: Path) -> None:
    now = time.time()
    path = tmp_path / "state.json"
    state, sim, _, _ = world.prepare(path, 3, 2, 2.0, now - 3600, "jinji", warmup_days=1.0)
    state.fed_until_s = now - 3600
    state.save(path)
    again, sim2, warm2, start2 = world.prepare(path, 3, 2, 2.0, now, "jinji", warmup_days=1.0)
    assert warm2 == start2 == pytest.approx(now - 3600, abs=1)  # only the gap is backfilled
    assert again.origin == state.origin and again.incident_eggs_s == state.incident_eggs_s
    a = sim.channels(now - 7200, now - 3600, 600)
    b = sim2.channels(now - 7200, now - 3600, 600)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.values, y.values)


def test_another_seed_starts_a_new_park(tmp_path: Path) -> None:
    now = time.time()
    path = tmp_path / "state.json"
    world.prepare(path, 3, 2, 1.0, now, "jinji")
    state, _, _, start = world.prepare(path, 4, 2, 1.0, now, "jinji")
    assert state.seed == 4 and start == pytest.approx(now - DAY, abs=1)


def test_a_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable demo state"):
        world.prepare(path, 1, 2, 1.0, time.time(), "jinji")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"history_days": -1}, "--history-days"),
        ({"history_days": 200}, "--history-days"),  # beyond the park's horizon
        ({"duration_s": 0}, "--duration"),
        ({"duration_s": float("nan")}, "--duration"),
        ({"port": 70000}, "--port"),
        ({"speed": 0.5}, "--speed"),
        ({"houses": 0}, "--houses"),
        ({"password": "short"}, "--password"),
        ({"host": "0.0.0.0"}, "exposes the demo logins"),
    ],
)
def test_bad_options_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DemoOptions(**kwargs)


def test_own_password_allows_a_network_host() -> None:
    assert DemoOptions(host="0.0.0.0", password="a-long-own-secret").host == "0.0.0.0"


def test_fast_forward_ends_at_the_wall_clock() -> None:
    assert DemoOptions(speed=1).fast_forward_s == 0
    assert DemoOptions(speed=10, duration_s=60).fast_forward_s == 540  # 9 × 60 s replayed in 60 s
    assert DemoOptions(speed=10).fast_forward_s == 6 * 3600


def test_the_incident_fits_a_two_day_history_at_any_time_of_day() -> None:
    sim = world.build_sim(world.DemoState(1, 6, "2026-11-01", 0.0), "jinji")
    for hour in range(24):
        end = world.local_midnight_s(dt.date(2026, 11, 10)) + hour * H
        plan = world.plan_incident(sim, end - 2 * DAY, end)
        assert plan is not None, hour
        _, water_s, eggs_s = plan
        assert end - 2 * DAY < water_s <= eggs_s - 2 * H


def test_backfilled_counters_wrap_like_the_stub_registers() -> None:
    from eggwatch.demo.feed import as_device_reports
    from simulator.devices import Channel

    ts = np.array([1, 2, 3], dtype=np.int64)
    cases = Channel("packing-1", "grader-1", "cases_packed_total", ts, np.array([65535.0, 65536.0, 70000.0]))
    np.testing.assert_array_equal(as_device_reports(cases).values, [65535, 0, 4464])  # uint16 register
    eggs = Channel("house-01", "eggcounter-1", "eggs_total", ts, np.array([7e6, 8e6, 9e6]), {"row": "01"})
    np.testing.assert_array_equal(as_device_reports(eggs).values, eggs.values)  # uint32: no wrap yet


@pytest.mark.parametrize("history_days", [3.0, 14.0])
@pytest.mark.parametrize(
    "now", ["2026-11-29T06:54:00", "2026-11-28T23:38:00", "2026-03-05T09:00:00", "2026-07-19T15:00:00"]
)
def test_the_detector_finds_the_injected_incident_and_nothing_else(
    tmp_path: Path, now: str, history_days: float
) -> None:
    """What the demo's alert engine sees (the park's hourly figures): alerts only for the injected
    house, none before its water starts to fall (the demo once raised one a day early)."""
    from analytics.detector import detect
    from analytics.offline import read_frame
    from simulator.hourly import house_hours
    from simulator.scenarios import Scenario

    now_s = dt.datetime.fromisoformat(now).replace(tzinfo=dt.UTC).timestamp()
    warmup = max(0.0, 8.0 + world.INCIDENT_WITHIN_DAYS - history_days)  # as the runner does
    state, sim, warm_s, _ = world.prepare(tmp_path / "state.json", 1, 6, history_days, now_s, "demo", warmup)
    h_rows: list[dict] = []
    r_rows: list[dict] = []
    for model in sim.houses.values():
        h, r = house_hours(model, float(np.ceil(warm_s / H) * H), float(np.floor(now_s / H) * H))
        h_rows += h
        r_rows += r
    h_csv, r_csv = Scenario("demo", 1, h_rows, r_rows, []).write(tmp_path / "csv")
    alerts = [a for a in detect(read_frame(h_csv, r_csv)) if a.kind != "sensor_fault"]
    water_s = state.incident_water_s
    assert water_s is not None and alerts
    assert {a.house for a in alerts} == {state.incident_house}, alerts
    assert min(a.detected_at.timestamp() for a in alerts) > water_s, alerts
    # The baseline was there before the eggs fell: the laying drop within a day, not only once the
    # detector had history enough (it came 36 h late while the warm-up ignored where the incident falls).
    eggs_s = state.incident_eggs_s
    assert eggs_s is not None
    laying = [a.detected_at.timestamp() - eggs_s for a in alerts if a.kind == "laying_drop"]
    assert laying and 0 < min(laying) <= 24 * 3600, alerts


def test_the_longest_history_leaves_the_park_a_month_to_run(tmp_path: Path) -> None:
    # Past its horizon a park's counters stand still: the history and the live run must fit in it.
    now = time.time()
    state, *_ = world.prepare(tmp_path / "state.json", 1, 6, MAX_HISTORY_DAYS, now, "jinji")
    horizon_end = world.local_midnight_s(dt.date.fromisoformat(state.origin)) + (world.HORIZON_DAYS - 2) * DAY
    assert horizon_end - now > 20 * DAY
