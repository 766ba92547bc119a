"""Device programs that speak the real protocols, for tests and the demo.

Modbus RTU slaves (pymodbus server on a pty): ``climate``, ``eggcounter``, ``water``, ``silo``,
``grading`` — each a :class:`~firmware_stubs.modbus_stub.StubDevice` with a plain state dataclass
that any driver (the flock simulator) may update.  MQTT sensor nodes in two vendor styles live in
:mod:`firmware_stubs.mqtt_nodes`.

    bus = run_on_pty([ClimateController(slave=1), EggCounter(slave=2)])
    bus.path            # -> "/dev/pts/7": give it to the serial gateway as `port:`
    bus.devices[1].state.temp_c = 24.0
    bus.stop()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from firmware_stubs.climate import ClimateController, ClimateState
from firmware_stubs.eggcounter import EggCounter, EggCounterState
from firmware_stubs.grading import GradingMachine, GradingState
from firmware_stubs.modbus_stub import Faults, Point, StubBus, StubDevice
from firmware_stubs.pty_link import PtyLink
from firmware_stubs.silo import SiloScale, SiloState
from firmware_stubs.water import WaterMeter, WaterState

DEVICES: dict[str, Callable[..., StubDevice]] = {  # kind → class (every argument has a default)
    "climate": ClimateController,
    "eggcounter": EggCounter,
    "water": WaterMeter,
    "silo": SiloScale,
    "grading": GradingMachine,
}


def run_on_pty(
    devices: StubDevice | Iterable[StubDevice],
    link_path: Path | None = None,
    drive_every_s: float | None = 1.0,
) -> StubBus:
    """Start ``devices`` as one RS-485 bus on a fresh pty pair; ``.path`` is the gateway's port.

    ``drive_every_s`` runs each device's built-in driver (None: the caller drives the state).
    """
    devs = [devices] if isinstance(devices, StubDevice) else list(devices)
    return StubBus(devs, link_path=link_path, drive_every_s=drive_every_s).start()


__all__ = [
    "DEVICES",
    "ClimateController",
    "ClimateState",
    "EggCounter",
    "EggCounterState",
    "Faults",
    "GradingMachine",
    "GradingState",
    "Point",
    "PtyLink",
    "SiloScale",
    "SiloState",
    "StubBus",
    "StubDevice",
    "WaterMeter",
    "WaterState",
    "run_on_pty",
]
