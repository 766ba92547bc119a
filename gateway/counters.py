"""Detecting wraps and resets of cumulative device counters.

A counter register is published exactly as read.  When a reading is lower than the previous one
of the same register, the counter wrapped (uint16/uint32 overflow) or the device restarted from 0
(power cycle); the reading then carries the tag ``reset="1"`` so analytics knows the drop is not
negative production (``eggwatch.store.counters.increases`` computes the increase either way).
"""

from __future__ import annotations

from collections.abc import Hashable

RESET_TAG = "reset"


class CounterWatch:
    """The last raw value of every counter register; tells whether a new value went backwards."""

    def __init__(self) -> None:
        self._last: dict[Hashable, float] = {}

    def went_back(self, key: Hashable, raw: float) -> bool:
        last = self._last.get(key)
        self._last[key] = raw
        return last is not None and raw < last
