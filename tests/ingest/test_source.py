"""The MQTT side of ingest against the real Mosquitto."""

from __future__ import annotations

import contextlib
import logging
import queue
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from eggwatch.settings import BrokerAddress
from ingest.source import MqttSource
from tests.ingest.helpers import Publisher, wait_until


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


def test_a_filter_of_an_earlier_run_is_dropped_from_the_session(mqtt_url: str, tmp_path: Path) -> None:
    """The broker keeps a persistent session's subscriptions: restarted with another --site (or
    --group) under the same client id, ingest kept receiving and storing what it used to subscribe
    to.  The filter is recorded in the state directory and the old one unsubscribed."""
    broker = BrokerAddress.parse(mqtt_url)
    client_id = f"test-refilter-{uuid.uuid4().hex[:8]}"
    old_site, new_site = f"t{uuid.uuid4().hex[:10]}", f"t{uuid.uuid4().hex[:10]}"
    record = tmp_path / "subscription"
    first = MqttSource(broker, client_id, f"eggwatch/v1/{old_site}/#", "5", 100, 60, filter_file=record)
    first.start()
    first.stop()
    second = MqttSource(broker, client_id, f"eggwatch/v1/{new_site}/#", "5", 100, 60, filter_file=record)
    publisher = Publisher(mqtt_url)
    try:
        second.start()
        # One publisher's messages reach a subscriber in order: once the second has arrived, the
        # first would have.
        publisher.send_all([(f"eggwatch/v1/{old_site}/h/d", b"old"), (f"eggwatch/v1/{new_site}/h/d", b"new")])
        got: list[bytes] = []
        deadline = time.monotonic() + 10
        while b"new" not in got:
            assert time.monotonic() < deadline, f"the new site's message did not arrive: {got}"
            with contextlib.suppress(queue.Empty):
                got.append(second.inbox.get(timeout=0.5).payload)
        assert got == [b"new"]
    finally:
        publisher.close()
        second.stop()
        _end_session(broker, client_id)


def _end_session(broker: BrokerAddress, client_id: str) -> None:
    """Connect once with a session that expires at once: the broker forgets the test's session."""
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    c.connect(broker.host, broker.port, clean_start=True, properties=props)
    c.disconnect()
