"""Fixtures for the workforce API: a migrated database (SQLite or the real PostgreSQL), the app with
the embedded telemetry store, and a logged-in client per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.services.users import create_user
from eggwatch.migrations import upgrade
from eggwatch.park import House, Line, Park
from eggwatch.settings import load_settings
from eggwatch.sql import make_engine, make_sessionmaker
from eggwatch.store.embedded import EmbeddedStore

ROLES = ("admin", "manager", "supervisor", "payroll", "poverty_office")
PASSWORD = "correct horse battery"
TZ = ZoneInfo("Asia/Shanghai")
SECRET = "k3y-for-tests-" + "x" * 30


def local(s: str) -> dt.datetime:
    """'2026-03-02 08:00' in the park's time zone, as an aware datetime."""
    return dt.datetime.fromisoformat(s).replace(tzinfo=TZ)


@pytest.fixture
def db_url(blank_db_url: str) -> str:
    """``blank_db_url`` (tests/conftest.py) migrated to the newest revision."""
    upgrade(blank_db_url)
    return blank_db_url


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    store: EmbeddedStore
    park: Park
    db_url: str
    app: FastAPI

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, role: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.as_(role), **kw)  # type: ignore[arg-type]

    def post(self, role: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers=self.as_(role), **kw)  # type: ignore[arg-type]

    def ok(self, role: str, method: str, path: str, **kw: object) -> dict:  # type: ignore[type-arg]
        r = self.client.request(method, path, headers=self.as_(role), **kw)  # type: ignore[arg-type]
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json() if r.content else {}


def make_api(
    db_url: str, tmp_path: Path, site: str, supervisor_units: tuple[str, ...] = ("house-01",)
) -> Api:
    settings = load_settings(
        data_dir=tmp_path / "var", database_url=db_url, secret_key_value=SECRET, site=site
    )
    park = Park(
        site=site,
        houses=(House(unit="house-01", placed=dt.date(2026, 1, 1), hens_placed=50_000),
                House(unit="house-02", placed=dt.date(2026, 1, 1), hens_placed=50_000)),
        lines=(Line(unit="packing-1"),),
    )  # fmt: skip
    store = EmbeddedStore(tmp_path / "telemetry.db")
    store.ensure_ready()
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        for role in ROLES:
            units = supervisor_units if role == "supervisor" else ()
            create_user(session, role, role, PASSWORD, units=units)
        session.commit()
    engine.dispose()
    app = create_app(settings, store=store, park=park)
    client = TestClient(app)
    tokens = {}
    for role in ROLES:
        r = client.post("/api/v1/auth/token", data={"username": role, "password": PASSWORD})
        assert r.status_code == 200, r.text
        tokens[role] = r.json()["access_token"]
    return Api(client, tokens, store, park, db_url, app)


@pytest.fixture
def api(db_url: str, tmp_path: Path, site: str) -> Iterator[Api]:
    a = make_api(db_url, tmp_path, site)
    with a.client:
        yield a
    a.store.close()
