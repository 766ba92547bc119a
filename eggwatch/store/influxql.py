"""InfluxQL for :class:`~eggwatch.store.base.Query`, and turning ``/query`` JSON into series."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from eggwatch.store.base import Query, Series

TOPIC_TAGS = ("site", "unit", "device")
CHUNK_ROWS = 10_000  # rows per chunk of a chunked /query answer


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _any_of(key: str, values: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"{quote_ident(key)} = {quote_str(v)}" for v in values) + ")"


def select(q: Query) -> str:
    """``SELECT`` for ``q``: raw points, or ``agg`` per epoch-aligned bucket, grouped by every tag."""
    where = [
        f"{quote_ident('site')} = {quote_str(q.site)}",
        f"time >= {int(q.start_ms)}ms",
        f"time < {int(q.end_ms)}ms",
    ]
    if q.units is not None:
        where.append(_any_of("unit", q.units) if q.units else "false")
    if q.devices is not None:
        where.append(_any_of("device", q.devices) if q.devices else "false")
    where += [f"{quote_ident(k)} = {quote_str(v)}" for k, v in q.tags]
    cond = " AND ".join(where)
    measurement = quote_ident(q.metric)
    if q.latest:  # a selector without GROUP BY time(): labelled by its reading's time
        return f'SELECT last("value") FROM {measurement} WHERE {cond} GROUP BY *'
    if q.bucket_ms is None:
        return f'SELECT "value" FROM {measurement} WHERE {cond} GROUP BY *'
    return (
        f'SELECT {q.agg}("value") FROM {measurement} WHERE {cond} '
        f"GROUP BY time({int(q.bucket_ms)}ms), * fill(none)"
    )


def _ident(series: dict[str, Any]) -> tuple[Any, Any]:
    return series.get("name"), series.get("tags")


def merge_chunks(body: bytes) -> dict[str, Any]:
    """The one statement result of a ``chunked=true`` answer (JSON documents, one a line).

    A series longer than a chunk continues in the next one (same name and tags): its values are
    joined.  An answer whose last result is still ``partial`` was cut short (a server that does not
    chunk stops at its ``max-row-limit``): that raises rather than return part of the data.
    """
    series: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    for line in body.splitlines():
        if not line.strip():
            continue
        doc = orjson.loads(line)
        if "error" in doc:
            raise RuntimeError(f"InfluxDB query failed: {doc['error']}")
        for result in doc.get("results") or [{}]:
            if "error" in result:
                raise RuntimeError(f"InfluxDB query failed: {result['error']}")
            for s in result.get("series") or []:
                if series and _ident(series[-1]) == _ident(s):
                    series[-1].setdefault("values", []).extend(s.get("values") or [])
                else:
                    series.append(s)
    if result.get("partial"):
        raise RuntimeError(f"InfluxDB cut the answer short (max-row-limit?) after {len(series)} series")
    return {"series": series} if series else {}


def to_series(metric: str, result: dict[str, Any]) -> list[Series]:
    """The series of one statement result (``epoch=ms``), sorted by unit, device and tags."""
    if "error" in result:
        raise RuntimeError(f"InfluxDB query failed: {result['error']}")
    out: list[Series] = []
    for s in result.get("series", []):
        tags = {k: v for k, v in (s.get("tags") or {}).items() if v}
        unit, device = tags.pop("unit", ""), tags.pop("device", "")
        tags.pop("site", None)
        values = s.get("values") or []
        ts = np.fromiter((row[0] for row in values), dtype=np.int64, count=len(values))
        vals = np.fromiter(
            (np.nan if row[1] is None else row[1] for row in values), dtype=np.float64, count=len(values)
        )
        out.append(Series(metric, unit, device, tags, ts, vals))
    out.sort(key=lambda s: (s.unit, s.device, sorted(s.tags.items())))
    return out


def show_units(site: str) -> str:
    return f"SHOW TAG VALUES WITH KEY = {quote_ident('unit')} WHERE {quote_ident('site')} = {quote_str(site)}"


def units_from(result: dict[str, Any]) -> list[str]:
    if "error" in result:
        raise RuntimeError(f"InfluxDB query failed: {result['error']}")
    found = {row[1] for s in result.get("series", []) for row in s.get("values") or []}
    return sorted(found)
