"""The retained alert topic ``eggwatch/v1/<site>/<unit>/alerts`` (CONTRACTS §3): the latest
alert object of each unit, so a dashboard or phone that connects later sees it at once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import orjson
import paho.mqtt.client as paho

from analytics.alerts.channels import DeliveryError
from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from eggwatch.wire import Topic


class MqttChannel:
    name = "mqtt"

    def __init__(self, broker: BrokerAddress, *, qos: int = 1, timeout_s: float = 10.0) -> None:
        self.broker = broker
        self.qos = qos
        self.timeout_s = timeout_s
        self._connected = threading.Event()
        # Clean session: a retry re-publishes itself, paho must not also replay stale messages.
        self._client = make_client(broker, f"eggwatch-alerts-{uuid.uuid4().hex[:12]}", persistent=False)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._started = False

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any = None) -> None:
        if not rc.is_failure:
            self._connected.set()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any = None
    ) -> None:
        self._connected.clear()

    def _ensure_connected(self) -> None:
        if not self._started:
            self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
            self._client.loop_start()  # paho reconnects by itself from here on
            self._started = True
        if not self._connected.wait(self.timeout_s):
            raise DeliveryError(f"MQTT broker {self.broker} not reachable")

    def deliver(self, payload: dict[str, Any]) -> None:
        alert = payload["alert"]
        topic = str(Topic.alerts(alert["site"], alert["unit"]))
        self._ensure_connected()
        info = self._client.publish(topic, orjson.dumps(alert), qos=self.qos, retain=True)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise DeliveryError(f"MQTT publish to {topic} failed: {paho.error_string(info.rc)}")
        try:
            info.wait_for_publish(self.timeout_s)
        except (RuntimeError, ValueError) as exc:
            raise DeliveryError(f"MQTT publish to {topic} failed: {exc}") from exc
        if not info.is_published():
            raise DeliveryError(f"MQTT publish to {topic} not acknowledged within {self.timeout_s}s")

    def close(self) -> None:
        if self._started:
            self._client.disconnect()
            self._client.loop_stop()
            self._started = False
