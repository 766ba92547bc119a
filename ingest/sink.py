"""Writing accepted readings to the telemetry store, and their durable spool form.

A :class:`Batch` item is the accepted readings of one message.  InfluxDB gets them as line
protocol encoded here (one cached series key per device series, no per-reading objects); any
other store gets :class:`~eggwatch.store.base.Point` s.  Points the store refuses for good go to
the dead letters with its reason; anything else that fails is an outage (:class:`StoreUnavailable`)
and the caller spools the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from eggwatch.deadletter import DeadLetters
from eggwatch.store.base import Point, TelemetryStore
from eggwatch.store.errors import StoreRejected, StoreUnavailable
from eggwatch.store.influx import InfluxStore
from eggwatch.store.lineprotocol import LineEncoder, LineProtocolError
from eggwatch.wire import Reading

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Item:
    """The accepted readings of one message, with the topic levels they came from."""

    site: str
    unit: str
    device: str
    readings: list[Reading]

    def to_record(self) -> bytes:
        """The spool record: compact JSON, store-neutral."""
        rows = [
            [r.ts, r.metric, r.value, dict(r.tags)] if r.tags else [r.ts, r.metric, r.value]
            for r in self.readings
        ]
        return orjson.dumps([self.site, self.unit, self.device, rows])

    @classmethod
    def from_record(cls, record: bytes) -> Item:
        site, unit, device, rows = orjson.loads(record)
        return cls(
            site,
            unit,
            device,
            [Reading(row[0], row[1], row[2], row[3] if len(row) > 3 else {}) for row in rows],
        )


class Sink:
    """Writes batches of items to one store; returns how many readings were refused."""

    def __init__(self, store: TelemetryStore, dead_letters: DeadLetters) -> None:
        self.store = store
        self.dead_letters = dead_letters
        self._encoder = LineEncoder() if isinstance(store, InfluxStore) else None

    def write(self, items: Sequence[Item]) -> int:
        """Durably write ``items``; raises :class:`StoreUnavailable` when the store is down."""
        if self._encoder is not None:
            return self._write_influx(items)
        points = [Point(it.site, it.unit, it.device, r) for it in items for r in it.readings]
        if not points:
            return 0
        try:
            self.store.write(points)
        except StoreRejected as exc:
            self._reject(exc.rejected)
            return len(exc.rejected)
        except StoreUnavailable:
            raise
        except Exception as exc:  # disk full, database locked...: retry later from the spool
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return 0

    def _write_influx(self, items: Sequence[Item]) -> int:
        assert self._encoder is not None and isinstance(self.store, InfluxStore)
        lines: list[str] = []
        refused: list[tuple[str, str]] = []
        for it in items:
            try:
                lines += self._encoder.encode(it.site, it.unit, it.device, it.readings)
            except LineProtocolError:
                for r in it.readings:  # keep the encodable readings of this message
                    try:
                        lines += self._encoder.encode(it.site, it.unit, it.device, (r,))
                    except LineProtocolError as exc:
                        refused.append((orjson.dumps(r.to_json()).decode(), str(exc)))
        if lines:
            refused += self.store.write_lines(lines).rejected
        self._reject(refused)
        return len(refused)

    def _reject(self, refused: list[tuple[str, str]]) -> None:
        for line, reason in refused:
            self.dead_letters.put("store_rejected", reason, None, line)
