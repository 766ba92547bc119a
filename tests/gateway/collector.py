"""Subscribe to the normalised topics of one site and collect what arrives (for assertions)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import orjson
import paho.mqtt.client as paho

from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress


class Collector:
    def __init__(self, url: str, topic: str, persistent: bool = False) -> None:
        self.messages: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        broker = BrokerAddress.parse(url)
        self.client = make_client(broker, f"test-collect-{uuid.uuid4().hex[:10]}", persistent=persistent)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self._subscribed.wait(30), "could not subscribe"

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, orjson.loads(msg.payload)))

    def readings(self, topic_suffix: str = "") -> list[dict]:
        with self._lock:
            return [r for t, m in self.messages if t.endswith(topic_suffix) for r in m["readings"]]

    def wait_for(self, cond: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out; got {len(self.messages)} messages")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
