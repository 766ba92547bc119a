"""Drinking-water meter of a house (pulse meter with a Modbus totaliser), one per drinker line.

Holding registers (function 3): the total in 0.1 l steps as uint32, high word first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from firmware_stubs.modbus_stub import Point, StubDevice
from gateway.registers import RegType
from gateway.serial_config import RegisterMap


@dataclass
class WaterState:
    litres: float = 0.0  # cumulative
    litres_per_hour: float = 400.0  # used by the built-in driver only (~19k hens at 210 ml/day)


class WaterMeter(StubDevice):
    kind = "water"
    poll_s = 60.0
    POINTS = (
        Point(
            "litres",
            RegisterMap(
                address=0, type=RegType.UINT32, scale=0.1, metric="water_l_total", tags={"line": "1"}
            ),
        ),
    )

    def __init__(
        self, slave: int = 3, unit: str = "house-01", device: str = "water-1", state: WaterState | None = None
    ):
        super().__init__(slave, unit, device, state or WaterState())

    def step(self, dt_s: float, rng: random.Random) -> None:
        s: WaterState = self.state
        s.litres += max(0.0, rng.gauss(s.litres_per_hour, s.litres_per_hour * 0.1)) * dt_s / 3600
