"""End-to-end ingest throughput: publisher → Mosquitto → `eggwatch ingest` → influxd, QoS 1, durable acks.

Run: ``.venv/bin/python -m bench.ingest [--readings N]``.  Starts its own influxd and its own
Mosquitto (throwaway dirs, free ports, a queue limit fit for ingest; the machine's Mosquitto keeps
Debian's 1000-message limit and serves other tests), unique topics.  For each message shape (500
and 20 readings per message) it measures, in the same run:

- the raw InfluxDB write rate: the same points, pre-encoded, POSTed in 5,000-line batches;
- the end-to-end rate: from the first publish until ingest has acknowledged every message (each
  acknowledgement follows an HTTP 204 from InfluxDB), then checks every reading is in InfluxDB.

and prints the rates and the ratio end-to-end / raw.  The publisher is ``bench/mqttpub.py`` (pre-encoded
packets, so the load generator does not take the CPU ingest is measured on); ``BENCH_PUBLISHER=paho``
publishes with paho instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.mqttpub import RawPublisher
from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from eggwatch.store.lineprotocol import LineEncoder
from eggwatch.wire import Reading, encode
from tests.support.servers import Influxd, free_port, port_open

MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
# The Debian default (1000) makes Mosquitto drop QoS 1 messages for a subscriber that falls
# behind a burst; a production broker in front of ingest needs a large queue (see ingest/README).
max_queued_messages 1000000
"""


class Mosquitto:
    """A dedicated broker for the benchmark, configured as ingest needs (see MOSQUITTO_CONF)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="eggwatch-bench-mqtt-"))
        conf = self.dir / "mosquitto.conf"
        conf.write_text(MOSQUITTO_CONF.format(port=self.port))
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen(
            [exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("mosquitto did not start")
            time.sleep(0.05)
        self.url = f"mqtt://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


T0 = int(time.time() * 1000) // 3_600_000 * 3_600_000 - 2 * 86_400_000
METRICS = ("eggs_total", "temp_c", "water_l_total", "rh_pct")


def make_messages(site: str, total: int, per_message: int) -> list[tuple[str, bytes, list[Reading], str]]:
    """Realistic messages: 50 devices in 10 houses, mixed integer and float metrics, row tags."""
    out = []
    n_msgs = total // per_message
    for i in range(n_msgs):
        unit, device = f"house-{i % 10:02d}", f"dev-{i % 50:02d}"
        ts0 = T0 + (i // 50) * per_message * 1000
        readings = []
        for k in range(per_message):
            metric = METRICS[k % len(METRICS)]
            value: float | int = (i * per_message + k) if metric in ("eggs_total",) else 20.0 + (k % 97) / 8
            readings.append(Reading(ts0 + k * 1000, metric, value, {"row": f"{k % 8 + 1:02d}"}))
        out.append((f"eggwatch/v1/{site}/{unit}/{device}", encode(i // 50, readings), readings, unit))
    return out


def raw_rate(
    influxd: Influxd, db: str, site: str, messages: list[tuple[str, bytes, list[Reading], str]]
) -> float:
    enc = LineEncoder()
    lines: list[str] = []
    for topic, _, readings, _ in messages:
        _, _, s, unit, device = topic.split("/")
        lines += enc.encode(s, unit, device, readings)
    bodies = ["\n".join(lines[i : i + 5000]).encode() for i in range(0, len(lines), 5000)]
    with httpx.Client(base_url=influxd.url, timeout=60) as http:
        http.post("/query", data={"q": f'CREATE DATABASE "{db}"'})
        t = time.perf_counter()
        for body in bodies:
            r = http.post("/write", params={"db": db, "precision": "ms"}, content=body)
            assert r.status_code == 204, r.text
        return len(lines) / (time.perf_counter() - t)


def metric(ports: list[int], name: str) -> float:
    """The sum of one metric over every worker's /metrics."""
    total = 0.0
    for port in ports:
        for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text.splitlines():
            if line.startswith(name + " "):
                total += float(line.split()[1])
    return total


def count_points(influxd: Influxd, db: str, site: str) -> int:
    q = f"SELECT count(\"value\") FROM /.*/ WHERE site = '{site}'"
    res = httpx.post(f"{influxd.url}/query", data={"q": q, "db": db}, timeout=60).json()["results"][0]
    return sum(int(s["values"][0][1]) for s in res.get("series", []))


def end_to_end(
    influxd: Influxd, mqtt_url: str, db: str, site: str, messages: list, data_dir: Path, workers: int
) -> tuple[float, dict[str, float]]:
    port = free_port()
    while not all(not port_open("127.0.0.1", p) for p in range(port, port + workers)):
        port = free_port()
    ports = list(range(port, port + workers))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EGGWATCH_")},
        "EGGWATCH_INFLUX_URL": influxd.url,
        "EGGWATCH_INFLUX_DB": db,
        "EGGWATCH_MQTT_URL": mqtt_url,
        "EGGWATCH_DATA_DIR": str(data_dir),
    }
    cmd = [
        sys.executable, "-m", "eggwatch.cli", "ingest", "--site", site,
        "--client-id", f"bench-{site}", "--metrics-port", str(port), "--session-expiry", "60",
        "--inflight", "65535", "--log-interval", "5", *os.environ.get("BENCH_INGEST_ARGS", "").split(), "--workers", str(workers),
    ]  # fmt: skip
    if os.environ.get("BENCH_PYSPY"):  # profile ingest: BENCH_PYSPY=/path/to/py-spy
        cmd = [
            os.environ["BENCH_PYSPY"],
            "record",
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            f"/tmp/prof-{site}.txt",
            "--",
            *cmd,
        ]
    log = open(data_dir / f"ingest-{site}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                for p in ports:
                    httpx.get(f"http://127.0.0.1:{p}/metrics", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"ingest did not start: see {log.name}") from None
                time.sleep(0.1)
        broker = BrokerAddress.parse(mqtt_url)
        pub_id = f"bench-pub-{uuid.uuid4().hex[:6]}"
        # The load generator must not eat the CPU ingest is measured on (see bench/mqttpub.py);
        # BENCH_PUBLISHER=paho publishes with paho instead, as the first version of this bench did.
        pub = (
            None
            if os.environ.get("BENCH_PUBLISHER") == "paho"
            else RawPublisher(broker.host, broker.port, pub_id)
        )
        packets = [pub.encode(topic, payload) for topic, payload, _, _ in messages] if pub else []
        paho_pub = None
        if pub is None:
            paho_pub = make_client(broker, pub_id, persistent=False)
            paho_pub.max_inflight_messages_set(0)
            paho_pub.connect(broker.host, broker.port)
            paho_pub.loop_start()
        n_readings = sum(len(m[2]) for m in messages)
        # Closed loop: stay at most ~200,000 readings ahead of ingest's acknowledgements (steady
        # state, bounded broker memory), rather than measuring how fast a burst can be queued.
        window = max(50, 200_000 // len(messages[0][2]))
        step = max(1, window // 4)
        t = time.perf_counter()
        acked = 0.0
        infos = []
        for start in range(0, len(messages), step):
            while start - acked > window:
                time.sleep(0.02)
                acked = metric(ports, "eggwatch_ingest_messages_acked_total")
            if pub is not None:
                pub.send(packets[start : start + step])
            else:
                assert paho_pub is not None
                batch = messages[start : start + step]
                infos += [paho_pub.publish(topic, payload, qos=1) for topic, payload, _, _ in batch]
        published = time.perf_counter() - t
        deadline = time.monotonic() + 60
        while (acked := metric(ports, "eggwatch_ingest_messages_acked_total")) < len(messages):
            if time.monotonic() > deadline:
                at_broker = pub.acked if pub else sum(1 for i in infos if i.is_published())
                received = metric(ports, "eggwatch_ingest_messages_received_total")
                raise RuntimeError(
                    f"ingest acknowledged {acked:.0f} of {len(messages)} messages in time "
                    f"(broker acknowledged {at_broker} to the publisher, ingest received {received:.0f})"
                )
            time.sleep(0.02)
        elapsed = time.perf_counter() - t
        if pub is not None:
            pub.close()
        else:
            assert paho_pub is not None
            paho_pub.disconnect()
            paho_pub.loop_stop()
        landed = count_points(influxd, db, site)
        if landed != n_readings:
            raise RuntimeError(f"only {landed} of {n_readings} readings landed in InfluxDB")
        details = {
            "publish_s": published,
            "spooled": metric(ports, "eggwatch_ingest_readings_spooled_total"),
            "write_s_sum": metric(ports, "eggwatch_ingest_write_seconds_sum"),
            "writes": metric(ports, "eggwatch_ingest_write_seconds_count"),
        }
        return n_readings / elapsed, details
    finally:
        proc.send_signal(signal.SIGINT)  # py-spy (BENCH_PYSPY) writes its profile on SIGINT
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readings", type=int, default=400_000, help="readings per run")
    ap.add_argument("--workers", default="1,2", help="ingest --workers values to measure, comma-separated")
    args = ap.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]
    influxd = Influxd.create()
    influxd.start()
    broker = Mosquitto()
    data_dir = Path(tempfile.mkdtemp(prefix="eggwatch-bench-"))
    targets = {500: 100_000, 20: 45_000}
    ok = True
    try:
        for per_message, target in targets.items():
            raw_site = f"braw{uuid.uuid4().hex[:8]}"
            raw_msgs = make_messages(raw_site, args.readings, per_message)
            # The machine is shared: measure the baseline before and after, and use the mean.
            raw_before = raw_rate(influxd, f"raw_{raw_site}", raw_site, raw_msgs)
            results = []
            for workers in worker_counts:
                site = f"be2e{uuid.uuid4().hex[:8]}"
                msgs = make_messages(site, args.readings, per_message)
                results.append(
                    (workers, *end_to_end(influxd, broker.url, f"e2e_{site}", site, msgs, data_dir, workers))
                )
            raw_after = raw_rate(influxd, f"raw2_{raw_site}", raw_site, raw_msgs)
            raw = (raw_before + raw_after) / 2
            print(
                f"{per_message:>3} readings/msg, {args.readings:,} readings: raw InfluxDB {raw:,.0f}/s "
                f"({raw_before:,.0f} before, {raw_after:,.0f} after)",
                flush=True,
            )
            best = False
            for workers, rate, details in results:
                ratio = rate / raw
                passed = rate >= target and ratio >= 0.5
                best |= passed
                print(
                    f"    --workers {workers}: end-to-end {rate:,.0f}/s (target {target:,}) | "
                    f"ratio {ratio:.2f} (target 0.50) | {int(details['writes'])} writes, "
                    f"{details['write_s_sum']:.1f}s in writes, {int(details['spooled'])} spooled | "
                    f"{'PASS' if passed else 'FAIL'}",
                    flush=True,
                )
            ok &= best
    finally:
        influxd.destroy()
        broker.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
