"""Turning received MQTT messages into a batch: decode, dead-letter what is bad, keep the rest.

Runs on the preparer thread (never on paho's network thread).  Every message of a batch is
acknowledged together once the batch is durable, including messages whose readings were all
refused: those are durable too, in the dead-letter file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eggwatch.deadletter import DeadLetters
from ingest.decode import FastDecoder
from ingest.sink import Item
from ingest.stats import IngestMetrics


@dataclass(slots=True)
class Received:
    """What the network thread hands over: as little work as possible there."""

    generation: int  # connection number: an ack is only valid on the connection that received it
    mid: int
    qos: int
    topic: str
    payload: bytes


@dataclass
class Batch:
    messages: list[Received] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    readings: int = 0  # accepted
    received: int = 0  # accepted and rejected

    def __len__(self) -> int:
        return len(self.messages)


class SeqTracker:
    """Counts messages missing between a device's consecutive ``seq`` numbers."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str, str], int] = {}

    def gap(self, key: tuple[str, str, str], seq: int) -> int:
        last = self._last.get(key)
        self._last[key] = max(seq, last) if last is not None else seq
        if last is None or seq <= last:  # first sight, redelivery or a device restart
            return 0
        return seq - last - 1


class Batcher:
    def __init__(self, dead_letters: DeadLetters, metrics: IngestMetrics, track_seq: bool) -> None:
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.seq = SeqTracker() if track_seq else None
        self.decoder = FastDecoder()

    def count(self, batch: Batch) -> None:
        """Update the received counters once per batch (a Prometheus counter takes a lock)."""
        self.metrics.messages.inc(len(batch.messages))
        self.metrics.readings.inc(batch.received)

    def add(self, batch: Batch, msg: Received) -> None:
        batch.messages.append(msg)
        totals = self.metrics.totals
        totals.messages += 1
        if msg.topic.endswith("/alerts") and msg.topic.startswith("eggwatch/v1/"):
            totals.ignored += 1  # alerts share the topic tree but carry no readings
            self.metrics.ignored.inc()
            return
        d = self.decoder.decode_lines(msg.topic, msg.payload)
        for rej in d.rejected:
            reading_level = rej.index is not None
            self.dead_letters.put(
                rej.reason.value,
                rej.detail,
                msg.topic,
                rej.raw if reading_level else msg.payload,
                seq=d.seq,
                index=rej.index,
            )
            self.metrics.reject(rej.reason.value)
        n = len(d.rows)
        received = n + sum(1 for r in d.rejected if r.index is not None)
        totals.readings += received
        batch.received += received
        if not n or d.topic is None:
            return
        t = d.topic
        batch.items.append(Item(t.site, t.unit, t.device, d.rows, d.lines, d.unencodable))
        batch.readings += n
        if self.seq is not None and d.seq is not None:
            gap = self.seq.gap((t.site, t.unit, t.device), d.seq)
            if gap:
                totals.seq_gaps += gap
                self.metrics.seq_gaps.inc(gap)
