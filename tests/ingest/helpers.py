"""Helpers for the ingest tests: publishing readings, counting what landed, polling with deadlines."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
import paho.mqtt.client as paho

from eggwatch import metrics
from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from eggwatch.wire import Reading, encode
from ingest.options import IngestOptions

T0 = int(time.time() * 1000) // 3_600_000 * 3_600_000 - 86_400_000  # yesterday, whole hour


def wait_until(cond: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Publisher:
    """A QoS 1 publisher that waits until the broker has every message."""

    def __init__(self, mqtt_url: str) -> None:
        self.client = make_client(
            BrokerAddress.parse(mqtt_url), f"test-pub-{uuid.uuid4().hex[:8]}", persistent=False
        )
        self.client.max_inflight_messages_set(1000)
        self.client.connect("127.0.0.1", BrokerAddress.parse(mqtt_url).port)
        self.client.loop_start()
        self.seq = 0

    def send(self, topic: str, payload: bytes) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=1)

    def send_all(self, messages: Iterable[tuple[str, bytes]]) -> int:
        infos = [self.send(t, p) for t, p in messages]
        for info in infos:
            info.wait_for_publish(timeout=30)
        return len(infos)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def readings_stream(site: str, n_messages: int, per_message: int, start: int = 0) -> list[tuple[str, bytes]]:
    """Messages of distinct eggs_total points: (message i, reading k) at ts T0 + i*per + k."""
    out = []
    for i in range(start, start + n_messages):
        readings = [
            Reading(T0 + i * per_message + k, "eggs_total", i * per_message + k, {"row": f"{k % 8 + 1:02d}"})
            for k in range(per_message)
        ]
        out.append((f"eggwatch/v1/{site}/house-{i % 3 + 1:02d}/ec-1", encode(i, readings)))
    return out


def every_metric_message(site: str, seq: int = 1) -> tuple[str, bytes, list[Reading]]:
    readings = []
    for i, m in enumerate(metrics.REGISTRY.values()):
        v = min(m.max, max(m.min, 7.25))
        readings.append(Reading(T0 + i, m.name, int(v) if m.integer else v, {"probe": "a b,c=d"}))
    return f"eggwatch/v1/{site}/house-01/multi-1", encode(seq, readings), readings


def influx_count(url: str, db: str, site: str) -> int:
    q = f"SELECT count(\"value\") FROM /.*/ WHERE site = '{site}'"
    r = httpx.post(f"{url}/query", data={"q": q, "db": db}, timeout=30)
    res = r.json()["results"][0]
    return sum(int(s["values"][0][1]) for s in res.get("series", []))


def options(tmp: Path, site: str, **kw: object) -> IngestOptions:
    base: dict[str, object] = {
        "spool_dir": tmp / "spool",
        "dead_letter_path": tmp / "dead.jsonl",
        "client_id": f"test-ingest-{uuid.uuid4().hex[:8]}",
        "site": site,
        "linger_s": 0.05,
        "log_interval_s": 3600,
        "session_expiry_s": 120,
    }
    base.update(kw)
    return IngestOptions(**base)  # type: ignore[arg-type]
