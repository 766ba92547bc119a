"""Spool → broker: publish the oldest spooled readings at QoS 1 and commit them once acknowledged.

The sender works in rounds: peek a window of records, coalesce consecutive records of a device
into messages of up to ``batch_size`` readings, publish them all, wait for every PUBACK, commit
the window, persist the per-device ``seq``.  While the broker is away the round simply waits
(paho retransmits the unacknowledged messages in order after reconnecting) and new readings pile
up in the spool; the next rounds replay that backlog oldest first.  A crash before the commit
replays the window on restart with the same ``seq`` values: at-least-once, and ingest's writes
are idempotent.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import orjson
import paho.mqtt.client as paho

from eggwatch.spool import Spool
from eggwatch.wire import PREFIX
from gateway import spoolrecord

log = logging.getLogger(__name__)

# MQTT 5 PUBACK reason: the broker took the message but nobody was subscribed, so it dropped it.
NO_MATCHING_SUBSCRIBERS = 0x10
HOLD_MAX_S = 10.0


class SeqFile:
    """The next ``seq`` per device, kept beside the spool (rewritten after each committed round)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.next: dict[str, int] = {}
        try:
            self.next = {str(k): int(v) for k, v in orjson.loads(path.read_bytes()).items()}
        except FileNotFoundError:
            pass
        except (ValueError, TypeError, AttributeError):
            # seq only lets ingest see gaps: a damaged file restarts the numbering, it stops nothing.
            log.warning("%s is damaged: the devices' seq numbering starts again at 0", path)

    def take(self, topic: str) -> int:
        seq = self.next.get(topic, 0)
        self.next[topic] = seq + 1
        return seq

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(self.next))
        os.replace(tmp, self.path)


class Sender(threading.Thread):
    def __init__(
        self,
        spool: Spool,
        client: paho.Client,
        site: str,
        seq_path: Path,
        batch_size: int,
        window_records: int,
    ) -> None:
        super().__init__(name="mqtt sender", daemon=True)
        self.spool = spool
        self.client = client
        self.site = site
        self.seqs = SeqFile(seq_path)
        self.batch_size = batch_size
        self.window_records = window_records
        self.connected = threading.Event()
        self.new_data = threading.Event()
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._acked: set[int] = set()  # PUBACKs of this round (they may beat publish() returning)
        self._waiting: set[int] = set()
        self._unrouted: set[int] = set()  # PUBACKs of this round saying "no matching subscribers"
        self._hold_s = 0.0  # wait before retrying a window nobody was subscribed to (0: not holding)
        self._all_acked = threading.Event()
        # metrics
        self.published_readings = 0
        self.published_messages = 0
        self.bad_records = 0
        self.last_round_rate = 0.0  # readings/s of the last round (the replay rate in a backlog)
        self.connect_failures = 0  # failed connection attempts since the last connection
        self.unrouted_messages = 0  # messages the broker had no subscriber for (kept, sent again)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish

    # -- paho callbacks (network thread) ----------------------------------------------------------

    def _on_connect(
        self, client: paho.Client, userdata: object, flags: object, rc: object, props: object = None
    ) -> None:
        if not getattr(rc, "is_failure", False):
            log.info("connected to the broker")
            self.connect_failures = 0
            self.connected.set()
        else:
            log.warning("the broker refused the connection: %s", rc)

    def _on_connect_fail(self, client: paho.Client, userdata: object) -> None:
        # paho retries on its own and says nothing: a broker unreachable from the start (a wrong
        # EGGWATCH_MQTT_URL) would only show as DISCONNECTED in the next status line.
        self.connect_failures += 1
        if self.connect_failures == 1 and not self._stop_event.is_set():
            log.warning(
                "cannot reach the broker at %s:%s; spooling and retrying until it answers",
                client.host,
                client.port,
            )

    def _on_disconnect(
        self, client: paho.Client, userdata: object, flags: object, rc: object, props: object = None
    ) -> None:
        if self.connected.is_set() and not self._stop_event.is_set():
            log.warning("lost the broker (%s); spooling until it is back", rc)
        self.connected.clear()

    def _on_publish(
        self, client: paho.Client, userdata: object, mid: int, rc: object = None, props: object = None
    ) -> None:
        with self._lock:
            if getattr(rc, "value", 0) == NO_MATCHING_SUBSCRIBERS:
                self._unrouted.add(mid)
            self._acked.add(mid)
            if self._waiting and self._waiting <= self._acked:
                self._all_acked.set()

    # -- rounds ----------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop_event.set()
        self.new_data.set()

    def run(self) -> None:
        while not self._stop_event.is_set():
            if not self.connected.wait(0.5):
                continue
            try:
                window = self.spool.peek(self.window_records)
                if not window:
                    self.new_data.wait(0.5)
                    self.new_data.clear()
                    continue
                self._round(window)
            except Exception:  # a damaged spool or disk error must not end publishing for good
                log.exception("publishing round failed; retrying in 5 s")
                self._stop_event.wait(5)

    def _messages(self, window: list[tuple[int, bytes]]) -> tuple[list[tuple[str, bytes]], int]:
        """Coalesce the window into (topic, payload) messages, per device in spool order."""
        open_: dict[str, tuple[list[bytes], int]] = {}
        out: list[tuple[str, bytes]] = []
        readings = 0

        def close(topic: str) -> None:
            bodies, _ = open_.pop(topic)
            out.append((topic, spoolrecord.message(self.seqs.take(topic), bodies)))

        for rid, raw in window:
            try:
                rec = spoolrecord.unpack(raw)
            except (ValueError, UnicodeDecodeError):
                self.bad_records += 1
                log.error("spool record %d is not a gateway record; dropped", rid)
                continue
            topic = f"{PREFIX}/{self.site}/{rec.unit}/{rec.device}"
            bodies, count = open_.get(topic, ([], 0))
            if bodies and count + rec.count > self.batch_size:
                close(topic)
                bodies, count = [], 0
            bodies.append(rec.body)
            open_[topic] = (bodies, count + rec.count)
            readings += rec.count
        for topic in list(open_):
            close(topic)
        return out, readings

    def _round(self, window: list[tuple[int, bytes]]) -> None:
        started = time.monotonic()
        saved = dict(self.seqs.next)
        messages, readings = self._messages(window)
        with self._lock:
            self._all_acked.clear()
            self._acked.clear()
            self._unrouted.clear()
            self._waiting = set()
        # Never hold our lock while calling paho: its network thread holds paho's message lock
        # while it runs on_publish, which takes ours.
        mids = {self.client.publish(topic, payload, qos=1).mid for topic, payload in messages}
        with self._lock:
            self._waiting = mids
            if mids <= self._acked:
                self._all_acked.set()
        while not self._all_acked.wait(0.5):
            if self._stop_event.is_set():
                self.seqs.next = saved  # not committed: the same seqs go out again next time
                return
        with self._lock:
            unrouted = len(self._unrouted)
        if unrouted:
            self.seqs.next = saved
            self._hold(unrouted, len(messages))
            return
        if self._hold_s:
            log.info("the broker has subscribers again; publishing the held readings")
            self._hold_s = 0.0
        self.spool.commit(window[-1][0])
        self.seqs.save()
        self.published_readings += readings
        self.published_messages += len(messages)
        self.last_round_rate = readings / max(time.monotonic() - started, 1e-6)

    def _hold(self, unrouted: int, messages: int) -> None:
        """Nobody was subscribed: the broker dropped those messages, so keep the window spooled.

        After a broker restart Mosquitto restores the sessions of ingest's shared subscription but
        not the subscription itself: until a member resubscribes, whatever we publish is dropped.
        """
        self.unrouted_messages += unrouted
        if not self._hold_s:
            log.warning(
                "the broker has no subscriber for %d of %d messages (is ingest running?); "
                "keeping them spooled and publishing again until one takes them",
                unrouted,
                messages,
            )
        self._hold_s = min(max(2 * self._hold_s, 0.5), HOLD_MAX_S)
        self._stop_event.wait(self._hold_s)

    def drain(self, timeout_s: float) -> None:
        """Wait (bounded) for the spool to empty, e.g. before a clean shutdown."""
        deadline = time.monotonic() + timeout_s
        while self.spool.depth_records and self.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
