"""InfluxDB line protocol for eggwatch points (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/).

One reading becomes ``<metric>,<tags sorted by key> value=<v> <ts ms>``: tags ``site``, ``unit``,
``device`` plus the reading's own tags.  Escaping follows the spec: commas and spaces in the
measurement; commas, equals signs and spaces in tag keys, tag values and field keys.  The field
type is fixed by the metric registry, never by the JSON number: integer metrics are written as
``123i``, all others as floats (``21.0``, never ``21``), so a field never changes type and
InfluxDB never refuses a batch for a type conflict.

The series part (everything before `` value=``) is cached, because a device sends the same few
series over and over: encoding then costs one dict lookup and one string format per reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from eggwatch import metrics
from eggwatch.store.base import Point
from eggwatch.wire import Reading

_MEASUREMENT = str.maketrans({",": "\\,", " ": "\\ "})
_KEY = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ "})
_CACHE_LIMIT = 200_000
# InfluxDB 1.x reads a backslash as escaping the next byte and has no escape for the backslash
# itself, so a backslash before a separator (or at the end) cannot be written faithfully.
_UNREPRESENTABLE = re.compile(r"\\(?=[,= ]|$)")


class LineProtocolError(ValueError):
    """A value line protocol cannot carry (a newline, or a backslash before a separator or at the end)."""


def escape_measurement(name: str) -> str:
    _check_text(name)
    return name.translate(_MEASUREMENT)


def escape_key(text: str) -> str:
    """Escape a tag key, tag value or field key."""
    _check_text(text)
    return text.translate(_KEY)


def _check_text(text: str) -> None:
    if not text:
        raise LineProtocolError("line protocol names and tag values must not be empty")
    if "\n" in text or "\r" in text:
        raise LineProtocolError(f"line protocol cannot carry a newline: {text!r}")
    if "\\" in text and _UNREPRESENTABLE.search(text):
        raise LineProtocolError(
            f"line protocol cannot carry a backslash before , = space or at the end: {text!r}"
        )


def series_key(metric: str, site: str, unit: str, device: str, tags: Mapping[str, str]) -> str:
    """``metric,k=v,...`` with every tag (site, unit, device and the reading's) sorted by key."""
    all_tags = {**tags, "site": site, "unit": unit, "device": device}
    parts = [escape_measurement(metric)]
    parts += [f"{escape_key(k)}={escape_key(all_tags[k])}" for k in sorted(all_tags)]
    return ",".join(parts)


def format_value(metric: str, value: float | int) -> str:
    """The field value in the metric's fixed type: ``123i`` or a float literal."""
    m = metrics.REGISTRY.get(metric)
    if m is not None and m.integer:
        return f"{int(value)}i"
    return repr(float(value))


class LineEncoder:
    """Encodes readings to line protocol, caching series keys and field types."""

    def __init__(self) -> None:
        self._series: dict[tuple[object, ...], str] = {}
        self._integer = {name: m.integer for name, m in metrics.REGISTRY.items()}

    def encode(self, site: str, unit: str, device: str, readings: Iterable[Reading]) -> list[str]:
        """One line per reading (raises :class:`LineProtocolError` for an unencodable one)."""
        cache = self._series
        integer = self._integer
        lines = []
        for r in readings:
            tags = r.tags
            key = (r.metric, site, unit, device, *tags.items()) if tags else (r.metric, site, unit, device)
            prefix = cache.get(key)
            if prefix is None:
                prefix = series_key(r.metric, site, unit, device, tags)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[key] = prefix
            if integer.get(r.metric, False):
                lines.append(f"{prefix} value={int(r.value)}i {r.ts}")
            else:
                lines.append(f"{prefix} value={float(r.value)!r} {r.ts}")
        return lines

    def encode_points(self, points: Sequence[Point]) -> list[str]:
        out: list[str] = []
        for p in points:
            out += self.encode(p.site, p.unit, p.device, (p.reading,))
        return out


def encode_point(point: Point) -> str:
    """One point as a line (uncached; see :class:`LineEncoder` for bulk encoding)."""
    r = point.reading
    return f"{series_key(r.metric, point.site, point.unit, point.device, r.tags)} value={format_value(r.metric, r.value)} {r.ts}"
