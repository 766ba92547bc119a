"""The telemetry store interface: one query layer over InfluxDB and the embedded store.

Both implementations (``eggwatch.store.influx`` and ``eggwatch.store.embedded``) keep the same
data model: a point is identified by metric, site, unit, device, tags and ``ts`` (epoch ms), so a
rewritten point overwrites itself.  Analytics and the API only ever call :meth:`TelemetryStore.query`
and derive increases, rates and hen-day figures from its buckets, so they run unchanged on both.

InfluxDB schema: measurement = metric name; tags ``site``, ``unit``, ``device`` plus the reading's
tags; one field ``value`` (integer for integer metrics, float otherwise); time precision ms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol, get_args

import numpy as np

from eggwatch.wire import Reading

Agg = Literal["last", "first", "mean", "sum", "min", "max", "count"]
AGGS: tuple[str, ...] = get_args(Agg)


def epoch_ms(t: dt.datetime) -> int:
    """``t`` in the store's time unit: milliseconds since the epoch (``t`` timezone-aware)."""
    return int(t.timestamp() * 1000)


class Point(NamedTuple):
    """A reading together with where it came from (the topic levels)."""

    site: str
    unit: str
    device: str
    reading: Reading


@dataclass(frozen=True, slots=True)
class Query:
    """Select one metric in ``[start_ms, end_ms)``, optionally bucketed.

    ``bucket_ms=None`` returns raw points.  With a bucket, ``agg`` is applied per bucket and each
    bucket is labelled by its start (aligned to the epoch, like InfluxQL ``GROUP BY time()``);
    empty buckets are omitted.  ``units`` / ``devices`` restrict the series; ``tags`` filters on
    tag equality.  Results are grouped by unit, device and every tag key.

    ``latest=True`` (with no bucket): only each series' last reading in the window.  InfluxDB finds
    it without reading the window's other points, so a look-back for the last value before a
    window costs one point a series, not every hour of it.
    """

    metric: str
    site: str
    start_ms: int
    end_ms: int
    bucket_ms: int | None = None
    agg: Agg = "last"
    units: tuple[str, ...] | None = None
    devices: tuple[str, ...] | None = None
    tags: tuple[tuple[str, str], ...] = ()
    latest: bool = False

    def __post_init__(self) -> None:
        # Both stores write ``agg`` and ``bucket_ms`` into their query text: refuse anything else here.
        if self.agg not in AGGS:
            raise ValueError(f"unknown aggregate {self.agg!r}; known: {', '.join(AGGS)}")
        if self.bucket_ms is not None and self.bucket_ms <= 0:
            raise ValueError("bucket_ms must be positive")
        if self.latest and self.bucket_ms is not None:
            raise ValueError("latest takes no bucket: it is one reading per series")


@dataclass(slots=True)
class Series:
    """One series: ``ts`` (int64 epoch ms, ascending) and ``values`` (float64) of equal length."""

    metric: str
    unit: str
    device: str
    tags: dict[str, str] = field(default_factory=dict)
    ts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))


class TelemetryStore(Protocol):
    def ensure_ready(self) -> None:
        """Create the database/schema if missing; raise if the store cannot be reached."""

    def write(self, points: Sequence[Point]) -> None:
        """Durably write ``points`` (idempotent).  Raises on failure; nothing partial is hidden."""

    def query(self, q: Query) -> list[Series]:
        """Run ``q``; series sorted by (unit, device, tags)."""

    def units(self, site: str) -> list[str]:
        """The units (houses, lines) that have any data for ``site``."""

    def close(self) -> None: ...
