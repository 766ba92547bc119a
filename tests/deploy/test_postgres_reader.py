"""The compose stack's read-only PostgreSQL role for Grafana (deploy/postgres/10-grafana-reader.sh),
set up by the real script on the real server, then the migrations run as the owner."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from eggwatch.migrations import upgrade

SCRIPT = Path(__file__).parents[2] / "deploy" / "postgres" / "10-grafana-reader.sh"

pytestmark = pytest.mark.integration


def test_the_grafana_reader_reads_the_dashboards_tables_but_no_password_hash(pg_url: str) -> None:
    url = sa.engine.make_url(pg_url)
    reader = f"grafana_t_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_DB": url.database or "",
        "POSTGRES_GRAFANA_USER": reader,
        "POSTGRES_GRAFANA_PASSWORD": "reader-secret-0123456789",
    }
    owner = sa.create_engine(pg_url)
    try:
        # As docker-entrypoint-initdb.d runs it: on the new, empty database, before any migration.
        subprocess.run(["sh", str(SCRIPT)], env=env, check=True, capture_output=True, timeout=60)
        upgrade(pg_url)
        as_reader = sa.create_engine(url.set(username=reader, password=None))
        try:
            with as_reader.connect() as conn:
                for table in ("alert", "workers", "households", "payroll_lines", "shifts"):
                    conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for private in ("users", "login_attempts", "audit_log"):
                with as_reader.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission"):
                    conn.execute(sa.text(f"SELECT * FROM {private}"))
        finally:
            as_reader.dispose()
    finally:
        with owner.connect() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{reader}"'))
            conn.commit()
        owner.dispose()
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{reader}"'))
        admin.dispose()
