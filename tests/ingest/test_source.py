"""The MQTT side of ingest against the real Mosquitto."""

from __future__ import annotations

import logging
import uuid

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from eggwatch.settings import BrokerAddress
from ingest.source import MqttSource
from tests.ingest.helpers import wait_until


def test_a_second_connection_with_our_client_id_is_named(
    mqtt_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two hosts running ingest with one --client-id take the broker session in turns; the spool
    lock cannot see the other host, so the MQTT 5 "Session taken over" is logged and counted."""
    broker = BrokerAddress.parse(mqtt_url)
    client_id = f"test-takeover-{uuid.uuid4().hex[:8]}"
    taken: list[int] = []
    source = MqttSource(broker, client_id, "eggwatch/v1/nosuchsite/#", "5", 100, 60,
                        on_taken_over=lambda: taken.append(1))  # fmt: skip
    other = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    caplog.set_level(logging.ERROR, logger="ingest.source")
    source.start()
    try:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 0
        other.connect(broker.host, broker.port, properties=props)
        other.loop_start()
        wait_until(lambda: bool(taken), 10, "the session taken over")
        assert f"--client-id {client_id} on another host" in caplog.text
    finally:
        other.loop_stop()
        other.disconnect()
        source.stop()
