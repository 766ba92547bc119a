"""``eggwatch gateway mqtt``: vendor topics in, normalised readings out (store and forward).

The vendor subscription uses a persistent session with manual acknowledgement: a vendor message
is acknowledged to the broker only after its readings are in the fsync'd spool (or its problem
is in the dead-letter file), so neither a crash nor a broker outage loses it.  The last values of
devices that publish only on change are published again while they are silent (repeat.py).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho

from eggwatch.deadletter import DeadLetters
from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress, Settings
from gateway.mqtt_config import MqttGatewayConfig, load_mqtt_config
from gateway.mqtt_mapping import Translator
from gateway.publisher import Publisher
from gateway.repeat import Repeater
from gateway.runtime import log_publisher, make_publisher, state_dir

log = logging.getLogger(__name__)


def _topic_of(msg: paho.MQTTMessage) -> str:
    try:
        return msg.topic
    except UnicodeDecodeError:  # paho decodes the topic on access; a broken one must not raise again
        return repr(msg._topic)


class MqttGateway:
    def __init__(
        self, cfg: MqttGatewayConfig, source: BrokerAddress, publisher: Publisher, dead: DeadLetters
    ) -> None:
        self.cfg = cfg
        self.publisher = publisher
        self.dead = dead
        self.translator = Translator(cfg.mappings)
        self.source = source
        client_id = cfg.source.client_id or f"eggwatch-gw-mqtt-{uuid.uuid4().hex[:10]}"
        self.client = make_client(
            source, client_id, persistent=cfg.source.client_id is not None, manual_ack=True
        )
        # A vendor broker back from a crash has lost our session: what devices publish before we
        # subscribe again is dropped, so retry often, not after paho's backoff of up to 30 s.
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.repeater = Repeater()
        # set by the SUBACK: from then on no vendor message is missed (status, tests)
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.connect_failures = 0  # failed attempts to reach the vendor broker since the last connection
        self.received = 0
        self.translated = 0
        self.refused_unacked = 0  # vendor messages left for the broker to resend: the spool was full
        self.retained_skipped = 0  # retained values without a timestamp: measured when, unknown
        self._tokens = itertools.count()
        self._to_ack: list[tuple[paho.MQTTMessage, int | None]] = []
        self._awaiting_room = False
        self._next_resume = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path, settings: Settings) -> MqttGateway:
        cfg = load_mqtt_config(path)
        site = cfg.site or settings.site
        source = BrokerAddress.parse(cfg.source.url) if cfg.source.url else settings.broker
        publisher = make_publisher(settings, site, "mqtt", path, cfg.publish)
        dead = DeadLetters(state_dir(settings, "mqtt", path, cfg.publish) / "deadletters.jsonl")
        return cls(cfg, source, publisher, dead)

    def _on_connect(
        self, client: paho.Client, userdata: object, flags: object, rc: object, props: object = None
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.warning("vendor broker refused the connection: %s", rc)
            return
        self.connect_failures = 0
        self.subscribed.clear()
        subs = sorted({m.subscription for m in self.cfg.mappings})
        topics: list[tuple[str, int]] = [(s, int(self.cfg.source.qos)) for s in subs]
        client.subscribe(topics)
        log.info("subscribed to %s on %s", ", ".join(subs), self.source)

    def _on_connect_fail(self, client: paho.Client, userdata: object) -> None:
        # paho retries on its own and says nothing: an unreachable vendor broker would be silence.
        self.connect_failures += 1
        if self.connect_failures == 1:
            log.warning("cannot reach the vendor broker at %s; retrying until it answers", self.source)

    def _on_disconnect(self, client: paho.Client, userdata: object, *args: object) -> None:
        # What a device says while we are away arrives later, if at all: repeating its last value
        # meanwhile could show a counter standing still while it counted.
        self.subscribed.clear()
        self.repeater.clear()

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        # paho calls this on its network thread: an exception escaping here would end that thread
        # and silently every later vendor message with it.  A message we fail on is dead-lettered.
        self.received += 1
        token = None
        try:
            token = self._handle(msg)
        except Exception as exc:
            log.exception("vendor message on %s could not be handled; dead-lettered", _topic_of(msg))
            try:
                self.dead.put("internal_error", f"{type(exc).__name__}: {exc}", _topic_of(msg), msg.payload)
            except Exception:
                log.exception("could not dead-letter the vendor message on %s", _topic_of(msg))
        with self._lock:
            self._to_ack.append((msg, token))

    def _handle(self, msg: paho.MQTTMessage) -> int | None:
        """Translate and queue one message; the publisher token of its readings, if any."""
        if msg.retain and self._untimed(msg.topic):
            # A retained value was measured at some unknown time before we subscribed (at every
            # start, the same one): stamping it with our clock would invent a measurement.
            self.retained_skipped += 1
            log.info("retained value on %s has no time of measurement; not published", msg.topic)
            return None
        result = self.translator.translate(msg.topic, bytes(msg.payload))
        for p in result.problems:
            self.dead.put(p.reason, p.detail, msg.topic, msg.payload)
        if not (result.readings and result.unit and result.device):
            return None
        token = next(self._tokens)
        self.publisher.submit(result.unit, result.device, result.readings, token)
        self.translated += len(result.readings)
        if result.repeat is not None:
            r = result.repeat
            self.repeater.seen(
                result.unit, result.device, result.readings, r.every_s, r.for_s, time.monotonic()
            )
        return token

    def _untimed(self, topic: str) -> bool:
        found = self.translator.match(topic)
        return found is not None and found[0].timestamp is None

    def _repeat_silent(self) -> None:
        """Publish again the last values of on-change devices that have been silent long enough."""
        if not self.subscribed.is_set():
            return
        for unit, device, readings in self.repeater.due(time.monotonic(), time.time_ns() // 1_000_000):
            self.publisher.submit(unit, device, readings)

    def _ack_durable(self) -> None:
        """Acknowledge the vendor messages whose readings and dead letters are now on disk.

        A message whose readings the spool refused (full) is not acknowledged when the vendor
        session is persistent: the broker keeps it, and sends it again once we reconnect
        (:meth:`_redeliver_refused`).  Without such a session it could never come again, so it is
        dead-lettered as ``spool_full`` (verbatim, with its topic) and acknowledged.
        """
        with self._lock:
            acks, self._to_ack = self._to_ack, []
        if not acks:
            return
        self.publisher.flush()
        refused = self.publisher.take_refused(t for _, t in acks if t is not None)
        for msg, token in acks:
            if token in refused and not self._redeliverable(msg):
                self.dead.put(
                    "spool_full", "the spool was full: readings not spooled", msg.topic, msg.payload
                )
        self.dead.flush()
        for msg, token in acks:
            if token in refused and self._redeliverable(msg):
                self.refused_unacked += 1
                if not self._awaiting_room:
                    log.warning("spool full: vendor messages left unacknowledged for the broker to resend")
                self._awaiting_room = True
            elif msg.qos:
                self.client.ack(msg.mid, msg.qos)

    def _redeliverable(self, msg: paho.MQTTMessage) -> bool:
        return self.cfg.source.client_id is not None and msg.qos > 0

    def _redeliver_refused(self) -> None:
        """Once the spool has room, reconnect the vendor session: the broker resends what we left
        unacknowledged (it resends only on a new connection, never within one)."""
        now = time.monotonic()
        if not self._awaiting_room or now < self._next_resume or not self.publisher.has_room():
            return
        self._awaiting_room = False
        self._next_resume = now + 2.0  # while the spool stays full, at most one reconnect per 2 s
        self._ack_durable()  # what is durable is acknowledged before the connection goes
        log.info("spool has room again: reconnecting to the vendor broker to receive the refused messages")
        self.client.disconnect()
        self.client.loop_stop()
        self.client.connect_async(self.source.host, self.source.port, keepalive=30)
        self.client.loop_start()

    def start(self) -> None:
        self.publisher.start()
        self.client.connect_async(self.source.host, self.source.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        # Acknowledge what is durable while the connection is up: an ack after the disconnect goes
        # nowhere, and a persistent session would hand those messages over again at the next start.
        self._ack_durable()
        self.client.disconnect()
        self.client.loop_stop()
        self._ack_durable()  # what arrived meanwhile: spooled or dead-lettered (the broker resends it)
        self.publisher.close()
        self.dead.close()

    def log_status(self) -> None:
        log.info(
            "mqtt gateway: %d vendor messages, %d readings (%d repeated), %d left to the broker "
            "(spool full), %d retained without a time skipped, dead letters %s",
            self.received,
            self.translated,
            self.repeater.repeated,
            self.refused_unacked,
            self.retained_skipped,
            dict(self.dead.counts) or "none",
        )
        log_publisher(self.publisher)

    def run(self, stop: threading.Event, status_every_s: float = 60.0) -> None:
        self.start()
        ack_every = max(self.cfg.publish.linger_s, 0.02)
        ticks = 0
        try:
            while not stop.wait(ack_every):
                self._repeat_silent()
                self._ack_durable()
                self._redeliver_refused()
                ticks += 1
                if ticks * ack_every >= status_every_s:
                    ticks = 0
                    self.log_status()
        finally:
            self.stop()
