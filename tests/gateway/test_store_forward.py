"""Store and forward against a private Mosquitto that we stop and restart, and a SIGKILLed gateway."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from eggwatch.spool import Spool
from eggwatch.wire import Reading
from firmware_stubs import ClimateController, EggCounter, run_on_pty
from firmware_stubs.examples import bus_entry, render
from gateway.prom import GatewayCollector
from gateway.publish_config import PublishConfig
from gateway.publisher import Publisher
from gateway.serial_config import BusConfig
from tests.gateway.broker import PrivateBroker
from tests.gateway.collector import Collector
from tests.gateway.serial_support import GATEWAY_CLI

pytestmark = pytest.mark.integration


def _check_order(col: Collector, site: str) -> dict[str, list[dict]]:
    """Per device: seq strictly increasing over messages, readings in ts order; returns readings.

    QoS 1 is at-least-once: a message whose PUBACK died with the broker comes again after the
    restart (same seq, same body).  Such exact repeats are allowed and skipped; anything else
    with a seen seq is a bug.
    """
    by_topic: dict[str, list[dict]] = {}
    seqs: dict[str, list[int]] = {}
    first: dict[tuple[str, int], dict] = {}
    for topic, msg in col.messages:
        assert topic.startswith(f"eggwatch/v1/{site}/")
        key = (topic, msg["seq"])
        if key in first:
            assert msg == first[key], f"{topic}: seq {msg['seq']} reused for different readings"
            continue
        first[key] = msg
        seqs.setdefault(topic, []).append(msg["seq"])
        by_topic.setdefault(topic, []).extend(msg["readings"])
    for topic, s in seqs.items():
        assert s == sorted(set(s)), f"{topic}: seq not increasing: {s[:20]}"
    for topic, rs in by_topic.items():
        ts = [r["ts"] for r in rs]
        assert ts == sorted(ts), f"{topic}: readings out of order"
    return by_topic


def test_broker_outage_loses_nothing_and_replays_in_order(
    private_broker: PrivateBroker, site: str, tmp_path: Path
) -> None:
    col = Collector(private_broker.url, f"eggwatch/v1/{site}/#", persistent=True)
    pub = Publisher(
        BrokerAddress.parse(private_broker.url),
        site,
        tmp_path / "gw",
        PublishConfig(batch_size=50, linger_s=0.01),
    )
    pub.client.reconnect_delay_set(min_delay=1, max_delay=1)
    pub.start()
    t0 = 1_764_315_600_000
    sent: dict[str, list[int]] = {}

    def produce(start: int, n: int) -> None:
        for i in range(start, start + n):
            for dev in ("counter-1", "counter-2", "climate-1"):
                ts = t0 + i * 1000
                pub.submit("house-07", dev, [Reading(ts, "eggs_total", i, {"row": "01"})])
                sent.setdefault(dev, []).append(ts)

    try:
        produce(0, 100)
        col.wait_for(lambda: len(col.readings()) == 300)
        private_broker.stop()
        produce(100, 400)  # during the outage: all of it goes to the spool
        deadline = time.monotonic() + 30
        while (pub.stats().spooled < 1500 or pub.stats().connected) and time.monotonic() < deadline:
            time.sleep(0.02)
        st = pub.stats()
        assert st.spooled == 1500 and not st.connected
        assert st.spool_records > 0 and (st.spool_oldest_age_s or 0) >= 0
        registry = CollectorRegistry()
        registry.register(GatewayCollector(pub))  # type: ignore[arg-type]
        text = generate_latest(registry).decode()
        assert f"eggwatch_gateway_spool_records {float(st.spool_records)}" in text
        assert "eggwatch_gateway_broker_connected 0.0" in text
        private_broker.start()
        produce(500, 50)
        col.wait_for(lambda: len(col.readings()) >= 1650, timeout=30)
        deadline = time.monotonic() + 30
        while pub.stats().spool_records and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pub.stats().spool_records == 0 and pub.stats().spool_oldest_age_s is None
    finally:
        pub.close()
        col.close()
    got = _check_order(col, site)
    for dev, stamps in sent.items():
        received = [r["ts"] for r in got[f"eggwatch/v1/{site}/house-07/{dev}"]]
        assert sorted(set(received)) == stamps  # everything, with the original (device) timestamps
        assert received == sorted(received)


def test_flapping_broker_loses_nothing(private_broker: PrivateBroker, site: str, tmp_path: Path) -> None:
    """The broker restarts again and again while readings flow: down for a moment (the reconnect
    attempt is refused), down across a reconnect attempt, back before the gateway noticed..."""
    col = Collector(private_broker.url, f"eggwatch/v1/{site}/#", persistent=True)
    col.client.reconnect_delay_set(min_delay=1, max_delay=1)
    pub = Publisher(
        BrokerAddress.parse(private_broker.url),
        site,
        tmp_path / "gw",
        PublishConfig(batch_size=20, linger_s=0.01),
    )
    pub.client.reconnect_delay_set(min_delay=1, max_delay=1)
    pub.start()
    t0 = 1_764_315_600_000
    produced = threading.Event()
    total = 0

    def produce() -> None:
        nonlocal total
        for i in range(600):
            pub.submit("house-03", "counter-1", [Reading(t0 + i * 1000, "eggs_total", i, {"row": "01"})])
            total += 1
            time.sleep(0.005)  # a steady trickle spread over all the restarts
        produced.set()

    producer = threading.Thread(target=produce, daemon=True)
    try:
        producer.start()
        for down_s in (0.05, 1.3, 0.4, 2.2, 0.0):  # the outages themselves, not waits
            time.sleep(0.3)
            private_broker.stop()
            time.sleep(down_s)
            private_broker.start()
        assert produced.wait(60), "the producer is stuck"
        col.wait_for(lambda: len({r["ts"] for r in col.readings()}) >= total, timeout=60)
    finally:
        pub.close()
        col.close()
    got = _check_order(col, site)[f"eggwatch/v1/{site}/house-03/counter-1"]
    assert [r["ts"] for r in got] == [t0 + i * 1000 for i in range(600)]


def _gateway_config(tmp_path: Path, port: str, site: str, spool: Path) -> Path:
    climate, counter = ClimateController(slave=1), EggCounter(slave=2)
    bus = BusConfig(
        port=port,
        baudrate=115200,
        timeout_s=0.2,
        devices=[d.gateway_config(poll_s=0.1) for d in (climate, counter)],
    )
    doc: dict[str, object] = {
        "site": site,
        "buses": [bus_entry(bus)],
        "publish": {"linger_s": 0.02, "spool_dir": str(spool)},
    }
    path = tmp_path / "gw.yaml"
    path.write_text(render(doc, "test"))
    return path


def _start_gateway(config: Path, broker_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EGGWATCH_MQTT_URL": broker_url, "EGGWATCH_DATA_DIR": str(data_dir)}
    cmd = [*GATEWAY_CLI, "serial", "--config", str(config), "--status-every", "1"]
    with open(data_dir / "gateway.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def test_sigkilled_gateway_replays_its_spool_after_restart(
    private_broker: PrivateBroker, site: str, tmp_path: Path
) -> None:
    stubs = run_on_pty([ClimateController(slave=1), EggCounter(slave=2)], drive_every_s=0.05)
    spool = tmp_path / "spool"
    config = _gateway_config(tmp_path, stubs.path, site, spool)
    private_broker.stop()  # the broker is down while the first gateway runs
    gw = _start_gateway(config, private_broker.url, tmp_path)
    try:
        climate = stubs.devices[1]
        deadline = time.monotonic() + 30
        while climate.reads < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert climate.reads >= 20, (tmp_path / "gateway.log").read_text()[-2000:]
        os.killpg(gw.pid, signal.SIGKILL)
        gw.wait()
        reads_at_kill = climate.reads
        killed_ms = time.time() * 1000
        assert any(spool.rglob("*.seg")), "nothing was spooled"
        private_broker.start()
        col = Collector(private_broker.url, f"eggwatch/v1/{site}/#")
        gw = _start_gateway(config, private_broker.url, tmp_path)
        topic = f"eggwatch/v1/{site}/house-01/climate-1"

        # every poll answered before the kill (7 readings each) arrives, minus at most the last
        # linger window (20 ms + one fsync: 0-1 polls at 100 ms) that was read but not yet fsync'd
        def before_kill() -> int:
            return len({r["ts"] for r in col.readings(topic) if r["ts"] <= killed_ms})

        try:
            col.wait_for(lambda: before_kill() >= reads_at_kill - 2, timeout=30)
        except AssertionError:
            got_ts = sorted({r["ts"] for r in col.readings(topic)})
            raise AssertionError(
                f"{before_kill()} of {reads_at_kill} polls before the kill arrived: {[int(t - killed_ms) for t in got_ts][:60]}"
            ) from None
        col.wait_for(lambda: any(r["ts"] > killed_ms for r in col.readings(topic)), timeout=30)
    finally:
        if gw.poll() is None:
            os.killpg(gw.pid, signal.SIGTERM)
            gw.wait(15)
        stubs.stop()
    assert gw.returncode == 0
    got = _check_order(col, site)
    assert f"eggwatch/v1/{site}/house-01/eggcounter-1" in got
    with Spool(spool / "spool", max_bytes=1 << 30) as left:  # SIGTERM drained the backlog
        assert left.depth_records == 0


class _GroupMember:
    """An ingest-like subscriber: fixed client id, persistent session, shared subscription,
    subscribing again on every connect (as ingest does)."""

    def __init__(self, url: str, site: str) -> None:
        self.broker = BrokerAddress.parse(url)
        self.topic = f"$share/g{site}/eggwatch/v1/{site}/#"
        self.client_id = f"test-member-{site}"
        self.readings: list[dict] = []
        self.subscribed = threading.Event()

    def connect(self) -> None:
        self.subscribed.clear()
        self.client = make_client(self.broker, self.client_id, persistent=True)
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(self.topic, qos=1)
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = lambda c, u, m: self.readings.extend(orjson.loads(m.payload)["readings"])
        self.client.connect(self.broker.host, self.broker.port)
        self.client.loop_start()
        assert self.subscribed.wait(30), "could not subscribe"

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_readings_nobody_is_subscribed_to_stay_spooled(
    private_broker: PrivateBroker, site: str, tmp_path: Path
) -> None:
    """After a broker restart Mosquitto keeps ingest's offline sessions but not their shared
    subscription: until a member resubscribes, what a gateway publishes has no subscriber and is
    dropped (PUBACK "no matching subscribers").  Over MQTT 5 the gateway sees that and keeps the
    readings spooled until someone takes them; it used to commit them, and they were lost."""
    member = _GroupMember(private_broker.url, site)
    member.connect()
    member.disconnect()  # an ingest replica that is down (its session and queue are kept)
    private_broker.stop()
    private_broker.start()  # e.g. a broker upgrade, sessions saved and restored
    pub = Publisher(
        BrokerAddress.parse(private_broker.url),
        site,
        tmp_path / "gw",
        PublishConfig(batch_size=10, linger_s=0.01, mqtt_protocol="5"),
    )
    pub.start()
    t0 = 1_764_315_600_000
    try:
        for i in range(30):
            pub.submit("house-07", "counter-1", [Reading(t0 + i * 1000, "eggs_total", i, {"row": "01"})])
        deadline = time.monotonic() + 30
        while pub.sender.unrouted_messages == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pub.sender.unrouted_messages > 0, "the broker should have had no subscriber"
        assert pub.spool.depth_records > 0  # held, not committed
        member.connect()  # the replica comes back and subscribes again
        deadline = time.monotonic() + 30
        while len({r["ts"] for r in member.readings}) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted({r["ts"] for r in member.readings}) == [t0 + i * 1000 for i in range(30)]
        while pub.spool.depth_records and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pub.spool.depth_records == 0
    finally:
        pub.close()
        member.disconnect()
