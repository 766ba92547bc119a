"""Alembic environment: runs migrations online against the configured URL."""

from __future__ import annotations

import contextlib

from alembic import context
from sqlalchemy import Connection

import api.models  # noqa: F401 — registers the workforce tables on Base.metadata
from eggwatch.sql import Base, make_engine

with contextlib.suppress(ModuleNotFoundError):  # the alerts tables, once that component exists
    import analytics.alerts.models  # noqa: F401

config = context.config
target_metadata = Base.metadata
# Two `eggwatch db upgrade` (or API starts) at the same moment both read the old revision and ran
# the same DDL: the later one failed ("table households already exists").  So each migration run
# holds a lock until it commits; a waiting one then reads the new revision and has nothing to do.
LOCK_KEY = 0x6567_6777_6174_6368 >> 1  # "eggwatch", as a positive bigint: PostgreSQL advisory lock


def run_migrations_online() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(str(url))
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                with conn.begin():
                    # One migrator at a time (LOCK_KEY), released at the commit.
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
                    _run(conn)
                return
            # Batch mode rebuilds a table by copy, DROP and rename; with foreign keys on, the DROP
            # deletes (ON DELETE CASCADE) or unlinks (SET NULL) every row that references the
            # table: 0006 lost all alert events.  The pragma is a no-op inside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            try:
                with conn.begin():
                    # The write lock now, held to the commit (pysqlite would begin only at the first
                    # DML, leaving the DDL outside any transaction): one migrator at a time.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    _run(conn)
            finally:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run `eggwatch db upgrade`")
run_migrations_online()
