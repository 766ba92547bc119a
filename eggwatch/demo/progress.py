"""A one-line progress bar on stderr (redrawn in place on a terminal, every 10 % otherwise)."""

from __future__ import annotations

import datetime as dt
import sys
import time


class Progress:
    def __init__(self, what: str, start: float, end: float, width: int = 30) -> None:
        self.what, self.start, self.end, self.width = what, start, end, width
        self.t0 = time.monotonic()
        self.tty = sys.stderr.isatty()
        self._last_decile = -1

    def update(self, at: float) -> None:
        frac = min(max((at - self.start) / max(self.end - self.start, 1e-9), 0.0), 1.0)
        filled = int(frac * self.width)
        when = dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%MZ")
        line = f"{self.what} [{'#' * filled}{'.' * (self.width - filled)}] {frac:4.0%} simulated {when}"
        if self.tty:
            sys.stderr.write("\r" + line)
        elif int(frac * 10) != self._last_decile:
            self._last_decile = int(frac * 10)
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def done(self, note: str = "") -> None:
        took = time.monotonic() - self.t0
        end = "\n" if self.tty else ""
        sys.stderr.write(f"{end}{self.what} done in {took:.1f} s {note}\n")
        sys.stderr.flush()
