"""House climate controller: air temperature, humidity, gases, light and static pressure.

Input registers (function 4), see README.md for the table.  Gauges only.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from firmware_stubs.modbus_stub import Point, StubDevice
from gateway.registers import RegType, WordOrder
from gateway.serial_config import Function, RegisterMap


@dataclass
class ClimateState:
    temp_c: float = 21.5
    rh_pct: float = 62.0
    outdoor_temp_c: float = 4.0
    static_pressure_pa: float = -18.0
    co2_ppm: float = 1450.0
    nh3_ppm: float = 8.0
    light_lux: float = 20.0


def _p(
    attr: str, address: int, rtype: RegType, scale: float = 1.0, order: WordOrder = WordOrder.BIG
) -> Point:
    reg = RegisterMap(address=address, type=rtype, scale=scale, word_order=order, metric=attr)
    return Point(attr, reg, Function.INPUT)


class ClimateController(StubDevice):
    kind = "climate"
    poll_s = 10.0
    POINTS = (
        _p("temp_c", 0, RegType.INT16, 0.1),
        _p("rh_pct", 1, RegType.UINT16, 0.1),
        _p("outdoor_temp_c", 2, RegType.INT16, 0.1),
        _p("static_pressure_pa", 3, RegType.INT16, 0.1),
        _p("co2_ppm", 4, RegType.FLOAT32),
        _p("nh3_ppm", 6, RegType.FLOAT32, order=WordOrder.LITTLE),
        _p("light_lux", 8, RegType.UINT16),
    )

    def __init__(
        self,
        slave: int = 1,
        unit: str = "house-01",
        device: str = "climate-1",
        state: ClimateState | None = None,
    ):
        super().__init__(slave, unit, device, state or ClimateState())

    def step(self, dt_s: float, rng: random.Random) -> None:
        s: ClimateState = self.state
        s.temp_c += rng.gauss(0, 0.05) * math.sqrt(dt_s) + (21.5 - s.temp_c) * 0.01 * dt_s
        s.rh_pct = min(95.0, max(30.0, s.rh_pct + rng.gauss(0, 0.2) * math.sqrt(dt_s)))
        s.co2_ppm = max(400.0, s.co2_ppm + rng.gauss(0, 5) * math.sqrt(dt_s))
        s.nh3_ppm = max(0.0, s.nh3_ppm + rng.gauss(0, 0.05) * math.sqrt(dt_s))
