"""Detecting wraps and resets of cumulative device counters.

A counter register is published exactly as read.  When a reading is lower than the previous one
of the same register, the counter wrapped (uint16/uint32 overflow) or the device restarted from 0
(power cycle): the device's ``resets`` count goes up and it is logged, and the reading goes out
unchanged.  It is not tagged: tags are part of a point's identity in InfluxDB, so a tag on the
readings after a wrap would start a second series, which every reader sums as another counter
(hours of the row read as gaps, a wrap's 65,536 counted as eggs).  Analytics tells a wrap or reset
from a real drop itself (``eggwatch.store.counters.increases``).
"""

from __future__ import annotations

from collections.abc import Hashable


class CounterWatch:
    """The last raw value of every counter register; tells whether a new value went backwards."""

    def __init__(self) -> None:
        self._last: dict[Hashable, float] = {}

    def went_back(self, key: Hashable, raw: float) -> bool:
        last = self._last.get(key)
        self._last[key] = raw
        return last is not None and raw < last
