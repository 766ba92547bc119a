"""The alert API with the workforce login and roles, on a migrated database (both Alembic
revisions applied: SQLite and the real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from analytics.alerts.config import AlertsConfig, Person
from analytics.alerts.lifecycle import AlertBook, Policy, routes_from_config
from analytics.alerts.models import OutboxMessage
from analytics.alerts.routing import Router, WorkforceRoster
from eggwatch.migrations import upgrade
from eggwatch.sql import make_engine, make_sessionmaker
from tests.analytics.alerts.conftest import T0, finding
from tests.api.conftest import Api, make_api

H = dt.timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def alerts_api(
    request: pytest.FixtureRequest, tmp_path: Path, site: str
) -> Iterator[tuple[Api, dict[str, int]]]:
    url = (
        f"sqlite:///{tmp_path / 'eggwatch.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade(url)
    api = make_api(url, tmp_path, site, supervisor_units=("house-01",))
    engine = make_engine(url)
    ids: dict[str, int] = {}
    with make_sessionmaker(engine)() as s:
        book = AlertBook(s, site, Policy(), routes_from_config(AlertsConfig()))
        found = [
            finding("house-01"),
            finding("house-02"),
            finding("house-01", "sensor_fault", row="03", hours=1),
        ]
        for a in book.apply_pass(found, T0 + H, T0 + H).opened:
            ids[f"{a.unit}/{a.kind}"] = a.id
        s.commit()
    engine.dispose()
    with api.client:
        yield api, ids
    api.store.close()


def test_alert_api(alerts_api: tuple[Api, dict[str, int]]) -> None:
    """One app per database (logins are slow by design: argon2), three sets of checks."""
    check_roles(*alerts_api)
    check_filters_and_pages(*alerts_api)
    check_acknowledge_resolve_and_history(*alerts_api)
    check_routing_by_the_shift_roster(alerts_api[0])


def check_roles(api: Api, ids: dict[str, int]) -> None:
    one = ids["house-01/laying_drop"]
    for role in ("payroll", "poverty_office"):
        for r in (api.get(role, "/api/v1/alerts"), api.get(role, f"/api/v1/alerts/{one}"),
                  api.post(role, f"/api/v1/alerts/{one}/acknowledge")):  # fmt: skip
            assert r.status_code == 403 and "detail" in r.json()
    assert api.client.get("/api/v1/alerts").status_code == 401
    for role in ("admin", "manager"):
        assert api.ok(role, "GET", "/api/v1/alerts")["total"] == 3
    # A supervisor sees and acts on the alerts of their own units only.
    mine = api.ok("supervisor", "GET", "/api/v1/alerts")
    assert mine["total"] == 2 and {a["unit"] for a in mine["items"]} == {"house-01"}
    other = ids["house-02/laying_drop"]
    assert api.get("supervisor", f"/api/v1/alerts/{other}").status_code == 404
    assert api.post("supervisor", f"/api/v1/alerts/{other}/acknowledge").status_code == 404
    fault = ids["house-01/sensor_fault"]
    assert api.post("supervisor", f"/api/v1/alerts/{fault}/acknowledge").status_code == 200


def check_filters_and_pages(api: Api, ids: dict[str, int]) -> None:
    q = lambda **p: api.ok("manager", "GET", "/api/v1/alerts", params=p)  # noqa: E731
    assert q(kind="sensor_fault")["items"][0]["row"] == "03"
    assert q(unit="house-02")["total"] == 1
    assert q(status="acknowledged")["items"][0]["id"] == ids["house-01/sensor_fault"]
    assert q(since="2026-05-01T10:00:00+00:00")["total"] == 0
    assert q(since="2026-05-01T09:00:00Z")["total"] == 3
    page = q(limit=2, offset=2)
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (3, 1, 2, 2)
    item = q(unit="house-02")["items"][0]
    assert {"id", "site", "house", "kind", "detected_at", "onset", "magnitude_pct", "row", "message",
            "message_zh", "evidence", "status"} <= set(item)  # fmt: skip
    for bad in (
        {"status": "nope"},
        {"limit": 0},
        {"since": "2026-05-01T09:00:00"},
        {"since": "0001-01-01T00:00:00+05:00"},
        {"unit": "House 1"},
    ):
        r = api.get("manager", "/api/v1/alerts", params=bad)
        assert r.status_code == 422 and "detail" in r.json(), bad


def check_acknowledge_resolve_and_history(api: Api, ids: dict[str, int]) -> None:
    one = ids["house-01/laying_drop"]
    a = api.ok("supervisor", "POST", f"/api/v1/alerts/{one}/acknowledge", json={"note": "鸡舍检查中"})
    assert a["status"] == "acknowledged" and a["acknowledged_by"] == "supervisor"
    r = api.post("manager", f"/api/v1/alerts/{one}/acknowledge")
    assert r.status_code == 409 and "acknowledged" in r.json()["detail"]
    a = api.ok("manager", "POST", f"/api/v1/alerts/{one}/resolve")
    assert (a["status"], a["resolved_by"], a["resolution"]) == ("resolved", "manager", "manual")
    assert api.post("manager", f"/api/v1/alerts/{one}/resolve").status_code == 409
    got = api.ok("admin", "GET", f"/api/v1/alerts/{one}")
    assert [(e["action"], e["actor"]) for e in got["events"]] == [
        ("opened", None),
        ("acknowledged", "supervisor"),
        ("resolved", "manager"),
    ]
    assert got["events"][1]["detail"] == {"note": "鸡舍检查中"}
    assert api.get("admin", "/api/v1/alerts/999999").status_code == 404
    # The changes go out on the retained MQTT topic through the outbox.
    engine = make_engine(api.db_url)
    with make_sessionmaker(engine)() as s:
        events = s.scalars(
            select(OutboxMessage.event).where(OutboxMessage.alert_id == one).order_by(OutboxMessage.id)
        ).all()
    engine.dispose()
    # republished: the house's sensor fault was acknowledged while this one was still open, so the
    # retained topic got this (more urgent) alert again after it
    assert events == ["opened", "republished", "acknowledged", "resolved"]


def check_routing_by_the_shift_roster(api: Api) -> None:
    """The supervisor with a shift covering the moment, linked to the house, is the one told."""
    from api.national_id import check_char
    from api.services.users import create_user

    hh = api.ok("manager", "POST", "/api/v1/households",
                json={"code": "H9", "village": "东关村", "township": "张家川镇", "members": 3, "registered_poor": True})  # fmt: skip
    nid = "62052519900101123"
    worker = api.ok("manager", "POST", "/api/v1/workers",
                    json={"name": "李主管", "national_id": nid + check_char(nid), "household_id": hh["id"]})  # fmt: skip
    loc = api.ok(
        "manager", "POST", "/api/v1/locations", json={"unit": "house-01", "kind": "house", "name": "house-01"}
    )
    task = api.ok(
        "manager", "POST", "/api/v1/tasks", json={"code": "supervision", "name": "s", "output": "none"}
    )
    api.ok("manager", "POST", "/api/v1/shifts", json={
        "worker_id": worker["id"], "location_id": loc["id"], "task_id": task["id"],
        "start_at": "2026-05-01T00:00:00Z", "end_at": "2026-05-01T08:00:00Z"})  # fmt: skip
    engine = make_engine(api.db_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as s:
            create_user(s, "li", "supervisor", "long enough password", display_name="李主管", phone="138-0013-8000",
                        email="li@park.example", worker_id=worker["id"], units=["house-01"])  # fmt: skip
            s.commit()
        roster = WorkforceRoster(sessions)
        router = Router(roster, [Person(name="duty")], [Person(name="场长")])
        on = router.for_unit("house-01", dt.datetime(2026, 5, 1, 7, 59, tzinfo=dt.UTC))
        assert on == [Person(name="李主管", email="li@park.example", phone="13800138000")]
        assert router.for_unit("house-01", dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)) == [
            Person(name="duty")
        ]
        assert router.for_unit("house-02", dt.datetime(2026, 5, 1, 7, 0, tzinfo=dt.UTC)) == [
            Person(name="duty")
        ]
        assert [p.name for p in router.escalation()] == ["场长", "manager"]
    finally:
        engine.dispose()


def test_migrations_down_and_up(blank_db_url: str) -> None:
    from sqlalchemy import inspect

    from eggwatch.migrations import current, downgrade

    url = blank_db_url
    upgrade(url)
    head = current(url)
    assert head is not None and head >= "0002_alerts"  # the alert tables' revision, or one after it
    downgrade(url, "0001_workforce")
    engine = make_engine(url)
    assert not inspect(engine).has_table("alert") and inspect(engine).has_table("users")
    engine.dispose()
    upgrade(url)
    assert current(url) == head
    engine = make_engine(url)
    try:
        assert {"alert", "alert_event", "alert_outbox"} <= set(inspect(engine).get_table_names())
        # The migrated schema is the models' schema: the lifecycle runs on it.
        with make_sessionmaker(engine)() as s:
            AlertBook(s, "jinji", Policy(), []).apply_pass([finding()], T0, T0)
            s.commit()
    finally:
        engine.dispose()
