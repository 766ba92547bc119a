"""Devices that publish only when a value changes: their last values, published again while silent.

A Homie node or a vendor egg counter says nothing from the last egg of one day to the first of the
next.  Downstream an hour without a reading is a gap (``analytics/production.py``: unknown, its
count back-filled into the next hour that reports), so a whole night of such a counter reads as a
data gap, not as a counter standing still.  A mapping with ``repeat: {every_s, for_s}`` says the
device publishes on change: the gateway then publishes each of its last values again every
``every_s`` of silence, stamped with the gateway's clock, for at most ``for_s`` after the device's
last message (a device that died without a will is a gap after that).  Nothing is repeated while
the vendor broker is unreachable: the device may be changing then, and what it said meanwhile
arrives later (persistent session); those hours stay gaps.
"""

from __future__ import annotations

import heapq
import threading
from dataclasses import dataclass

from eggwatch import metrics
from eggwatch.wire import Reading

Key = tuple[str, str, str, tuple[tuple[str, str], ...]]  # unit, device, metric, tags


@dataclass(slots=True)
class _Held:
    reading: Reading
    every_s: float
    for_s: float
    seen: float  # monotonic time of the device's last message with this value
    due: float  # when it is next repeated


class Repeater:
    """The last value of each (unit, device, metric, tags) of the mappings that repeat; thread-safe
    (messages arrive on the MQTT thread, :meth:`due` is called from the gateway's loop)."""

    def __init__(self) -> None:
        self._held: dict[Key, _Held] = {}
        self._queue: list[tuple[float, Key]] = []  # (due, key); stale entries skipped when popped
        self._lock = threading.Lock()
        self.repeated = 0

    def seen(
        self, unit: str, device: str, readings: list[Reading], every_s: float, for_s: float, now: float
    ) -> None:
        """Readings the device just sent: each is repeated ``every_s`` from now unless it speaks."""
        with self._lock:
            for r in readings:
                if metrics.REGISTRY[r.metric].kind is metrics.Kind.DELTA:
                    continue  # a count in an interval (mortality): again would count it again
                key = (unit, device, r.metric, tuple(sorted(r.tags.items())))
                self._held[key] = _Held(r, every_s, for_s, now, now + every_s)
                heapq.heappush(self._queue, (now + every_s, key))

    def clear(self) -> None:
        """The vendor broker went away: what is held repeats again only from the devices' next
        messages on (retained values without a timestamp are not published: their time is unknown)."""
        with self._lock:
            self._held.clear()
            self._queue.clear()

    def due(self, now: float, now_ms: int) -> list[tuple[str, str, list[Reading]]]:
        """The readings to publish again now, grouped by (unit, device), stamped ``now_ms``."""
        out: dict[tuple[str, str], list[Reading]] = {}
        with self._lock:
            while self._queue and self._queue[0][0] <= now:
                when, key = heapq.heappop(self._queue)
                held = self._held.get(key)
                if held is None or held.due != when:
                    continue  # replaced by a newer message, or already dropped
                if now - held.seen > held.for_s:
                    del self._held[key]  # silent too long: a device that died, not one standing still
                    continue
                r = held.reading
                out.setdefault((key[0], key[1]), []).append(Reading(now_ms, r.metric, r.value, dict(r.tags)))
                held.due = when + held.every_s
                if held.due <= now:  # the loop was held up: no burst of repeats to catch up
                    held.due = now + held.every_s
                heapq.heappush(self._queue, (held.due, key))
            self.repeated += sum(len(v) for v in out.values())
        return [(unit, device, readings) for (unit, device), readings in out.items()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)
