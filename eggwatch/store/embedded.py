"""The embedded telemetry store: SQLite (WAL) in the data dir, with InfluxDB's query semantics.

Used when ``EGGWATCH_INFLUX_URL`` is unset (the demo, a laptop).  A series row holds the point
identity (metric, site, unit, device, tags); a point row is keyed by (series, ts), so rewriting a
reading overwrites it, exactly as in InfluxDB.  Commits are fsync'd (``synchronous=FULL``), so a
write that returned is durable and ingest may acknowledge it.  WAL lets reader processes (API,
detector) query while the one writer process (ingest) writes.

Bucketed queries label each bucket by its start, aligned to the epoch, and omit empty buckets,
like InfluxQL ``GROUP BY time(...) fill(none)``; ``last``/``first`` use SQLite's documented rule
that a bare column next to ``max()``/``min()`` comes from that row.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson

from eggwatch.store.base import Point, Query, Series

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    metric TEXT NOT NULL, site TEXT NOT NULL, unit TEXT NOT NULL, device TEXT NOT NULL,
    tags TEXT NOT NULL,  -- JSON object, keys sorted
    UNIQUE (metric, site, unit, device, tags)
);
CREATE TABLE IF NOT EXISTS points (
    series_id INTEGER NOT NULL REFERENCES series(id),
    ts INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
"""

_AGG_SQL = {
    "mean": "avg(value)",
    "sum": "sum(value)",
    "min": "min(value)",
    "max": "max(value)",
    "count": "count(value)",
    "last": "value, max(ts)",
    "first": "value, min(ts)",
}


def _tags_json(tags: object) -> str:
    return orjson.dumps(dict(tags), option=orjson.OPT_SORT_KEYS).decode() if tags else "{}"  # type: ignore[call-overload]


class EmbeddedStore:
    """:class:`~eggwatch.store.base.TelemetryStore` in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._series_ids: dict[tuple[str, str, str, str, str], int] = {}

    def ensure_ready(self) -> None:
        with self._lock:
            self._db.executescript(SCHEMA)

    # -- writing ---------------------------------------------------------------------------------

    def write(self, points: Sequence[Point]) -> None:
        if not points:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = [(self._series_id(p), p.reading.ts, float(p.reading.value)) for p in points]
                self._db.executemany(
                    "INSERT INTO points (series_id, ts, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._series_ids.clear()  # ids created in the rolled-back transaction are gone
                raise

    def _series_id(self, p: Point) -> int:
        key = (p.reading.metric, p.site, p.unit, p.device, _tags_json(p.reading.tags))
        sid = self._series_ids.get(key)
        if sid is None:
            self._db.execute(
                "INSERT INTO series (metric, site, unit, device, tags) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                key,
            )
            sid = self._db.execute(
                "SELECT id FROM series WHERE metric=? AND site=? AND unit=? AND device=? AND tags=?", key
            ).fetchone()[0]
            self._series_ids[key] = sid
        return sid

    # -- reading ---------------------------------------------------------------------------------

    def _matching_series(self, q: Query) -> dict[int, tuple[str, str, dict[str, str]]]:
        rows = self._db.execute(
            "SELECT id, unit, device, tags FROM series WHERE metric = ? AND site = ?", (q.metric, q.site)
        ).fetchall()
        wanted = dict(q.tags)
        out = {}
        for sid, unit, device, tags_json in rows:
            tags = orjson.loads(tags_json)
            if q.units is not None and unit not in q.units:
                continue
            if q.devices is not None and device not in q.devices:
                continue
            if any(tags.get(k) != v for k, v in wanted.items()):
                continue
            out[sid] = (unit, device, tags)
        return out

    def query(self, q: Query) -> list[Series]:
        with self._lock:
            series = self._matching_series(q)
            result = []
            for sid, (unit, device, tags) in series.items():
                ts, values = self._points(sid, q)
                if ts.size:
                    result.append(Series(q.metric, unit, device, tags, ts, values))
        result.sort(key=lambda s: (s.unit, s.device, sorted(s.tags.items())))
        return result

    def _points(self, sid: int, q: Query) -> tuple[np.ndarray, np.ndarray]:
        args: tuple[int, ...] = (sid, q.start_ms, q.end_ms)
        if q.latest:
            sql = "SELECT ts, value FROM points WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT 1"
        elif q.bucket_ms is None:
            sql = "SELECT ts, value FROM points WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts"
        else:
            b = int(q.bucket_ms)
            sql = (
                f"SELECT (ts / {b}) * {b} AS bucket, {_AGG_SQL[q.agg]} FROM points "
                "WHERE series_id = ? AND ts >= ? AND ts < ? GROUP BY bucket ORDER BY bucket"
            )
        rows = self._db.execute(sql, args).fetchall()
        ts = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        values = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        return ts, values

    def units(self, site: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT unit FROM series s WHERE site = ? "
                "AND EXISTS (SELECT 1 FROM points p WHERE p.series_id = s.id) ORDER BY unit",
                (site,),
            ).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
