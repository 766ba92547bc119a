"""Feeding simulated readings into the pipeline through the real gateway publisher.

Backfill and fast-forward publish what the devices would have reported, stamped with simulated
time, via :class:`gateway.publisher.Publisher` (spool → broker, QoS 1) instead of polling Modbus
once per simulated minute: days of history take seconds, and the readings take the same path
(publisher, broker, ingest, store) as live ones.  Live, only the devices that have no firmware
stub (bird scale, house controller records) are fed this way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from eggwatch.store.base import Query, TelemetryStore
from gateway.publisher import Publisher
from simulator.devices import Channel
from simulator.park_sim import ParkSim

log = logging.getLogger(__name__)
DIRECT_DEVICES = ("scale-1", "controller-1")  # no firmware stub: always fed directly


def publish(
    pub: Publisher, channels: Iterable[Channel], devices: Iterable[str] | None = None
) -> int:
    """Submit the channels' readings (optionally only of ``devices``); returns how many."""
    wanted = set(devices) if devices is not None else None
    n = 0
    for ch in channels:
        if wanted is not None and ch.device not in wanted:
            continue
        readings = list(ch.readings())
        if readings:
            pub.submit(ch.unit, ch.device, readings)
            n += len(readings)
    return n


def wait_until_stored(
    store: TelemetryStore, site: str, units: Iterable[str], until_ms: int, timeout_s: float = 60.0
) -> bool:
    """Poll the store until every unit has an egg-counter reading at or after ``until_ms``."""
    want = set(units)
    deadline = time.monotonic() + timeout_s
    while True:
        series = store.query(Query("eggs_total", site, until_ms, until_ms + 3_600_000))
        if want <= {s.unit for s in series if len(s.ts)}:
            return True
        if time.monotonic() > deadline:
            log.warning("ingest has not stored readings up to %d after %.0fs", until_ms, timeout_s)
            return False
        time.sleep(0.2)


def backfill(
    sim: ParkSim,
    pub: Publisher,
    store: TelemetryStore,
    start_s: float,
    end_s: float,
    step_s: float,
    *,
    chunk_s: float = 6 * 3600.0,
    on_chunk: Callable[[float], None] | None = None,
    progress: Callable[[float], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Publish ``[start_s, end_s)`` chunk by chunk; after each chunk is stored call ``on_chunk(t)``."""
    houses = list(sim.houses)
    total = 0
    t = start_s
    while t < end_s and not (stop is not None and stop.is_set()):
        b = min(t + chunk_s, end_s)
        n_steps = max(1, round((b - t) / step_s))
        total += publish(pub, sim.channels(t, t + n_steps * step_s, step_s))
        pub.flush()
        t = t + n_steps * step_s
        wait_until_stored(store, sim.park.site, houses, int((t - step_s) * 1000))
        if on_chunk is not None:
            on_chunk(t)
        if progress is not None:
            progress(t)
    return total
