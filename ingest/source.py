"""The MQTT side of ingest: a persistent QoS 1 subscription whose messages are acked by hand.

paho's network thread only queues each message (``on_message`` does no work); the writer thread
acknowledges a whole batch once it is durable.  Acking from inside the callback would mean doing
the durable write there, one message at a time, while the broker waits: with Mosquitto's
default of 20 unacknowledged messages per client, throughput would then be bounded by 20
messages per write round trip.  MQTT 5 lets us raise that window (Receive Maximum), so batches
of thousands of messages can be in flight while one is being written.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from ingest.batch import Received
from ingest.fastpaho import BufferedClient

log = logging.getLogger(__name__)

SESSION_TAKEN_OVER = 0x8E  # MQTT 5 DISCONNECT reason code "Session taken over"
SHORT_LIVED_S = 5.0
TAKEOVER_STREAK = 3


class MqttSource:
    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        topic_filter: str,
        protocol: str,
        inflight: int,
        session_expiry_s: int,
        on_taken_over: Callable[[], None] = lambda: None,
        filter_file: Path | None = None,
    ) -> None:
        self.session_expiry_s = session_expiry_s
        self.client_id = client_id
        self.on_taken_over = on_taken_over
        self._connected_at = 0.0
        self._short_lived = 0  # connections in a row lost within SHORT_LIVED_S of being made
        self.broker = broker
        self.topic_filter = topic_filter
        # The broker keeps a persistent session's subscriptions across runs: the filter of an
        # earlier run (another --site or --group) must be unsubscribed, or its messages keep coming.
        self.filter_file = filter_file
        self._stale = _recorded_filter(filter_file)
        if self._stale == topic_filter:
            self._stale = None
        self.protocol = protocol
        self.inflight = inflight
        self.inbox: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.generation = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        # Set on our subscription, or when the broker refuses the connection (why: _refused), so
        # start() fails at once with the broker's reason (e.g. bad credentials).
        self._settled = threading.Event()
        self._refused: str | None = None
        self._client = make_client(broker, client_id, persistent=True, manual_ack=True, protocol=protocol)
        # Same client, reading the socket in large chunks (see ingest/fastpaho.py for why).
        self._client.__class__ = BufferedClient
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish_received = self._on_publish  # type: ignore[attr-defined]
        self._client.on_subscribe = self._on_subscribe

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect (raises ``ConnectionError`` when the broker cannot be reached) and subscribe."""
        props = None
        kwargs: dict[str, object] = {}
        if self.protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.session_expiry_s
            props.ReceiveMaximum = self.inflight
            kwargs = {"clean_start": False, "properties": props}
        try:
            self._client.connect(self.broker.host, self.broker.port, keepalive=30, **kwargs)  # type: ignore[arg-type]
        except OSError as exc:
            raise ConnectionError(f"cannot connect to the MQTT broker {self.broker}: {exc}") from exc
        self._client.loop_start()
        if not self._settled.wait(timeout_s) or not self.subscribed.is_set():
            self.stop()
            if self._refused is not None:
                raise ConnectionError(
                    f"the MQTT broker {self.broker} refused the connection: {self._refused}"
                )
            raise ConnectionError(f"the MQTT broker {self.broker} did not accept our subscription")

    def ack(self, msgs: list[Received]) -> int:
        """Acknowledge messages received on the current connection; returns how many were acked.

        Messages from an earlier connection are not acked: the broker redelivers them (the
        rewrite is idempotent), and their ids may now belong to other messages.
        """
        gen = self.generation
        qos1 = [m.mid for m in msgs if m.qos == 1 and m.generation == gen]
        self._client.ack_many(qos1)  # type: ignore[attr-defined]  # a BufferedClient (see __init__)
        qos2 = [m for m in msgs if m.qos == 2 and m.generation == gen]  # we subscribe at QoS 1: none
        for m in qos2:
            self._client.ack(m.mid, m.qos)
        return len(qos1) + len(qos2)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    # -- paho callbacks (network thread) ----------------------------------------------------------

    def _on_connect(
        self, client: paho.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.error("MQTT broker %s refused the connection: %s", self.broker, rc)
            self._refused = str(rc)
            self._settled.set()
            return
        self.generation += 1
        self._connected_at = time.monotonic()
        if self._stale is not None:
            client.unsubscribe(self._stale)  # before subscribing: the two may overlap
        client.subscribe(self.topic_filter, qos=1)
        log.info("connected to %s, subscribed to %s", self.broker, self.topic_filter)
        self.connected.set()

    def _on_subscribe(
        self, client: paho.Client, userdata: object, mid: int, rcs: list, props: object
    ) -> None:  # type: ignore[type-arg]
        if any(getattr(rc, "is_failure", False) for rc in rcs):
            log.error("MQTT broker refused the subscription to %s: %s", self.topic_filter, rcs)
            return
        if self.filter_file is not None and not self.subscribed.is_set():  # once a run
            _record_filter(self.filter_file, self.topic_filter)
        self._stale = None  # unsubscribed before this SUBACK (the broker answers in order)
        self.subscribed.set()
        self._settled.set()

    def _on_disconnect(
        self, client: paho.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        self.connected.clear()
        short = time.monotonic() - self._connected_at < SHORT_LIVED_S
        self._short_lived = self._short_lived + 1 if short else 0
        if getattr(rc, "value", None) == SESSION_TAKEN_OVER or self._short_lived >= TAKEOVER_STREAK:
            # Another connection uses our client id (on another host: the spool lock sees only
            # this one), and each reconnect kicks the other out.  MQTT 5 brokers may say so
            # (reason 0x8E); Mosquitto 2.0.11 just closes the socket, so a streak of connections
            # lost within seconds of being made is read the same way.
            self._short_lived = 0
            self.on_taken_over()
            log.error(
                "the MQTT broker keeps closing session %r soon after it is made: is a second "
                "ingest running with --client-id %s on another host? give each its own",
                self.client_id,
                self.client_id,
            )
        elif getattr(rc, "is_failure", False):
            log.warning("MQTT connection lost (%s); reconnecting", rc)

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = repr(msg._topic)  # not valid UTF-8: decode() rejects it as a bad topic
        self.inbox.put(Received(self.generation, msg.mid, msg.qos, topic, bytes(msg.payload)))

    def _on_publish(self, topic: bytes, mid: int, qos: int, payload: bytes) -> None:
        """The fast path of ``_on_message`` (see ``BufferedClient._handle_publish``)."""
        try:
            name = topic.decode()
        except UnicodeDecodeError:
            name = repr(topic)  # not valid UTF-8: decode() rejects it as a bad topic
        self.inbox.put(Received(self.generation, mid, qos, name, payload))


def _recorded_filter(path: Path | None) -> str | None:
    try:
        return path.read_text() if path is not None else None
    except FileNotFoundError:
        return None


def _record_filter(path: Path, topic_filter: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(topic_filter)
    tmp.replace(path)
