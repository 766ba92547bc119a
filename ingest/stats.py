"""Self-monitoring of ingest: Prometheus metrics and the periodic one-line log.

Each service has its own registry (tests and the demo may run several in one process).  The
writer thread updates the metrics once per batch, not per message, to stay off the hot path.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

log = logging.getLogger("ingest")


@dataclass
class Totals:
    """Plain running totals (what the log line and tests read)."""

    messages: int = 0
    readings: int = 0
    written: int = 0
    spooled: int = 0
    drained: int = 0
    rejected: int = 0
    acked: int = 0
    ignored: int = 0
    seq_gaps: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        p = "eggwatch_ingest_"
        self.messages = Counter(p + "messages_received", "MQTT messages received", registry=r)
        self.readings = Counter(p + "readings_received", "readings in received messages", registry=r)
        self.written = Counter(p + "readings_written", "readings written to the store directly", registry=r)
        self.spooled = Counter(p + "readings_spooled", "readings appended to the on-disk spool", registry=r)
        self.drained = Counter(
            p + "readings_drained", "spooled readings later written to the store", registry=r
        )
        self.rejected = Counter(
            p + "rejected", "readings or messages refused (dead-lettered), by reason", ["reason"], registry=r
        )
        self.acked = Counter(p + "messages_acked", "messages acknowledged to the broker", registry=r)
        self.ignored = Counter(p + "messages_ignored", "messages ignored (alert topics)", registry=r)
        self.seq_gaps = Counter(
            p + "seq_gaps", "messages missing according to device seq numbers", registry=r
        )
        self.taken_over = Counter(
            p + "sessions_taken_over",
            "times the broker gave this client id's session to another connection (same id elsewhere)",
            registry=r,
        )
        self.write_seconds = Histogram(
            p + "write_seconds",
            "time to write one batch to the store",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.spool_records = Gauge(p + "spool_depth_records", "records waiting in the spool", registry=r)
        self.spool_bytes = Gauge(p + "spool_depth_bytes", "bytes waiting in the spool", registry=r)
        self.spool_age = Gauge(p + "spool_oldest_age_seconds", "age of the oldest spooled record", registry=r)
        self.store_up = Gauge(p + "store_up", "1 when the last store write succeeded", registry=r)
        self.backpressure = Gauge(
            p + "backpressure", "1 while the spool is full and acks are held", registry=r
        )
        self.totals = Totals()
        self.lock = threading.Lock()  # several threads update the totals
        self._last_log = time.monotonic()
        self._last_totals = (0, 0)

    def reject(self, reason: str, n: int = 1) -> None:
        self.rejected.labels(reason).inc(n)
        with self.lock:
            self.totals.rejected += n
            self.totals.rejected_by_reason[reason] = self.totals.rejected_by_reason.get(reason, 0) + n

    def maybe_log(self, interval_s: float, spool_records: int, spool_age: float | None) -> None:
        now = time.monotonic()
        dt = now - self._last_log
        if dt < interval_s:
            return
        t = self.totals
        msgs, rds = t.messages - self._last_totals[0], t.readings - self._last_totals[1]
        age = "-" if spool_age is None else f"{spool_age:.0f}s"
        log.info(
            "ingest: %.0f msg/s %.0f readings/s | total written %d spooled %d drained %d rejected %d "
            "acked %d seq-gaps %d | spool %d records, oldest %s",
            msgs / dt,
            rds / dt,
            t.written,
            t.spooled,
            t.drained,
            t.rejected,
            t.acked,
            t.seq_gaps,
            spool_records,
            age,
        )
        self._last_log, self._last_totals = now, (t.messages, t.readings)
