"""The alert API with the workforce login and roles, on a migrated database (both Alembic
revisions applied: SQLite and the real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from analytics.alerts.config import AlertsConfig
from analytics.alerts.lifecycle import AlertBook, Policy, routes_from_config
from analytics.alerts.models import OutboxMessage
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


def test_roles(alerts_api: tuple[Api, dict[str, int]]) -> None:
    api, ids = alerts_api
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
    assert api.post("supervisor", f"/api/v1/alerts/{one}/acknowledge").status_code == 200


def test_list_filters_and_pages(alerts_api: tuple[Api, dict[str, int]]) -> None:
    api, _ids = alerts_api
    q = lambda **p: api.ok("manager", "GET", "/api/v1/alerts", params=p)  # noqa: E731
    assert q(kind="sensor_fault")["items"][0]["row"] == "03"
    assert q(unit="house-02")["total"] == 1
    assert q(status="acknowledged")["total"] == 0
    assert q(since="2026-05-01T10:00:00+00:00")["total"] == 0
    assert q(since="2026-05-01T09:00:00Z")["total"] == 3
    page = q(limit=2, offset=2)
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (3, 1, 2, 2)
    item = q(unit="house-02")["items"][0]
    assert {"id", "site", "house", "kind", "detected_at", "onset", "magnitude_pct", "row", "message",
            "message_zh", "evidence", "status"} <= set(item)  # fmt: skip
    for bad in ({"status": "nope"}, {"limit": 0}, {"since": "2026-05-01T09:00:00"}, {"unit": "House 1"}):
        r = api.get("manager", "/api/v1/alerts", params=bad)
        assert r.status_code == 422 and "detail" in r.json(), bad


def test_acknowledge_resolve_and_history(alerts_api: tuple[Api, dict[str, int]]) -> None:
    api, ids = alerts_api
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
    assert events == ["opened", "acknowledged", "resolved"]


def test_migrations_down_and_up(alerts_api: tuple[Api, dict[str, int]]) -> None:
    from sqlalchemy import inspect

    from eggwatch.migrations import current, downgrade

    api, _ids = alerts_api
    assert current(api.db_url) == "0002_alerts"
    api.client.close()
    downgrade(api.db_url, "0001_workforce")
    engine = make_engine(api.db_url)
    assert not inspect(engine).has_table("alert")
    engine.dispose()
    upgrade(api.db_url)
    engine = make_engine(api.db_url)
    assert inspect(engine).has_table("alert_outbox")
    engine.dispose()
