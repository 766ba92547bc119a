"""The shipped mosquitto.conf, ACL and password-file script, loaded by the REAL Debian Mosquitto
(our own process on a free port; the machine's broker on 1883 is never touched): gateways may
publish only under their own units, ingest reads everything, nobody connects anonymously."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from eggwatch import wire
from eggwatch.wire import Reading
from ingest.batch import MAX_PAYLOAD_BYTES
from tests.support.servers import free_port, port_open

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
PASSWORDS = {
    "MQTT_PASSWORD_INGEST": "ingest-secret-0123456789",
    "MQTT_PASSWORD_ANALYTICS": "analytics-secret-0123456789",
    "MQTT_PASSWORD_GW_SERIAL_1": "gateway1-secret-0123456789",
    "MQTT_PASSWORD_GW_SERIAL_2": "gateway2-secret-0123456789",
}
TOPIC = "eggwatch/v1/jinji/house-02/climate-1"  # under gw-serial-1's units (acl)


def test_make_passwd_refuses_short_passwords(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "MQTT_PASSWORD_INGEST": "short"}
    r = subprocess.run(
        [str(DEPLOY / "make-passwd.sh"), str(tmp_path / "passwd")], env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "shorter than 16" in r.stderr
    assert not (tmp_path / "passwd").exists()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("mosquitto")
    env = {"PATH": os.environ["PATH"], **PASSWORDS}
    r = subprocess.run(
        [str(DEPLOY / "make-passwd.sh"), str(tmp / "passwd")], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    text = (tmp / "passwd").read_text()
    assert "gw-serial-1:$7$" in text and "secret" not in text  # hashed, never plain
    port = free_port()
    conf = (DEPLOY / "mosquitto.conf").read_text()
    # Only the container paths and the port change; every other setting is the shipped one.
    conf = re.sub(r"^listener 1883$", f"listener {port} 127.0.0.1", conf, flags=re.M)
    conf = re.sub(r"^password_file .*$", f"password_file {tmp / 'passwd'}", conf, flags=re.M)
    conf = re.sub(r"^acl_file .*$", f"acl_file {DEPLOY / 'acl'}", conf, flags=re.M)
    conf = re.sub(r"^persistence_location .*$", f"persistence_location {tmp}/", conf, flags=re.M)
    assert conf.count(str(tmp)) == 2 and f"listener {port}" in conf
    if os.geteuid() == 0:  # as root Mosquitto would drop to user "mosquitto", who cannot read tmp
        conf += "\nuser root\n"
    (tmp / "mosquitto.conf").write_text(conf)
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with open(tmp / "mosquitto.log", "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([exe, "-c", str(tmp / "mosquitto.conf")], stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while not port_open("127.0.0.1", port, 0.2):
        assert proc.poll() is None, (tmp / "mosquitto.log").read_text()
        assert time.monotonic() < deadline, "mosquitto did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def connect(port: int, user: str | None, password: str | None) -> tuple[mqtt.Client, ReasonCode]:
    """An MQTT 5 client (so refused publishes come back with a reason code); waits for CONNACK."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
    )
    if user:
        client.username_pw_set(user, password)
    connack: queue.Queue[ReasonCode] = queue.Queue()
    client.on_connect = lambda c, u, flags, rc, props: connack.put(rc)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        rc = connack.get(timeout=5)
    except queue.Empty:
        rc = ReasonCode(mqtt.CONNACK >> 4, "Unspecified error")
    return client, rc


def stop(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


def publish_rc(client: mqtt.Client, topic: str) -> int:
    """Publish QoS 1 and return the PUBACK reason code (0 = accepted, 0x87 = not authorized)."""
    acks: queue.Queue[int] = queue.Queue()
    client.on_publish = lambda c, u, mid, rc, props: acks.put(rc.value)
    client.publish(topic, b'{"seq": 1, "readings": []}', qos=1).wait_for_publish(5)
    return acks.get(timeout=5)


def test_anonymous_and_wrong_password_are_refused(broker: int) -> None:
    for user, password in ((None, None), ("ingest", "wrong-password-123456"), ("nobody", "x" * 20)):
        client, rc = connect(broker, user, password)
        stop(client)
        assert rc.is_failure, (user, rc)


def test_gateway_publishes_only_under_its_own_units_and_ingest_reads_them(broker: int) -> None:
    ingest, rc = connect(broker, "ingest", PASSWORDS["MQTT_PASSWORD_INGEST"])
    assert not rc.is_failure
    received: queue.Queue[str] = queue.Queue()
    ingest.on_message = lambda c, u, msg: received.put(msg.topic)
    granted: queue.Queue[list[ReasonCode]] = queue.Queue()
    ingest.on_subscribe = lambda c, u, mid, codes, props: granted.put(codes)
    ingest.subscribe(f"$share/ingest-{uuid.uuid4().hex[:6]}/eggwatch/v1/#", qos=1)
    assert not granted.get(timeout=5)[0].is_failure

    gateway, rc = connect(broker, "gw-serial-1", PASSWORDS["MQTT_PASSWORD_GW_SERIAL_1"])
    assert not rc.is_failure
    own = "eggwatch/v1/jinji/house-02/climate-1"
    assert publish_rc(gateway, own) == 0
    assert received.get(timeout=5) == own

    for foreign in (
        "eggwatch/v1/jinji/house-05/climate-1",  # another gateway's house
        "eggwatch/v1/jinji/packing-1/grader-1",  # a packing line
        "eggwatch/v1/other/house-01/climate-1",  # another site
        "eggwatch/v1/jinji/house-01/alerts",  # alerts are the analytics loop's
        "eggwatch/v1/jinji/house-01/climate-1/extra",  # deeper than unit/device
    ):
        assert publish_rc(gateway, foreign) == 0x87, foreign
    # The next accepted message is the marker: nothing refused slipped through before it.
    assert publish_rc(gateway, "eggwatch/v1/jinji/house-04/marker") == 0
    assert received.get(timeout=5) == "eggwatch/v1/jinji/house-04/marker"
    assert received.empty()

    # A gateway may not read the park's data either: Mosquitto 2.0 grants the subscription but
    # checks `read` on delivery, so nothing arrives while ingest does receive the same message.
    spied: queue.Queue[str] = queue.Queue()
    gateway.on_message = lambda c, u, msg: spied.put(msg.topic)
    gateway.on_subscribe = lambda c, u, mid, codes, props: granted.put(codes)
    gateway.subscribe("eggwatch/v1/#", qos=1)
    granted.get(timeout=5)
    assert publish_rc(gateway, "eggwatch/v1/jinji/house-01/climate-1") == 0
    assert received.get(timeout=5) == "eggwatch/v1/jinji/house-01/climate-1"
    with pytest.raises(queue.Empty):
        spied.get(timeout=0.5)
    stop(gateway)
    stop(ingest)


def test_analytics_publishes_alerts_that_ingest_can_read(broker: int) -> None:
    analytics, rc = connect(broker, "analytics", PASSWORDS["MQTT_PASSWORD_ANALYTICS"])
    assert not rc.is_failure
    assert publish_rc(analytics, "eggwatch/v1/jinji/house-03/alerts") in (0, 0x10)  # 0x10: no subscribers
    assert publish_rc(analytics, "eggwatch/v1/jinji/house-03/climate-1") == 0x87
    # It reads the readings from InfluxDB: the broker delivers it none.
    spied: queue.Queue[str] = queue.Queue()
    granted: queue.Queue[list[ReasonCode]] = queue.Queue()
    analytics.on_message = lambda c, u, msg: spied.put(msg.topic)
    analytics.on_subscribe = lambda c, u, mid, codes, props: granted.put(codes)
    analytics.subscribe("eggwatch/v1/#", qos=1)
    granted.get(timeout=5)
    gateway, rc = connect(broker, "gw-serial-1", PASSWORDS["MQTT_PASSWORD_GW_SERIAL_1"])
    assert not rc.is_failure and publish_rc(gateway, "eggwatch/v1/jinji/house-01/climate-1") in (0, 0x10)
    with pytest.raises(queue.Empty):
        spied.get(timeout=0.5)
    stop(gateway)
    stop(analytics)


def test_the_largest_message_ingest_accepts_passes_the_broker(broker: int) -> None:
    # 5,000 readings (the most a message may hold) with 8 tags of 32-character keys and values of
    # 64 four-byte characters: every one a valid reading, 12 MB.  The broker's max_packet_size was
    # 10 MiB and refused such a message, which ingest itself accepts (up to 16 MiB).
    ts = int(time.time() * 1000)
    tags = {f"t{k}".ljust(32, "x"): "\U0001f95a" * 64 for k in range(8)}
    payload = wire.encode(1, (Reading(ts - i, "temp_c", 20.5, tags) for i in range(5000)))
    assert 10 << 20 < len(payload) <= MAX_PAYLOAD_BYTES and wire.decode(TOPIC, payload).ok
    ingest, rc = connect(broker, "ingest", PASSWORDS["MQTT_PASSWORD_INGEST"])
    assert not rc.is_failure
    received: queue.Queue[int] = queue.Queue()
    ingest.on_message = lambda c, u, msg: received.put(len(msg.payload))
    granted: queue.Queue[list[ReasonCode]] = queue.Queue()
    ingest.on_subscribe = lambda c, u, mid, codes, props: granted.put(codes)
    ingest.subscribe(TOPIC, qos=1)
    assert not granted.get(timeout=5)[0].is_failure
    gateway, rc = connect(broker, "gw-serial-1", PASSWORDS["MQTT_PASSWORD_GW_SERIAL_1"])
    assert not rc.is_failure
    gateway.publish(TOPIC, payload, qos=1)
    assert received.get(timeout=30) == len(payload)
    stop(gateway)
    stop(ingest)
