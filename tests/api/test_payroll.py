"""Hand-computed payroll cases, through the HTTP API, on SQLite and PostgreSQL.

Park time zone Asia/Shanghai; minimum wage tier III (1,910 CNY/month, 20 CNY/hour); full-time
floor = 1,910 x hours / 174.  Machine counts are written to the embedded telemetry store.
"""

from __future__ import annotations

import pytest

from eggwatch.store.base import Point, Query, Series
from eggwatch.wire import Reading
from tests.api.conftest import Api, local


def counter(api: Api, unit: str, metric: str, points: list[tuple[str, int]], tags: dict[str, str]) -> None:
    api.store.write(
        [Point(api.park.site, unit, "counter-1", Reading(int(local(t).timestamp() * 1000), metric, v, tags))
         for t, v in points]
    )  # fmt: skip


def shift(
    api: Api, worker: int, loc: int, task: int, start: str, end: str, brk: int = 0, entered: int | None = None
) -> int:
    body = {"worker_id": worker, "location_id": loc, "task_id": task, "break_minutes": brk,
            "start_at": local(start).isoformat(), "end_at": local(end).isoformat(), "entered_count": entered}  # fmt: skip
    return int(api.ok("manager", "POST", "/api/v1/shifts", json=body)["id"])


def rule(api: Api, task: int, start: str, end: str | None = None, **rates: float) -> None:
    api.ok("manager", "POST", "/api/v1/rules",
           json={"name": f"r{task}{start}", "task_id": task, "effective_from": start, "effective_to": end, **rates})  # fmt: skip


def watcher(api: Api, household: int, base_per_hour: float) -> tuple[int, int, int]:
    """One worker of ``household`` on a house-01 watch task paid ``base_per_hour``, no output:
    (worker, location, task)."""
    from api.national_id import check_char

    nid = "62052519900101123"
    body = {"name": "W", "national_id": nid + check_char(nid), "household_id": household}
    w = api.ok("manager", "POST", "/api/v1/workers", json=body)["id"]
    loc = api.ok(
        "manager", "POST", "/api/v1/locations", json={"unit": "house-01", "kind": "house", "name": "h"}
    )
    task = api.ok("manager", "POST", "/api/v1/tasks", json={"code": "watch", "name": "w", "output": "none"})
    rule(api, task["id"], "2026-01-01", base_per_hour=base_per_hour)
    return w, loc["id"], task["id"]


@pytest.fixture
def scenario(api: Api) -> dict[str, int]:
    ids: dict[str, int] = {}
    hh = api.ok("manager", "POST", "/api/v1/households",
                json={"code": "H1", "village": "东关村", "township": "张家川镇", "members": 4, "registered_poor": True})  # fmt: skip
    for name, nid, full_time in (
        ("A", "620525199001011236", True),
        ("B", "620525198502021231", True),
        ("C", "620525197003031234", False),
        ("P", "62052519800404123X", True),
    ):
        from api.national_id import check_char

        nid = nid[:17] + check_char(nid[:17])
        body = {"name": name, "national_id": nid, "household_id": hh["id"], "full_time": full_time}
        ids[name] = api.ok("manager", "POST", "/api/v1/workers", json=body)["id"]
    for unit, kind in (("house-01", "house"), ("packing-1", "line")):
        ids[unit] = api.ok(
            "manager", "POST", "/api/v1/locations", json={"unit": unit, "kind": kind, "name": unit}
        )["id"]
    for code, output in (("collect", "eggs"), ("pack", "cases"), ("watch", "none")):
        ids[code] = api.ok(
            "manager", "POST", "/api/v1/tasks", json={"code": code, "name": code, "output": output}
        )["id"]
    rule(api, ids["collect"], "2026-01-01", base_per_hour=10, per_1000_eggs=5)
    rule(api, ids["watch"], "2026-01-01", base_per_hour=10, base_per_shift=20)
    rule(api, ids["pack"], "2026-01-01", "2026-03-16", per_case=0.5)  # rate change in mid-month
    rule(api, ids["pack"], "2026-03-16", per_case=0.8)

    # Team split: A 08-16, B 12-16 collecting in house-01.
    shift(api, ids["A"], ids["house-01"], ids["collect"], "2026-03-02 08:00", "2026-03-02 16:00")
    shift(api, ids["B"], ids["house-01"], ids["collect"], "2026-03-02 12:00", "2026-03-02 16:00")
    counter(api, "house-01", "eggs_total",
            [("2026-03-02 07:02", 0), ("2026-03-02 11:02", 4000), ("2026-03-02 15:02", 10000), ("2026-03-02 17:02", 10500)],
            {"row": "01", "tier": "1"})  # fmt: skip
    # Part-time night watch below the hourly minimum: 7 h worked.
    shift(api, ids["C"], ids["house-01"], ids["watch"], "2026-03-03 22:00", "2026-03-04 06:00", brk=60)
    # Night shift across the month end.
    shift(api, ids["A"], ids["house-01"], ids["watch"], "2026-03-31 22:00", "2026-04-01 06:00")
    # Packing before and after the rate change; the second entered count is off by 50 %.
    shift(api, ids["P"], ids["packing-1"], ids["pack"], "2026-03-10 08:00", "2026-03-10 12:00", entered=200)
    shift(api, ids["P"], ids["packing-1"], ids["pack"], "2026-03-20 08:00", "2026-03-20 12:00", entered=150)
    counter(api, "packing-1", "cases_packed_total",
            [("2026-03-10 07:32", 100), ("2026-03-10 11:32", 300), ("2026-03-20 07:32", 300), ("2026-03-20 11:32", 400)],
            {})  # fmt: skip
    return ids


def lines_of(api: Api, run_id: int) -> dict[int, dict]:  # type: ignore[type-arg]
    page = api.ok("payroll", "GET", f"/api/v1/payroll/runs/{run_id}/lines", params={"limit": 500})
    return {ln["worker_id"]: ln for ln in page["items"]}


def test_march_payroll_by_hand(api: Api, scenario: dict[str, int]) -> None:
    run = api.ok(
        "payroll",
        "POST",
        "/api/v1/payroll/runs",
        json={"period_start": "2026-03-01", "period_end": "2026-04-01"},
    )
    assert run["status"] == "draft"
    lines = lines_of(api, run["id"])
    a, b, c, p = (lines[scenario[k]] for k in "ABCP")
    # A: 8 h collecting, 4,000 eggs alone + half of 6,000 = 7,000 eggs; plus 2 h of the month-end night
    # shift: base 80 + (20 + 20 x 2/8) = 105, piece 7 x 5 = 35.
    assert (a["hours"], a["days"], a["eggs"]) == (10.0, 2, 7000)
    assert (a["base_pay"], a["piece_earnings"], a["topup"], a["net"]) == (105.0, 35.0, 0.0, 140.0)
    # B: 4 h, 3,000 eggs: 40 + 15.
    assert (b["hours"], b["eggs"], b["base_pay"], b["piece_earnings"], b["net"]) == (
        4.0,
        3000,
        40.0,
        15.0,
        55.0,
    )
    # C: part-time, 7 h: base 70 + 20 per shift = 90 < 7 x 20 = 140 → top-up 50.
    assert (c["hours"], c["base_pay"], c["topup"], c["net"]) == (7.0, 90.0, 50.0, 140.0)
    # P: 200 cases at 0.50 before 16 March, 100 at 0.80 after = 180; entered 150 vs 100 flagged.
    assert (p["cases"], p["piece_earnings"], p["net"]) == (300, 180.0, 180.0)
    assert p["flags"] == ["count_mismatch"]
    assert a["flags"] == [] and b["flags"] == []


def test_full_time_topup_and_month_end_april(api: Api, scenario: dict[str, int]) -> None:
    run = api.ok(
        "payroll",
        "POST",
        "/api/v1/payroll/runs",
        json={"period_start": "2026-04-01", "period_end": "2026-05-01"},
    )
    a = lines_of(api, run["id"])[scenario["A"]]
    # 6 h of the night shift in April: 60 + 20 x 6/8 = 75; floor 1,910 x 6/174 = 65.86 → no top-up; 0 days.
    assert (a["hours"], a["days"], a["base_pay"], a["topup"], a["net"]) == (6.0, 0, 75.0, 0.0, 75.0)


def test_approved_run_is_immutable_and_adjustments_count(api: Api, scenario: dict[str, int]) -> None:
    run = api.ok(
        "payroll",
        "POST",
        "/api/v1/payroll/runs",
        json={"period_start": "2026-03-01", "period_end": "2026-04-01"},
    )
    rid = run["id"]
    r = api.post(
        "payroll",
        f"/api/v1/payroll/runs/{rid}/adjustments",
        json={"worker_id": scenario["B"], "amount": 1, "reason": "early"},
    )
    assert r.status_code == 409  # drafts are recomputed, not adjusted
    approved = api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/approve")
    assert approved["status"] == "approved" and approved["net_total"] == 140 + 55 + 140 + 180
    assert api.post("payroll", f"/api/v1/payroll/runs/{rid}/recompute").status_code == 409
    assert api.post("payroll", f"/api/v1/payroll/runs/{rid}/approve").status_code == 409
    assert api.client.delete(f"/api/v1/payroll/runs/{rid}", headers=api.as_("payroll")).status_code == 409
    # Shifts inside an approved period are closed (also the month-end night shift reaching into it).
    late = {"worker_id": scenario["B"], "location_id": scenario["house-01"], "task_id": scenario["collect"],
            "start_at": local("2026-03-30 08:00").isoformat(), "end_at": local("2026-03-30 12:00").isoformat()}  # fmt: skip
    r = api.post("manager", "/api/v1/shifts", json=late)
    assert r.status_code == 409 and "adjustment" in r.json()["detail"]
    april = late | {
        "start_at": local("2026-04-02 08:00").isoformat(),
        "end_at": local("2026-04-02 12:00").isoformat(),
    }
    assert api.post("manager", "/api/v1/shifts", json=april).status_code == 201
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/adjustments",
           json={"worker_id": scenario["B"], "amount": "12.34", "reason": "missed hour"})  # fmt: skip
    b = lines_of(api, rid)[scenario["B"]]
    assert (b["adjustments"], b["net"]) == (12.34, 67.34)
    assert api.ok("payroll", "GET", f"/api/v1/payroll/runs/{rid}")["net_total"] == 527.34
    paid = api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/pay")
    assert paid["status"] == "paid"
    actions = [e["action"] for e in api.ok("admin", "GET", "/api/v1/audit")["items"]]
    assert {"approve", "adjust", "pay"} <= set(actions)
    # Overlapping run refused.
    r = api.post(
        "payroll", "/api/v1/payroll/runs", json={"period_start": "2026-03-15", "period_end": "2026-04-15"}
    )
    assert r.status_code == 409

    # Household income and the poverty-office report see the paid wages.
    hh = api.ok("manager", "GET", "/api/v1/households")["items"][0]
    api.ok("payroll", "POST", "/api/v1/dividends",
           json={"paid_on": "2026-03-20", "source": "cooperative", "basis": "per_person", "amount": "100"})  # fmt: skip
    income = api.ok("poverty_office", "GET", f"/api/v1/households/{hh['id']}/income", params={"year": 2026})
    march = income["months"][2]
    assert (march["wages"], march["dividends"], march["income"]) == (527.34, 400.0, 927.34)
    assert march["per_capita"] == 231.84
    rep = api.ok("poverty_office", "GET", "/api/v1/reports/employment", params={"year": 2026, "lang": "zh"})
    first, total = rep["rows"][0], rep["rows"][-1]
    assert (first["month"], first["township"], first["village"]) == ("2026-03", "张家川镇", "东关村")
    assert (first["workers"], first["poor_workers"], first["wages"], first["dividends"]) == (
        4,
        4,
        527.34,
        400.0,
    )
    assert first["person_days"] == 2 + 1 + 1 + 2
    assert total["month"] == "total" and total["wages"] == 527.34
    assert rep["columns"][0]["label"] == "月份"
    per_household = api.ok("poverty_office", "GET", "/api/v1/reports/employment",
                           params={"year": 2026, "month": 3, "by": "household"})  # fmt: skip
    row = per_household["rows"][0]
    # 927.34 / 4 persons x 12 = 2,782 CNY < 4,000: below the line.
    assert (row["household"], row["wages"], row["households_above_line"]) == ("H1", 527.34, 0)
    assert "national_id" not in str(per_household) and "620525" not in str(per_household)


def test_a_lines_rejects_are_deducted_from_its_graders_and_packers(
    api: Api, scenario: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rejects are the line's: each task's rule deducts them from the workers present (here a
    grader and a packer on packing-1 together).  Reading them once serves both tasks."""
    ids = scenario
    for code, output in (("grade", "trays"), ("pack2", "cases")):
        ids[code] = api.ok(
            "manager", "POST", "/api/v1/tasks", json={"code": code, "name": code, "output": output}
        )["id"]
    rule(api, ids["grade"], "2026-04-01", base_per_hour=25, per_tray=0.1, deduction_per_1000_rejects=2)
    rule(api, ids["pack2"], "2026-04-01", per_case=0.5, deduction_per_1000_rejects=4)
    shift(api, ids["C"], ids["packing-1"], ids["grade"], "2026-04-10 08:00", "2026-04-10 12:00")
    shift(api, ids["P"], ids["packing-1"], ids["pack2"], "2026-04-10 08:00", "2026-04-10 12:00")
    day = [("2026-04-10 07:32", 0), ("2026-04-10 11:32", 1)]
    counter(api, "packing-1", "eggs_graded_total", [(t, v * 3000) for t, v in day], {"grade": "m"})
    counter(
        api, "packing-1", "cases_packed_total", [("2026-04-10 07:32", 400), ("2026-04-10 11:32", 500)], {}
    )
    counter(api, "packing-1", "rejects_total", [(t, v * 300) for t, v in day], {"reason": "cracked"})
    counter(api, "packing-1", "rejects_total", [(t, v * 200) for t, v in day], {"reason": "dirty"})
    read: list[str] = []
    query = api.store.query

    def noting(q: Query) -> list[Series]:
        read.append(q.metric)
        return query(q)

    monkeypatch.setattr(api.store, "query", noting)
    run = api.ok(
        "payroll",
        "POST",
        "/api/v1/payroll/runs",
        json={"period_start": "2026-04-01", "period_end": "2026-05-01"},
    )
    lines = lines_of(api, run["id"])
    grader, packer = lines[ids["C"]], lines[ids["P"]]
    # 500 rejects on the line: 1.00 at 2 per 1,000 for the grader, 2.00 at 4 per 1,000 for the packer
    # (C is part-time: base 100 keeps their pay above the 80.00 floor a deduction may not cut into).
    assert (grader["piece_earnings"], grader["deductions"], grader["net"]) == (10.0, 1.0, 109.0)  # 100 trays
    assert (packer["piece_earnings"], packer["deductions"]) == (50.0, 2.0)  # 100 cases at 0.50
    assert read.count("rejects_total") == 1


def test_full_time_floor_of_a_two_month_run(api: Api) -> None:
    body = {"code": "H9", "village": "东关村", "township": "张家川镇", "members": 2, "registered_poor": True}
    hh = api.ok("manager", "POST", "/api/v1/households", json=body)["id"]
    w, loc, task = watcher(api, hh, base_per_hour=5)
    for month in (3, 4):  # 8 shifts of 20 h a month: 160 h each, 320 h in all
        for day in range(1, 9):
            start = f"2026-{month:02d}-{day:02d}"
            shift(api, w, loc, task, f"{start} 02:00", f"{start} 22:00")
    # March and April in one run (periods of up to 62 days are allowed): the floor is that of two
    # months, 1,910 x 320/174 = 3,512.64, the same as two monthly runs (2 x 1,756.32), not one
    # month's 1,910.
    run = api.ok(
        "payroll",
        "POST",
        "/api/v1/payroll/runs",
        json={"period_start": "2026-03-01", "period_end": "2026-05-01"},
    )
    line = lines_of(api, run["id"])[w]
    assert (line["hours"], line["base_pay"], line["topup"], line["net"]) == (320.0, 1600.0, 1912.64, 3512.64)
