"""`eggwatch ingest` refuses bad options and an unreachable broker with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from eggwatch.settings import ConfigError
from ingest.options import IngestOptions
from tests.support.servers import free_port


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EGGWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "eggwatch.cli", "ingest", *args],
        env={**base, "EGGWATCH_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"group": "no spaces"},
        {"client_id": ""},
        {"site": "UP"},
        {"protocol": "4"},
        {"batch_readings": 0},
        {"linger_s": -1.0},
        {"inflight": 70_000},
        {"spool_max_bytes": 1000},
        {"metrics_port": 70_000},
        {"gzip_level": 10},
        {"gzip_level": -1},
    ],
)
def test_options_validate_themselves(tmp_path: Path, bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        IngestOptions(spool_dir=tmp_path, dead_letter_path=tmp_path / "d", **bad)  # type: ignore[arg-type]


def test_topic_filter() -> None:
    o = IngestOptions(spool_dir=Path("s"), dead_letter_path=Path("d"))
    assert o.topic_filter == "eggwatch/v1/#"
    o = IngestOptions(spool_dir=Path("s"), dead_letter_path=Path("d"), group="g1", site="jinji")
    assert o.topic_filter == "$share/g1/eggwatch/v1/jinji/#"


def test_bad_option_exits_2_with_one_line(tmp_path: Path) -> None:
    r = run(tmp_path, "--group", "no spaces")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("eggwatch: error: configuration:"), r.stderr


def test_unreachable_broker_is_a_clear_error(tmp_path: Path) -> None:
    r = run(tmp_path, "--client-id", "cli-test", EGGWATCH_MQTT_URL=f"mqtt://127.0.0.1:{free_port()}")
    assert r.returncode == 1
    assert "cannot connect to the MQTT broker" in r.stderr.strip().splitlines()[-1]


def test_workers_get_every_option_but_their_own() -> None:
    import typer

    from eggwatch.cli import app
    from ingest.cli import forwarded_flags
    from ingest.workers import worker_command

    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    command = group.commands["ingest"]
    args = ["--workers", "3", "--site", "gs01", "--batch-readings", "500", "--spool-max-mb", "64", "-v"]
    ctx = typer.Context(command, info_name="ingest")
    command.parse_args(ctx, args)
    flags = forwarded_flags(ctx)
    assert not {"--group", "--client-id", "--spool-dir", "--metrics-port", "--workers"} & set(flags)
    assert len(flags) == len(command.params) - 5  # everything else, options added later included
    cmd = worker_command(2, "g", "eggwatch-ingest-g", 9100, flags)
    assert cmd[cmd.index("--site") + 1] == "gs01" and cmd[cmd.index("--batch-readings") + 1] == "500"
    assert "--verbose" in cmd and "--gzip-level" not in cmd  # a flag set, an option left at None
    assert cmd[cmd.index("--client-id") + 1] == "eggwatch-ingest-g-2"
    assert cmd[cmd.index("--metrics-port") + 1] == "9102"


@pytest.mark.integration
def test_second_process_with_the_same_client_id_refuses_to_start(tmp_path: Path, mqtt_url: str) -> None:
    import uuid

    import httpx

    from tests.ingest.helpers import wait_until

    cid = f"cli-dup-{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EGGWATCH_")},
        "EGGWATCH_DATA_DIR": str(tmp_path),
        "EGGWATCH_MQTT_URL": mqtt_url,
    }
    site = f"t{uuid.uuid4().hex[:10]}"
    args = ["ingest", "--client-id", cid, "--site", site, "--session-expiry", "30"]
    first = subprocess.Popen(
        [sys.executable, "-m", "eggwatch.cli", *args, "--metrics-port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def serving() -> bool:
            assert first.poll() is None, "the first ingest exited"
            try:
                return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(serving, what="the first ingest")
        r = run(tmp_path, *args[1:], EGGWATCH_MQTT_URL=mqtt_url)
        assert r.returncode == 1, r.stderr
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith("eggwatch: error: spool ") and "is in use by another process" in last, r.stderr
        assert "own --client-id" in last and "Traceback" not in r.stderr
        assert first.poll() is None  # and the first one kept its session and spool
    finally:
        first.terminate()
        assert first.wait(30) == 0


def test_busy_metrics_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = run(tmp_path, "--client-id", "cli-port", "--metrics-port", str(port))
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        f"eggwatch: error: cannot serve metrics on --metrics-port {port}: Address already in use"
    ), r.stderr
    assert "Traceback" not in r.stderr


BROKER_PASSWORD = "p@ss:w/rd%é #?"


@pytest.fixture(scope="module")
def auth_broker() -> Iterator[int]:
    """A private Mosquitto that wants user ``ingest`` with ``BROKER_PASSWORD``: its port."""
    import pwd
    import shutil
    import tempfile
    import time

    from tests.support.servers import port_open, stop_process_group

    root = Path(tempfile.mkdtemp(prefix="eggwatch-mosq-auth-"))
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(root / "passwd"), "ingest", BROKER_PASSWORD], check=True
    )
    port = free_port()
    (root / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {root}/passwd\n"
        f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(root / "mosquitto.conf")], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port, timeout=0.2):
            assert proc.poll() is None and time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)
        yield port
    finally:
        stop_process_group(proc)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.integration
def test_broker_credentials_from_the_url(auth_broker: int) -> None:
    from urllib.parse import quote

    from eggwatch.settings import BrokerAddress
    from ingest.source import MqttSource

    url = f"mqtt://ingest:{quote(BROKER_PASSWORD, safe='')}@127.0.0.1:{auth_broker}"
    source = MqttSource(BrokerAddress.parse(url), "cli-auth-ok", "eggwatch/v1/nosuchsite/#", "5", 10, 0)
    source.start()  # subscribed: the percent-encoded password was decoded
    source.stop()


@pytest.mark.integration
def test_refused_credentials_are_named_at_once(tmp_path: Path, auth_broker: int) -> None:
    # It used to retry for 10 s and then blame the subscription ("did not accept our subscription").
    import time

    t = time.monotonic()
    r = run(
        tmp_path, "--client-id", "cli-auth", EGGWATCH_MQTT_URL=f"mqtt://ingest:wrong@127.0.0.1:{auth_broker}"
    )
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last == (
        f"eggwatch: error: the MQTT broker mqtt://ingest:***@127.0.0.1:{auth_broker} refused the "
        "connection: Not authorized"
    ), r.stderr
    assert "wrong" not in r.stderr and time.monotonic() - t < 8


@pytest.mark.integration
def test_a_wrong_influx_password_is_one_line_at_start(tmp_path: Path) -> None:
    # It warned "cannot create database ... (authorization failed): assuming it exists", then
    # spooled every reading for ever.
    from tests.support.servers import Influxd

    server = Influxd.create(auth=True)
    try:
        server.start()
        server.create_admin("ingest", "right-password-123")
        env = {"EGGWATCH_INFLUX_URL": server.url, "EGGWATCH_INFLUX_USER": "ingest"}
        r = run(tmp_path, "--client-id", "cli-influx-auth", **env, EGGWATCH_INFLUX_PASSWORD="wrong")
    finally:
        server.destroy()
    assert r.returncode == 1, r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        f"eggwatch: error: InfluxDB at {server.url} refused the credentials (authorization failed): "
        "check EGGWATCH_INFLUX_USER and EGGWATCH_INFLUX_PASSWORD"
    ), r.stderr
    assert "wrong" not in r.stderr
