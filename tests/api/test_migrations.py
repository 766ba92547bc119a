"""``eggwatch db upgrade`` from empty on SQLite and the real PostgreSQL, then ``users create``;
and the migrated schema matches the models (no pending autogenerate diff)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import analytics.alerts.models  # noqa: F401
import api.models  # noqa: F401
from eggwatch.migrations import current, downgrade, upgrade
from eggwatch.sql import Base, make_engine

EGGWATCH = [sys.executable, "-m", "eggwatch.cli"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EGGWATCH, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def test_db_upgrade_from_empty(backend: str, data_dir: Path, request: pytest.FixtureRequest) -> None:
    url = (
        f"sqlite:///{data_dir / 'nested' / 'w.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    env = {**os.environ, "EGGWATCH_DATABASE_URL": url}
    first = run(["db", "upgrade"], env)
    assert first.returncode == 0, first.stderr
    assert "database at revision 000" in first.stdout
    again = run(["db", "upgrade"], env)  # idempotent
    assert again.returncode == 0, again.stderr
    made = run(["users", "create", "--username", "ops", "--role", "supervisor", "--password", "a-long-password",
                "--unit", "house-01"], env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    dup = run(
        ["users", "create", "--username", "ops", "--role", "admin", "--password", "a-long-password"], env
    )
    assert dup.returncode != 0 and "already exists" in dup.stderr
    weak = run(["users", "create", "--username", "x", "--role", "admin", "--password", "short"], env)
    assert weak.returncode != 0 and "at least" in weak.stderr

    tables, diff = schema(url)
    assert set(Base.metadata.tables) <= tables
    assert diff == []  # every table the models declare, the alerts' too
    # And back down to empty and up again (the downgrade path works too), still without drift.
    downgrade(url, "base")
    assert current(url) is None
    upgrade(url)
    assert current(url) is not None
    assert schema(url)[1] == []


def schema(url: str) -> tuple[set[str], list[object]]:
    """The tables, and what autogenerate would change to match the models (types included)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return set(sa.inspect(conn).get_table_names()), compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_bad_database_url_is_one_line(data_dir: Path) -> None:
    env = {**os.environ, "EGGWATCH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    r = run(["db", "upgrade"], env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "db upgrade failed" in r.stderr


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("EGGWATCH_MIN_WAGE_TIER", "V", "EGGWATCH_MIN_WAGE_TIER"),
        ("EGGWATCH_SECRET_KEY", "changeme", "too weak"),
        # Amounts the fen columns cannot hold (POST /payroll/runs was a 500 on PostgreSQL).
        ("EGGWATCH_MIN_WAGE_MONTHLY", "1e17", "EGGWATCH_MIN_WAGE_MONTHLY"),
        ("EGGWATCH_MIN_WAGE_HOURLY", "1e400", "EGGWATCH_MIN_WAGE_HOURLY"),
        ("EGGWATCH_POVERTY_LINE_YEARLY", "1e30", "EGGWATCH_POVERTY_LINE_YEARLY"),
    ],
)
def test_api_refuses_bad_configuration(data_dir: Path, var: str, value: str, message: str) -> None:
    r = run(["api", "--port", "1"], {**os.environ, var: value})
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1


def test_api_no_migrate_refuses_a_database_not_at_head(data_dir: Path) -> None:
    # It started and answered every login with a 500 (no such table: users).
    env = {**os.environ, "EGGWATCH_DATABASE_URL": f"sqlite:///{data_dir / 'blank.db'}"}
    r = run(["api", "--port", "1", "--no-migrate"], env)
    (error,) = [line for line in r.stderr.splitlines() if line.startswith("eggwatch: error: ")]
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "no revision" in error and "eggwatch db upgrade" in error
    url = f"sqlite:///{data_dir / 'old.db'}"
    upgrade(url, "0001_workforce")
    r = run(["api", "--port", "1", "--no-migrate"], {**os.environ, "EGGWATCH_DATABASE_URL": url})
    (error,) = [line for line in r.stderr.splitlines() if line.startswith("eggwatch: error: ")]
    assert r.returncode == 2 and "at 0001_workforce" in error


def test_eggwatch_api_serves(data_dir: Path) -> None:
    import time

    import httpx

    from tests.support.servers import free_port

    env = {**os.environ, "EGGWATCH_DATABASE_URL": f"sqlite:///{data_dir / 'w.db'}"}
    assert run(["db", "upgrade"], env).returncode == 0
    assert (
        run(
            ["users", "create", "--username", "boss", "--role", "admin", "--password", "a-long-password"], env
        ).returncode
        == 0
    )
    port = free_port()
    server = subprocess.Popen([*EGGWATCH, "api", "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "eggwatch api did not come up"
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "boss", "password": "a-long-password"}
        ).json()
        assert token["token_type"] == "bearer"
        me = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert me.json()["role"] == "admin"
        assert httpx.get(f"{base}/openapi.json").json()["paths"]["/api/v1/workers"]
    finally:
        server.terminate()
        server.wait(10)


def test_migrations_installed_under_a_path_with_a_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package installed under "Program Files"-like paths: Alembic's legacy splitting of
    ``version_locations`` on spaces would cut the path in two and find no revisions."""
    import eggwatch.migrations as migrations

    moved = tmp_path / "with space" / "migrations"
    shutil.copytree(Path(migrations.__file__).parent, moved, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "HERE", moved)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    assert current(url) is not None


def test_api_refuses_a_port_out_of_range(data_dir: Path) -> None:
    r = run(["api", "--port", "99999"], dict(os.environ))
    assert r.returncode == 2 and "--port" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("migrate", ["--migrate", "--no-migrate"])
def test_api_refuses_a_database_from_a_newer_eggwatch_in_one_line(data_dir: Path, migrate: str) -> None:
    # A revision this eggwatch does not know (a newer version migrated the database): `eggwatch
    # api` printed alembic's traceback; --no-migrate said to run `eggwatch db upgrade`, which fails.
    url = f"sqlite:///{data_dir / 'newer.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    r = run(["api", "--port", "1", migrate], {**os.environ, "EGGWATCH_DATABASE_URL": url})
    (error,) = [line for line in r.stderr.splitlines() if line.startswith("eggwatch: error: ")]
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert "0099_future" in error and "newer" in error and "db upgrade" not in error
