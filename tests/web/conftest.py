"""The web page's app: a real API (create_app) on the demo park, in-process or served by uvicorn."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eggwatch.park import Park
from eggwatch.store.embedded import EmbeddedStore
from tests.support.servers import free_port, port_open
from tests.web.park_demo import PASSWORD, demo_park, fill_store, seed_sql, sql_url


@dataclass
class WebDemo:
    app: FastAPI
    park: Park
    now: dt.datetime
    eggs_today: dict[str, float]
    alert_ids: list[int]
    db_url: str


@pytest.fixture
def web_demo(data_dir: Path) -> Iterator[WebDemo]:
    from api.app import create_app
    from eggwatch.settings import load_settings

    now = dt.datetime.now(dt.UTC)
    park = demo_park(now)
    store = EmbeddedStore(data_dir / "telemetry.sqlite")
    eggs = fill_store(store, park, now)
    url = sql_url(data_dir)
    ids = seed_sql(url, now)
    app = create_app(load_settings(database_url=url), store=store, park=park)
    yield WebDemo(app, park, now, eggs, ids, url)
    store.close()


@pytest.fixture
def served(web_demo: WebDemo) -> Iterator[str]:
    """The demo app behind a real HTTP server (uvicorn) on a free port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web_demo.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not port_open("127.0.0.1", port, 0.2):
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def web_login(client: TestClient, username: str) -> str:
    """Log in as the page script does: the API's token, then the page's session cookie from it."""
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    r = client.post("/web/session", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204, r.text
    return token
