"""The two telemetry stores a benchmark compares: a throwaway influxd and the embedded store."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from eggwatch.store.embedded import EmbeddedStore
from eggwatch.store.influx import InfluxStore
from tests.support.servers import Influxd


@contextlib.contextmanager
def influx_store(timeout_s: float = 10.0) -> Iterator[InfluxStore]:
    """InfluxDB on its own influxd (a free loopback port, database ``bench``), removed afterwards."""
    influxd = Influxd.create()
    influxd.start()
    influx = InfluxStore(influxd.url, "bench", timeout_s=timeout_s)
    try:
        influx.ensure_ready()
        yield influx
    finally:
        influx.close()
        influxd.destroy()


@contextlib.contextmanager
def both_stores(name: str) -> Iterator[tuple[InfluxStore, EmbeddedStore]]:
    """:func:`influx_store` and an embedded store in a temporary folder; both removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"eggwatch-bench-{name}-"))
    embedded = EmbeddedStore(tmp / "e.db")
    try:
        with influx_store() as influx:
            yield influx, embedded
    finally:
        embedded.close()
        shutil.rmtree(tmp, ignore_errors=True)
