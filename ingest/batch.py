"""Turning received MQTT messages into a batch: decode, dead-letter what is bad, keep the rest.

Runs on the preparer thread (never on paho's network thread).  Every message of a batch is
acknowledged together once the batch is durable, including messages whose readings were all
refused: those are durable too, in the dead-letter file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from eggwatch.deadletter import DeadLetters
from eggwatch.wire import PREFIX
from ingest.decode import FastDecoder
from ingest.sink import Item
from ingest.stats import IngestMetrics

# Only this exact topic is the alerts topic (CONTRACTS §3); anything else is checked as a reading
# topic, so a malformed topic that happens to end in /alerts is refused (bad_topic), not ignored.
_ALERTS_TOPIC = re.compile(rf"^{PREFIX}/[a-z0-9_-]+/[a-z0-9_-]+/alerts\Z")  # \Z, as wire's names
# Larger messages are refused unread (``too_large``): 5,000 readings (the most a message may
# hold) with 8 tags of 64 four-byte characters each is ~13 MB of compact JSON; typical ~0.5 MB.
MAX_PAYLOAD_BYTES = 16 << 20
TOO_LARGE_KEPT_BYTES = 4096  # of a refused message, in its dead letter


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


# Messages of one device may arrive a little out of order (QoS 1 redelivery after a reconnect):
# a missing seq is only counted as a gap once the device is this many messages past it.
SEQ_REORDER_WINDOW = 32
# A seq this far below the highest seen (or 0 when 0 was not seen) is a device restart.
SEQ_RESTART_DISTANCE = 1000


@dataclass(slots=True)
class _DeviceSeq:
    high: int  # highest seq seen since the device (re)started
    floor: int  # first seq seen since then
    missing: set[int] = field(default_factory=set)  # not (yet) seen, within the window below high


class SeqTracker:
    """Counts messages missing between a device's ``seq`` numbers.

    Every message with a valid topic and ``seq`` counts as received, even when all its readings
    were refused.  A missing seq is counted when the device is ``SEQ_REORDER_WINDOW`` messages
    past it (a late arrival within the window fills it: no false gap for 1, 3, 2); a seq far below
    the highest (``SEQ_RESTART_DISTANCE``), or 0 when 0 was not seen, is a device restart: what
    was still missing is counted and tracking starts again from it.  Gaps still inside the window
    when ingest stops are not counted.
    """

    def __init__(self) -> None:
        self._dev: dict[tuple[str, str, str], _DeviceSeq] = {}

    def gap(self, key: tuple[str, str, str], seq: int) -> int:
        d = self._dev.get(key)
        if d is None:
            self._dev[key] = _DeviceSeq(seq, seq)
            return 0
        if seq > d.high:
            lowest_kept = seq - SEQ_REORDER_WINDOW
            # the new holes d.high+1 .. seq-1: those already out of the window count now
            gaps = max(0, min(seq, lowest_kept) - (d.high + 1))
            d.missing.update(range(max(d.high + 1, lowest_kept), seq))
            d.high = seq
            expired = [m for m in d.missing if m < lowest_kept]
            for m in expired:
                d.missing.discard(m)
            return gaps + len(expired)
        if seq in d.missing:  # late, within the window
            d.missing.discard(seq)
            return 0
        if (seq == 0 and d.floor > 0) or seq < d.high - SEQ_RESTART_DISTANCE:
            gaps = len(d.missing)  # never arrived before the restart
            self._dev[key] = _DeviceSeq(seq, seq)
            return gaps
        return 0  # a redelivery (seen already) or a very late message


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
        if msg.topic.endswith("/alerts") and _ALERTS_TOPIC.match(msg.topic):
            totals.ignored += 1  # alerts share the topic tree but carry no readings
            self.metrics.ignored.inc()
            return
        if len(msg.payload) > MAX_PAYLOAD_BYTES:
            self._too_large(msg)
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
        t = d.topic
        if t is None:
            return
        if self.seq is not None and d.seq is not None:  # received, even if every reading was refused
            gap = self.seq.gap((t.site, t.unit, t.device), d.seq)
            if gap:
                totals.seq_gaps += gap
                self.metrics.seq_gaps.inc(gap)
        if n:
            batch.items.append(Item(t.site, t.unit, t.device, d.rows, d.lines, d.unencodable))
            batch.readings += n

    def _too_large(self, msg: Received) -> None:
        size = len(msg.payload)
        self.dead_letters.put(
            "too_large",
            f"payload of {size} bytes is over the {MAX_PAYLOAD_BYTES}-byte limit; "
            f"the first {TOO_LARGE_KEPT_BYTES} bytes are kept",
            msg.topic,
            msg.payload[:TOO_LARGE_KEPT_BYTES],
            size=size,
        )
        self.metrics.reject("too_large")
