"""What approval and dividends record so later changes never move past figures: the machine counts
in a payroll draft's inputs hash, the household on each dividend.  SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from api.national_id import check_char
from eggwatch.migrations import upgrade
from eggwatch.sql import make_engine
from tests.api.conftest import Api
from tests.api.test_payroll import counter, lines_of, scenario, shift, watcher
from tests.api.test_payroll_guards import make_run

__all__ = ["scenario"]  # the fixture, shared with test_payroll

EGGS_TAGS = {"row": "01", "tier": "1"}


# 1. The inputs hash covers the machine counts the run used.


def approve(api: Api, rid: int) -> tuple[int, str]:
    r = api.post("payroll", f"/api/v1/payroll/runs/{rid}/approve")
    return r.status_code, r.json().get("detail", r.json().get("status"))


def test_approve_refuses_a_draft_whose_machine_counts_changed(api: Api, scenario: dict[str, int]) -> None:
    rid = make_run(api, "2026-03-01", "2026-04-01")["id"]
    before = lines_of(api, rid)[scenario["A"]]["eggs"]
    # A late back-filled reading moves 300 eggs of 15:02-17:02 before the shifts' 16:00 end.
    counter(api, "house-01", "eggs_total", [("2026-03-02 15:32", 10300)], EGGS_TAGS)
    code, detail = approve(api, rid)
    assert code == 409 and "machine counts" in detail and "recompute first" in detail
    api.ok("payroll", "POST", f"/api/v1/payroll/runs/{rid}/recompute")
    assert lines_of(api, rid)[scenario["A"]]["eggs"] > before
    assert approve(api, rid) == (200, "approved")


def test_a_back_fill_that_moves_no_pay_needs_no_recompute(api: Api, scenario: dict[str, int]) -> None:
    rid = make_run(api, "2026-03-01", "2026-04-01")["id"]
    # Inside A's hours alone (08-12): A's share stays 4,000 + 3,000 and B's 3,000.
    counter(api, "house-01", "eggs_total", [("2026-03-02 09:02", 1000)], EGGS_TAGS)
    assert approve(api, rid) == (200, "approved")


def test_only_the_terms_of_workers_of_the_period_need_a_recompute(api: Api, scenario: dict[str, int]) -> None:
    # In May only B works.
    shift(api, scenario["B"], scenario["house-01"], scenario["watch"], "2026-05-04 08:00", "2026-05-04 16:00")
    rid = make_run(api, "2026-05-01", "2026-06-01")["id"]
    # A hire and a term change of a worker without May shifts move no May pay (were 409 "recompute first").
    nid = "62052519950505123"
    body = {"name": "N", "national_id": nid + check_char(nid), "household_id": 1}
    api.ok("manager", "POST", "/api/v1/workers", json=body)
    api.ok("manager", "PATCH", f"/api/v1/workers/{scenario['C']}", json={"full_time": True})
    # A term change of a worker with May shifts does.
    api.ok("manager", "PATCH", f"/api/v1/workers/{scenario['B']}", json={"full_time": False})
    code, detail = approve(api, rid)
    assert code == 409 and "recompute first" in detail
    api.ok("manager", "PATCH", f"/api/v1/workers/{scenario['B']}", json={"full_time": True})
    assert approve(api, rid) == (200, "approved")


def test_approve_without_a_telemetry_store_is_503(api: Api, scenario: dict[str, int]) -> None:
    rid = make_run(api, "2026-03-01", "2026-04-01")["id"]
    api.app.state.telemetry = lambda: None
    code, detail = approve(api, rid)
    assert code == 503 and "machine counts" in detail
    assert api.ok("payroll", "GET", f"/api/v1/payroll/runs/{rid}")["status"] == "draft"
    doc = api.client.get("/openapi.json").json()
    assert "503" in doc["paths"]["/api/v1/payroll/runs/{run_id}/approve"]["post"]["responses"]


# 2. Dividends record the household as it was when they were made.


def pay_dividend(api: Api, household: int, paid_on: str, basis: str, amount: str) -> None:
    body = {"paid_on": paid_on, "source": "cooperative", "basis": basis, "amount": amount}
    api.ok("payroll", "POST", "/api/v1/dividends", json=body | {"household_ids": [household]})


def report(api: Api, month: int, by: str) -> dict:  # type: ignore[type-arg]
    params = {"year": 2026, "month": month, "by": by}
    return api.ok("poverty_office", "GET", "/api/v1/reports/employment", params=params)


def test_dividend_figures_do_not_follow_later_household_edits(api: Api, scenario: dict[str, int]) -> None:
    h1 = api.ok("manager", "GET", "/api/v1/households")["items"][0]["id"]
    h2 = api.ok("manager", "POST", "/api/v1/households",
                json={"code": "H2", "village": "西关村", "township": "张家川镇", "members": 2, "registered_poor": False})["id"]  # fmt: skip
    pay_dividend(api, h1, "2026-04-10", "per_person", "10")
    pay_dividend(api, h2, "2026-04-10", "per_household", "100")

    def figures() -> list[dict]:  # type: ignore[type-arg]
        reports = [report(api, 4, by) for by in ("household", "village", "township")]
        incomes = [
            api.ok("poverty_office", "GET", f"/api/v1/households/{h}/income", params={"year": 2026})
            for h in (h1, h2)
        ]
        return [*reports, *incomes]

    before = figures()
    rows = {r["household"]: r for r in before[0]["rows"] if r["month"] != "total"}
    assert rows["H1"]["dividends"] == 40.0 and rows["H1"]["village"] == "东关村"
    assert before[3]["months"][3]["per_capita"] == 10.0 and before[3]["members"] == 4

    # Later: H1 shrinks, moves and leaves the register; H2 grows and joins it.
    api.ok("manager", "PATCH", f"/api/v1/households/{h1}",
           json={"members": 1, "village": "龙山村", "township": "龙山镇", "registered_poor": False})  # fmt: skip
    api.ok("manager", "PATCH", f"/api/v1/households/{h2}", json={"members": 6, "registered_poor": True})
    assert figures() == before

    # A dividend made after the edit records the household as it is then.
    pay_dividend(api, h1, "2026-05-10", "per_person", "10")
    (row,) = [r for r in report(api, 5, "household")["rows"] if r["month"] != "total"]
    assert (row["village"], row["township"], row["dividends"]) == ("龙山村", "龙山镇", 10.0)


def test_migration_records_households_on_dividends_made_before(blank_db_url: str) -> None:
    url = blank_db_url
    upgrade(url, "0003_payroll_guards")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO households (id, code, village, township, members, registered_poor, created_at) "
                "VALUES (1, 'H1', 'V', 'T', 3, true, '2026-05-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO dividends (household_id, paid_on, source, basis, amount_fen) "
                "VALUES (1, '2026-04-10', 'park', 'per_person', 3000)"
            )
        )
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT household_code, household_village, household_township, household_members, "
                "household_registered_poor FROM dividends"
            )
        ).all()
        nullable = {c["name"]: c["nullable"] for c in sa.inspect(conn).get_columns("dividends")}
    engine.dispose()
    assert [tuple(r) for r in rows] == [("H1", "V", "T", 3, True)]
    assert not any(nullable[c] for c in nullable if c.startswith("household_"))


# 3. A worker who moved household is one person in the report.


def test_a_worker_who_moved_household_is_counted_once(api: Api) -> None:
    def household(code: str, poor: bool) -> int:
        body = {
            "code": code,
            "village": "东关村",
            "township": "张家川镇",
            "members": 2,
            "registered_poor": poor,
        }
        return int(api.ok("manager", "POST", "/api/v1/households", json=body)["id"])

    h1, h2 = household("M1", True), household("M2", False)
    w, loc, task = watcher(api, h1, base_per_hour=30)
    shift(api, w, loc, task, "2026-03-02 08:00", "2026-03-02 16:00")
    shift(api, w, loc, task, "2026-03-20 08:00", "2026-03-20 16:00")
    # Two half-month runs; the worker moves to M2 between them: 240 CNY in each household.
    assert approve(api, make_run(api, "2026-03-01", "2026-03-16")["id"]) == (200, "approved")
    api.ok("manager", "PATCH", f"/api/v1/workers/{w}", json={"household_id": h2})
    assert approve(api, make_run(api, "2026-03-16", "2026-04-01")["id"]) == (200, "approved")

    per_household = report(api, 3, "household")["rows"]
    assert [(r["household"], r["workers"], r["poor_workers"], r["wages"]) for r in per_household[:-1]] == [
        ("M1", 1, 1, 240.0),
        ("M2", 1, 0, 240.0),
    ]
    for by in ("village", "township"):
        march, total = report(api, 3, by)["rows"]
        # One person earning 480 CNY in March (was: 2 workers averaging 240).
        assert (march["workers"], march["poor_workers"], march["avg_monthly_wage"]) == (1, 1, 480.0)
        assert (total["workers"], total["poor_workers"], total["avg_monthly_wage"]) == (1, 1, 480.0)
        assert (total["person_days"], total["wages"], total["households"]) == (2, 480.0, 2)
