"""The hourly frame: every house's hourly figures on one aligned hour axis, as NumPy arrays.

Both inputs of the detector produce it — the offline CSVs (CONTRACTS §6, :mod:`analytics.offline`)
and the live telemetry store (:func:`analytics.production.load_hourly`) — so the detector never
knows where its data came from.  ``NaN`` means "no data for that hour"; for the row egg counts the
eggs counted meanwhile show up in the first hour after the gap (the counter is cumulative).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from eggwatch.breeds import BREEDS

HOUR_S = 3600
DEFAULT_BREED = "hyline_brown"


def floor_hour(when: datetime) -> datetime:
    """``when`` as an aware UTC datetime truncated to the hour (naive means UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    return when.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class HourlyFrame:
    """Hourly data of ``houses`` from ``start`` (hour start, UTC) for ``n_hours`` hours.

    House arrays are ``[house, hour]``; ``eggs`` is ``[house, row, hour]`` with ``rows`` the union
    of row ids over all houses (a house without that row has NaN there throughout).  When houses
    name their rows differently (``H03-R1``), a union would be mostly empty: ``rows`` are then slot
    numbers and ``row_names[h][r]`` is house ``h``'s id of slot ``r`` (``""`` for an unused slot);
    :meth:`row_name` and :meth:`row_index` work for both.
    """

    start: datetime
    houses: tuple[str, ...]
    rows: tuple[str, ...]
    hens: np.ndarray
    age_weeks: np.ndarray
    water_l: np.ndarray
    feed_kg: np.ndarray
    temp_c: np.ndarray
    eggs: np.ndarray
    breeds: tuple[str, ...] = field(default=())
    row_names: tuple[tuple[str, ...], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() != timedelta(0):
            raise ValueError("HourlyFrame.start must be an aware UTC datetime")
        if self.start != floor_hour(self.start):
            raise ValueError("HourlyFrame.start must be on the hour")
        h, t = len(self.houses), self.eggs.shape[-1] if self.eggs.ndim == 3 else -1
        if self.eggs.shape != (h, len(self.rows), t):
            raise ValueError(f"eggs has shape {self.eggs.shape}, expected ({h}, {len(self.rows)}, hours)")
        for name in ("hens", "age_weeks", "water_l", "feed_kg", "temp_c"):
            arr = getattr(self, name)
            if arr.shape != (h, t):
                raise ValueError(f"{name} has shape {arr.shape}, expected ({h}, {t})")
        if len(set(self.houses)) != h:
            raise ValueError("house ids must be unique")
        if not self.breeds:
            object.__setattr__(self, "breeds", (DEFAULT_BREED,) * h)
        if len(self.breeds) != h or any(b not in BREEDS for b in self.breeds):
            raise ValueError(f"breeds must name one known breed per house ({', '.join(BREEDS)})")
        if self.row_names and [len(n) for n in self.row_names] != [len(self.rows)] * h:
            raise ValueError("row_names must name every row slot of every house")

    def row_name(self, h: int | np.integer, r: int | np.integer) -> str:
        """House ``h``'s id of row ``r``."""
        return self.row_names[h][r] if self.row_names else self.rows[r]

    def row_index(self, h: int | np.integer, name: str) -> int | None:
        """The row index of house ``h``'s row ``name`` (None: the house has no such row)."""
        names = self.row_names[h] if self.row_names else self.rows
        return names.index(name) if name and name in names else None

    @property
    def n_hours(self) -> int:
        return int(self.eggs.shape[-1])

    def hour_start(self, i: int) -> datetime:
        return self.start + timedelta(hours=int(i))

    def hour_end(self, i: int) -> datetime:
        """End of hour ``i``: the ``detected_at`` of an alert that used data up to hour ``i``."""
        return self.start + timedelta(hours=int(i) + 1)

    def index_of(self, when: datetime) -> int:
        """Index of the hour containing ``when`` (may be outside ``[0, n_hours)``)."""
        return int((floor_hour(when) - self.start).total_seconds() // HOUR_S)

    def hour_of_day(self) -> np.ndarray:
        """UTC hour of day of every hour (the same-phase comparisons only need it modulo 24)."""
        return (np.arange(self.n_hours) + self.start.hour) % 24

    def select(self, houses: list[int]) -> HourlyFrame:
        """A frame with only the houses at ``houses`` (indices)."""
        idx = np.asarray(houses, dtype=np.int64)
        return HourlyFrame(
            start=self.start,
            houses=tuple(self.houses[i] for i in idx),
            rows=self.rows,
            hens=self.hens[idx],
            age_weeks=self.age_weeks[idx],
            water_l=self.water_l[idx],
            feed_kg=self.feed_kg[idx],
            temp_c=self.temp_c[idx],
            eggs=self.eggs[idx],
            breeds=tuple(self.breeds[i] for i in idx),
            row_names=tuple(self.row_names[i] for i in idx) if self.row_names else (),
        )

    def head(self, n_hours: int) -> HourlyFrame:
        """The first ``n_hours`` hours (what a causal detector had seen by then)."""
        n = max(0, min(n_hours, self.n_hours))
        return HourlyFrame(
            start=self.start,
            houses=self.houses,
            rows=self.rows,
            hens=self.hens[:, :n],
            age_weeks=self.age_weeks[:, :n],
            water_l=self.water_l[:, :n],
            feed_kg=self.feed_kg[:, :n],
            temp_c=self.temp_c[:, :n],
            eggs=self.eggs[:, :, :n],
            breeds=self.breeds,
            row_names=self.row_names,
        )

    def tail(self, n_hours: int) -> HourlyFrame:
        """The last ``n_hours`` hours (what a live pass needs of a longer history)."""
        skip = self.n_hours - max(0, min(n_hours, self.n_hours))
        return HourlyFrame(
            start=self.hour_start(skip),
            houses=self.houses,
            rows=self.rows,
            hens=self.hens[:, skip:],
            age_weeks=self.age_weeks[:, skip:],
            water_l=self.water_l[:, skip:],
            feed_kg=self.feed_kg[:, skip:],
            temp_c=self.temp_c[:, skip:],
            eggs=self.eggs[:, :, skip:],
            breeds=self.breeds,
            row_names=self.row_names,
        )


def empty_frame(start: datetime, houses: list[str], rows: list[str], n_hours: int) -> HourlyFrame:
    """An all-NaN frame to fill in."""
    h, r = len(houses), len(rows)
    nan2 = lambda: np.full((h, n_hours), np.nan)  # noqa: E731
    return HourlyFrame(
        start=floor_hour(start),
        houses=tuple(houses),
        rows=tuple(rows),
        hens=nan2(),
        age_weeks=nan2(),
        water_l=nan2(),
        feed_kg=nan2(),
        temp_c=nan2(),
        eggs=np.full((h, r, n_hours), np.nan),
    )
