"""Running a real bus poller against stub slaves on a pty, collecting what it would publish."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from eggwatch.wire import Reading
from firmware_stubs import StubBus, StubDevice, run_on_pty
from gateway.bus import Bus
from gateway.serial_config import BusConfig, DeviceConfig

# `eggwatch gateway ...` in a subprocess, as an operator starts it.
GATEWAY_CLI = [sys.executable, "-m", "eggwatch.cli", "gateway"]


class Sink:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, Reading]] = []
        self._lock = threading.Lock()

    def __call__(self, unit: str, device: str, readings: list[Reading]) -> None:
        with self._lock:
            self.items.extend((unit, device, r) for r in readings)

    def of(self, device: str) -> list[Reading]:
        with self._lock:
            return [r for _, d, r in self.items if d == device]


def wait_until(cond: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def polled(
    stubs: Sequence[StubDevice],
    configs: Sequence[DeviceConfig] | None = None,
    timeout_s: float = 0.5,
    backoff_max_s: float = 60,
    stub_bus: StubBus | None = None,
) -> Iterator[tuple[Bus, Sink, StubBus]]:
    """A stub bus (unless given) and a gateway bus polling ``configs`` (default: the stubs' maps)."""
    sb = stub_bus or run_on_pty(list(stubs), drive_every_s=None)
    cfg = BusConfig(
        port=sb.path,
        baudrate=115200,
        timeout_s=timeout_s,
        backoff_max_s=backoff_max_s,
        devices=list(configs) if configs is not None else [s.gateway_config(poll_s=0.1) for s in stubs],
    )
    sink = Sink()
    bus = Bus(cfg, sink)
    bus.start()
    try:
        yield bus, sink, sb
    finally:
        bus.stop()
        bus.join(5)
        sb.stop()
