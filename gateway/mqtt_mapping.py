"""Applying the vendor mappings to one MQTT message: readings out, or the reason they cannot be.

``Translator.translate`` never raises: a message no mapping matches, a payload that is not JSON,
a missing or non-numeric value, a bad timestamp or a value the metric registry refuses each come
back as a :class:`Problem` (the gateway dead-letters it with the reason).  The good readings of a
message are kept even when another field of it is bad.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from eggwatch import metrics
from eggwatch.wire import LEVEL_RE, Reading, WireError, check_ts
from gateway.mqtt_config import CAPTURE, Mapping, Repeat, TimeFormat, parse_path


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str  # no_mapping, not_json, missing_field, bad_value, bad_timestamp, bad_topic, <wire reason>
    detail: str


@dataclass
class Translation:
    unit: str | None = None
    device: str | None = None
    readings: list[Reading] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    repeat: Repeat | None = None  # the mapping's: its device publishes only on change


_MISSING = object()


def _lookup(doc: object, parts: tuple[str | int, ...]) -> object:
    for p in parts:
        if isinstance(p, int):
            if not isinstance(doc, list) or p >= len(doc):
                return _MISSING
            doc = doc[p]
        else:
            if not isinstance(doc, dict) or p not in doc:
                return _MISSING
            doc = doc[p]
    return doc


def _fill(template: str, captures: dict[str, str]) -> str:
    return CAPTURE.sub(lambda m: captures[m.group(1)], template)


def _number(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) if math.isfinite(raw) else None
    if isinstance(raw, str | bytes):
        try:
            v = float(raw)
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


def _timestamp(raw: object, fmt: TimeFormat) -> int | None:
    if fmt is TimeFormat.ISO8601:
        if not isinstance(raw, str):
            return None
        try:
            dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        if dt.tzinfo is None:
            return None  # a local time without a zone is ambiguous: refuse rather than guess
        return int(dt.timestamp() * 1000)
    n = _number(raw)
    if n is None:
        return None
    ms = n * 1000 if fmt is TimeFormat.EPOCH_S else n
    # 1e308 s is a finite float but infinite in ms, and int(inf) raises OverflowError
    return int(ms) if math.isfinite(ms) else None


class Translator:
    def __init__(self, mappings: list[Mapping]) -> None:
        self.mappings = [(m, m.regex) for m in mappings]
        self._last_arrival: dict[tuple[str, str], int] = {}  # (unit, device) → last arrival ts

    def match(self, topic: str) -> tuple[Mapping, dict[str, str]] | None:
        for m, rx in self.mappings:
            hit = rx.match(topic)
            if hit:
                return m, hit.groupdict()
        return None

    def translate(self, topic: str, payload: bytes, now_ms: int | None = None) -> Translation:
        out = Translation()
        found = self.match(topic)
        if found is None:
            out.problems.append(Problem("no_mapping", f"no mapping matches topic {topic!r}"))
            return out
        m, captures = found
        captures = {k: v.lower() for k, v in captures.items()}
        unit, device = _fill(m.unit, captures), _fill(m.device, captures)
        if not LEVEL_RE.match(unit) or not LEVEL_RE.match(device):
            out.problems.append(
                Problem("bad_topic", f"{m.name}: unit {unit!r}/device {device!r} not [a-z0-9_-]+")
            )
            return out
        out.unit, out.device, out.repeat = unit, device, m.repeat
        doc: object
        if m.payload == "number":
            doc = payload.decode("utf-8", "replace").strip()
        else:
            try:
                doc = orjson.loads(payload)
            except orjson.JSONDecodeError as exc:
                out.problems.append(Problem("not_json", f"{m.name}: payload is not JSON: {exc}"))
                return out
        now = now_ms if now_ms is not None else time.time_ns() // 1_000_000
        ts = now
        if m.timestamp is None:
            # Stamped on arrival: a backlog handed over at once (a persistent session after our
            # restart) arrives within a millisecond or two, and InfluxDB keeps one value per
            # series and ts, so each message of a device gets a ts of its own.
            ts = max(now, self._last_arrival.get((unit, device), now - 1) + 1)
            self._last_arrival[(unit, device)] = ts
        else:
            raw_ts = _lookup(doc, parse_path(m.timestamp.path))
            parsed = None if raw_ts is _MISSING else _timestamp(raw_ts, m.timestamp.format)
            if parsed is None:
                fmt, where = m.timestamp.format, m.timestamp.path
                detail = (
                    f"no value at {where!r} for the {fmt} timestamp"  # not the sentinel's repr
                    if raw_ts is _MISSING
                    else f"{where}={raw_ts!r} is no {fmt}"
                )
                out.problems.append(Problem("bad_timestamp", f"{m.name}: {detail}"))
                return out
            try:  # ingest's window: a broken device clock (1970, year 5138) stops here, with the message
                check_ts(parsed, now)
            except WireError as exc:
                out.problems.append(Problem(str(exc.reason), f"{m.name}: {m.timestamp.path}: {exc.detail}"))
                return out
            ts = parsed
        base_tags = {k: _fill(v, captures) for k, v in m.tags.items()}
        for f in m.fields:
            raw = _lookup(doc, f.parts)
            if raw is _MISSING or raw is None:
                if f.required:
                    out.problems.append(
                        Problem("missing_field", f"{m.name}: no value at {f.path!r} for {f.metric}")
                    )
                continue
            n = _number(raw)
            if n is None:
                out.problems.append(Problem("bad_value", f"{m.name}: {f.path}={raw!r} is not a number"))
                continue
            value: float = f.convert(n)
            if not math.isfinite(value):  # scale or from_unit overflowed a huge vendor value
                out.problems.append(
                    Problem("bad_value", f"{m.name}: {f.path}={raw!r} is not finite once converted")
                )
                continue
            if metrics.REGISTRY[f.metric].integer:
                if value != round(value):  # never rounded: the serial gateway refuses these too
                    out.problems.append(
                        Problem("bad_value", f"{m.name}: {f.metric} takes whole numbers, got {value!r}")
                    )
                    continue
                value = round(value)
            try:
                out.readings.append(Reading(ts, f.metric, value, {**base_tags, **f.tags}))
            except WireError as exc:
                out.problems.append(Problem(str(exc.reason), f"{m.name}: {exc.detail}"))
        return out
