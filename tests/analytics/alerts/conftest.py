"""Fixtures for the alert tests: a database (SQLite file and the real PostgreSQL), sessions,
and small builders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import analytics.alerts.models  # noqa: F401 — registers the alert tables
from analytics.alerts.findings import Finding
from eggwatch.sql import Base, make_engine, make_sessionmaker

T0 = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


def finding(unit: str = "house-07", kind: str = "laying_drop", hours: float = 0.0, **kw: Any) -> Finding:
    """A detector finding detected ``hours`` after T0."""
    at = T0 + dt.timedelta(hours=hours)
    return Finding(
        unit=unit,
        kind=kind,
        detected_at=at,
        onset=at - dt.timedelta(hours=5),
        magnitude_pct=kw.pop("magnitude_pct", 6.4),
        message=kw.pop("message", f"{unit} laying dropped"),
        message_zh=kw.pop("message_zh", f"{unit} 产蛋率下降"),
        **kw,
    )


def _sessions(url: str) -> Iterator[Any]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[Any]:
    yield from _sessions(f"sqlite:///{tmp_path / 'alerts.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """The lifecycle runs on both databases: SQLite (default) and the real PostgreSQL."""
    if request.param == "sqlite":
        yield from _sessions(f"sqlite:///{tmp_path / 'alerts.db'}")
    else:
        yield from _sessions(request.getfixturevalue("pg_url"))
