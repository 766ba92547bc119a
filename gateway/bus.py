"""One RS-485 bus: a thread that owns the serial port and polls its devices on their own schedules.

Modbus RTU is half duplex with one master, so a bus can only do one transaction at a time: the
scheduler always serves the device whose poll is due first, waits the RTU silent interval
(3.5 characters) between transactions, and keeps a dead or slow slave from starving the others
with a short response timeout and per-device exponential backoff.  A port that vanishes (USB
adapter unplugged) is reopened with backoff; devices are not blamed for it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial
from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerRTU, FramerType

from eggwatch.wire import Reading
from gateway.device import Failure, PolledDevice
from gateway.plan import Block
from gateway.serial_config import BusConfig, Function

log = logging.getLogger(__name__)

Sink = Callable[[str, str, list[Reading]], None]  # (unit, device, readings)
_REOPEN_AFTER = 3  # consecutive failed transactions on every device → suspect the port, reopen it


@dataclass(frozen=True, slots=True)
class Failed:
    kind: Failure
    detail: str


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _byte_count(rx: bytes, slave: int, fn: int) -> int | None:
    """The byte count of the read answer framed in ``rx`` (the first one whose CRC checks)."""
    for i in range(len(rx) - 4):
        if rx[i] == slave and rx[i + 1] == fn:
            end = i + 3 + rx[i + 2]
            if (
                end + 2 <= len(rx)
                and FramerRTU.compute_CRC(rx[i:end]).to_bytes(2, "big") == rx[end : end + 2]
            ):
                return rx[i + 2]
    return None


class Bus(threading.Thread):
    def __init__(self, cfg: BusConfig, sink: Sink) -> None:
        super().__init__(name=f"bus {cfg.port}", daemon=True)
        self.cfg = cfg
        self.sink = sink
        self.devices = [PolledDevice(d, cfg.backoff_max_s) for d in cfg.devices]
        self.transactions = 0
        self.port_up = False
        self.port_failures = 0
        self._stop_event = threading.Event()
        self._client: ModbusSerialClient | None = None
        self._last_frame_end = 0.0
        self._rx = bytearray()  # raw bytes received during the current transaction
        self._bus_fail_streak = 0
        self._opened_inode: tuple[int, int] | None = None
        self.internal_errors = 0  # unexpected exceptions of a poll (a bug), each logged

    # -- port ------------------------------------------------------------------------------------

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self._rx[:] = data  # pymodbus passes the whole buffer received so far
        return data

    def _port_inode(self) -> tuple[int, int] | None:
        if "://" in self.cfg.port:
            return None
        try:
            st = os.stat(self.cfg.port)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _open(self) -> bool:
        if self._client is not None:
            return True
        client = ModbusSerialClient(
            self.cfg.port,
            framer=FramerType.RTU,
            baudrate=self.cfg.baudrate,
            bytesize=self.cfg.bytesize,
            parity=self.cfg.parity,
            stopbits=self.cfg.stopbits,
            timeout=self.cfg.timeout_s,
            retries=0,  # the scheduler retries with backoff, never blocking the bus
            trace_packet=self._trace,
        )
        if not client.connect():
            self.port_failures += 1
            if self.port_up or self.port_failures == 1:
                log.error(
                    "bus %s: cannot open the port (%s); retrying with backoff",
                    self.cfg.port,
                    self._open_error(),
                )
            self.port_up = False
            return False
        if self.port_failures or not self.port_up:
            log.info("bus %s: port open", self.cfg.port)
        self._client = client
        self._opened_inode = self._port_inode()
        self.port_up = True
        self.port_failures = 0
        self._bus_fail_streak = 0
        return True

    def _open_error(self) -> str:
        """Why the port does not open: pymodbus only tells its own logger, which is silenced."""
        try:
            serial.serial_for_url(
                self.cfg.port,
                baudrate=self.cfg.baudrate,
                bytesize=self.cfg.bytesize,
                parity=self.cfg.parity,
                stopbits=self.cfg.stopbits,
                timeout=self.cfg.timeout_s,
                exclusive=True,
            ).close()
        except Exception as exc:  # pyserial raises termios and socket errors as they come
            return str(exc) or type(exc).__name__
        return "it opens now"

    def _close(self, reason: str, level: int = logging.WARNING) -> None:
        if self._client is not None:
            log.log(level, "bus %s: closing the port (%s)", self.cfg.port, reason)
            self._client.close()
        self._client = None
        self.port_up = False

    # -- scheduling ------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        start = time.monotonic()
        for i, dev in enumerate(self.devices):  # stagger the first polls a little
            dev.next_due = start + 0.01 * i
        try:
            while not self._stop_event.is_set():
                if not self._open():
                    delay = min(0.2 * 2 ** min(self.port_failures, 6), 10.0)
                    self._stop_event.wait(delay)
                    continue
                dev = min(self.devices, key=lambda d: d.next_due)
                wait = dev.next_due - time.monotonic()
                if wait > 0 and self._stop_event.wait(min(wait, 0.5)):
                    break
                if wait > 0.5:
                    continue  # re-check stop and the schedule at least twice a second
                self._poll_guarded(dev)
        finally:
            self._close("stopping", logging.INFO)

    def _poll(self, dev: PolledDevice) -> None:
        dev.stats.polls += 1
        for block in dev.blocks:
            result = self._transact(dev, block)
            if result is None:
                return  # the port went away: the device is not to blame
            if isinstance(result, Failed):
                dev.failed(time.monotonic(), result.kind, result.detail)
                self._bus_fail_streak += 1
                if self._bus_fail_streak >= _REOPEN_AFTER * len(self.devices) or self._port_replaced():
                    self._close("no device answers or the port was replaced")
                return  # a failing device gets no further requests this round
            regs, ts_ms = result
            readings = dev.readings(block, regs, ts_ms)
            if readings:
                self.sink(dev.cfg.unit, dev.cfg.device, readings)
        self._bus_fail_streak = 0
        dev.succeeded(time.monotonic())

    def _poll_guarded(self, dev: PolledDevice) -> None:
        """:meth:`_poll`, surviving an unexpected error (a bug of ours or a library's): it would end
        this thread, and every device of the bus would go unpolled while its status still said ok.
        The device is failed instead (it backs off like any failing device) and the others go on."""
        try:
            self._poll(dev)
        except Exception as exc:
            self.internal_errors += 1
            log.exception(
                "%s: unexpected error polling %s (#%d)", self.cfg.port, dev.name, self.internal_errors
            )
            dev.failed(time.monotonic(), Failure.INTERNAL, f"{type(exc).__name__}: {exc}")

    def _port_replaced(self) -> bool:
        inode = self._port_inode()
        return self._opened_inode is not None and inode != self._opened_inode

    def _transact(self, dev: PolledDevice, block: Block) -> tuple[list[int], int] | Failed | None:
        """One read: (registers, arrival ms), (failure, detail), or None when the port failed."""
        assert self._client is not None
        gap = self._last_frame_end + self.cfg.frame_gap_s - time.monotonic()
        if gap > 0:
            time.sleep(gap)  # RTU: the bus must be silent 3.5 characters between frames
        self._rx.clear()
        read = (
            self._client.read_holding_registers
            if block.function is Function.HOLDING
            else self._client.read_input_registers
        )
        self.transactions += 1
        try:
            rsp = read(block.start, count=block.count, device_id=dev.cfg.slave)
            ts_ms = _now_ms()  # the moment the response arrived
        except ModbusIOException:
            if self._rx:
                return Failed(Failure.CRC, f"garbled answer {bytes(self._rx).hex()}")
            return Failed(Failure.TIMEOUT, f"no answer in {self.cfg.timeout_s}s")
        except ConnectionException as exc:
            self._close(f"I/O error: {exc}")
            return None
        except (ModbusException, OSError, ValueError) as exc:
            self._close(f"unexpected error: {exc}")
            return None
        finally:
            self._last_frame_end = time.monotonic()
        if rsp.isError():
            return Failed(Failure.EXCEPTION, f"exception code {getattr(rsp, 'exception_code', '?')}")
        return self._check_answer(dev, block, rsp.function_code, list(rsp.registers)) or (
            list(rsp.registers),
            ts_ms,
        )

    def _check_answer(self, dev: PolledDevice, block: Block, fn: int, regs: list[int]) -> Failed | None:
        """A CRC only says the frame arrived intact: it must also answer what we asked.

        pymodbus accepts any well-framed answer: function 4 to a function 3 request, a write echo
        (function 6), an odd byte count (the extra byte ignored), more registers than asked.
        """
        if fn != block.function.value:
            return Failed(Failure.PROTOCOL, f"function {fn} answered a function {block.function.value} read")
        if len(regs) != block.count:
            return Failed(Failure.PROTOCOL, f"{len(regs)} registers answered a read of {block.count}")
        count = _byte_count(bytes(self._rx), dev.cfg.slave, fn)
        if count is not None and count != 2 * block.count:
            return Failed(Failure.PROTOCOL, f"byte count {count} answered a read of {block.count} registers")
        return None

    def snapshot(self) -> dict[str, object]:
        return {
            "port": self.cfg.port,
            "port_up": self.port_up,
            "transactions": self.transactions,
            "internal_errors": self.internal_errors,
            "devices": [d.snapshot() for d in self.devices],
        }
