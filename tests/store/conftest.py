"""The telemetry store fixture: every test in the shared suite runs on InfluxDB and on the embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eggwatch.store.base import TelemetryStore
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.store.influx import InfluxStore
from tests.support.servers import Influxd


@pytest.fixture(params=["influx", "embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    s: TelemetryStore
    if request.param == "influx":
        influxd = request.getfixturevalue("influxd")
        db = request.getfixturevalue("influx_db")
        s = InfluxStore(influxd.url, db)
    else:
        s = EmbeddedStore(tmp_path / "telemetry.sqlite")
    s.ensure_ready()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def influxd_row_limit() -> Iterator[Influxd]:
    """An influxd whose non-chunked answers stop at 10,000 rows (``max-row-limit``), as 1.x's
    default once did and production configurations still often do."""
    server = Influxd.create(max_row_limit=10_000)
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(params=["influx", "embedded"])
def big_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    """:func:`store`, with the InfluxDB behind it limited to 10,000 rows per non-chunked answer."""
    s: TelemetryStore
    if request.param == "influx":
        s = InfluxStore(request.getfixturevalue("influxd_row_limit").url, "big")
    else:
        s = EmbeddedStore(tmp_path / "telemetry.sqlite")
    s.ensure_ready()
    try:
        yield s
    finally:
        s.close()
