"""SQLAlchemy 2 plumbing shared by the workforce API and the alert lifecycle.

One declarative ``Base`` for every table (workforce, alerts), so one Alembic history
(``eggwatch/migrations``) covers the whole SQL database.  SQLite by default, PostgreSQL in
production.
"""

from __future__ import annotations

import contextlib
import os

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker

# Stable constraint names so migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# libpq waits for a connection without limit by default: a hung server, or a host gone away (SYN
# retries, about two minutes), held every request that needed a new connection.  The URL may set
# its own (``?connect_timeout=N``).
CONNECT_TIMEOUT_S = 10


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        _create_private(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # pool_pre_ping costs a cheap round trip per request, but without it every pooled connection
    # left stale by a PostgreSQL restart would fail one request with a 500; recycling keeps
    # connections younger than proxies' idle timeouts.
    timeout = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_TIMEOUT_S}
    return create_engine(
        url, pool_pre_ping=True, pool_recycle=1800, pool_size=10, max_overflow=20, connect_args=timeout
    )


def _create_private(url: str) -> None:
    """Create a new SQLite database file readable by its owner only (0600, as ``secret.key``): it
    holds the password hashes and the sealed national IDs, and SQLite would create it 0644 (its
    -wal and -shm files take the database file's mode)."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # no folder: SQLite says so itself
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # empty: a valid database


def make_sessionmaker(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(engine, expire_on_commit=False)
