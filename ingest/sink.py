"""Writing accepted readings to the telemetry store, and their durable spool form.

A :class:`Batch` item is the accepted readings of one message.  InfluxDB gets them as the line
protocol the decoder already made (``ingest/decode.py``; readings read back from the spool are
encoded here); any other store gets :class:`~eggwatch.store.base.Point` s.  Points the store refuses for good go to
the dead letters with its reason; anything else that fails is an outage (:class:`StoreUnavailable`)
and the caller spools the batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import orjson

from eggwatch.deadletter import DeadLetters
from eggwatch.store.base import Point, TelemetryStore
from eggwatch.store.errors import StoreRejected, StoreUnavailable
from eggwatch.store.influx import InfluxStore
from eggwatch.store.lineprotocol import LineEncoder, LineProtocolError
from eggwatch.wire import Reading
from ingest.decode import Row, row_reading

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Item:
    """The accepted readings of one message, with the topic levels they came from.

    ``rows`` are the validated readings as decoded from JSON (no per-reading objects on the hot
    path); ``lines`` is their line protocol when the decoder made it (else encoded on demand).
    """

    site: str
    unit: str
    device: str
    rows: list[Row]
    lines: list[str] | None = None
    unencodable: list[tuple[str, str]] = field(default_factory=list)  # (reading, why)

    def __len__(self) -> int:
        return len(self.rows)

    def readings(self) -> list[Reading]:
        return [row_reading(r) for r in self.rows]

    def to_record(self) -> bytes:
        """The spool record: compact JSON, store-neutral."""
        out = []
        for r in self.rows:
            tags = r.get("tags")
            out.append(
                [r["ts"], r["metric"], r["value"], tags] if tags else [r["ts"], r["metric"], r["value"]]
            )
        return orjson.dumps([self.site, self.unit, self.device, out])

    @classmethod
    def from_record(cls, record: bytes) -> Item:
        site, unit, device, rows = orjson.loads(record)
        readings = [
            Reading(row[0], row[1], row[2], row[3] if len(row) > 3 else {}) for row in rows
        ]  # validates
        return cls(site, unit, device, [r.to_json() for r in readings])


@dataclass(slots=True)
class Prepared:
    """A batch made ready for the store off the committing thread (encoded and compressed)."""

    items: list[Item]
    readings: int
    lines: list[str] | None = None  # InfluxDB: line protocol, and its request body
    body: bytes = b""
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reading, why it cannot be encoded)


class Sink:
    """Writes batches of items to one store; refused readings go to the dead letters."""

    def __init__(self, store: TelemetryStore, dead_letters: DeadLetters) -> None:
        self.store = store
        self.dead_letters = dead_letters
        self._influx = store if isinstance(store, InfluxStore) else None
        self._encoder = LineEncoder()

    def prepare(self, items: list[Item]) -> Prepared:
        """The CPU part of a write (encoding, compression): safe to run ahead on another thread."""
        p = Prepared(items, sum(len(it.rows) for it in items))
        if self._influx is None:
            return p
        lines: list[str] = []
        for it in items:
            if it.lines is not None:  # encoded by the decoder already
                lines += it.lines
                p.refused += it.unencodable
                continue
            readings = it.readings()
            try:
                lines += self._encoder.encode(it.site, it.unit, it.device, readings)
            except LineProtocolError:
                for r in readings:  # keep the encodable readings of this message
                    try:
                        lines += self._encoder.encode(it.site, it.unit, it.device, (r,))
                    except LineProtocolError as exc:
                        p.refused.append((orjson.dumps(r.to_json()).decode(), str(exc)))
        p.lines, p.body = lines, self._influx.encode_body(lines)
        return p

    def commit(self, p: Prepared) -> int:
        """Durably write a prepared batch; returns how many readings were refused for good.

        Raises :class:`StoreUnavailable` when the store is down (the caller spools the batch).
        """
        refused = list(p.refused)
        if self._influx is not None:
            assert p.lines is not None
            refused += self._influx.write_encoded(p.lines, p.body).rejected
        else:
            refused += self._write_points(p.items)
        for line, reason in refused:
            self.dead_letters.put("store_rejected", reason, None, line)
        return len(refused)

    def write(self, items: list[Item]) -> int:
        return self.commit(self.prepare(items))

    def store_answers(self) -> bool:
        """True when the store is InfluxDB and answers ``/ping``: an HTTP 500 is then about the data."""
        return self._influx is not None and self._influx.healthy()

    def isolate(self, items: list[Item]) -> tuple[int, int]:
        """Write a batch InfluxDB keeps failing on (HTTP 500) while healthy, line by line if need be.

        Lines that fail on their own go to the dead letters as ``store_error`` with the server's
        message; returns ``(refused, failed)``.  Raises :class:`StoreUnavailable` when this looks
        like an outage after all (see ``InfluxStore.isolate``): nothing is dead-lettered then.
        """
        if self._influx is None:
            raise StoreUnavailable("only InfluxDB writes are isolated")
        p = self.prepare(items)
        assert p.lines is not None
        result = self._influx.isolate(p.lines)
        refused = list(p.refused) + result.rejected
        for line, reason in refused:
            self.dead_letters.put("store_rejected", reason, None, line)
        for line, message in result.failed:
            self.dead_letters.put(
                "store_error", f"InfluxDB fails on this line (HTTP 500): {message}", None, line
            )
        return len(refused), len(result.failed)

    def _write_points(self, items: list[Item]) -> list[tuple[str, str]]:
        points = [Point(it.site, it.unit, it.device, r) for it in items for r in it.readings()]
        if not points:
            return []
        try:
            self.store.write(points)
        except StoreRejected as exc:
            return exc.rejected
        except StoreUnavailable:
            raise
        except Exception as exc:  # disk full, database locked...: retry later from the spool
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return []
