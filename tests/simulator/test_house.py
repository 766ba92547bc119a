"""The house model: laying follows the breed standard, counters only grow, runs are reproducible."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from eggwatch.breeds import curve
from simulator import profiles
from simulator.belts import BeltMotion
from simulator.house import HouseModel
from simulator.incidents import DAY, H, draw
from simulator.spec import draw_house

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp() - 8 * H  # local midnight, Asia/Shanghai


def _model(seed: int, age: float, days: int, incidents=(), **kw) -> HouseModel:  # type: ignore[no-untyped-def]
    spec = draw_house(np.random.default_rng(seed), "house-01", dt.date(2026, 3, 1), age_weeks=age)
    return HouseModel(spec, list(incidents), seed, START, START + days * DAY, **kw)


def test_laying_profile_matches_the_literature() -> None:
    p = profiles.laying()
    assert p.share(2.0, 6.0) > 0.7  # most eggs 2-6 h after lights-on
    shares = [p.share(s, s + 8.0) for s in np.arange(0, 16, 0.25)]
    assert max(shares) >= 0.94  # Lewis et al.: >= 94 % in the modal 8 h


@pytest.mark.parametrize("seed,age", [(1, 17.0), (2, 30.0), (3, 60.0), (4, 85.0)])
def test_weekly_hen_day_follows_the_breed_standard(seed: int, age: float) -> None:
    days = 86  # 2 skipped + 12 weeks
    m = _model(seed, age, days)
    f = m.frame(START, START + days * DAY, 3600.0)
    # Counted eggs per local day (midnight to midnight) over hens: the farm's hen-day figure.
    daily_eggs = np.diff(f.eggs_counter[::24].sum(axis=1))
    hd = 100 * daily_eggs / f.hens[:-1:24]
    tr = m.spec.traits
    counted_share = float(np.dot(tr.row_share, tr.counter_eff))  # counters miss a few eggs
    expected = curve(m.spec.house.breed).hen_day(f.age_weeks[:-1:24] + 0.5 / 7) * tr.level * counted_share
    weekly = hd[2:].reshape(-1, 7).mean(axis=1)  # skip day 0-1 (belt carry-over from before)
    weekly_expected = expected[2:].reshape(-1, 7).mean(axis=1)
    in_lay = weekly_expected > 30
    # Tolerance: drift (~1 %) and house noise, plus the rise is steep (a week's mean moves 20 points).
    tol = np.where(weekly_expected > 85, 4.0, 9.0)
    assert np.all(np.abs(weekly - weekly_expected)[in_lay] < tol[in_lay]), (weekly, weekly_expected)


def test_rows_are_noisier_than_the_house() -> None:
    m = _model(5, 35.0, 60)
    f = m.frame(START, START + 60 * DAY, 3600.0)
    daily = np.diff(f.eggs_counter[::24], axis=0)[2:]
    house = daily.sum(axis=1)
    cv_house = np.std(np.diff(house)) / np.mean(house) / np.sqrt(2)
    cv_rows = np.std(np.diff(daily, axis=0), axis=0) / daily.mean(axis=0) / np.sqrt(2)
    assert cv_house < 0.06
    assert np.median(cv_rows) > 1.5 * cv_house


def test_counters_grow_except_where_a_counter_is_replaced() -> None:
    rng = np.random.default_rng(9)
    spec_model = _model(6, 40.0, 20)
    drawn = draw("dead_counter", rng, START + 5.3 * DAY, rows=spec_model.spec.house.rows, continuous=False,
                 expected_hd=90.0)  # fmt: skip
    assert drawn.counter_fault is not None
    cf = replace(drawn.counter_fault, replaced=True)
    fault = replace(drawn, counter_fault=cf)
    m = _model(6, 40.0, 20, [fault])
    f = m.frame(START, START + 20 * DAY, 60.0)
    d = np.diff(f.eggs_counter, axis=0)
    r = cf.row
    others = np.delete(d, r, axis=1)
    assert (others >= 0).all()
    assert (np.diff(f.water_l) >= 0).all() and (np.diff(f.feed_used_kg) >= 0).all()
    drops = np.flatnonzero(d[:, r] < 0)
    assert len(drops) == 1  # the one injected reset
    assert abs(f.t_s[drops[0] + 1] - cf.end_s) <= 60
    inside = (f.t_s[1:] > cf.start_s + 60) & (f.t_s[1:] < cf.end_s)
    assert d[inside, r].sum() <= cf.fraction * d[inside].sum(axis=0).max() + 1


def test_minute_and_hour_runs_agree_and_windows_join() -> None:
    m = _model(7, 28.0, 6)
    fm = m.frame(START + DAY, START + 3 * DAY, 60.0)
    fh = m.frame(START + DAY, START + 3 * DAY, 3600.0)
    np.testing.assert_array_equal(fm.eggs_counter[::60], fh.eggs_counter)
    np.testing.assert_allclose(fm.water_l[::60], fh.water_l)
    a = m.frame(START + DAY, START + 2 * DAY, 60.0)
    b = m.frame(START + 2 * DAY, START + 3 * DAY, 60.0)
    np.testing.assert_array_equal(a.eggs_counter[-1], b.eggs_counter[0])


def test_same_seed_same_output_and_seeds_differ() -> None:
    a = _model(11, 45.0, 10).frame(START, START + 10 * DAY, 3600.0)
    b = _model(11, 45.0, 10).frame(START, START + 10 * DAY, 3600.0)
    c = _model(12, 45.0, 10).frame(START, START + 10 * DAY, 3600.0)
    np.testing.assert_array_equal(a.eggs_counter, b.eggs_counter)
    np.testing.assert_array_equal(a.temp_c, b.temp_c)
    assert a.eggs_counter.shape != c.eggs_counter.shape or not np.array_equal(a.eggs_counter, c.eggs_counter)


def test_continuous_collection_counts_one_to_two_hours_after_laying() -> None:
    for seed in range(20):
        m = _model(seed, 35.0, 4)
        if not m.spec.house.collection:
            break
    else:
        pytest.fail("no continuous-collection house in 20 seeds")
    f = m.frame(START + DAY, START + 3 * DAY, 600.0)
    laid = f.eggs_laid.sum(axis=1)
    counted = f.eggs_counter.sum(axis=1)
    laid, counted = ((x - x[0]) / (x[-1] - x[0]) for x in (laid, counted))
    lag_h = (np.interp(0.25, counted, f.t_s) - np.interp(0.25, laid, f.t_s)) / H
    assert 0.7 < lag_h < 2.5


def test_a_stopped_continuous_belt_counts_nothing_meanwhile_then_the_backlog() -> None:
    transit = 1.5 * H
    stop = (START + 10 * H, START + 14 * H)
    belt = BeltMotion.continuous(transit, [stop], START, START + 2 * DAY)
    t = np.arange(START, START + 2 * DAY, 600.0)
    travel = belt.travel_at(t)
    assert np.all(np.diff(travel) >= 0)  # the belt never runs backwards
    during = (t >= stop[0]) & (t <= stop[1])
    assert np.ptp(travel[during]) == 0
    before = t < stop[0]
    np.testing.assert_allclose(np.diff(travel[before]), 600.0 / transit)  # one row length per transit
