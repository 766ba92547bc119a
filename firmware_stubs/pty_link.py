"""A virtual RS-485 cable between a stub device and a gateway: two pty pairs and a relay thread.

This is what ``socat pty,raw,link=A pty,raw,link=B`` does, done in-process so tests and the demo
need no extra program and can pull the plug: :meth:`PtyLink.unplug` closes the gateway's end
(its reads fail with EIO, as when a USB adapter is pulled) and removes the link path;
:meth:`PtyLink.replug` creates a fresh pty behind the same path.  Both pty ends are kept open
here (in raw mode) so a side that closes and reopens its end does not break the cable.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from pathlib import Path


class _Pty:
    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no CR/LF translation: Modbus frames are binary
        self.path = os.ttyname(self.slave)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class PtyLink:
    """``device_path`` is opened by the stub (server), ``path`` by the gateway."""

    def __init__(
        self, link: Path | None = None, baudrate: int | None = None, bits_per_char: int = 10
    ) -> None:
        self.link = Path(link) if link else None
        # With a baud rate, every chunk is held for its time on the wire (to measure bus limits).
        self.char_s = bits_per_char / baudrate if baudrate else 0.0
        self._device = _Pty()
        self._gateway: _Pty | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._lock = threading.Lock()
        self._closed = False
        self.bytes_to_gateway = 0
        self.bytes_to_device = 0
        # Set to a list to record (monotonic time, "to_device" | "to_gateway", bytes) of every chunk.
        self.trace: list[tuple[float, str, int]] | None = None
        self.replug()
        self._thread = threading.Thread(target=self._relay, name="pty link", daemon=True)
        self._thread.start()

    @property
    def device_path(self) -> str:
        return self._device.path

    @property
    def path(self) -> str:
        """What the gateway opens: the link path if one was given, else the pty itself."""
        if self.link is not None:
            return str(self.link)
        assert self._gateway is not None, "unplugged"
        return self._gateway.path

    def replug(self) -> None:
        """Give the gateway side a fresh pty (behind the same link path)."""
        with self._lock:
            if self._gateway is not None:
                return
            self._gateway = _Pty()
            if self.link is not None:
                tmp = self.link.with_name(self.link.name + ".new")
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                tmp.symlink_to(self._gateway.path)
                os.replace(tmp, self.link)
        os.write(self._wake_w, b"x")

    def unplug(self) -> None:
        """Pull the cable: the gateway's open port fails and the path disappears."""
        with self._lock:
            if self.link is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.link.unlink()
            if self._gateway is not None:
                self._gateway.close()
                self._gateway = None
        os.write(self._wake_w, b"x")

    def _relay(self) -> None:
        while not self._closed:
            with self._lock:
                gw = self._gateway.master if self._gateway else None
            fds = [self._device.master, self._wake_r] + ([gw] if gw is not None else [])
            try:
                ready, _, _ = select.select(fds, [], [], 1.0)
            except (OSError, ValueError):
                continue  # an fd was closed under us by unplug/close: look again
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            for fd in ready:
                if fd == self._wake_r:
                    continue
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                if self.char_s:
                    time.sleep(len(data) * self.char_s)
                with self._lock:
                    gw_now = self._gateway.master if self._gateway else None
                    if fd == self._device.master:
                        if gw_now is not None:  # unplugged: the device talks to no one
                            os.write(gw_now, data)
                            self.bytes_to_gateway += len(data)
                            self._record("to_gateway", data)
                    elif fd == gw_now:
                        self._record("to_device", data)
                        os.write(self._device.master, data)
                        self.bytes_to_device += len(data)

    def _record(self, direction: str, data: bytes) -> None:
        if self.trace is not None:
            self.trace.append((time.monotonic(), direction, len(data)))

    def close(self) -> None:
        self._closed = True
        self.unplug()
        self._thread.join(2)
        self._device.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
