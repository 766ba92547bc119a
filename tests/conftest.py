"""Shared fixtures: real servers, unique names so parallel runs never collide, temp data dirs."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import MOSQUITTO, Influxd, port_open, throwaway_database


@pytest.fixture(scope="session")
def influxd() -> Iterator[Influxd]:
    """A throwaway InfluxDB 1.x for the whole session (stop/start it to simulate an outage)."""
    server = Influxd.create()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def influx_db(influxd: Influxd) -> Iterator[str]:
    """A fresh database name on the session's influxd (dropped afterwards)."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    yield name
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{influxd.url}/query", data={"q": f'DROP DATABASE "{name}"'}, timeout=10)


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    """The machine's Mosquitto; the test fails (never skips) when it is not running."""
    url = os.environ.get("EGGWATCH_TEST_MQTT_URL", f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}")
    if not port_open(*MOSQUITTO):
        pytest.fail(
            f"Mosquitto is not running at {url} (start it: mosquitto -d -c /etc/mosquitto/mosquitto.conf)"
        )
    return url


@pytest.fixture
def site() -> str:
    """A site id unique to this test, so topics never collide with other tests on the broker."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database (created and dropped around the test)."""
    if not port_open("127.0.0.1", 5432):
        pytest.fail("PostgreSQL is not running on 127.0.0.1:5432")
    with throwaway_database("eggwatch_t") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, a SQLite file or one on the real PostgreSQL (migration tests start here)."""
    return (
        f"sqlite:///{tmp_path / 'workforce.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """EGGWATCH_DATA_DIR pointed at a temp dir, other EGGWATCH_* variables cleared."""
    for key in list(os.environ):
        if key.startswith("EGGWATCH_") and not key.startswith("EGGWATCH_TEST_"):
            monkeypatch.delenv(key)
    d = tmp_path / "var"
    d.mkdir()
    monkeypatch.setenv("EGGWATCH_DATA_DIR", str(d))
    return d


def pytest_configure(config: pytest.Config) -> None:
    # The tests set the EGGWATCH_* variables they need; what the machine's environment holds (other
    # than the tests' own EGGWATCH_TEST_*) must change neither a default nor a one-line error.
    for key in [k for k in os.environ if k.startswith("EGGWATCH_") and not k.startswith("EGGWATCH_TEST_")]:
        del os.environ[key]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A run that executed no test is a failure, not a success (pytest's exit code 5).
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
