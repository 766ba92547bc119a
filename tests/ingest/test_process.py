"""`eggwatch ingest` as a real process: SIGKILL mid-stream then restart, and a shared-subscription group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ingest.helpers import Publisher, influx_count, readings_stream, wait_until
from tests.support.servers import Influxd, free_port, port_open

pytestmark = pytest.mark.integration


@pytest.fixture
def publisher(mqtt_url: str) -> Iterator[Publisher]:
    p = Publisher(mqtt_url)
    yield p
    p.close()


def spawn(
    influxd: Influxd, db: str, mqtt_url: str, data_dir: Path, site: str, *args: str
) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EGGWATCH_")},
        "EGGWATCH_INFLUX_URL": influxd.url,
        "EGGWATCH_INFLUX_DB": db,
        "EGGWATCH_MQTT_URL": mqtt_url,
        "EGGWATCH_DATA_DIR": str(data_dir),
    }
    cmd = [
        sys.executable,
        "-m",
        "eggwatch.cli",
        "ingest",
        "--site",
        site,
        "--linger",
        "0.05",
        "--session-expiry",
        "300",
        *args,
    ]
    with open(data_dir / f"ingest-{uuid.uuid4().hex[:6]}.log", "wb") as log:  # the child keeps its own
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def metric_value(port: int, name: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    def up() -> bool:
        assert proc.poll() is None, "ingest exited"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=30, what="ingest to serve metrics")


def test_sigkill_mid_stream_then_restart_loses_nothing(
    influxd: Influxd, influx_db: str, mqtt_url: str, tmp_path: Path, site: str, publisher: Publisher
) -> None:
    client_id = f"test-kill-{uuid.uuid4().hex[:8]}"
    port = free_port()
    args = ("--client-id", client_id, "--metrics-port", str(port), "--batch-readings", "2000")
    proc = spawn(influxd, influx_db, mqtt_url, tmp_path, site, *args)
    try:
        wait_ready(port, proc)
        stream = readings_stream(site, 600, 20)
        infos = [publisher.send(t, p) for t, p in stream[:300]]
        wait_until(lambda: metric_value(port, "eggwatch_ingest_messages_acked_total") > 50, what="some acks")
        proc.send_signal(signal.SIGKILL)  # mid-stream: some messages received but not yet acked
        proc.wait()
        infos += [publisher.send(t, p) for t, p in stream[300:]]  # published while ingest is dead
        for info in infos:
            info.wait_for_publish(timeout=30)
        proc = spawn(influxd, influx_db, mqtt_url, tmp_path, site, *args)
        wait_until(
            lambda: influx_count(influxd.url, influx_db, site) == 600 * 20, timeout=60, what="every reading"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0


def test_shared_group_splits_load_every_reading_once(
    influxd: Influxd, influx_db: str, mqtt_url: str, tmp_path: Path, site: str, publisher: Publisher
) -> None:
    group = f"g{uuid.uuid4().hex[:8]}"
    ports = [free_port(), free_port()]
    procs = [
        spawn(
            influxd,
            influx_db,
            mqtt_url,
            tmp_path,
            site,
            "--group",
            group,
            "--client-id",
            f"{group}-{i}",
            "--metrics-port",
            str(port),
        )
        for i, port in enumerate(ports)
    ]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_ready(port, proc)
        n = publisher.send_all(readings_stream(site, 400, 10))
        wait_until(
            lambda: influx_count(influxd.url, influx_db, site) == n * 10, timeout=60, what="every reading"
        )
        handled = [metric_value(p, "eggwatch_ingest_messages_received_total") for p in ports]
        wait_until(
            lambda: sum(metric_value(p, "eggwatch_ingest_messages_acked_total") for p in ports) == n,
            what="acks",
        )
        assert sum(handled) == n  # each message went to exactly one member of the group
        assert all(h > 0 for h in handled), handled  # and both members took a share
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        assert [proc.wait(30) for proc in procs] == [0, 0]


def test_workers_option_runs_a_group_of_processes(
    influxd: Influxd, influx_db: str, mqtt_url: str, tmp_path: Path, site: str, publisher: Publisher
) -> None:
    port = free_port()
    while port_open("127.0.0.1", port + 1):
        port = free_port()
    group = f"w{uuid.uuid4().hex[:8]}"
    proc = spawn(
        influxd,
        influx_db,
        mqtt_url,
        tmp_path,
        site,
        "--workers",
        "2",
        "--group",
        group,
        "--metrics-port",
        str(port),
    )
    try:
        for p in (port, port + 1):
            wait_ready(p, proc)
        n = publisher.send_all(readings_stream(site, 200, 10))
        wait_until(
            lambda: influx_count(influxd.url, influx_db, site) == n * 10, timeout=60, what="every reading"
        )
        handled = [metric_value(p, "eggwatch_ingest_messages_received_total") for p in (port, port + 1)]
        assert sum(handled) == n and all(h > 0 for h in handled), handled
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert not port_open("127.0.0.1", port + 1)  # the second worker stopped with the first


def test_workers_die_with_a_sigkilled_parent(
    influxd: Influxd, influx_db: str, mqtt_url: str, tmp_path: Path, site: str
) -> None:
    port = free_port()
    while port_open("127.0.0.1", port + 1):
        port = free_port()
    args = ("--workers", "2", "--group", f"w{uuid.uuid4().hex[:8]}", "--metrics-port", str(port))
    proc = spawn(influxd, influx_db, mqtt_url, tmp_path, site, *args)
    try:
        for p in (port, port + 1):
            wait_ready(p, proc)
        proc.kill()  # SIGKILL: the parent cannot stop its worker itself
        proc.wait(10)
        wait_until(
            lambda: not port_open("127.0.0.1", port + 1), timeout=30, what="the orphaned worker to exit"
        )
        # and a restarted parent gets its worker back (its port and spool are free again)
        proc = spawn(influxd, influx_db, mqtt_url, tmp_path, site, *args)
        for p in (port, port + 1):
            wait_ready(p, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
