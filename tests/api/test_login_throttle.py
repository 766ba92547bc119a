"""The failed-login limit is one count in the SQL database, shared by every API process: two apps
on one database (as two uvicorn workers) allow ``limit`` failures together, not each; and a real
``eggwatch api --workers 2`` on PostgreSQL does too.  Old rows are swept."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Keys
from api.services.login_throttle import LoginThrottle
from eggwatch.settings import load_settings
from eggwatch.sql import make_engine
from tests.api.conftest import SECRET, Api

WRONG = {"username": "payroll", "password": "wrong-password"}


@pytest.fixture
def second_client(api: Api, tmp_path: Path, site: str) -> Iterator[TestClient]:
    """Another app on the same database: what a second worker process is (its own throttle object)."""
    settings = load_settings(
        data_dir=tmp_path / "var2", database_url=api.db_url, secret_key_value=SECRET, site=site
    )
    with TestClient(create_app(settings, store=api.store, park=api.park)) as client:
        yield client


def test_two_processes_share_the_limit(api: Api, second_client: TestClient) -> None:
    clients = [api.client, second_client]

    def attempt(i: int) -> int:
        return clients[i % 2].post("/api/v1/auth/token", data=WRONG).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(attempt, range(40)))
    assert codes.count(401) == 10 and codes.count(429) == 30, codes
    # Blocked on both, even with the right password.
    right = {"username": "payroll", "password": "correct horse battery"}
    assert [c.post("/api/v1/auth/token", data=right).status_code for c in clients] == [429, 429]


def test_old_attempts_leave_the_window_and_are_swept(db_url: str) -> None:
    clock = [dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)]
    engine = make_engine(db_url)
    t = LoginThrottle(engine, 3, Keys.from_secret(SECRET.encode()).throttle, clock=lambda: clock[0])
    try:
        for i in range(50):
            assert t.reserve("ip:1.2.3.4" if i < 2 else f"ip:10.0.0.{i}", f"user:u{i}") is not None
        assert t.keys_held() == 99  # 50 names, 49 addresses
        clock[0] += dt.timedelta(seconds=61)  # all idle for a window: the next attempt sweeps them
        assert t.reserve("ip:9.9.9.9", "user:someone") is not None
        assert t.keys_held() == 2
        # Three attempts per key, then blocked; a released attempt is given back.
        for _ in range(2):
            assert t.reserve("ip:9.9.9.9", "user:x") is not None
        assert t.reserve("ip:9.9.9.9") is None  # 3 on this address
        assert t.reserve("ip:8.8.8.8", "user:someone") is not None
        reservation = t.reserve("ip:8.8.8.8", "user:someone")
        assert reservation is not None  # 3 on this name
        assert t.reserve("ip:7.7.7.7", "user:someone") is None
        t.release(reservation)
        assert t.reserve("ip:7.7.7.7", "user:someone") is not None
        # A refused attempt adds no row; one second after the window they count no more.
        assert t.attempts("ip:9.9.9.9") == 3
        clock[0] += dt.timedelta(seconds=60)
        assert t.attempts("ip:9.9.9.9") == 0 and t.reserve("ip:9.9.9.9") is not None
    finally:
        engine.dispose()


def test_keys_are_not_stored_in_plain_text(api: Api) -> None:
    import sqlalchemy as sa

    api.client.post("/api/v1/auth/token", data={"username": "My-Password-1", "password": "x" * 10})
    engine = make_engine(api.db_url)
    with engine.connect() as conn:
        keys = list(conn.scalars(sa.text("SELECT key FROM login_attempts")))
    engine.dispose()
    assert keys and all(len(k) == 64 and "password" not in k.lower() for k in keys)


@pytest.mark.integration
def test_eggwatch_api_with_two_workers_allows_the_limit_once(pg_url: str, data_dir: Path) -> None:
    """The defect itself: with the counts in memory, each uvicorn worker allowed its own 10."""
    from tests.support.servers import free_port

    env = {**os.environ, "EGGWATCH_DATABASE_URL": pg_url, "EGGWATCH_SECRET_KEY": SECRET}
    cli = [sys.executable, "-m", "eggwatch.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*cli, "api", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base)
        # A new connection per attempt: the kernel hands them to either worker.
        codes = [httpx.post(f"{base}/api/v1/auth/token", data=WRONG).status_code for _ in range(30)]
    finally:
        server.terminate()
        server.wait(15)
    assert codes.count(401) == 10 and codes[10:] == [429] * 20, codes


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                time.sleep(1)  # the other worker too
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "eggwatch api did not come up"
        time.sleep(0.2)
