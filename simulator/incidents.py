"""Incidents the simulator can inject, each a bundle of concrete effects plus its ground-truth label.

Production problems (the hens lay less): ``disease`` (water and feed fall 12-36 h before the eggs),
``mild_dip`` (3-7 points of hen-day), ``water_line_failure``, ``heat_wave``, ``lighting_failure``,
``feed_change``.  Not production problems (the data look odd but the hens are fine):
``dead_counter`` (one row's counter stops or under-counts), ``delayed_collection``,
``gateway_offline`` (hours without data, then the counters' backlog), ``partial_depopulation``,
``lighting_schedule_change``.

:func:`draw` picks concrete parameters from a random generator, so an :class:`Incident` is plain
data: the house model applies its effects and :meth:`Incident.label` states the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

H = 3600.0
DAY = 86400.0

PRODUCTION_KINDS = (
    "disease",
    "mild_dip",
    "water_line_failure",
    "heat_wave",
    "lighting_failure",
    "feed_change",
)
OTHER_KINDS = (
    "dead_counter",
    "delayed_collection",
    "gateway_offline",
    "partial_depopulation",
    "lighting_schedule_change",
)
KINDS = PRODUCTION_KINDS + OTHER_KINDS


@dataclass(frozen=True)
class Bump:
    """A trapezoid in time: 0 before ``start_s``, ramps to ``depth``, holds, ramps back to 0."""

    start_s: float
    ramp_s: float
    hold_s: float
    recover_s: float
    depth: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.ramp_s + self.hold_s + self.recover_s

    def at(self, t_s: np.ndarray) -> np.ndarray:
        a = self.start_s
        b = a + self.ramp_s
        c = b + self.hold_s
        d = c + self.recover_s
        return self.depth * np.interp(t_s, [a, b, c, d], [0.0, 1.0, 1.0, 0.0], left=0.0, right=0.0)


@dataclass(frozen=True)
class CounterFault:
    """Row ``row`` counts only ``fraction`` (0 = stuck) of its eggs in ``[start_s, end_s)``."""

    row: int  # index into the house's rows
    start_s: float
    end_s: float
    fraction: float
    replaced: bool  # at the end a new counter is fitted and starts again from 0


@dataclass(frozen=True)
class Incident:
    """An incident in one house; the fields a kind does not use stay ``None`` / empty."""

    kind: str
    onset_s: float
    sudden: bool
    end_s: float | None = None
    egg_drop_points: Bump | None = None  # hen-day points lost (sampled at each laying day)
    water_cut: Bump | None = None  # fraction of water intake lost
    feed_cut: Bump | None = None  # fraction of feed intake lost
    outdoor_heat_c: Bump | None = None  # added to the outdoor temperature
    mortality_x: Bump | None = None  # extra daily mortality, as a multiple of the normal rate
    dark: tuple[float, float] | None = None  # lights fail in this window
    counter_fault: CounterFault | None = None
    gap: tuple[float, float] | None = None  # gateway offline: no readings in this window
    depopulation: tuple[float, float, float, tuple[int, ...]] | None = None  # start, end, share, rows
    collection_delay: tuple[float, float] | None = None  # (from_s, delay_s) belt runs/stops
    lights_shift_h: float | None = None  # lights-on moves by this from the onset's day on
    notes: dict[str, float] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.kind in PRODUCTION_KINDS

    @property
    def egg_onset_s(self) -> float | None:
        return None if self.egg_drop_points is None else self.egg_drop_points.start_s


def _bump(rng: np.random.Generator, start: float, ramp_h, hold_h, rec_h, depth) -> Bump:  # type: ignore[no-untyped-def]
    return Bump(start, float(rng.uniform(*ramp_h)) * H, float(rng.uniform(*hold_h)) * H,
                float(rng.uniform(*rec_h)) * H, float(depth))  # fmt: skip


def draw(
    kind: str,
    rng: np.random.Generator,
    onset_s: float,
    *,
    rows: int,
    continuous: bool,
    expected_hd: float,
) -> Incident:
    """Concrete parameters for an incident of ``kind`` starting at ``onset_s`` (epoch s).

    ``expected_hd`` is the house's hen-day % around the onset: a drop never exceeds what it lays.
    """
    u = rng.uniform
    cap = max(expected_hd - 5.0, 1.0)
    if kind == "disease":
        sudden = bool(rng.random() < 0.5)
        lead_h = u(12, 36)
        water = _bump(rng, onset_s, (8, 20), (72, 168), (48, 120), u(0.08, 0.22))
        feed = Bump(
            onset_s + u(0, 6) * H, water.ramp_s, water.hold_s, water.recover_s, water.depth * u(0.7, 1.1)
        )
        ramp = (8, 24) if sudden else (48, 96)
        eggs = _bump(rng, onset_s + lead_h * H, ramp, (96, 240), (120, 240), min(u(8, 25), cap))
        mort = Bump(onset_s, DAY, eggs.hold_s, 3 * DAY, u(2.0, 8.0))
        return Incident(kind, onset_s, sudden, max(eggs.end_s, water.end_s), eggs, water, feed,
                        mortality_x=mort, notes={"lead_h": lead_h})  # fmt: skip
    if kind == "mild_dip":
        eggs = _bump(rng, onset_s, (24, 72), (72, 192), (48, 120), min(u(3, 7), cap))
        water = _bump(rng, onset_s, (24, 48), (48, 120), (48, 96), u(0.0, 0.05))
        return Incident(kind, onset_s, False, eggs.end_s, eggs, water)
    if kind == "water_line_failure":
        out_h = u(4, 14)
        water = Bump(onset_s, 0.1 * H, out_h * H, 0.5 * H, u(0.75, 0.97))
        feed = Bump(onset_s + H, 2 * H, out_h * H, 6 * H, u(0.4, 0.7))
        eggs = _bump(
            rng, onset_s + u(4, 10) * H, (4, 10), (24, 48), (48, 96), min(4 + 1.0 * out_h * u(0.8, 1.3), cap)
        )
        return Incident(kind, onset_s, True, eggs.end_s, eggs, water, feed, notes={"outage_h": out_h})
    if kind == "heat_wave":
        days = u(3, 6)
        heat = Bump(onset_s, 12 * H, days * DAY, 24 * H, u(8, 13))
        eggs = _bump(
            rng, onset_s + 24 * H, (48, 72), (days * 24 - 48, days * 24), (72, 120), min(u(3, 10), cap)
        )
        return Incident(kind, onset_s, False, eggs.end_s, eggs, outdoor_heat_c=heat)
    if kind == "lighting_failure":
        dark_h = u(6, 30)
        dark = (onset_s, onset_s + dark_h * H)
        eggs = _bump(rng, onset_s + u(6, 14) * H, (12, 24), (48, 96), (96, 192), min(u(8, 20), cap))
        return Incident(kind, onset_s, True, eggs.end_s, eggs, dark=dark, notes={"dark_h": dark_h})
    if kind == "feed_change":
        feed = _bump(rng, onset_s, (6, 24), (48, 120), (48, 96), u(0.05, 0.12))
        eggs = _bump(rng, onset_s + u(24, 48) * H, (48, 96), (72, 168), (96, 168), min(u(3, 8), cap))
        return Incident(kind, onset_s, False, eggs.end_s, eggs, feed_cut=feed)
    if kind == "dead_counter":
        row = int(rng.integers(rows))
        stuck = rng.random() < 0.7
        frac = 0.0 if stuck else float(u(0.05, 0.5))
        end = onset_s + u(1, 7) * DAY
        fault = CounterFault(row, onset_s, end, frac, replaced=bool(rng.random() < 0.5))
        return Incident(kind, onset_s, True, end, counter_fault=fault)
    if kind == "delayed_collection":
        delay = u(2, 6) * H
        return Incident(kind, onset_s, True, onset_s + delay + 2 * H, collection_delay=(onset_s, delay))
    if kind == "gateway_offline":
        end = onset_s + round(u(2, 18)) * H
        return Incident(kind, onset_s, True, end, gap=(onset_s, end))
    if kind == "partial_depopulation":
        share = float(u(0.1, 0.4))
        whole_rows = rng.random() < 0.3
        n = max(1, round(share * rows)) if whole_rows else 0
        chosen = tuple(sorted(int(r) for r in rng.choice(rows, size=n, replace=False))) if n else ()
        end = onset_s + u(3, 8) * H
        return Incident(kind, onset_s, True, end, depopulation=(onset_s, end, share, chosen))
    if kind == "lighting_schedule_change":
        shift = float(rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0]))
        return Incident(kind, onset_s, True, None, lights_shift_h=shift)
    raise ValueError(f"unknown incident kind {kind!r}; known: {', '.join(KINDS)}")


def utc(t_s: float | None) -> dt.datetime | None:
    return None if t_s is None else dt.datetime.fromtimestamp(t_s, dt.UTC)
