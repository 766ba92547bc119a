"""deploy/README.md's central stack ("Several parks"), with two REAL Mosquittos on free ports: the
central one runs the shipped mosquitto.conf and ACL plus the README's bridge-user section, the
park's runs the README's bridge snippet (only the address changes, and no TLS here).  The park's
readings reach the central broker, and the central alerts reach the park, each once."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.deploy.test_mosquitto import DEPLOY, connect, stop
from tests.support.servers import free_port, port_open

pytestmark = pytest.mark.integration

README = DEPLOY.parents[1] / "deploy" / "README.md"
PASSWORDS = {
    "MQTT_PASSWORD_INGEST": "ingest-secret-0123456789",
    "MQTT_PASSWORD_ANALYTICS": "analytics-secret-0123456789",
    "MQTT_PASSWORD_BRIDGE_JINJI": "bridge-secret-0123456789",
}


def readme_conf(heading: str) -> str:
    """The README's ```conf block whose first line is ``# <heading>``, unindented."""
    for block in re.findall(r"```conf\n(.*?)```", README.read_text(), re.S):
        lines = [line.strip() for line in block.splitlines()]
        if lines and lines[0] == f"# {heading}":
            return "\n".join(lines[1:]) + "\n"
    raise AssertionError(f"deploy/README.md has no conf block '# {heading}'")


@contextmanager
def mosquitto(conf: str, tmp: Path) -> Iterator[None]:
    tmp.mkdir()
    port = int(re.search(r"^listener (\d+)", conf, re.M).group(1))  # type: ignore[union-attr]
    if os.geteuid() == 0:  # as root Mosquitto would drop to user "mosquitto", who cannot read tmp
        conf += "\nuser root\n"
    (tmp / "mosquitto.conf").write_text(conf)
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with open(tmp / "mosquitto.log", "wb") as log:
        proc = subprocess.Popen([exe, "-c", str(tmp / "mosquitto.conf")], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port, 0.2):
            assert proc.poll() is None, (tmp / "mosquitto.log").read_text()
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        proc.wait(10)


def received(
    clients: list[mqtt.Client], port: int, user: str | None, password: str | None, topic: str
) -> queue.Queue[tuple[str, bytes]]:
    """What a client subscribed to ``topic`` receives (the client goes into ``clients``)."""
    client, rc = connect(port, user, password)
    assert not rc.is_failure, rc
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    subscribed: queue.Queue[int] = queue.Queue()
    client.on_message = lambda c, u, m: got.put((m.topic, bytes(m.payload)))
    client.on_subscribe = lambda c, u, mid, rcs, props: subscribed.put(mid)
    client.subscribe(topic, qos=1)
    subscribed.get(timeout=5)
    clients.append(client)
    return got


def alerts_in(got: queue.Queue[tuple[str, bytes]], quiet_s: float) -> list[tuple[str, bytes]]:
    """The alerts among what arrives until nothing more comes for ``quiet_s`` (readings skipped)."""
    out: list[tuple[str, bytes]] = []
    while True:
        try:
            message = got.get(timeout=quiet_s)
        except queue.Empty:
            return out
        if message[0].endswith("/alerts"):
            out.append(message)


def test_readme_bridge_carries_readings_out_and_alerts_in(tmp_path: Path) -> None:
    central_port, park_port = free_port(), free_port()
    env = {"PATH": os.environ["PATH"], **PASSWORDS}
    subprocess.run([str(DEPLOY / "make-passwd.sh"), str(tmp_path / "passwd")], env=env, check=True)
    (tmp_path / "acl").write_text(
        (DEPLOY / "acl").read_text() + "\n" + readme_conf("in the central deploy/mosquitto/acl")
    )
    central = (DEPLOY / "mosquitto.conf").read_text()
    central = re.sub(r"^listener 1883$", f"listener {central_port} 127.0.0.1", central, flags=re.M)
    central = re.sub(r"^password_file .*$", f"password_file {tmp_path / 'passwd'}", central, flags=re.M)
    central = re.sub(r"^acl_file .*$", f"acl_file {tmp_path / 'acl'}", central, flags=re.M)
    central = re.sub(r"^persistence true$", "persistence false", central, flags=re.M)
    bridge = readme_conf("in the park's mosquitto.conf")
    bridge = re.sub(r"^address .*$", f"address 127.0.0.1:{central_port}", bridge, flags=re.M)
    bridge = re.sub(r"^bridge_cafile .*\n", "", bridge, flags=re.M)  # no TLS on loopback
    bridge = bridge.replace("<secret>", PASSWORDS["MQTT_PASSWORD_BRIDGE_JINJI"])
    park = f"listener {park_port} 127.0.0.1\nallow_anonymous true\n" + bridge
    clients: list[mqtt.Client] = []
    with mosquitto(central, tmp_path / "central"), mosquitto(park, tmp_path / "park"):
        try:
            at_park = received(clients, park_port, None, None, "eggwatch/v1/jinji/#")
            at_central = received(
                clients, central_port, "ingest", PASSWORDS["MQTT_PASSWORD_INGEST"], "eggwatch/v1/#"
            )
            # The bridge connects on its own schedule: publish until the reading gets through.
            gateway, _ = connect(park_port, None, None)
            clients.append(gateway)
            deadline = time.monotonic() + 15
            while True:
                gateway.publish("eggwatch/v1/jinji/house-01/climate-1", b"reading", qos=1).wait_for_publish(5)
                try:
                    assert at_central.get(timeout=0.5) == ("eggwatch/v1/jinji/house-01/climate-1", b"reading")
                    break
                except queue.Empty:
                    assert time.monotonic() < deadline, "the park's readings never reached the central broker"
            analytics, rc = connect(central_port, "analytics", PASSWORDS["MQTT_PASSWORD_ANALYTICS"])
            assert not rc.is_failure, rc
            clients.append(analytics)
            alert = ("eggwatch/v1/jinji/house-01/alerts", b'{"kind": "laying_drop"}')
            analytics.publish(*alert, qos=1).wait_for_publish(5)
            # Once each: the bridge neither drops it (the ACL's read) nor echoes it back out.
            assert alerts_in(at_park, quiet_s=2) == [alert]
            assert alerts_in(at_central, quiet_s=0.5) == [alert]
        finally:
            for client in clients:
                stop(client)
