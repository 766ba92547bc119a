"""``eggwatch demo`` end to end, in a subprocess: backfill with an injected incident, live devices
through the real serial gateway, the alert through the API, the web page, Ctrl-C, and a resume.

Without servers (embedded broker, embedded store, SQLite) and against the real Mosquitto +
InfluxDB + PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eggwatch.store.base import Query
from tests.support.servers import free_port

EGGWATCH = str(Path(sys.executable).with_name("eggwatch"))
PASSWORD = "demo-password-1"


class DemoProcess:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.lines: list[str] = []
        cmd = [EGGWATCH, "demo", "--port", str(self.port), "--password", PASSWORD, *args]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:  # closed at the demo's end of output
            for line in self.proc.stdout:
                self.lines.append(line.rstrip())

    def wait_for(self, text: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            hit = next((ln for ln in self.lines if text in ln), None)
            if hit is not None:
                return hit
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        tail = "\n".join(self.lines[-40:])
        pytest.fail(f"demo did not print {text!r} within {timeout_s}s (exit {self.proc.poll()}):\n{tail}")

    def interrupt(self, timeout_s: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(
                "demo did not stop within {}s of Ctrl-C:\n{}".format(timeout_s, "\n".join(self.lines[-40:]))
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def demo_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGGWATCH_")}
    env["EGGWATCH_DATA_DIR"] = str(tmp_path / "var")
    yield env


def _login(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _poll_alerts(base: str, headers: dict[str, str], unit: str, timeout_s: float) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        r = httpx.get(f"{base}/api/v1/alerts", params={"unit": unit}, headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(1)


def _check_running_demo(demo: DemoProcess) -> str:
    """Readings, the injected incident's alert and the web page, through the running demo."""
    injected = demo.wait_for("injected incident:", 300)
    unit = injected.split("injected incident: ", 1)[1].split()[0]
    demo.wait_for("eggwatch demo live", 120)
    headers = _login(demo.url)
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 2 * 86400))
    r = httpx.get(f"{demo.url}/api/v1/production/house-01", params={"start": start, "end": end},
                  headers=headers, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["eggs"] > 10_000, r.json()  # two days of a 50,000-hen house
    r = httpx.get(f"{demo.url}/api/v1/figures/house-01", params={"start": start, "end": end},
                  headers=headers, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    whole = [d for d in r.json()["days"] if d["hen_day_pct"] is not None]  # yesterday, local
    assert whole and all(40 < d["hen_day_pct"] < 110 and d["standard_hen_day_pct"] for d in whole), r.json()
    alerts = _poll_alerts(demo.url, headers, unit, 30)
    log = "\n".join(ln for ln in demo.lines if "pass ok" in ln or "ERROR" in ln or "rror" in ln)
    assert alerts, f"no alert for the injected incident in {unit}:\n{log[-6000:]}"
    assert {a["kind"] for a in alerts} & {"laying_drop", "water_drop", "feed_drop"}, alerts
    page = httpx.get(f"{demo.url}/", timeout=10, follow_redirects=True)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    return unit


def _live_readings(data: Path, timeout_s: float) -> tuple[int, int]:
    """(temperatures, bird weights) the running demo stored in the last two minutes, read from its
    embedded store (SQLite in WAL mode: a second reader is safe) until both reach 6 or time runs out."""
    from eggwatch.store.embedded import EmbeddedStore

    store = EmbeddedStore(data / "telemetry.sqlite")
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            now_ms = int(time.time() * 1000)
            temps = store.query(Query("temp_c", "jinji", now_ms - 120_000, now_ms))
            weights = store.query(
                Query("bird_weight_g", "jinji", now_ms - 120_000, now_ms, devices=("homie-scale",))
            )
            counts = sum(len(s.ts) for s in temps), sum(len(s.ts) for s in weights)
            if min(counts) >= 6 or time.monotonic() > deadline:
                return counts
            time.sleep(1)
    finally:
        store.close()


@pytest.mark.slow
def test_demo_without_servers(demo_env: dict[str, str]) -> None:
    demo = DemoProcess(demo_env, "--history-days", "2", "--duration", "600")
    try:
        _check_running_demo(demo)
        # The live readings came through the Modbus stubs and the serial gateway (device time ~ now),
        # and the bird scales as vendor Homie nodes through the MQTT gateway (every 30 s).
        temps, weights = _live_readings(Path(demo_env["EGGWATCH_DATA_DIR"]), timeout_s=120)
    finally:
        code = demo.interrupt()
    assert code == 0, "\n".join(demo.lines[-30:])
    assert "eggwatch demo stopped" in demo.lines[-1]
    assert temps >= 6, temps
    assert weights >= 6, weights

    # A second run resumes the same park: it backfills the gap and goes live again.
    again = DemoProcess(demo_env, "--duration", "3")
    assert again.proc.wait(180) == 0, "\n".join(again.lines[-30:])
    assert any("workforce: already seeded" in ln for ln in again.lines)


@pytest.mark.slow
@pytest.mark.integration
def test_demo_against_mosquitto_influxdb_postgresql(
    demo_env: dict[str, str], mqtt_url: str, influxd, influx_db: str, pg_url: str, site: str
) -> None:  # type: ignore[no-untyped-def]
    demo_env.update(
        EGGWATCH_MQTT_URL=mqtt_url,
        EGGWATCH_INFLUX_URL=influxd.url,
        EGGWATCH_INFLUX_DB=influx_db,
        EGGWATCH_DATABASE_URL=pg_url,
        EGGWATCH_SITE=site,
    )
    demo = DemoProcess(demo_env, "--history-days", "2", "--duration", "600", "--no-modbus")
    try:
        _check_running_demo(demo)
    finally:
        code = demo.interrupt()
    assert code == 0, "\n".join(demo.lines[-30:])
    r = httpx.post(
        f"{influxd.url}/query",
        params={"db": influx_db, "q": "SELECT count(value) FROM eggs_total"},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["results"][0].get("series"), r.text


@pytest.mark.slow
def test_ctrl_c_while_loading_history_keeps_the_history_to_load(demo_env: dict[str, str]) -> None:
    # 30 days at 10-s steps take minutes to load: Ctrl-C falls in the backfill.
    demo = DemoProcess(demo_env, "--history-days", "30", "--backfill-step", "10")
    demo.wait_for("backfill [", 300)
    assert demo.interrupt() == 0, "\n".join(demo.lines[-30:])
    assert not any("web page and API on" in ln for ln in demo.lines), "served after Ctrl-C"
    state = json.loads((Path(demo_env["EGGWATCH_DATA_DIR"]) / "demo" / "state.json").read_text())
    # The next run must load the history this one did not: it resumes from fed_until_s.
    assert state["fed_until_s"] < time.time() - 86400, state
