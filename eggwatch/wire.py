"""The normalised MQTT wire format (CONTRACTS §3), shared by gateways and ingest.

``Topic`` and ``Reading`` are small value objects that validate themselves.  ``decode`` turns one
MQTT message into the readings it accepts plus a reason for each part it rejects, so one bad
reading never costs the good readings of the same message.  ``encode`` is the producer side.
The decoder is on ingest's hot path: it avoids per-reading object churn beyond one ``Reading``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import orjson

from eggwatch import metrics

PREFIX = "eggwatch/v1"
# \Z, not $: "$" also matches before a final newline, and "u\n" is no topic level.
LEVEL_RE = re.compile(r"^[a-z0-9_-]+\Z")
TAG_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}\Z")
RESERVED_TAGS = frozenset({"site", "unit", "device", "metric", "time", "value", "seq"})
MAX_READINGS = 5000
MAX_TAGS = 8
MAX_TAG_VALUE_LEN = 64
# Device clocks drift and gateways back-fill after outages, but a reading from 1970 or next
# year is a broken clock: keep those out of the time series (they go to the dead letters).
# One rule (ts_window) for ingest and the gateways, so what a gateway passes ingest accepts.
MAX_AGE_MS = 5 * 366 * 86400 * 1000
MAX_FUTURE_MS = 3600 * 1000


class Reason(StrEnum):
    """Why (part of) a message was rejected; also the ``reason`` label of the rejection counters."""

    BAD_TOPIC = "bad_topic"
    NOT_JSON = "not_json"
    BAD_SCHEMA = "bad_schema"
    UNKNOWN_METRIC = "unknown_metric"
    BAD_VALUE = "bad_value"
    OUT_OF_RANGE = "out_of_range"
    BAD_TIMESTAMP = "bad_timestamp"
    BAD_TAGS = "bad_tags"


class WireError(ValueError):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Topic:
    """``eggwatch/v1/<site>/<unit>/<device>``; ``device`` is ``alerts`` for the alert topic."""

    site: str
    unit: str
    device: str

    def __post_init__(self) -> None:
        for name in ("site", "unit", "device"):
            level = getattr(self, name)
            if not isinstance(level, str) or not LEVEL_RE.match(level):
                raise WireError(Reason.BAD_TOPIC, f"{name} {level!r} must match [a-z0-9_-]+")

    @classmethod
    def parse(cls, topic: str) -> Topic:
        parts = topic.split("/")
        if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX:
            raise WireError(Reason.BAD_TOPIC, f"{topic!r} is not {PREFIX}/<site>/<unit>/<device>")
        return cls(parts[2], parts[3], parts[4])

    @classmethod
    def alerts(cls, site: str, unit: str) -> Topic:
        return cls(site, unit, "alerts")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.site}/{self.unit}/{self.device}"


def _check_tags(tags: object) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise WireError(Reason.BAD_TAGS, "tags must be an object of strings")
    if len(tags) > MAX_TAGS:
        raise WireError(Reason.BAD_TAGS, f"at most {MAX_TAGS} tags")
    for k, v in tags.items():
        if not TAG_KEY_RE.match(k) or k in RESERVED_TAGS:
            raise WireError(Reason.BAD_TAGS, f"tag key {k!r} is reserved or not [a-z][a-z0-9_]*")
        if not isinstance(v, str) or not v or len(v) > MAX_TAG_VALUE_LEN or not v.isprintable():
            raise WireError(Reason.BAD_TAGS, f"tag {k}={v!r} must be a printable string of 1-64 chars")
        if "\\" in v:
            # InfluxDB 1.x line protocol cannot store a backslash before a separator or at the end
            # of a tag value; refusing backslashes here keeps the error at the gateway, not ingest.
            raise WireError(Reason.BAD_TAGS, f"tag {k}={v!r} must not contain a backslash")
    return tags


@dataclass(frozen=True, slots=True)
class Reading:
    """One measurement at the device: epoch-ms ``ts`` (UTC), registered ``metric``, numeric ``value``."""

    ts: int
    metric: str
    value: float | int
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_reading(self.ts, self.metric, self.value, self.tags, now_ms=None)

    def to_json(self) -> dict[str, object]:
        d: dict[str, object] = {"ts": self.ts, "metric": self.metric, "value": self.value}
        if self.tags:
            d["tags"] = dict(self.tags)
        return d


def ts_window(now_ms: int) -> tuple[int, int]:
    """The plausible times of a reading made by ``now_ms``: ``(oldest, newest)``, both inclusive."""
    return now_ms - MAX_AGE_MS, now_ms + MAX_FUTURE_MS


def check_ts(ts: int, now_ms: int) -> None:
    """Raise a ``bad_timestamp`` :class:`WireError` if ``ts`` is outside :func:`ts_window`."""
    lo, hi = ts_window(now_ms)
    if not lo <= ts <= hi:
        raise WireError(Reason.BAD_TIMESTAMP, f"ts {ts} is absurdly far from now ({now_ms})")


def validate_reading(
    ts: object, metric: object, value: object, tags: object, now_ms: int | None
) -> dict[str, str]:
    """Raise :class:`WireError` if the parts do not make a valid reading; returns the tags."""
    if type(ts) is not int:
        raise WireError(Reason.BAD_TIMESTAMP, f"ts must be integer epoch milliseconds, got {ts!r}")
    if now_ms is not None:
        check_ts(ts, now_ms)
    if ts < 0:
        raise WireError(Reason.BAD_TIMESTAMP, f"ts {ts} is negative")
    if not isinstance(metric, str):
        raise WireError(Reason.BAD_SCHEMA, "metric must be a string")
    m = metrics.REGISTRY.get(metric)
    if m is None:
        raise WireError(Reason.UNKNOWN_METRIC, f"unknown metric {metric[:64]!r}")
    if type(value) not in (int, float) or (type(value) is float and not math.isfinite(value)):
        raise WireError(Reason.BAD_VALUE, f"{metric} value must be a finite number, got {value!r}")
    problem = m.check(value)  # type: ignore[arg-type]
    if problem:
        raise WireError(Reason.OUT_OF_RANGE, problem)
    return _check_tags(tags)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A rejected message or reading: the reason, a human detail, and the raw part that failed."""

    reason: Reason
    detail: str
    raw: object = None  # the offending reading object (None: the whole message)
    index: int | None = None  # position of the reading in the message


@dataclass(slots=True)
class Decoded:
    topic: Topic | None
    seq: int | None
    readings: list[Reading]
    rejected: list[Rejected]

    @property
    def ok(self) -> bool:
        return not self.rejected


def _new_reading(ts: int, metric: str, value: float | int, tags: dict[str, str]) -> Reading:
    # Bypass __post_init__: the values were validated by validate_reading just before.
    r = object.__new__(Reading)
    object.__setattr__(r, "ts", ts)
    object.__setattr__(r, "metric", metric)
    object.__setattr__(r, "value", value)
    object.__setattr__(r, "tags", tags)
    return r


def decode(topic: str, payload: bytes, now_ms: int | None = None) -> Decoded:
    """Decode one message.  Never raises: every problem becomes a :class:`Rejected`."""
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    try:
        t = Topic.parse(topic)
    except WireError as exc:
        return Decoded(None, None, [], [Rejected(exc.reason, exc.detail)])
    if t.device == "alerts":
        return Decoded(t, None, [], [Rejected(Reason.BAD_TOPIC, "alerts topic carries no readings")])
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return Decoded(t, None, [], [Rejected(Reason.NOT_JSON, f"payload is not UTF-8 JSON: {exc}")])
    if not isinstance(doc, dict):
        return Decoded(t, None, [], [Rejected(Reason.BAD_SCHEMA, "payload must be a JSON object")])
    seq = doc.get("seq")
    raw_readings = doc.get("readings")
    if type(seq) is not int or seq < 0:
        return Decoded(t, None, [], [Rejected(Reason.BAD_SCHEMA, "seq must be a non-negative integer")])
    if not isinstance(raw_readings, list) or not 1 <= len(raw_readings) <= MAX_READINGS:
        return Decoded(
            t, seq, [], [Rejected(Reason.BAD_SCHEMA, f"readings must be a list of 1 to {MAX_READINGS}")]
        )
    good: list[Reading] = []
    bad: list[Rejected] = []
    for i, r in enumerate(raw_readings):
        try:
            if not isinstance(r, dict):
                raise WireError(Reason.BAD_SCHEMA, "a reading must be an object")
            extra = r.keys() - {"ts", "metric", "value", "tags"}
            if extra:
                raise WireError(Reason.BAD_SCHEMA, f"unexpected reading fields {sorted(extra)}")
            tags = validate_reading(r.get("ts"), r.get("metric"), r.get("value"), r.get("tags"), now_ms)
            good.append(_new_reading(r["ts"], r["metric"], r["value"], tags))
        except WireError as exc:
            bad.append(Rejected(exc.reason, exc.detail, r, i))
    return Decoded(t, seq, good, bad)


def encode(seq: int, readings: Iterable[Reading]) -> bytes:
    """The JSON payload for ``readings`` (producer side)."""
    items = [r.to_json() for r in readings]
    if not 1 <= len(items) <= MAX_READINGS:
        raise ValueError(f"a message holds 1 to {MAX_READINGS} readings, got {len(items)}")
    return orjson.dumps({"seq": seq, "readings": items})
