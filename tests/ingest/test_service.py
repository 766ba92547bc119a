"""The ingest service in-process against the real Mosquitto and InfluxDB (and the embedded store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from eggwatch.settings import BrokerAddress
from eggwatch.store.base import Query, TelemetryStore
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.store.influx import InfluxStore
from eggwatch.wire import Reading, encode
from ingest.service import IngestService
from tests.ingest.helpers import T0, Publisher, every_metric_message, options, readings_stream, wait_until
from tests.support.faultproxy import FaultProxy
from tests.support.servers import Influxd

pytestmark = pytest.mark.integration


@pytest.fixture
def publisher(mqtt_url: str) -> Iterator[Publisher]:
    p = Publisher(mqtt_url)
    yield p
    p.close()


@pytest.fixture(params=["influx", "embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    s: TelemetryStore
    if request.param == "influx":
        influxd: Influxd = request.getfixturevalue("influxd")
        s = InfluxStore(influxd.url, request.getfixturevalue("influx_db"))
    else:
        s = EmbeddedStore(tmp_path / "telemetry.sqlite")
    yield s
    s.close()


def start(store: TelemetryStore, mqtt_url: str, tmp_path: Path, site: str, **kw: object) -> IngestService:
    svc = IngestService(store, BrokerAddress.parse(mqtt_url), options(tmp_path, site, **kw))
    svc.start()
    return svc


def total(store: TelemetryStore, site: str, metric: str = "eggs_total") -> int:
    series = store.query(Query(metric, site, T0 - 1, T0 + 10**9))
    return sum(len(s.ts) for s in series)


def test_round_trip_every_metric(
    store: TelemetryStore, mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    svc = start(store, mqtt_url, tmp_path, site)
    try:
        topic, payload, readings = every_metric_message(site)
        publisher.send_all([(topic, payload)])
        wait_until(lambda: svc.metrics.totals.acked == 1, what="the message to be acked")
        for r in readings:
            [s] = store.query(Query(r.metric, site, T0, T0 + 1000))
            assert (s.unit, s.device, s.tags) == ("house-01", "multi-1", {"probe": "a b,c=d"})
            assert s.ts.tolist() == [r.ts] and s.values.tolist() == [float(r.value)], r.metric
        assert svc.metrics.totals.written == len(readings)
        assert svc.metrics.totals.rejected == 0
    finally:
        svc.stop()


def test_bad_message_matrix(
    store: TelemetryStore, mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    svc = start(store, mqtt_url, tmp_path, site)
    good = {"ts": T0, "metric": "temp_c", "value": 21.5}
    base = f"eggwatch/v1/{site}/house-01/climate-1"
    cases = [
        (base, b"\xff not json", "not_json"),
        (base, b'{"seq": 1, "readings": "nope"}', "bad_schema"),
        (base, b"[1, 2]", "bad_schema"),
        (f"eggwatch/v1/{site}/House-01/climate-1", orjson.dumps({"seq": 1, "readings": [good]}), "bad_topic"),
        (
            f"eggwatch/v1/{site}/house-01/climate-1/extra",
            orjson.dumps({"seq": 1, "readings": [good]}),
            "bad_topic",
        ),
    ]
    mixed = {
        "seq": 2,
        "readings": [
            {**good, "ts": T0 + 1},
            {**good, "metric": "no_such_metric"},
            {**good, "value": 999.0},  # out of range for temp_c
            {**good, "ts": 10**15},  # absurdly far from now
            {**good, "value": "hot"},
            {**good, "tags": {"Bad Key": "x"}},
            {**good, "ts": T0 + 2},
        ],
    }
    try:
        publisher.send_all([(t, p) for t, p, _ in cases] + [(base, orjson.dumps(mixed))])
        wait_until(lambda: svc.metrics.totals.acked == len(cases) + 1, what="every message to be acked")
        [s] = store.query(Query("temp_c", site, T0, T0 + 10))
        assert s.ts.tolist() == [T0 + 1, T0 + 2]  # the good readings of the mixed message landed
        by_reason = svc.metrics.totals.rejected_by_reason
        assert by_reason == {
            "not_json": 1,
            "bad_schema": 2,
            "bad_topic": 2,
            "unknown_metric": 1,
            "out_of_range": 1,
            "bad_timestamp": 1,
            "bad_value": 1,
            "bad_tags": 1,
        }
    finally:
        svc.stop()
    rows = [orjson.loads(x) for x in (tmp_path / "dead.jsonl").read_bytes().splitlines()]
    assert len(rows) == 10
    not_json = next(r for r in rows if r["reason"] == "not_json")
    assert not_json["payload_encoding"] == "base64" and not_json["topic"] == base
    unknown = next(r for r in rows if r["reason"] == "unknown_metric")
    assert orjson.loads(unknown["payload"])["metric"] == "no_such_metric" and unknown["index"] == 1


def test_redelivery_is_idempotent_and_alerts_are_ignored(
    store: TelemetryStore, mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    svc = start(store, mqtt_url, tmp_path, site)
    try:
        msg = encode(5, [Reading(T0, "temp_c", 20.0), Reading(T0 + 60_000, "temp_c", 20.5)])
        topic = f"eggwatch/v1/{site}/house-02/climate-1"
        publisher.send_all([(topic, msg), (topic, msg), (f"eggwatch/v1/{site}/house-02/alerts", b"{}")])
        wait_until(lambda: svc.metrics.totals.acked == 3, what="acks")
        [s] = store.query(Query("temp_c", site, T0, T0 + 120_000))
        assert s.values.tolist() == [20.0, 20.5]
        assert svc.metrics.totals.ignored == 1 and svc.metrics.totals.rejected == 0
    finally:
        svc.stop()


def test_many_messages_batched(
    store: TelemetryStore, mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    svc = start(store, mqtt_url, tmp_path, site, batch_readings=2_000)
    try:
        n = publisher.send_all(readings_stream(site, 300, 50))
        wait_until(lambda: total(store, site) == n * 50, what="all readings in the store")
        wait_until(lambda: svc.metrics.totals.acked == n, what="all acks")
        assert svc.metrics.write_seconds._sum.get() > 0  # type: ignore[attr-defined]
    finally:
        svc.stop()


def test_store_outage_spools_then_drains_in_order(
    mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    own = Influxd.create()  # a separate server: stopping it must not disturb other tests
    own.start()
    store = InfluxStore(own.url, "outage")
    svc = start(store, mqtt_url, tmp_path, site, retry_for_s=0.3, batch_readings=500)
    try:
        first = readings_stream(site, 40, 25)
        publisher.send_all(first)
        wait_until(lambda: svc.metrics.totals.written == 1000, what="first part written")
        own.stop()
        publisher.send_all(readings_stream(site, 60, 25, start=40))  # while InfluxDB is down
        wait_until(lambda: svc.metrics.totals.acked == 100, what="acks during the outage (spooled)")
        assert svc.metrics.totals.spooled > 0 and svc.spool.depth_records > 0
        own.start()
        publisher.send_all(readings_stream(site, 20, 25, start=100))
        wait_until(
            lambda: svc.spool.depth_records == 0 and svc.metrics.totals.acked == 120, timeout=60, what="drain"
        )
        wait_until(lambda: total(store, site) == 120 * 25, what="every reading in InfluxDB")
        t = svc.metrics.totals
        assert t.written + t.drained == 120 * 25
    finally:
        svc.stop()
        store.close()
        own.destroy()


def test_full_spool_holds_acks_then_recovers(
    mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    own = Influxd.create()  # not started yet: InfluxDB is down from the beginning
    store = InfluxStore(own.url, "backpressure")
    svc = start(store, mqtt_url, tmp_path, site, retry_for_s=0.2, batch_readings=400, spool_max_bytes=1 << 20)
    try:
        stream = readings_stream(site, 300, 100)  # ~2.4 MB of spool records: more than fits
        publisher.send_all(stream)
        wait_until(lambda: svc.metrics.backpressure._value.get() == 1, what="back-pressure")  # type: ignore[attr-defined]
        acked_while_full = svc.metrics.totals.acked
        assert acked_while_full < len(stream)  # the rest waits, unacknowledged, at the broker
        assert svc.spool.disk_bytes <= 1 << 20
        own.start()
        wait_until(lambda: svc.metrics.totals.acked == len(stream), timeout=60, what="every message acked")
        wait_until(lambda: svc.spool.depth_records == 0, what="spool drained")
        wait_until(lambda: total(store, site) == 300 * 100, what="every reading in InfluxDB")
        assert svc.metrics.backpressure._value.get() == 0  # type: ignore[attr-defined]
    finally:
        svc.stop()
        store.close()
        own.destroy()


def test_mqtt_311_and_embedded_store(mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str) -> None:
    # The demo's embedded broker speaks 3.1.1 only: ingest works there too (with a small window).
    store = EmbeddedStore(tmp_path / "telemetry.sqlite")
    svc = start(store, mqtt_url, tmp_path, site, protocol="3.1.1", batch_readings=500)
    try:
        n = publisher.send_all(readings_stream(site, 100, 10))
        wait_until(lambda: total(store, site) == n * 10, what="all readings in the store")
        wait_until(lambda: svc.metrics.totals.acked == n, what="all acks")
    finally:
        svc.stop()
        store.close()


def test_bulk_acks_reach_the_broker(mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str) -> None:
    # With a window of 20 unacknowledged messages the broker stops sending after 20 unless our
    # concatenated PUBACKs (BufferedClient.ack_many) are understood: 400 messages must all arrive.
    store = EmbeddedStore(tmp_path / "telemetry.sqlite")
    svc = start(store, mqtt_url, tmp_path, site, inflight=20, batch_readings=200)
    try:
        n = publisher.send_all(readings_stream(site, 400, 5))
        wait_until(lambda: svc.metrics.totals.acked == n, what="all messages received and acked")
        assert total(store, site) == n * 5
    finally:
        svc.stop()
        store.close()


def test_missing_dbrp_mapping_spools_instead_of_dead_lettering(
    influxd: Influxd, influx_db: str, mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    no_dbrp = (404, b'{"code":"not found","message":"no dbrp mapping for database \\"eggwatch\\""}')
    proxy = FaultProxy(influxd.url, lambda path, _b: no_dbrp if path.startswith("/write") else None)
    store = InfluxStore(proxy.url, influx_db, retry_for_s=0.2)
    svc = start(store, mqtt_url, tmp_path, site)
    try:
        n = publisher.send_all(readings_stream(site, 10, 20))
        wait_until(lambda: svc.metrics.totals.acked == n, what="acks (spooled)")
        assert svc.metrics.totals.spooled == 200 and svc.metrics.totals.rejected == 0
        assert svc.dead_letters.total == 0
        assert svc.metrics.store_up._value.get() == 0  # type: ignore[attr-defined]
        proxy.rule = lambda _p, _b: None  # the mapping is created: the spool drains
        wait_until(lambda: total(store, site) == 200, timeout=60, what="the spool to drain")
        wait_until(lambda: svc.metrics.store_up._value.get() == 1, what="store_up")  # type: ignore[attr-defined]
    finally:
        svc.stop()
        store.close()
        proxy.close()


def poison(path: str, body: bytes) -> tuple[int, bytes] | None:
    """InfluxDB answers 500 to any write holding the poison reading, and is healthy otherwise."""
    if path.startswith("/write") and b"dev-poison" in body:
        return 500, b'{"error":"simulated internal error"}'
    return None


def test_poison_line_is_isolated_and_the_rest_lands(
    influxd: Influxd, influx_db: str, mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    proxy = FaultProxy(influxd.url, poison)
    store = InfluxStore(proxy.url, influx_db, retry_for_s=0.1)
    svc = start(store, mqtt_url, tmp_path, site, batch_readings=400)
    try:
        bad = Reading(T0, "temp_c", 21.5)
        publisher.send_all([(f"eggwatch/v1/{site}/house-01/dev-poison", encode(1, [bad]))])
        n = publisher.send_all(readings_stream(site, 100, 20))
        wait_until(lambda: total(store, site) == n * 20, timeout=60, what="every good reading")
        wait_until(lambda: svc.spool.depth_records == 0, what="the spool to drain")
        assert svc.metrics.totals.rejected_by_reason == {"store_error": 1}
        svc.dead_letters.flush()
        [row] = [orjson.loads(x) for x in (tmp_path / "dead.jsonl").read_bytes().splitlines()]
        assert row["reason"] == "store_error" and "simulated internal error" in row["detail"]
        assert "dev-poison" in row["payload"]
        assert svc.metrics.store_up._value.get() == 1  # type: ignore[attr-defined]
    finally:
        svc.stop()
        store.close()
        proxy.close()


def test_poison_lines_do_not_hold_the_rest_up_by_backing_off(
    influxd: Influxd,
    influx_db: str,
    mqtt_url: str,
    publisher: Publisher,
    tmp_path: Path,
    site: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An HTTP 500 while InfluxDB answers /ping is about the batch, not an outage: each failure
    backed off (0.5, 1, 2 s) as for a server down, and 3 poison readings among 80 good messages
    held the rest up 13 s (retry_for_s 0.1); now about 4 s, and the store is never called down."""
    import logging
    import time

    proxy = FaultProxy(influxd.url, poison)
    store = InfluxStore(proxy.url, influx_db, retry_for_s=0.1)
    svc = start(store, mqtt_url, tmp_path, site, batch_readings=400)
    caplog.set_level(logging.WARNING, logger="ingest")
    try:
        t0 = time.monotonic()
        for k in range(3):
            bad = encode(k + 1, [Reading(T0 + k, "temp_c", 21.5)])
            publisher.send_all([(f"eggwatch/v1/{site}/house-01/dev-poison", bad)])
            publisher.send_all(readings_stream(site, 20, 20))
        wait_until(
            lambda: svc.spool.depth_records == 0 and total(store, site) == 400, timeout=60, what="drain"
        )
        elapsed = time.monotonic() - t0
        assert svc.metrics.totals.rejected_by_reason == {"store_error": 3}
        assert not [r for r in caplog.records if "store unavailable" in r.getMessage()]
        assert elapsed < 8, f"{elapsed:.1f} s"
    finally:
        svc.stop()
        store.close()
        proxy.close()


def test_spool_drain_writes_are_capped_by_readings(
    influxd: Influxd, influx_db: str, mqtt_url: str, publisher: Publisher, tmp_path: Path, site: str
) -> None:
    sizes: list[int] = []
    down = (503, b'{"error":"unavailable"}')

    def outage(path: str, _body: bytes) -> tuple[int, bytes] | None:
        return down if path.startswith("/write") else None

    def record(path: str, body: bytes) -> tuple[int, bytes] | None:
        if path.startswith("/write"):
            sizes.append(body.count(b"\n") + 1)
        return None

    proxy = FaultProxy(influxd.url, outage)
    store = InfluxStore(proxy.url, influx_db, retry_for_s=0.1)
    svc = start(store, mqtt_url, tmp_path, site, batch_readings=500, linger_s=0.5)
    try:
        n = publisher.send_all(readings_stream(site, 60, 120))  # 7,200 readings, spooled
        wait_until(lambda: svc.metrics.totals.acked == n, what="acks (spooled)")
        assert svc.metrics.totals.spooled == n * 120
        proxy.rule = record
        wait_until(lambda: total(store, site) == n * 120, timeout=60, what="the spool to drain")
        assert svc.metrics.totals.drained == n * 120
        assert max(sizes) <= 500 and sum(sizes) == n * 120, sizes  # 4 messages (480) per write
    finally:
        svc.stop()
        store.close()
        proxy.close()
