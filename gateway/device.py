"""One polled Modbus device: its read plan, schedule, backoff, error counts and the readings it yields."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from eggwatch import metrics
from eggwatch.wire import Reading, WireError
from gateway import registers
from gateway.counters import CounterWatch
from gateway.plan import Block, plan_device
from gateway.serial_config import DeviceConfig

log = logging.getLogger(__name__)


class Status(StrEnum):
    UNKNOWN = "unknown"  # not polled yet
    OK = "ok"
    FAILING = "failing"  # the last poll failed; retrying with backoff
    DOWN = "down"  # failed 5+ polls in a row


class Failure(StrEnum):
    TIMEOUT = "timeout"  # no answer at all
    CRC = "crc"  # an answer that failed its CRC (or was garbled)
    PROTOCOL = "protocol"  # a well-framed answer to another request: wrong function or register count
    EXCEPTION = "exception"  # a Modbus exception response
    INTERNAL = "internal"  # an unexpected error of ours handling the answer (counted as an exception)


@dataclass
class DeviceStats:
    polls: int = 0
    ok: int = 0
    timeouts: int = 0
    crc_errors: int = 0  # and protocol errors: answers that do not answer the request
    exceptions: int = 0
    bad_values: int = 0  # decoded values the metric registry refuses
    resets: int = 0  # counter wraps and power-cycle resets seen
    readings: int = 0
    last_ok_ms: int | None = None
    last_error: str | None = None


@dataclass
class PolledDevice:
    cfg: DeviceConfig
    backoff_max_s: float
    blocks: list[Block] = field(init=False)
    next_due: float = 0.0  # monotonic time of the next poll
    failures: int = 0  # consecutive failed polls
    stats: DeviceStats = field(default_factory=DeviceStats)
    counters: CounterWatch = field(default_factory=CounterWatch)

    def __post_init__(self) -> None:
        self.blocks = plan_device(self.cfg)

    @property
    def name(self) -> str:
        return f"{self.cfg.unit}/{self.cfg.device}@{self.cfg.slave}"

    @property
    def status(self) -> Status:
        if self.stats.polls == 0:
            return Status.UNKNOWN
        if self.failures == 0:
            return Status.OK
        return Status.DOWN if self.failures >= 5 else Status.FAILING

    def succeeded(self, now: float) -> None:
        if self.failures:
            log.info("%s answers again after %d failed polls", self.name, self.failures)
        self.failures = 0
        self.stats.ok += 1
        self.stats.last_ok_ms = time.time_ns() // 1_000_000
        # Keep the phase of the schedule; after a stall, start again from now rather than bursting.
        self.next_due = max(self.next_due + self.cfg.poll_s, now)

    def failed(self, now: float, kind: Failure, detail: str) -> None:
        self.failures += 1
        self.stats.last_error = f"{kind}: {detail}"
        if kind is Failure.TIMEOUT:
            self.stats.timeouts += 1
        elif kind in (Failure.CRC, Failure.PROTOCOL):  # either way the answer cannot be trusted
            self.stats.crc_errors += 1
        else:
            self.stats.exceptions += 1
        # The exponent stops growing long after the cap is reached: poll_s * 2**1024 overflows a
        # float, and the OverflowError would end the bus thread (a slave dead for some hours).
        steps = min(self.failures - 1, 64)
        delay = min(self.cfg.poll_s * 2**steps, max(self.backoff_max_s, self.cfg.poll_s))
        self.next_due = now + delay
        level = logging.WARNING if self.failures in (1, 5) else logging.DEBUG
        log.log(
            level,
            "%s poll failed (%s: %s), #%d, retry in %.1fs",
            self.name,
            kind,
            detail,
            self.failures,
            delay,
        )

    def readings(self, block: Block, regs: Sequence[int], ts_ms: int) -> list[Reading]:
        """Decode one block's registers into readings (bad values are counted and skipped)."""
        out: list[Reading] = []
        for f in block.fields:
            reg = f.reg
            raw = registers.decode(regs[f.index : f.index + reg.type.width], reg.type, reg.word_order)
            value: float = raw * reg.scale + reg.offset
            m = metrics.REGISTRY[reg.metric]
            if m.integer and math.isfinite(value) and value == int(value):
                value = int(value)
            elif isinstance(value, int):
                value = float(value)
            # A non-whole value of an integer metric (a float32 register) stays as it is: the
            # registry refuses it below (a bad value, counted), as the MQTT gateway does; rounding
            # would publish a count the device never gave.
            if reg.counter and self.counters.went_back(f.key, raw):
                self.stats.resets += 1
                log.info("%s: counter %s went from higher to %s (wrap or reset)", self.name, reg.metric, raw)
            try:
                out.append(Reading(ts_ms, reg.metric, value, reg.tags))
            except WireError as exc:
                self.stats.bad_values += 1
                log.warning("%s: register %d: %s", self.name, reg.address, exc.detail)
        self.stats.readings += len(out)
        return out

    def snapshot(self) -> dict[str, object]:
        return {
            "device": self.name,
            "status": str(self.status),
            "failures": self.failures,
            **vars(self.stats),
        }
