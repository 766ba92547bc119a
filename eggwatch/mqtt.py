"""Building paho-mqtt 2.x clients for the configured broker.

Every eggwatch process speaks MQTT 3.1.1 by default: Mosquitto supports persistent sessions and
``$share/`` subscriptions for 3.1.1 clients, and so does the embedded broker used by the demo.
"""

from __future__ import annotations

import ssl

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from eggwatch.settings import BrokerAddress

PROTOCOLS = {"3.1.1": paho.MQTTv311, "5": paho.MQTTv5}


def make_client(
    broker: BrokerAddress,
    client_id: str,
    *,
    persistent: bool = True,
    manual_ack: bool = False,
    protocol: str = "3.1.1",
    max_inflight: int = 1000,
    max_queued: int = 0,
) -> paho.Client:
    """A paho client with credentials and TLS from ``broker`` (not yet connected).

    ``persistent`` asks the broker to keep the session (subscriptions and QoS 1 messages queued
    while we are away) under ``client_id``; ``manual_ack`` defers PUBACK until the caller calls
    ``client.ack(mid, qos)``, which ingest does only once the readings are durable.
    """
    proto = PROTOCOLS[protocol]
    kwargs: dict[str, object] = {}
    if proto != paho.MQTTv5:
        kwargs["clean_session"] = not persistent
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=proto,
        manual_ack=manual_ack,
        **kwargs,  # type: ignore[arg-type]
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.max_inflight_messages_set(max_inflight)
    client.max_queued_messages_set(max_queued)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client
