"""Per-row egg counter of a laying house: one cumulative counter per row (egg belt photocell).

Holding registers (function 3), uint32 low word first (``word_order: little``) as many counter
boxes store them.  The counters wrap at 2^32 and restart from 0 after a power cycle.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from firmware_stubs.modbus_stub import Point, StubDevice
from gateway.registers import RegType, WordOrder
from gateway.serial_config import RegisterMap

ROWS = 8


@dataclass
class EggCounterState:
    eggs: list[int] = field(default_factory=lambda: [0] * ROWS)  # cumulative per row, index 0 = row "01"
    eggs_per_hour_per_row: float = 1500.0  # used by the built-in driver only


def _row(i: int) -> Point:
    reg = RegisterMap(
        address=2 * i,
        type=RegType.UINT32,
        word_order=WordOrder.LITTLE,
        metric="eggs_total",
        tags={"row": f"{i + 1:02d}"},
    )
    return Point(f"eggs[{i}]", reg)


class EggCounter(StubDevice):
    kind = "eggcounter"
    poll_s = 60.0
    POINTS = tuple(_row(i) for i in range(ROWS))

    def __init__(
        self,
        slave: int = 2,
        unit: str = "house-01",
        device: str = "eggcounter-1",
        state: EggCounterState | None = None,
    ):
        super().__init__(slave, unit, device, state or EggCounterState())

    def step(self, dt_s: float, rng: random.Random) -> None:
        s: EggCounterState = self.state
        mean = s.eggs_per_hour_per_row * dt_s / 3600
        for i in range(len(s.eggs)):
            s.eggs[i] += max(0, round(rng.gauss(mean, mean**0.5 if mean > 0 else 0)))
