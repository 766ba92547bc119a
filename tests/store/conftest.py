"""The telemetry store fixture: every test in the shared suite runs on InfluxDB and on the embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eggwatch.store.base import TelemetryStore
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.store.influx import InfluxStore


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
