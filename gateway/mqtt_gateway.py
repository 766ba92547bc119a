"""``eggwatch gateway mqtt``: vendor topics in, normalised readings out (store and forward).

The vendor subscription uses a persistent session with manual acknowledgement: a vendor message
is acknowledged to the broker only after its readings are in the fsync'd spool (or its problem
is in the dead-letter file), so neither a crash nor a broker outage loses it.  The last values of
devices that publish only on change are published again while they are silent (repeat.py).
"""

from __future__ import annotations

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
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.repeater = Repeater()
        # set by the SUBACK: from then on no vendor message is missed (status, tests)
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.received = 0
        self.translated = 0
        self._to_ack: list[tuple[int, int]] = []
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
        self.subscribed.clear()
        subs = sorted({m.subscription for m in self.cfg.mappings})
        topics: list[tuple[str, int]] = [(s, int(self.cfg.source.qos)) for s in subs]
        client.subscribe(topics)
        log.info("subscribed to %s on %s", ", ".join(subs), self.source)

    def _on_disconnect(self, client: paho.Client, userdata: object, *args: object) -> None:
        # What a device says while we are away arrives later, if at all: repeating its last value
        # meanwhile could show a counter standing still while it counted.
        self.subscribed.clear()
        self.repeater.clear()

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        # paho calls this on its network thread: an exception escaping here would end that thread
        # and silently every later vendor message with it.  A message we fail on is dead-lettered.
        self.received += 1
        try:
            self._handle(msg)
        except Exception as exc:
            log.exception("vendor message on %s could not be handled; dead-lettered", _topic_of(msg))
            try:
                self.dead.put("internal_error", f"{type(exc).__name__}: {exc}", _topic_of(msg), msg.payload)
            except Exception:
                log.exception("could not dead-letter the vendor message on %s", _topic_of(msg))
        with self._lock:
            self._to_ack.append((msg.mid, msg.qos))

    def _handle(self, msg: paho.MQTTMessage) -> None:
        result = self.translator.translate(msg.topic, bytes(msg.payload))
        for p in result.problems:
            self.dead.put(p.reason, p.detail, msg.topic, msg.payload)
        if result.readings and result.unit and result.device:
            self.publisher.submit(result.unit, result.device, result.readings)
            self.translated += len(result.readings)
            if result.repeat is not None:
                r = result.repeat
                self.repeater.seen(
                    result.unit, result.device, result.readings, r.every_s, r.for_s, time.monotonic()
                )

    def _repeat_silent(self) -> None:
        """Publish again the last values of on-change devices that have been silent long enough."""
        if not self.subscribed.is_set():
            return
        for unit, device, readings in self.repeater.due(time.monotonic(), time.time_ns() // 1_000_000):
            self.publisher.submit(unit, device, readings)

    def _ack_durable(self) -> None:
        """Acknowledge the vendor messages whose readings and dead letters are now on disk."""
        with self._lock:
            acks, self._to_ack = self._to_ack, []
        if not acks:
            return
        self.publisher.flush()
        self.dead.flush()
        for mid, qos in acks:
            if qos:
                self.client.ack(mid, qos)

    def start(self) -> None:
        self.publisher.start()
        self.client.connect_async(self.source.host, self.source.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._ack_durable()
        self.publisher.close()
        self.dead.close()

    def log_status(self) -> None:
        log.info(
            "mqtt gateway: %d vendor messages, %d readings (%d repeated), dead letters %s",
            self.received,
            self.translated,
            self.repeater.repeated,
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
                ticks += 1
                if ticks * ack_every >= status_every_s:
                    ticks = 0
                    self.log_status()
        finally:
            self.stop()
