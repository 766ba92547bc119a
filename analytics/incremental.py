"""``load_hourly`` for the live loop: the same 70-day window, moved forward a few minutes at a time.

Every pass asks for the last ``history_days`` up to the last full hour.  Loading all of it again
makes the store scan 70 days of raw readings every five minutes (30 houses: 15 s of InfluxDB
work a pass) although only the newest hours can have changed: readings arrive late only as far
as a gateway's spool or a counter's back-fill reaches.  This keeps the last frame and, on the
next pass, loads just the last ``refresh_hours`` (counters, water, feed and hens each look back
48 h from any window's start on their own, so those hours come out as a whole load would give
them) and joins them to the older hours it already has.

The first hour back after a silence longer than the refreshed hours' own 48 h look-back can
only be seen by a whole load (it holds everything counted meanwhile); a pass that finds it "no
data" (blank from the refreshed hours' start up to it) keeps what the last load had, so it is in
the frame from the next whole load on.

A whole load is made again when the window moved back or jumped more than ``max_step_hours``,
when the park's houses or rows changed, and every ``full_every_s`` (a late reading older than the
refreshed hours — a gateway back from days offline — is in the frame from then on).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.frame import HourlyFrame

LoadHourly = Callable[[Any, Any, dt.datetime, dt.datetime], HourlyFrame]

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Cached:
    store: Any
    park: Any
    frame: HourlyFrame
    loaded_at: float  # monotonic seconds of the last whole load


class IncrementalLoad:
    """A callable with ``load_hourly``'s signature that reloads only the newest hours."""

    def __init__(
        self,
        load: LoadHourly,
        *,
        refresh_hours: int = 50,
        max_step_hours: int = 24,
        full_every_s: float = 6 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if refresh_hours < 49:  # the 48 h the loaders look back, and the hour being filled
            raise ValueError("refresh_hours must be at least 49")
        self._load = load
        self.refresh = dt.timedelta(hours=refresh_hours)
        self.max_step = dt.timedelta(hours=max_step_hours)
        self.full_every_s = full_every_s
        self._clock = clock
        self._cached: _Cached | None = None
        self.whole_loads = 0
        self.partial_loads = 0

    def __call__(self, store: Any, park: Any, start: dt.datetime, end: dt.datetime) -> HourlyFrame:
        c = self._cached
        frame: HourlyFrame | None = None
        if c is not None and self._can_extend(c, store, park, start, end):
            frame = self._extend(c.frame, store, park, start, end)
        if frame is None:
            frame = self._load(store, park, start, end)
            self._cached = _Cached(store, park, frame, self._clock())
            self.whole_loads += 1
        else:
            self._cached = _Cached(store, park, frame, c.loaded_at)  # type: ignore[union-attr]
            self.partial_loads += 1
        return frame

    def forget(self) -> None:
        """Load the whole window next time."""
        self._cached = None

    def _can_extend(self, c: _Cached, store: Any, park: Any, start: dt.datetime, end: dt.datetime) -> bool:
        old = c.frame
        old_end = old.start + old.n_hours * HOUR
        return (
            c.store is store
            and c.park is park
            and self._clock() - c.loaded_at < self.full_every_s
            and old.start <= start < end
            and old_end <= end <= old_end + self.max_step
            and end - start > self.refresh
        )

    def _extend(
        self, old: HourlyFrame, store: Any, park: Any, start: dt.datetime, end: dt.datetime
    ) -> HourlyFrame | None:
        cut = end - self.refresh
        new = self._load(store, park, cut, end)
        if (new.houses, new.rows, new.breeds, new.row_names) != (
            old.houses,
            old.rows,
            old.breeds,
            old.row_names,
        ):
            return None  # the park changed: load it whole
        a = old.index_of(start)
        b = old.index_of(cut)
        return _join(old, a, b, new, start)


def _join(old: HourlyFrame, a: int, b: int, new: HourlyFrame, start: dt.datetime) -> HourlyFrame:
    """Hours ``a:b`` of ``old`` followed by all of ``new``; where ``new`` has no value for an hour
    ``old`` also holds *and every hour before it in ``new`` is blank too*, ``old``'s value stays:
    the refreshed hours look back 48 h from their own start, so the first hour after a longer
    silence is blank there, while a whole load fills it with all that was counted meanwhile.  A
    blank after a value in ``new`` is a real gap: a tier (water line, silo) that was silent at the
    window's end and is back makes its hours a gap of the row, and what the other tiers counted in
    them lands in the hour after; keeping the hours' old partial counts counted those twice."""
    overlap = old.n_hours - b

    def cat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        y = y.copy()
        kept, fresh = x[..., b:], y[..., :overlap]
        leading = np.logical_and.accumulate(np.isnan(fresh), axis=-1)  # blank since the cut
        np.copyto(fresh, kept, where=leading & ~np.isnan(kept))
        return np.concatenate([x[..., a:b], y], axis=-1)

    return HourlyFrame(
        start=start,
        houses=old.houses,
        rows=old.rows,
        hens=cat(old.hens, new.hens),
        age_weeks=cat(old.age_weeks, new.age_weeks),
        water_l=cat(old.water_l, new.water_l),
        feed_kg=cat(old.feed_kg, new.feed_kg),
        temp_c=cat(old.temp_c, new.temp_c),
        eggs=cat(old.eggs, new.eggs),
        breeds=old.breeds,
        row_names=old.row_names,
    )
