"""Feed silo load cells: the weight of two silos, signed 32-bit in 0.1 kg (load cells drift below 0).

Holding registers (function 3), int32 high word first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from firmware_stubs.modbus_stub import Point, StubDevice
from gateway.registers import RegType
from gateway.serial_config import RegisterMap


@dataclass
class SiloState:
    silo_a_kg: float = 12000.0
    silo_b_kg: float = 9000.0
    kg_per_hour: float = 90.0  # feed drawn from silo A by the built-in driver (~19k hens, 115 g/day)


class SiloScale(StubDevice):
    kind = "silo"
    poll_s = 60.0
    POINTS = (
        Point(
            "silo_a_kg",
            RegisterMap(address=0, type=RegType.INT32, scale=0.1, metric="feed_kg", tags={"silo": "a"}),
        ),
        Point(
            "silo_b_kg",
            RegisterMap(address=2, type=RegType.INT32, scale=0.1, metric="feed_kg", tags={"silo": "b"}),
        ),
    )

    def __init__(
        self, slave: int = 4, unit: str = "house-01", device: str = "silo-1", state: SiloState | None = None
    ):
        super().__init__(slave, unit, device, state or SiloState())

    def step(self, dt_s: float, rng: random.Random) -> None:
        s: SiloState = self.state
        s.silo_a_kg = max(0.0, s.silo_a_kg - s.kg_per_hour * dt_s / 3600 + rng.gauss(0, 0.5))
        if s.silo_a_kg < 500:  # the feed truck came
            s.silo_a_kg += 15000
