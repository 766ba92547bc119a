"""Modbus RTU slave stubs: devices whose registers are rendered live from a plain state object.

A :class:`StubDevice` owns a state dataclass (what a driver — the flock simulator, or the device's
own :meth:`StubDevice.step` — updates) and a register map of :class:`Point` s.  Each read renders
the requested registers from the state with the same codec the gateway decodes with, so the map
shipped as an example gateway config is exactly what the stub speaks.

A :class:`StubBus` serves one or more devices (one RS-485 bus) with the pymodbus RTU server on a
:class:`~firmware_stubs.pty_link.PtyLink`, and injects the faults of each device's
:class:`Faults` on the wire: corrupted CRCs, silence (timeouts), exception answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerRTU, FramerType
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice

from eggwatch import metrics
from firmware_stubs.pty_link import PtyLink
from gateway import registers as codec
from gateway.serial_config import DeviceConfig, Function, RegisterMap

log = logging.getLogger(__name__)
_ATTR = re.compile(r"^(\w+)(?:\[(\d+)\])?$")


@dataclass(frozen=True, slots=True)
class Point:
    """One value of the device: the state attribute (``name`` or ``name[i]``) and its register."""

    attr: str
    reg: RegisterMap
    function: Function = Function.HOLDING


@dataclass
class Faults:
    """What the device does wrong on the wire; change the fields at any time."""

    crc_errors: int = 0  # corrupt the CRC of the next N answers
    crc_error_rate: float = 0.0  # ... or of this fraction of answers, at random
    silent: bool = False  # answer nothing (the master times out)
    exception: int | None = None  # answer reads with this Modbus exception code (e.g. 4)
    # Rewrite the next answers (frame without its CRC) into something else with a valid CRC:
    # a wrong function code, an odd byte count, more registers than asked (a confused slave).
    rewrite: Callable[[bytes], bytes] | None = None


class StubDevice:
    """A Modbus slave: ``state`` holds the values, ``points`` map them to registers."""

    kind: ClassVar[str] = "device"
    POINTS: ClassVar[Sequence[Point]] = ()  # the register map of the device kind
    poll_s: ClassVar[float] = 10.0

    def __init__(self, slave: int, unit: str, device: str, state: Any, points: Sequence[Point] | None = None):
        self.slave = slave
        self.unit = unit
        self.device = device
        self.state = state
        self.points: Sequence[Point] = type(self).POINTS if points is None else points
        self.faults = Faults()
        self.reads = 0
        self._by_address: dict[tuple[Function, int], tuple[Point, int]] = {}
        for p in self.points:
            for i in range(p.reg.type.width):
                self._by_address[(p.function, p.reg.address + i)] = (p, i)

    # -- state access ----------------------------------------------------------------------------

    def get(self, attr: str) -> float:
        name, index = _split(attr)
        value = getattr(self.state, name)
        return float(value[index] if index is not None else value)

    def set(self, attr: str, value: float) -> None:
        name, index = _split(attr)
        if index is None:
            setattr(self.state, name, value)
        else:
            getattr(self.state, name)[index] = value

    def raw(self, p: Point) -> int | float:
        """The number the device holds in its registers for ``p`` (before the gateway's scale)."""
        value = (self.get(p.attr) - p.reg.offset) / p.reg.scale
        if p.reg.type is codec.RegType.FLOAT32:
            return value
        raw = round(value)
        if p.reg.type.modulus:  # unsigned: counters wrap, like the device's own register
            return raw % p.reg.type.modulus
        bits = 16 * p.reg.type.width - 1
        return max(-(1 << bits), min((1 << bits) - 1, raw))

    def render(self, function: Function, address: int) -> int:
        hit = self._by_address.get((function, address))
        if hit is None:
            return 0
        p, i = hit
        return codec.encode(self.raw(p), p.reg.type, p.reg.word_order)[i]

    # -- counters ---------------------------------------------------------------------------------

    def counter_points(self) -> list[Point]:
        return [p for p in self.points if metrics.REGISTRY[p.reg.metric].kind is metrics.Kind.COUNTER]

    def preload_wrap(self, margin: int = 3) -> None:
        """Set every unsigned counter ``margin`` counts below its wrap (2^16 or 2^32)."""
        for p in self.counter_points():
            if p.reg.type.modulus:
                self.set(p.attr, (p.reg.type.modulus - margin) * p.reg.scale + p.reg.offset)

    def power_cycle(self) -> None:
        """A restart: the counters start again from 0."""
        for p in self.counter_points():
            self.set(p.attr, 0)

    # -- driver ----------------------------------------------------------------------------------

    def step(self, dt_s: float, rng: random.Random) -> None:
        """The built-in driver: advance the state by ``dt_s`` seconds (overridden per device)."""

    # -- config ----------------------------------------------------------------------------------

    def gateway_config(self, poll_s: float | None = None) -> DeviceConfig:
        """This device as an entry of the serial gateway's YAML (CONTRACTS §5)."""
        fns = {p.function for p in self.points}
        default_fn = fns.pop() if len(fns) == 1 else Function.HOLDING
        regs = [
            p.reg if p.function is default_fn else p.reg.model_copy(update={"function": p.function})
            for p in self.points
        ]
        return DeviceConfig(
            unit=self.unit,
            device=self.device,
            slave=self.slave,
            poll_s=poll_s or self.poll_s,
            function=default_fn,
            registers=regs,
        )

    def _blocks(self, function: Function) -> list[SimData]:
        addresses = sorted(a for f, a in self._by_address if f is function)
        out: list[SimData] = []
        for a in addresses:
            if out and out[-1].address + out[-1].count == a:
                out[-1] = SimData(out[-1].address, count=out[-1].count + 1, datatype=DataType.REGISTERS)
            else:
                out.append(SimData(a, count=1, datatype=DataType.REGISTERS))
        # pymodbus needs a block for every table; address 65535 stands for "nothing here".
        return out or [SimData(65535, count=1, datatype=DataType.INVALID)]

    def sim_device(self) -> SimDevice:
        async def action(
            fc: int, start: int, address: int, count: int, regs: list[int], values: Any
        ) -> ExcCodes | None:
            if values is not None:
                return ExcCodes.ILLEGAL_FUNCTION  # the stubs are read-only
            if self.faults.exception is not None:
                return ExcCodes(self.faults.exception)
            fn = Function(fc)
            for i in range(count):
                regs[address - start + i] = self.render(fn, address + i)
            self.reads += 1
            return None

        bits = [SimData(0, datatype=DataType.BITS, values=False)]
        tables = (bits, list(bits), self._blocks(Function.HOLDING), self._blocks(Function.INPUT))
        return SimDevice(self.slave, simdata=tables, action=action)


def _split(attr: str) -> tuple[str, int | None]:
    m = _ATTR.match(attr)
    if not m:
        raise ValueError(f"bad state attribute {attr!r}")
    return m.group(1), (int(m.group(2)) if m.group(2) else None)


async def _nobody(*_args: Any) -> ExcCodes | None:
    return ExcCodes.GATEWAY_NO_RESPONSE


class StubBus:
    """Serves ``devices`` as one RS-485 bus on a pty; ``path`` is what the gateway opens."""

    def __init__(
        self,
        devices: Iterable[StubDevice],
        link: PtyLink | None = None,
        link_path: Path | None = None,
        drive_every_s: float | None = None,
        seed: int = 0,
    ) -> None:
        self.devices: dict[int, StubDevice] = {}
        for d in devices:  # checked here: the server thread would die on them, or serve one of two
            if not 1 <= d.slave <= 247:
                raise ValueError(f"slave {d.slave} of {d.device} is not a Modbus slave id (1 to 247)")
            if d.slave in self.devices:
                raise ValueError(
                    f"slave {d.slave} is served twice: {self.devices[d.slave].device} and {d.device}"
                )
            self.devices[d.slave] = d
        self.link = link or PtyLink(link_path)
        self.drive_every_s = drive_every_s
        self._rng = random.Random(seed)
        self._loop = asyncio.new_event_loop()
        self._server: ModbusSerialServer | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stub bus", daemon=True)
        self._driver: threading.Thread | None = None

    @property
    def path(self) -> str:
        return self.link.path

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending or not data:
            return data
        dev = self.devices.get(data[0])
        if dev is None or dev.faults.silent:
            return b""  # a slave that is not there (or not answering) stays silent
        f = dev.faults
        if f.crc_errors > 0 or (f.crc_error_rate and self._rng.random() < f.crc_error_rate):
            f.crc_errors = max(0, f.crc_errors - 1)
            return data[:-1] + bytes([data[-1] ^ 0x5A])
        if f.rewrite is not None:
            frame = f.rewrite(data[:-2])
            return frame + FramerRTU.compute_CRC(frame).to_bytes(2, "big")
        return data

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        catch_all = SimDevice(0, simdata=[SimData(0, datatype=DataType.REGISTERS)], action=_nobody)
        self._server = ModbusSerialServer(  # pymodbus builds its transport on the running loop
            [d.sim_device() for d in self.devices.values()] + [catch_all],
            framer=FramerType.RTU,
            port=self.link.device_path,
            baudrate=115200,
            trace_packet=self._trace,
        )
        await self._server.serve_forever(background=True)  # returns once the port is open
        self._ready.set()
        await self._server.serving

    def _drive(self) -> None:
        assert self.drive_every_s is not None
        while not self._stop.wait(self.drive_every_s):
            for d in self.devices.values():
                d.step(self.drive_every_s, self._rng)

    def start(self) -> StubBus:
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
        self._thread.start()
        self._ready.wait(5)
        if self.drive_every_s:
            self._driver = threading.Thread(target=self._drive, name="stub driver", daemon=True)
            self._driver.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None and self._loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop)
            try:
                fut.result(5)
            except Exception as exc:
                log.debug("stub server shutdown: %s", exc)
        self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()  # its thread is done with it (or was never started)
        self.link.close()

    def __enter__(self) -> StubBus:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
