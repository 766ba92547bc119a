"""Egg grading/packing machine: eggs graded per weight class, rejects, cases packed, speed, state.

Holding registers (function 3).  Graded counters are uint32 (high word first); reject and case
counters are uint16 and wrap at 65536 within days on a busy line.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from firmware_stubs.modbus_stub import Point, StubDevice
from gateway.registers import RegType, WordOrder
from gateway.serial_config import RegisterMap

GRADES = ("s", "m", "l", "xl")
REJECTS = ("cracked", "dirty")


@dataclass
class GradingState:
    graded: list[int] = field(default_factory=lambda: [0] * len(GRADES))  # cumulative per grade
    rejects: list[int] = field(default_factory=lambda: [0] * len(REJECTS))  # cumulative per reason
    cases: int = 0  # 360-egg cases packed, cumulative
    speed_eph: float = 0.0  # eggs per hour
    state: int = 0  # 0 stopped, 1 running, 2 fault


def _reg(
    address: int, rtype: RegType, metric: str, order: WordOrder = WordOrder.BIG, **tags: str
) -> RegisterMap:
    return RegisterMap(address=address, type=rtype, word_order=order, metric=metric, tags=tags)


class GradingMachine(StubDevice):
    kind = "grading"
    poll_s = 5.0
    POINTS = (
        *(
            Point(f"graded[{i}]", _reg(2 * i, RegType.UINT32, "eggs_graded_total", grade=g))
            for i, g in enumerate(GRADES)
        ),
        *(
            Point(f"rejects[{i}]", _reg(8 + i, RegType.UINT16, "rejects_total", reason=r))
            for i, r in enumerate(REJECTS)
        ),
        Point("cases", _reg(10, RegType.UINT16, "cases_packed_total")),
        Point("speed_eph", _reg(11, RegType.FLOAT32, "line_speed_eph", WordOrder.LITTLE)),
        Point("state", _reg(13, RegType.UINT16, "line_state")),
    )

    def __init__(
        self,
        slave: int = 1,
        unit: str = "packing-1",
        device: str = "grader-1",
        state: GradingState | None = None,
    ):
        super().__init__(slave, unit, device, state or GradingState())
        self._eggs_in_case = 0.0

    def step(self, dt_s: float, rng: random.Random) -> None:
        s: GradingState = self.state
        if s.state != 1:
            s.speed_eph = 0.0
            if rng.random() < 0.01 * dt_s:
                s.state = 1
            return
        s.speed_eph = max(0.0, rng.gauss(30000, 500))
        eggs = s.speed_eph * dt_s / 3600
        for i, share in enumerate((0.1, 0.35, 0.4, 0.15)):
            s.graded[i] += round(eggs * share)
        s.rejects[0] += round(eggs * 0.02 * rng.random())
        s.rejects[1] += round(eggs * 0.01 * rng.random())
        self._eggs_in_case += eggs
        while self._eggs_in_case >= 360:
            self._eggs_in_case -= 360
            s.cases += 1
