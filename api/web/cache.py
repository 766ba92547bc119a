"""The page's figures, computed once a minute per API process and shared by its requests.

Every page load computed the whole 14 days of hourly figures again.  With a full park on InfluxDB
(30 houses × 8 rows, egg counters read every minute) that is two scans of ~5.5 M raw readings,
about 3 s a load (``python -m bench.page``); a shift change with a dozen phones reloading queued
them all behind each other.  Now:

- requests within ``ttl_s`` of a computation get its figures (the page says when they are from);
- one request computes while the others wait for its answer, instead of each starting its own;
- the hourly frame is moved forward with :class:`analytics.incremental.IncrementalLoad`, the live
  detector's loader: only the last 50 hours are read again (a gateway's back-fill reaches that far),
  the older days are kept, and the whole window is read again every 6 hours.

A failed computation is not kept: the next request tries again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable

from analytics.frame import HourlyFrame
from analytics.incremental import IncrementalLoad
from analytics.production import load_hourly
from api.web.figures import ParkFigures, park_figures
from eggwatch.park import Park
from eggwatch.store.base import TelemetryStore

# Readings arrive every minute or so and the figures are hourly: a minute-old page loses nothing.
FIGURES_TTL_S = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class _Kept:
    store: TelemetryStore
    park: Park
    figures: ParkFigures
    at: float  # the clock's time of the computation


class FiguresCache:
    """``get(store, park, now)``: :func:`park_figures`, at most ``ttl_s`` old."""

    def __init__(self, ttl_s: float = FIGURES_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()  # held while computing: concurrent requests share the result
        self._kept: _Kept | None = None
        self._as_of: dt.datetime | None = None
        self.loader = IncrementalLoad(self._load)
        self.computed = 0  # how many times the figures were computed (for tests and the bench)

    def get(self, store: TelemetryStore, park: Park, now: dt.datetime) -> ParkFigures:
        with self._lock:
            k = self._kept
            if k is not None and k.store is store and k.park is park and self._fresh(k, now):
                return k.figures
            self._as_of = now
            figures = park_figures(store, park, now, hourly=self.loader)
            self._kept = _Kept(store, park, figures, self._clock())
            self.computed += 1
            return figures

    def _fresh(self, k: _Kept, now: dt.datetime) -> bool:
        # Within the minute, and for about the same "now": a request that read the time just before
        # the one computing (and waited for it) takes its figures too.
        return self._clock() - k.at < self.ttl_s and abs((now - k.figures.now).total_seconds()) < self.ttl_s

    def _load(self, store: TelemetryStore, park: Park, start: dt.datetime, end: dt.datetime) -> HourlyFrame:
        # Hours before the refreshed 50 were complete when loaded; the newest are read up to now.
        return load_hourly(store, park, start, end, self._as_of, intake=False)
