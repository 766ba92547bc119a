"""The MQTT gateway against the real Mosquitto with each shipped mapping, bad vendor payloads included."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from eggwatch.settings import BrokerAddress, load_settings
from firmware_stubs.mqtt_nodes import EnvState, FlatJsonNode, HomieNode
from gateway.mqtt_config import load_mqtt_config
from gateway.mqtt_gateway import MqttGateway
from gateway.mqtt_mapping import Translation, Translator
from gateway.prom import GatewayCollector
from tests.gateway.broker import PrivateBroker
from tests.gateway.collector import Collector
from tests.gateway.serial_support import wait_until
from tests.support.servers import free_port

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "gateway" / "examples"


def _house() -> str:
    return uuid.uuid4().hex[:8]  # vendor topics are shared on the machine's broker: keep them unique


@pytest.fixture
def gateway(
    request: pytest.FixtureRequest, mqtt_url: str, site: str, data_dir: Path
) -> Iterator[MqttGateway]:
    yield from _running(EXAMPLES / request.param, mqtt_url, site)


def _running(config: Path, mqtt_url: str, site: str) -> Iterator[MqttGateway]:
    # both ends ready (vendor SUBACK received, our broker connected): nothing the test sends is missed
    yield from _running_with(
        config, mqtt_url, site, ready=lambda gw: gw.subscribed.is_set() and gw.publisher.stats().connected
    )


def _running_with(
    config: Path, mqtt_url: str, site: str, ready: Callable[[MqttGateway], bool]
) -> Iterator[MqttGateway]:
    settings = load_settings(mqtt_url=mqtt_url, site=site)
    gw = MqttGateway.from_file(config, settings)
    stop = threading.Event()
    t = threading.Thread(target=gw.run, args=(stop, 3600), daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not ready(gw) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ready(gw), "gateway not ready in 30 s"
    try:
        yield gw
    finally:
        stop.set()
        t.join(10)


def _dead_letters(gw: MqttGateway) -> list[dict]:
    gw.dead.flush()
    path = gw.dead.path
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def _wait_for_dead_letters(gw: MqttGateway, n: int, timeout_s: float = 30.0) -> None:
    """Until the gateway has dead-lettered ``n`` payloads (or the timeout; the test's asserts then say what is missing)."""
    deadline = time.monotonic() + timeout_s
    while len(_dead_letters(gw)) < n and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("gateway", ["mqtt-flat-json.yaml"], indirect=True)
def test_flat_json_nodes_and_bad_payloads(gateway: MqttGateway, mqtt_url: str, site: str) -> None:
    house = _house()
    col = Collector(mqtt_url, f"eggwatch/v1/{site}/#")
    node = FlatJsonNode(
        BrokerAddress.parse(mqtt_url), house, EnvState(temp_c=21.4, rh_pct=63, nh3_ppm=8, water_m3=12.5)
    )
    try:
        node.publish_once()
        node.publish_raw(
            f"farm/h{house}/env-ts", orjson.dumps({"t": 19.5, "rh": 70, "nh3": 4, "ts": 1764315600})
        )
        # bad vendor payloads: each must be dead-lettered with its reason, none may stop the gateway
        node.publish_raw(f"farm/h{house}/env", b"{not json")
        node.publish_raw(f"farm/h{house}/env", orjson.dumps({"t": 21.0, "rh": 60}))  # nh3 missing
        node.publish_raw(f"farm/h{house}/env", orjson.dumps({"t": "warm", "rh": 60, "nh3": 3}))
        node.publish_raw(f"farm/h{house}/env", orjson.dumps({"t": 99.0, "rh": 60, "nh3": 3}))  # 99 °C
        node.publish_raw(
            f"farm/h{house}/env-ts", orjson.dumps({"t": 1, "rh": 2, "nh3": 3, "ts": "yesterday"})
        )
        node.publish_raw(f"farm/H{house}/env", orjson.dumps({"t": 1, "rh": 2, "nh3": 3}))  # no mapping
        unit = f"eggwatch/v1/{site}/house-{house}"
        col.wait_for(lambda: len(col.readings(f"house-{house}/water-1")) >= 1)
        col.wait_for(lambda: len(col.readings(f"house-{house}/env-1")) >= 4 + 3 + 2 + 3)
        _wait_for_dead_letters(gateway, 6)
    finally:
        node.stop()
        col.close()
    env = col.readings(f"house-{house}/env-1")
    first = {r["metric"]: r["value"] for r in env[:4]}
    assert first == {"temp_c": 21.4, "rh_pct": 63.0, "nh3_ppm": 8.0, "co2_ppm": 1450.0}
    assert any(r["ts"] == 1_764_315_600_000 and r["value"] == 19.5 for r in env)  # the node's own clock
    water = col.readings(f"house-{house}/water-1")[0]
    assert water["metric"] == "water_l_total" and water["value"] == pytest.approx(12500.0)
    assert water["tags"] == {"line": "1"}
    # good fields of a partly bad message are kept: rh of the missing-nh3 and the 99 °C message
    assert sum(1 for r in env if r["metric"] == "rh_pct" and r["value"] == 60.0) == 3
    reasons = sorted(d["reason"] for d in _dead_letters(gateway))
    assert reasons == [
        "bad_timestamp",
        "bad_value",
        "missing_field",
        "no_mapping",
        "not_json",
        "out_of_range",
    ]
    assert all(d["topic"].startswith("farm/") and "payload" in d for d in _dead_letters(gateway))
    assert all(t.startswith(unit) for t, _ in col.messages if house in t)


@pytest.mark.parametrize("gateway", ["mqtt-homie.yaml"], indirect=True)
def test_homie_nodes_and_bad_payloads(gateway: MqttGateway, mqtt_url: str, site: str) -> None:
    house = _house()
    col = Collector(mqtt_url, f"eggwatch/v1/{site}/#")
    state = EnvState(temp_c=22.25, rh_pct=58.5, nh3_ppm=6.5, pressure_pa=-18.0, bird_weight_kg=1.932)
    node = HomieNode(BrokerAddress.parse(mqtt_url), house, state)
    try:
        node.publish_once()
        node.publish_raw(f"homie/h{house}-climate/air/temperature", "NaN")
        node.publish_raw(f"homie/h{house}-climate/air/humidity", "")
        node.publish_raw(f"homie/h{house}-barn/air/temperature", "20")  # subscribed, but no mapping
        col.wait_for(lambda: len(col.readings(f"house-{house}/homie-climate")) >= 4)
        col.wait_for(lambda: len(col.readings(f"house-{house}/homie-scale")) >= 1)
        _wait_for_dead_letters(gateway, 3)
    finally:
        node.stop()
        col.close()
    climate = {r["metric"]: r["value"] for r in col.readings(f"house-{house}/homie-climate")}
    assert climate == {
        "temp_c": 22.25,
        "rh_pct": 58.5,
        "nh3_ppm": 6.5,
        "static_pressure_pa": pytest.approx(-18.0),
    }
    weight = col.readings(f"house-{house}/homie-scale")[0]
    assert weight["value"] == pytest.approx(1932.0) and weight["tags"] == {"scale": "1"}
    reasons = sorted(d["reason"] for d in _dead_letters(gateway))
    assert reasons == ["bad_value", "bad_value", "no_mapping"]


def test_translator_units_paths_and_templates() -> None:
    cfg = load_mqtt_config(EXAMPLES / "mqtt-flat-json.yaml")
    tr = Translator(cfg.mappings)
    out = tr.translate("farm/h07/water", b'{"meter": {"total_m3": 1.5}, "ts": "2026-03-01T05:00:00Z"}')
    assert (out.unit, out.device, out.problems) == ("house-07", "water-1", [])
    assert out.readings[0].value == 1500.0 and out.readings[0].ts == 1_772_341_200_000
    naive = tr.translate("farm/h07/water", b'{"meter": {"total_m3": 1.5}, "ts": "2026-03-01T05:00:00"}')
    assert [p.reason for p in naive.problems] == ["bad_timestamp"]  # no zone: refused, not guessed
    opt = tr.translate("farm/h07/env", b'{"t": 20, "rh": 50, "nh3": 1}', now_ms=1_000)
    assert [r.metric for r in opt.readings] == ["temp_c", "rh_pct", "nh3_ppm"] and not opt.problems
    assert {r.ts for r in opt.readings} == {1_000}
    newline = tr.translate("farm/h07/env\n", b'{"t": 20, "rh": 50, "nh3": 1}')
    assert [p.reason for p in newline.problems] == ["no_mapping"]  # "$" would match before the "\n"


ON_CHANGE = """
mappings:
  - name: vendor-counter
    topic: "vendor/h{house}/row{row}/eggs"
    unit: "house-{house}"
    device: "counter-{row}"
    tags: {row: "{row}"}
    payload: number
    repeat: {every_s: 0.3, for_s: 1.2}
    fields: [{path: $, metric: eggs_total}]
"""


def test_an_on_change_counter_is_repeated_while_silent(
    mqtt_url: str, site: str, data_dir: Path, tmp_path: Path
) -> None:
    config = tmp_path / "on-change.yaml"
    config.write_text(ON_CHANGE)
    house = _house()
    col = Collector(mqtt_url, f"eggwatch/v1/{site}/house-{house}/#")
    node = HomieNode(BrokerAddress.parse(mqtt_url), house, EnvState())
    running = _running(config, mqtt_url, site)
    gw = next(running)
    try:
        node.publish_raw(f"vendor/h{house}/row01/eggs", "5000")
        col.wait_for(lambda: len(col.readings("counter-01")) >= 4)
        time.sleep(1.5)  # past for_s: the repeats stop
        before = len(col.readings("counter-01"))
        time.sleep(0.7)
        assert len(col.readings("counter-01")) == before
        node.publish_raw(f"vendor/h{house}/row01/eggs", "5020")
        col.wait_for(lambda: any(r["value"] == 5020 for r in col.readings("counter-01")[before + 1 :]))
    finally:
        node.stop()
        next(running, None)
        col.close()
    got = col.readings("counter-01")
    first = [r for r in got if r["value"] == 5000]
    assert 3 <= len(first) <= 5  # the message and its repeats every 0.3 s for 1.2 s
    assert all(r["metric"] == "eggs_total" and r["tags"] == {"row": "01"} for r in got)
    assert all(b["ts"] - a["ts"] >= 290 for a, b in itertools.pairwise(first)), first  # never a burst
    assert any(r["value"] == 5020 for r in got) and gw.repeater.repeated >= len(first) - 1
    registry = CollectorRegistry()
    registry.register(GatewayCollector(gw.publisher, repeated=lambda: gw.repeater.repeated))  # type: ignore[arg-type]
    text = generate_latest(registry).decode()
    assert f"eggwatch_gateway_readings_repeated_total {float(gw.repeater.repeated)}" in text


@pytest.mark.parametrize("gateway", ["mqtt-flat-json.yaml"], indirect=True)
def test_a_message_the_handler_fails_on_is_dead_lettered_and_later_ones_still_flow(
    gateway: MqttGateway, mqtt_url: str, site: str
) -> None:
    # Before: ts 1e308 raised OverflowError in paho's network thread, which died with it.
    real = gateway.translator.translate

    def translate(topic: str, payload: bytes, now_ms: int | None = None) -> Translation:
        if payload == b"boom":  # a fault injected into the handler: it must not escape to paho
            raise RuntimeError("injected fault")
        return real(topic, payload, now_ms)

    gateway.translator.translate = translate  # type: ignore[method-assign]
    house = _house()
    col = Collector(mqtt_url, f"eggwatch/v1/{site}/#")
    node = FlatJsonNode(BrokerAddress.parse(mqtt_url), house, EnvState())
    try:
        node.publish_raw(f"farm/h{house}/env-ts", b'{"t": 22, "rh": 50, "nh3": 5, "ts": 1e308}')
        node.publish_raw(f"farm/h{house}/env", b"boom")
        node.publish_raw(f"farm/h{house}/env", b'{"t": 23, "rh": 50, "nh3": 5}')
        col.wait_for(lambda: len(col.readings(f"house-{house}/env-1")) >= 3)
        _wait_for_dead_letters(gateway, 2)
    finally:
        node.stop()
        col.close()
    assert [r["value"] for r in col.readings(f"house-{house}/env-1")] == [23.0, 50.0, 5.0]
    dead = {d["reason"]: d for d in _dead_letters(gateway)}
    assert sorted(dead) == ["bad_timestamp", "internal_error"]
    assert (
        dead["internal_error"]["payload"] == "boom" and "injected fault" in dead["internal_error"]["detail"]
    )
    assert gateway.received == 3


def _spool_full_config(tmp_path: Path, prefix: str, mqtt_url: str, client_id: str | None) -> Path:
    # batch_size 1 allows the smallest spool (8 KiB): about 40 of these messages fill it
    source = f"{{url: '{mqtt_url}'" + (f", client_id: {client_id}}}" if client_id else "}")
    config = tmp_path / "tiny-spool.yaml"
    config.write_text(
        f"source: {source}\n"
        "publish: {batch_size: 1, spool_max_mb: 0.008, linger_s: 0.02}\n"
        "mappings:\n"
        f"  - {{name: env, topic: '{prefix}/h{{house}}/env', unit: 'house-{{house}}', device: env-1,\n"
        "      fields: [{path: t, metric: temp_c}, {path: n, metric: co2_ppm}]}\n"
    )
    return config


def _spooled_co2(gw: MqttGateway) -> list[float]:
    from gateway import spoolrecord

    out = []
    for _, raw in gw.publisher.spool.peek(10_000):
        body = spoolrecord.unpack(raw).body
        out += [r["value"] for r in orjson.loads(b"[" + body + b"]") if r["metric"] == "co2_ppm"]
    return out


def _send_numbered(node: FlatJsonNode, prefix: str, house: str, n: int) -> None:
    """``n`` vendor messages ``{"t": 20, "n": i}``: their co2 readings are 0 … n-1."""
    for i in range(n):
        node.publish_raw(f"{prefix}/h{house}/env", orjson.dumps({"t": 20, "n": i}))


def test_a_full_spool_leaves_vendor_messages_to_the_broker_which_resends_them(
    private_broker: PrivateBroker, mqtt_url: str, site: str, data_dir: Path, tmp_path: Path
) -> None:
    """Before, a vendor message whose readings the full spool refused was acknowledged anyway: lost."""
    house, prefix = _house(), f"sf{_house()}"
    config = _spool_full_config(tmp_path, prefix, mqtt_url, client_id=f"test-gw-{uuid.uuid4().hex[:10]}")
    col = Collector(private_broker.url, f"eggwatch/v1/{site}/#", persistent=True)
    col.client.reconnect_delay_set(min_delay=1, max_delay=1)
    private_broker.stop()  # nothing drains the spool: it fills
    running = _running_with(config, private_broker.url, site, ready=lambda gw: gw.subscribed.is_set())
    gw = next(running)
    gw.publisher.client.reconnect_delay_set(min_delay=1, max_delay=1)
    node = FlatJsonNode(BrokerAddress.parse(mqtt_url), house, EnvState())
    n = 120
    try:
        _send_numbered(node, prefix, house, n)
        wait_until(lambda: gw.refused_unacked >= 5, 30, "messages the full spool refused")
        assert gw.refused_unacked >= 5 and gw.publisher.stats().refused > 0
        private_broker.start()  # the spool drains; the gateway reconnects; the broker resends
        col.wait_for(
            lambda: {r["value"] for r in col.readings("env-1") if r["metric"] == "co2_ppm"} >= set(range(n)),
            60,
        )
    finally:
        node.stop()
        next(running, None)
        col.close()
    assert not _dead_letters(gw)


def test_without_a_persistent_session_what_a_full_spool_refused_is_dead_lettered(
    mqtt_url: str, site: str, data_dir: Path, tmp_path: Path
) -> None:
    house, prefix = _house(), f"sf{_house()}"
    config = _spool_full_config(tmp_path, prefix, mqtt_url, client_id=None)
    nobody = f"mqtt://127.0.0.1:{free_port()}"  # the spool never drains
    running = _running_with(config, nobody, site, ready=lambda gw: gw.subscribed.is_set())
    gw = next(running)
    node = FlatJsonNode(BrokerAddress.parse(mqtt_url), house, EnvState())
    n = 80
    try:
        _send_numbered(node, prefix, house, n)
        wait_until(lambda: gw.received >= n, 30, "every vendor message")
        gw._ack_durable()
        dead = [orjson.loads(d["payload"])["n"] for d in _dead_letters(gw) if d["reason"] == "spool_full"]
        spooled = _spooled_co2(gw)
    finally:
        node.stop()
        next(running, None)
    assert dead and spooled and sorted(dead + spooled) == list(range(n))  # each message in one place
    assert gw.refused_unacked == 0


def test_a_retained_value_without_a_timestamp_is_counted_not_published(
    mqtt_url: str, site: str, data_dir: Path
) -> None:
    """Before, each start published a Homie node's retained value stamped with the gateway's clock."""
    house = _house()
    topic = f"homie/h{house}-climate/air/temperature"
    col = Collector(mqtt_url, f"eggwatch/v1/{site}/#")
    node = HomieNode(BrokerAddress.parse(mqtt_url), house, EnvState())
    node.publish_raw(topic, "19.50", retain=True)  # measured at some time before the gateway started
    running = _running(EXAMPLES / "mqtt-homie.yaml", mqtt_url, site)
    gw = next(running)
    try:
        deadline = time.monotonic() + 30
        while gw.retained_skipped < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        node.publish_raw(topic, "21.25")  # a live message: its arrival is its time
        col.wait_for(lambda: len(col.readings(f"house-{house}/homie-climate")) >= 1)
    finally:
        next(running, None)
        node.publish_raw(topic, b"", retain=True)  # leave no retained value on the shared broker
        node.stop()
        col.close()
    assert [r["value"] for r in col.readings(f"house-{house}/homie-climate")] == [21.25]
    assert gw.retained_skipped == 1 and not _dead_letters(gw)


def test_a_vendor_broker_unreachable_from_the_start_is_logged_once(
    mqtt_url: str, site: str, data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: nothing was logged at all (the vendor side has no status of its own but a count).
    config = tmp_path / "gw.yaml"
    text = (EXAMPLES / "mqtt-flat-json.yaml").read_text()
    config.write_text(f"source: {{url: 'mqtt://127.0.0.1:{free_port()}'}}\n{text}")
    caplog.set_level(logging.WARNING, logger="gateway.mqtt_gateway")
    gw = MqttGateway.from_file(config, load_settings(mqtt_url=mqtt_url, site=site))
    gw.client.reconnect_delay_set(min_delay=1, max_delay=1)  # a second failed attempt soon
    gw.start()
    try:
        wait_until(lambda: gw.connect_failures >= 2, what="two failed connection attempts")
    finally:
        gw.stop()
    lines = [r.getMessage() for r in caplog.records if "cannot reach the vendor broker" in r.getMessage()]
    assert len(lines) == 1 and "127.0.0.1:" in lines[0], lines


def test_a_clean_stop_acknowledges_what_it_spooled(
    mqtt_url: str, site: str, data_dir: Path, tmp_path: Path
) -> None:
    # Before: stop() disconnected first and acknowledged afterwards, on a closed connection: the
    # persistent session handed the last messages over again at the next start, where a reading
    # stamped on arrival was published a second time (a mortality count counted twice).
    house, prefix = _house(), f"ck{_house()}"
    client_id = f"test-gw-{uuid.uuid4().hex[:10]}"
    config = tmp_path / "gw.yaml"
    config.write_text(
        f"source: {{url: '{mqtt_url}', client_id: {client_id}}}\n"
        "mappings:\n"
        f"  - {{name: env, topic: '{prefix}/h{{house}}/env', unit: 'house-{{house}}', device: env-1,\n"
        "      fields: [{path: t, metric: temp_c}, {path: n, metric: co2_ppm}]}\n"
    )
    settings = load_settings(mqtt_url=mqtt_url, site=site)
    node = FlatJsonNode(BrokerAddress.parse(mqtt_url), house, EnvState())
    first = MqttGateway.from_file(config, settings)
    first.start()  # no run loop: only stop() acknowledges
    try:
        wait_until(first.subscribed.is_set, what="the first gateway's subscription")
        _send_numbered(node, prefix, house, 1)  # n = 0
        wait_until(lambda: first.received == 1, what="the message")
    finally:
        first.stop()
    again = MqttGateway.from_file(config, settings)
    seen: list[float] = []
    translate = again.translator.translate

    def spy(topic: str, payload: bytes, now_ms: int | None = None) -> Translation:
        seen.append(orjson.loads(payload)["n"])
        return translate(topic, payload, now_ms)

    again.translator.translate = spy  # type: ignore[method-assign]
    again.start()
    try:
        wait_until(again.subscribed.is_set, what="the second gateway's subscription")
        node.publish_raw(f"{prefix}/h{house}/env", orjson.dumps({"t": 20, "n": 1}))
        wait_until(lambda: 1 in seen, what="the new message")
    finally:
        node.stop()
        again.stop()
    assert seen == [1]  # a redelivered n = 0 would come first


def test_a_vendor_broker_back_without_its_state_is_resubscribed_within_seconds(
    private_broker: PrivateBroker, mqtt_url: str, site: str, data_dir: Path, tmp_path: Path
) -> None:
    """A vendor broker that crashed comes back without our session: what devices publish before
    we subscribe again has no subscriber and is dropped.  paho's backoff (1, 2, 4, 8 … 30 s) used
    to leave that window open for up to 30 s after the broker was back."""
    prefix = f"rs{_house()}"
    config = _spool_full_config(tmp_path, prefix, private_broker.url, client_id=f"test-gw-{_house()}")
    running = _running_with(config, mqtt_url, site, ready=lambda gw: gw.subscribed.is_set())
    gw = next(running)
    try:
        assert private_broker.proc is not None
        os.killpg(private_broker.proc.pid, signal.SIGKILL)  # a crash: nothing saved
        private_broker.proc.wait()
        private_broker.proc = None
        wait_until(lambda: gw.connect_failures >= 3, 30, "three failed reconnects")
        private_broker.start()
        back = time.monotonic()
        wait_until(gw.subscribed.is_set, 40, "the subscription again")
        assert time.monotonic() - back < 4.0
    finally:
        next(running, None)
