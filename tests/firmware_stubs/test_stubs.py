"""Firmware stubs: shipped register maps are current, the pty runner works as a subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pymodbus.client import ModbusSerialClient
from pymodbus.framer import FramerType

from firmware_stubs import ClimateController, EggCounter, GradingMachine, SiloScale, WaterMeter
from firmware_stubs.examples import expected_files
from gateway.registers import RegType, decode


def test_shipped_gateway_configs_match_the_stubs() -> None:
    for path, text in expected_files().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run python -m firmware_stubs.examples"
        )


def test_counters_wrap_and_reset_like_the_device() -> None:
    counter = EggCounter()
    counter.preload_wrap(margin=1)
    p = counter.points[0]
    assert counter.raw(p) == 2**32 - 1
    counter.state.eggs[0] += 1
    assert counter.raw(p) == 0  # the register wraps, the state keeps counting
    counter.power_cycle()
    assert counter.state.eggs == [0] * 8
    grader = GradingMachine()
    grader.state.rejects[0] = 70000  # uint16 register
    assert grader.raw(grader.points[4]) == 70000 - 65536


def test_built_in_drivers_move_the_state() -> None:
    import random

    rng = random.Random(1)
    stubs = [ClimateController(), EggCounter(), WaterMeter(), SiloScale(), GradingMachine()]
    stubs[4].state.state = 1
    before = [repr(s.state) for s in stubs]
    for s in stubs:
        s.step(60, rng)
    assert all(repr(s.state) != b for s, b in zip(stubs, before, strict=True))


def test_stub_bus_runs_as_a_subprocess_and_prints_its_port() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "firmware_stubs", "climate:1", "water:3", "--unit", "house-07"],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            port = proc.stdout.readline().strip()
            assert port.startswith("/dev/pts/")
            # generous: a loaded CI machine may schedule the stub process late; an answer returns at once
            client = ModbusSerialClient(port, framer=FramerType.RTU, baudrate=115200, timeout=5, retries=2)
            assert client.connect()
            rsp = client.read_input_registers(0, count=1, device_id=1)
            assert not rsp.isError() and decode(rsp.registers, RegType.INT16) == 215  # 21.5 °C, scale 0.1
            rsp = client.read_holding_registers(0, count=2, device_id=3)
            assert not rsp.isError()
            rsp = client.read_holding_registers(100, count=2, device_id=3)  # unmapped: illegal address
            assert rsp.isError() and rsp.exception_code == 2
            client.close()
        finally:
            proc.terminate()
            assert proc.wait(10) == 0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["climate:300"], "slave 300 of climate-300 is not a Modbus slave id (1 to 247)"),
        (["climate:0"], "slave 0 of climate-0 is not a Modbus slave id (1 to 247)"),
        (["climate:1", "water:1"], "slave 1 is served twice: climate-1 and water-1"),
    ],
)
def test_a_bus_the_stubs_cannot_serve_is_one_error_line_not_a_silent_port(
    args: list[str], error: str
) -> None:
    # Before: slave 300 or 0 ended the server thread with a traceback while the process still
    # printed a port and ran (nothing answered); a second device on slave 1 replaced the first.
    proc = subprocess.run(
        [sys.executable, "-m", "firmware_stubs", *args], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1] == f"python -m firmware_stubs: error: {error}"
