"""Regression tests for the payroll review: exact money, race-free overlap checks, checked
adjustments, figures frozen at approval, dividends checked.  SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
import sqlalchemy as sa

import api.routes.payroll as payroll_routes
from api.models import PayrollRun
from api.money import half_up, ratio_fen
from api.services.attribution import CounterTimeline, Presence, share
from eggwatch.migrations import upgrade
from eggwatch.sql import make_engine, make_sessionmaker
from tests.api.conftest import Api, local
from tests.api.test_payroll import counter, lines_of, rule, scenario, shift

__all__ = ["scenario"]  # the fixture, shared with test_payroll


def make_run(api: Api, start: str, end: str) -> dict:  # type: ignore[type-arg]
    return api.ok("payroll", "POST", "/api/v1/payroll/runs", json={"period_start": start, "period_end": end})


# 3. Money is exact, rounded once half up to the fen.


def test_half_up_is_exact() -> None:
    assert half_up(Fraction(9 * 1500, 1000)) == 14  # 0.09 CNY per 1,000 eggs x 1,500 = 13.5 fen
    assert 9 / 1000.0 * 1500 < 13.5  # what the float code computed (and rounded to 13)
    assert half_up(Fraction(-27, 2)) == -14 and half_up(Fraction(1, 2)) == 1 and half_up(Fraction(1, 3)) == 0
    assert half_up(Fraction(191000 * 14, 174)) == 15368  # 1,910 CNY x 14 h / 174 h = 153.678... CNY
    assert ratio_fen(92734, 4) == 23184 and ratio_fen(5, 2) == 3 and ratio_fen(7, 2) == 4  # not banker's


def test_share_is_exact() -> None:
    # 1,000 counted over three equal presences: thirds, adding up to exactly what was counted.
    tl = CounterTimeline(np.array([50], dtype=np.int64), np.array([1000.0]))
    got = share(tl, [Presence(k, 0, 100, Fraction(1)) for k in (1, 2, 3)])
    assert got == {1: Fraction(1000, 3), 2: Fraction(1000, 3), 3: Fraction(1000, 3)}
    got = share(tl, [Presence(1, 0, 100, Fraction(1)), Presence(2, 0, 100, Fraction(1, 2))])
    assert got == {1: Fraction(2000, 3), 2: Fraction(1000, 3)}


def test_piece_rate_half_fen_rounds_up(api: Api, scenario: dict[str, int]) -> None:
    loc = api.ok(
        "manager", "POST", "/api/v1/locations", json={"unit": "house-02", "kind": "house", "name": "h2"}
    )
    task = api.ok("manager", "POST", "/api/v1/tasks", json={"code": "pick", "name": "pick", "output": "eggs"})
    rule(api, task["id"], "2026-01-01", per_1000_eggs=0.09)
    shift(api, scenario["C"], loc["id"], task["id"], "2026-05-04 08:00", "2026-05-04 09:00")
    counter(
        api, "house-02", "eggs_total", [("2026-05-04 07:32", 0), ("2026-05-04 08:32", 1500)], {"row": "01"}
    )
    line = lines_of(api, make_run(api, "2026-05-01", "2026-06-01")["id"])[scenario["C"]]
    assert (line["eggs"], line["piece_earnings"]) == (1500, 0.14)  # 13.5 fen → 14 (was 13)
    assert line["topup"] == 19.86 and line["net"] == 20.0  # part-time floor: 1 h x 20 CNY


# 1. Overlap checks hold under concurrent requests (a lock taken before the check).


def concurrently(n: int, call: Callable[[], int]) -> list[int]:
    barrier = threading.Barrier(n)

    def go(_: int) -> int:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(go, range(n)))


def test_concurrent_runs_for_one_period_one_wins(api: Api) -> None:
    body = {"period_start": "2026-06-01", "period_end": "2026-07-01"}
    codes = concurrently(6, lambda: api.post("payroll", "/api/v1/payroll/runs", json=body).status_code)
    assert codes == [201] + [409] * 5
    assert api.ok("payroll", "GET", "/api/v1/payroll/runs")["total"] == 1


def test_concurrent_identical_shifts_one_wins(api: Api, scenario: dict[str, int]) -> None:
    body = {"worker_id": scenario["B"], "location_id": scenario["house-01"], "task_id": scenario["watch"],
            "start_at": local("2026-06-02 08:00").isoformat(), "end_at": local("2026-06-02 12:00").isoformat()}  # fmt: skip
    codes = concurrently(8, lambda: api.post("manager", "/api/v1/shifts", json=body).status_code)
    assert codes == [201] + [409] * 7
    page = api.ok("manager", "GET", "/api/v1/shifts", params={"worker_id": scenario["B"]})
    assert sum(s["start_at"].startswith("2026-06-02") for s in page["items"]) == 1


def test_approve_rechecks_overlap(api: Api) -> None:
    first = make_run(api, "2026-06-01", "2026-07-01")
    # A second draft over the same June (as the race used to make), written behind the API's back.
    engine = make_engine(api.db_url)
    with make_sessionmaker(engine)() as s:
        other = PayrollRun(period_start=dt.date(2026, 6, 15), period_end=dt.date(2026, 7, 15), status="draft",
                           min_monthly_fen=191000, min_hourly_fen=2000)  # fmt: skip
        s.add(other)
        s.commit()
        other_id = other.id
    engine.dispose()
    api.post("payroll", f"/api/v1/payroll/runs/{other_id}/recompute")
    assert api.ok("payroll", "POST", f"/api/v1/payroll/runs/{first['id']}/approve")["status"] == "approved"
    r = api.post("payroll", f"/api/v1/payroll/runs/{other_id}/approve")
    assert r.status_code == 409 and f"run {first['id']}" in r.json()["detail"]


def test_approve_rechecks_the_status_under_its_locks(
    api: Api, scenario: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = make_run(api, "2026-03-01", "2026-04-01")["id"]
    real = payroll_routes.machine_counts

    def meanwhile(*args: object, **kw: object) -> object:
        counts = real(*args, **kw)  # type: ignore[arg-type]
        # Another clerk approves and pays the run while this approval reads the store.
        engine = make_engine(api.db_url)
        with engine.begin() as conn:
            conn.execute(sa.update(PayrollRun).where(PayrollRun.id == rid).values(status="paid"))
        engine.dispose()
        return counts

    monkeypatch.setattr(payroll_routes, "machine_counts", meanwhile)
    r = api.post("payroll", f"/api/v1/payroll/runs/{rid}/approve")
    # Was 200: the run read before the locks still said draft, and a paid run became approved again.
    assert r.status_code == 409 and r.json()["detail"] == f"run {rid} is already paid"
    assert api.ok("payroll", "GET", f"/api/v1/payroll/runs/{rid}")["status"] == "paid"
    audits = api.ok("admin", "GET", "/api/v1/audit", params={"limit": 200})["items"]
    assert not [a for a in audits if a["action"] == "approve"]


def test_overlap_409_hides_other_units_shift_from_supervisor(api: Api, scenario: dict[str, int]) -> None:
    loc2 = api.ok(
        "manager", "POST", "/api/v1/locations", json={"unit": "house-02", "kind": "house", "name": "h2"}
    )
    hidden = shift(api, scenario["B"], loc2["id"], scenario["watch"], "2026-06-03 08:00", "2026-06-03 12:00")
    body = {"worker_id": scenario["B"], "location_id": scenario["house-01"], "task_id": scenario["watch"],
            "start_at": local("2026-06-03 10:00").isoformat(), "end_at": local("2026-06-03 14:00").isoformat()}  # fmt: skip
    r = api.post("supervisor", "/api/v1/shifts", json=body)
    assert r.status_code == 409
    assert r.json()["detail"] == f"worker {scenario['B']} already has a shift in that time"
    assert str(hidden) not in r.json()["detail"] and "house-02" not in r.text
    r = api.post("manager", "/api/v1/shifts", json=body)  # a manager sees everything: told which shift
    assert r.status_code == 409 and f"shift {hidden}" in r.json()["detail"]


# 2. Adjustments: only for a worker with a line in the run; net pay never below 0.


def test_adjustment_needs_a_line_and_keeps_net_non_negative(api: Api, scenario: dict[str, int]) -> None:
    run = make_run(api, "2026-04-01", "2026-05-01")  # only A worked in April (the month-end night)
    rid = run["id"]
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/approve")
    url = f"/api/v1/payroll/runs/{rid}/adjustments"
    r = api.post("payroll", url, json={"worker_id": scenario["B"], "amount": "10", "reason": "bonus"})
    assert r.status_code == 409 and "no line in run" in r.json()["detail"]
    r = api.post("payroll", url, json={"worker_id": 99999, "amount": "10", "reason": "bonus"})
    assert r.status_code == 404
    r = api.post("payroll", url, json={"worker_id": scenario["A"], "amount": "-99999", "reason": "typo"})
    assert r.status_code == 409 and "at most 75.00 can be deducted" in r.json()["detail"]
    api.ok("payroll", "POST", url, json={"worker_id": scenario["A"], "amount": "-70", "reason": "advance"})
    r = api.post("payroll", url, json={"worker_id": scenario["A"], "amount": "-5.01", "reason": "advance"})
    assert r.status_code == 409 and "would become -0.01" in r.json()["detail"]
    api.ok("payroll", "POST", url, json={"worker_id": scenario["A"], "amount": "-5", "reason": "advance"})
    assert lines_of(api, rid)[scenario["A"]]["net"] == 0.0
    assert api.ok("payroll", "GET", f"/api/v1/payroll/runs/{rid}")["net_total"] == 0.0


# 4. Approved figures are frozen: reports read the household recorded at approval; approval
#    refuses a draft whose inputs changed since it was computed.


def test_approved_figures_do_not_follow_later_household_edits(api: Api, scenario: dict[str, int]) -> None:
    rid = make_run(api, "2026-03-01", "2026-04-01")["id"]
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/approve")
    hh = api.ok("manager", "GET", "/api/v1/households")["items"][0]
    params = {"year": 2026, "month": 3, "by": "household"}
    report = api.ok("poverty_office", "GET", "/api/v1/reports/employment", params=params)
    income = api.ok("poverty_office", "GET", f"/api/v1/households/{hh['id']}/income", params={"year": 2026})
    assert report["rows"][0]["workers"] == 4 and income["months"][2]["per_capita"] == 128.75  # 515 / 4

    # Later: the household shrinks, moves village, and worker B moves to another household.
    api.ok("manager", "PATCH", f"/api/v1/households/{hh['id']}", json={"members": 1, "village": "西关村"})
    other = api.ok("manager", "POST", "/api/v1/households",
                   json={"code": "H2", "village": "南村", "township": "张家川镇", "members": 2, "registered_poor": False})  # fmt: skip
    api.ok("manager", "PATCH", f"/api/v1/workers/{scenario['B']}", json={"household_id": other["id"]})

    assert api.ok("poverty_office", "GET", "/api/v1/reports/employment", params=params) == report
    assert (
        api.ok("poverty_office", "GET", f"/api/v1/households/{hh['id']}/income", params={"year": 2026})
        == income
    )
    moved = api.ok("poverty_office", "GET", f"/api/v1/households/{other['id']}/income", params={"year": 2026})
    assert moved["year_income"] == 0.0
    # An adjustment of B counts for the household B belonged to at approval.
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/adjustments",
           json={"worker_id": scenario["B"], "amount": "4", "reason": "missed hour"})  # fmt: skip
    income = api.ok("poverty_office", "GET", f"/api/v1/households/{hh['id']}/income", params={"year": 2026})
    assert income["months"][2]["wages"] == 519.0 and income["members"] == 4


def test_approve_refuses_a_draft_whose_shifts_changed(api: Api, scenario: dict[str, int]) -> None:
    rid = make_run(api, "2026-03-01", "2026-04-01")["id"]
    late = shift(
        api, scenario["B"], scenario["house-01"], scenario["watch"], "2026-03-20 08:00", "2026-03-20 12:00"
    )
    r = api.post("payroll", f"/api/v1/payroll/runs/{rid}/approve")
    assert r.status_code == 409 and "recompute first" in r.json()["detail"]
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/recompute")
    api.client.delete(f"/api/v1/shifts/{late}", headers=api.as_("manager"))
    assert api.post("payroll", f"/api/v1/payroll/runs/{rid}/approve").status_code == 409
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/recompute")
    rule(api, scenario["watch"], "2026-03-25", base_per_hour=11)  # a rate change inside the period
    assert api.post("payroll", f"/api/v1/payroll/runs/{rid}/approve").status_code == 409
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/recompute")
    assert api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/approve")["status"] == "approved"


def test_migration_snapshots_runs_already_approved(blank_db_url: str) -> None:
    url = blank_db_url
    upgrade(url, "0002_alerts")
    engine = make_engine(url)
    now = "2026-05-01 00:00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO households (id, code, village, township, members, registered_poor, created_at) "
                f"VALUES (1, 'H1', 'V', 'T', 3, true, '{now}')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO workers (id, name, household_id, national_id_enc, national_id_hash, national_id_masked, "
                f"full_time, active, created_at) VALUES (1, 'A', 1, 'x', 'h', 'm', true, true, '{now}')"
            )
        )
        for rid, status in ((1, "paid"), (2, "draft")):
            conn.execute(
                sa.text(
                    "INSERT INTO payroll_runs (id, period_start, period_end, status, min_monthly_fen, min_hourly_fen, "
                    f"created_at) VALUES ({rid}, '2026-0{rid}-01', '2026-0{rid + 1}-01', '{status}', 1, 1, '{now}')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO payroll_lines (run_id, worker_id, hours, days, eggs, cases, trays, base_fen, piece_fen, "
                    f"topup_fen, deductions_fen, net_fen, flags) VALUES ({rid}, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, '')"
                )
            )
    upgrade(url, "0003_payroll_guards")  # the next one would re-seal the dummy 'x' ID number
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT run_id, household_id, household_code, household_village, household_township, "
                "household_members, household_registered_poor FROM payroll_lines ORDER BY run_id"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, 1, "H1", "V", "T", 3, True),
        (2, None, None, None, None, None, None),
    ]


# 5. Dividends: a positive amount, and every listed household known.


def test_dividends_refuse_zero_amounts_and_unknown_households(api: Api, scenario: dict[str, int]) -> None:
    hh = api.ok("manager", "GET", "/api/v1/households")["items"][0]["id"]
    body = {"paid_on": "2026-03-20", "source": "cooperative", "basis": "per_household"}
    r = api.post("payroll", "/api/v1/dividends", json=body | {"amount": "0"})
    assert r.status_code == 422 and "more than 0" in r.text
    r = api.post("payroll", "/api/v1/dividends", json=body | {"amount": "-1"})
    assert r.status_code == 422
    for poor_only in (True, False):
        r = api.post("payroll", "/api/v1/dividends",
                     json=body | {"amount": "5", "household_ids": [hh, 99], "registered_poor_only": poor_only})  # fmt: skip
        assert r.status_code == 404 and r.json()["detail"] == "unknown households: 99"
    assert api.ok("payroll", "GET", "/api/v1/dividends")["total"] == 0
    made = api.ok("payroll", "POST", "/api/v1/dividends",
                  json=body | {"amount": "5", "household_ids": [hh], "registered_poor_only": True})  # fmt: skip
    assert [d["amount"] for d in made] == [5.0]
