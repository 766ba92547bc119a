"""The whole serial gateway: several buses in one process, through the publisher to Mosquitto."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from eggwatch.settings import load_settings
from firmware_stubs import ClimateController, EggCounter, GradingMachine, run_on_pty
from firmware_stubs.examples import bus_entry, render
from gateway.serial_config import BusConfig
from gateway.serial_gateway import SerialGateway
from tests.gateway.collector import Collector
from tests.gateway.serial_support import GATEWAY_CLI

pytestmark = pytest.mark.integration


def test_two_buses_one_process_to_the_broker(
    mqtt_url: str, site: str, data_dir: Path, tmp_path: Path
) -> None:
    house = run_on_pty([ClimateController(slave=1, unit="house-07"), EggCounter(slave=2, unit="house-07")])
    line = run_on_pty([GradingMachine(slave=1, unit="packing-2")])
    buses = [
        BusConfig(
            port=s.path, baudrate=115200, devices=[d.gateway_config(poll_s=0.1) for d in s.devices.values()]
        )
        for s in (house, line)
    ]
    config = tmp_path / "gw.yaml"
    config.write_text(render({"buses": [bus_entry(b) for b in buses]}, "two buses"))
    col = Collector(mqtt_url, f"eggwatch/v1/{site}/#")
    gw = SerialGateway.from_file(config, load_settings(mqtt_url=mqtt_url, site=site))
    stop = threading.Event()
    t = threading.Thread(target=gw.run, args=(stop, 3600), daemon=True)
    t.start()
    try:
        for dev in ("house-07/climate-1", "house-07/eggcounter-1", "packing-2/grader-1"):
            col.wait_for(lambda dev=dev: len(col.readings(dev)) >= 20)  # type: ignore[misc]
        status: Any = gw.status()
    finally:
        stop.set()
        t.join(10)
        house.stop()
        line.stop()
        col.close()
    assert [len(b["devices"]) for b in status["buses"]] == [2, 1]
    assert all(d["status"] == "ok" for b in status["buses"] for d in b["devices"])
    seqs: dict[str, list[int]] = {}
    for topic, msg in col.messages:
        seqs.setdefault(topic, []).append(msg["seq"])
    assert set(seqs) == {
        f"eggwatch/v1/{site}/{d}"
        for d in ("house-07/climate-1", "house-07/eggcounter-1", "packing-2/grader-1")
    }
    for s in seqs.values():
        assert s == list(range(len(s)))  # per-device seq from 0, no gaps
    grader = {r["metric"] for r in col.readings("packing-2/grader-1")}
    assert grader == {
        "eggs_graded_total",
        "rejects_total",
        "cases_packed_total",
        "line_speed_eph",
        "line_state",
    }


def test_cli_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("buses:\n  - port: /dev/ttyUSB0\n    baudrate: fast\n    devices: []\n")
    for kind in ("serial", "mqtt"):
        proc = subprocess.run(
            [*GATEWAY_CLI, kind, "--config", str(bad)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert (
            len(lines) == 1
            and lines[0].startswith("eggwatch: error: configuration: ")
            and str(bad) in lines[0]
        )
    started = time.monotonic()
    proc = subprocess.run(
        [*GATEWAY_CLI, "serial", "--config", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "cannot read" in proc.stderr and time.monotonic() - started < 60
