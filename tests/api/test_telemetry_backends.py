"""Output attribution on the real InfluxDB, and a clear 503 (never a 5xx bug, never silent
under-payment) when the telemetry store is down."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services.users import create_user
from eggwatch.migrations import upgrade
from eggwatch.park import House, Park
from eggwatch.settings import load_settings
from eggwatch.sql import make_engine, make_sessionmaker
from eggwatch.store.base import Point, TelemetryStore
from eggwatch.store.influx import InfluxStore
from eggwatch.wire import Reading
from tests.api.conftest import PASSWORD, SECRET, local
from tests.support.servers import Influxd, free_port


def app_with(store: TelemetryStore, tmp_path: Path, site: str) -> TestClient:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        create_user(s, "boss", "admin", PASSWORD)
        create_user(s, "pay", "payroll", PASSWORD)
        s.commit()
    engine.dispose()
    park = Park(site=site, houses=(House(unit="house-01", placed=dt.date(2026, 1, 1), hens_placed=50_000),))
    settings = load_settings(data_dir=tmp_path / "var", database_url=url, secret_key_value=SECRET, site=site)
    client = TestClient(create_app(settings, store=store, park=park))
    for name in ("boss", "pay"):
        token = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD}).json()[
            "access_token"
        ]
        client.headers[f"x-{name}"] = token
    return client


def h(client: TestClient, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.headers[f'x-{name}']}"}


def setup_shift(client: TestClient) -> None:
    boss = h(client, "boss")
    hh = client.post(
        "/api/v1/households",
        headers=boss,
        json={"code": "H", "village": "v", "township": "t", "members": 2, "registered_poor": False},
    ).json()
    w = client.post(
        "/api/v1/workers",
        headers=boss,
        json={"name": "A", "national_id": "11010519491231002X", "household_id": hh["id"]},
    ).json()
    loc = client.post(
        "/api/v1/locations", headers=boss, json={"unit": "house-01", "kind": "house", "name": "h1"}
    ).json()
    task = client.post(
        "/api/v1/tasks", headers=boss, json={"code": "c", "name": "c", "output": "eggs"}
    ).json()
    r = client.post("/api/v1/shifts", headers=boss, json={"worker_id": w["id"], "location_id": loc["id"], "task_id": task["id"],
                    "start_at": local("2026-03-02 08:00").isoformat(), "end_at": local("2026-03-02 16:00").isoformat()})  # fmt: skip
    assert r.status_code == 201, r.text


@pytest.mark.integration
def test_attribution_on_influxdb(influxd: Influxd, influx_db: str, tmp_path: Path, site: str) -> None:
    store = InfluxStore(influxd.url, influx_db)
    store.ensure_ready()
    ms = lambda t: int(local(t).timestamp() * 1000)  # noqa: E731
    store.write([Point(site, "house-01", "ec-1", Reading(ms(t), "eggs_total", v, {"row": "01"}))
                 for t, v in (("2026-03-02 07:01", 100), ("2026-03-02 12:01", 2100), ("2026-03-02 15:01", 3100))])  # fmt: skip
    client = app_with(store, tmp_path, site)
    with client:
        setup_shift(client)
        r = client.get("/api/v1/production/house-01", headers=h(client, "boss"),
                       params={"start": local("2026-03-02 00:00").isoformat(), "end": local("2026-03-03 00:00").isoformat()})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["eggs"] == 3000 and r.json()["shifts"][0]["machine_count"] == 3000
    store.close()


def test_store_down_is_503(tmp_path: Path, site: str) -> None:
    store = InfluxStore(f"http://127.0.0.1:{free_port()}", "nowhere", timeout_s=0.5, retry_for_s=0.5)
    client = app_with(store, tmp_path, site)
    with client:
        setup_shift(client)
        r = client.post(
            "/api/v1/payroll/runs",
            headers=h(client, "pay"),
            json={"period_start": "2026-03-01", "period_end": "2026-04-01"},
        )
        assert r.status_code == 503 and "telemetry" in r.json()["detail"]
        assert client.get("/api/v1/payroll/runs", headers=h(client, "pay")).json()["total"] == 0
        r = client.get("/api/v1/production/house-01", headers=h(client, "boss"),
                       params={"start": local("2026-03-02 00:00").isoformat(), "end": local("2026-03-03 00:00").isoformat()})  # fmt: skip
        assert r.status_code == 503
