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
def both_stores(name: str) -> Iterator[tuple[InfluxStore, EmbeddedStore]]:
    """InfluxDB (its own influxd on a free loopback port, database ``bench``) and an embedded store
    in a temporary folder; both removed afterwards."""
    influxd = Influxd.create()
    influxd.start()
    tmp = Path(tempfile.mkdtemp(prefix=f"eggwatch-bench-{name}-"))
    influx = InfluxStore(influxd.url, "bench")
    embedded = EmbeddedStore(tmp / "e.db")
    try:
        influx.ensure_ready()
        yield influx, embedded
    finally:
        influx.close()
        embedded.close()
        influxd.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
