"""Feeding simulated readings into the pipeline through the real gateway publisher.

Backfill and fast-forward publish what the devices would have reported, stamped with simulated
time, via :class:`gateway.publisher.Publisher` (spool → broker, QoS 1) instead of polling Modbus
once per simulated minute: days of history take seconds, and the readings take the same path
(publisher, broker, ingest, store) as live ones.  Live, only the device that has no firmware stub
(the house controller's flock records) is fed this way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cache

import numpy as np

from eggwatch import metrics
from gateway.publisher import Publisher
from simulator.devices import Channel
from simulator.park_sim import ParkSim

log = logging.getLogger(__name__)
DIRECT_DEVICES = ("controller-1",)  # the house controller's flock records have no stub: fed directly
DEVICE_IDS = {"scale-1": "homie-scale"}  # the demo's scales are vendor Homie nodes (eggwatch.demo.vendor)


@cache
def _register_wraps() -> dict[tuple[str, str, tuple[tuple[str, str], ...]], float]:
    """Counters the firmware stubs hold in narrow registers, and the value at which they wrap."""
    from firmware_stubs import DEVICES

    wraps = {}
    for make in DEVICES.values():
        dev = make()
        for p in dev.points:
            m = metrics.REGISTRY[p.reg.metric]
            if p.reg.type.modulus and m.kind is metrics.Kind.COUNTER:
                key = (dev.device, p.reg.metric, tuple(sorted(p.reg.tags.items())))
                wraps[key] = p.reg.type.modulus * p.reg.scale
    return wraps


def as_device_reports(ch: Channel) -> Channel:
    """The channel as the device reports it: a counter in a 16-bit register wraps at 65,536, so
    backfilled readings join the live ones polled from the stubs."""
    wrap = _register_wraps().get((ch.device, ch.metric, tuple(sorted(ch.tags.items()))))
    return ch if wrap is None else replace(ch, values=np.mod(ch.values, wrap))


def publish(pub: Publisher, channels: Iterable[Channel], devices: Iterable[str] | None = None) -> int:
    """Submit the channels' readings (optionally only of ``devices``); returns how many."""
    wanted = set(devices) if devices is not None else None
    n = 0
    for ch in channels:
        if wanted is not None and ch.device not in wanted:
            continue
        readings = list(as_device_reports(ch).readings())
        if readings:
            pub.submit(ch.unit, DEVICE_IDS.get(ch.device, ch.device), readings)
            n += len(readings)
    return n


def wait_until(
    settled: Callable[[], bool], stop: threading.Event | None = None, timeout_s: float = 120.0
) -> bool:
    """Poll ``settled`` until it holds (ingest has made everything published durable)."""
    deadline = time.monotonic() + timeout_s
    while not settled():
        if time.monotonic() > deadline or (stop is not None and stop.is_set()):
            if stop is None or not stop.is_set():
                log.warning("ingest has not caught up after %.0fs; going on", timeout_s)
            return False
        time.sleep(0.1)
    return True


def backfill(
    sim: ParkSim,
    pub: Publisher,
    stored: Callable[[int], bool],
    start_s: float,
    end_s: float,
    step_s: float,
    *,
    chunk_s: float = 6 * 3600.0,
    on_chunk: Callable[[float], None] | None = None,
    progress: Callable[[float], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Publish ``[start_s, end_s)`` chunk by chunk; once ``stored(n)`` says the first ``n``
    readings are durable in the store, call ``on_chunk(t)`` (a detection pass at simulated ``t``)."""
    total = 0
    t = start_s
    while t < end_s and not (stop is not None and stop.is_set()):
        b = min(t + chunk_s, end_s)
        n_steps = max(1, round((b - t) / step_s))
        total += publish(pub, sim.channels(t, t + n_steps * step_s, step_s))
        pub.flush()
        t = t + n_steps * step_s
        if not wait_until(lambda n=total: stored(n), stop):  # type: ignore[misc]
            log.warning("publisher: %s", vars(pub.stats()))
        if on_chunk is not None:
            on_chunk(t)
        if progress is not None:
            progress(t)
    return total
