"""Dead row counters and events that are no production drop, on the unit tests' own flock generator
(not the project simulator): what the held-out scorer counts besides the drops.

    .venv/bin/python -m tests.analytics.crosscheck_events [--flocks 96] [--noise 1.1] [--kinds dead-zero gap ...]

Each flock (6 houses x 80 days, no dip) gets one event in one house at a random hour after day 35:

- ``dead-zero`` / ``dead-blank`` / ``dead-short``: one row's counter counts nothing from then on,
  reports nothing, or counts 30 % of its eggs.  Right: a ``sensor_fault`` naming that row, and no
  drop alert of the house;
- ``late-run``: the day's first belt run comes 2-8 h late (flocks with belt runs only; counting
  round the clock, ``--round-the-clock``, that hour's eggs are counted 2-8 h later);
- ``gateway``: the house sends nothing for 2-12 h, then the backlog (``synth.gap``);
- ``depopulation`` / ``big-depopulation``: 10-30 % / 30-50 % of the hens leave and the hen count
  says so (eggs, water and feed fall by the same share);
- ``rows-emptied``: the hens of one or two rows leave, and the hen count says so;
- ``dead-after-emptying``: one or two rows emptied so 1-13 days before one of the other rows'
  counter counts nothing from the event on (a dead counter: right as ``dead-zero``);
- ``lights-shift``: the house's lights come on 1-3 h earlier or later from the event's day on (the
  day's dark hours, 15 UTC, are where the schedule changes); laying, drinking and eating follow.

Every drop alert of the house within ``AFTER_H`` of the event that the same flock without it does
not raise (within a day) is a false alarm; for a dead counter it is a drop taken for the hens.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from statistics import median

import numpy as np

from analytics.alert import DetectorAlert
from analytics.detector import detect
from analytics.frame import HourlyFrame
from analytics.scoring import DROP_KINDS
from tests.analytics.crosscheck import flocks
from tests.analytics.synth import Flock, delay_run, gap

AFTER_H = 72  # alerts this long after the event are the event's


@dataclass
class Event:
    """What was done to ``house`` at ``hour``; ``row`` for a counter fault."""

    house: int
    hour: int
    row: int | None = None


# Does an event to a frame built from a flock; None when the flock has nothing it applies to.
Apply = Callable[[HourlyFrame, Flock, Event, np.random.Generator], Event | None]


def _row(frame: HourlyFrame, rng: np.random.Generator) -> int:
    return int(rng.integers(0, len(frame.rows)))


def dead(factor: float | None) -> Apply:
    """One row counts ``factor`` of its eggs from the event on (``None``: reports nothing)."""

    def apply(frame: HourlyFrame, flock: Flock, ev: Event, rng: np.random.Generator) -> Event:
        row = _row(frame, rng)
        counted = frame.eggs[ev.house, row, ev.hour :]
        frame.eggs[ev.house, row, ev.hour :] = np.nan if factor is None else np.round(counted * factor)
        return replace(ev, row=row)

    return apply


def late_run(frame: HourlyFrame, flock: Flock, ev: Event, rng: np.random.Generator) -> Event | None:
    if not flock.runs:
        return None  # a continuous belt has no run to come late
    at = ev.hour // 24 * 24 + flock.runs[0]
    delay_run(frame, ev.house, at, int(rng.integers(2, 9)))
    return replace(ev, hour=at)


def gateway(frame: HourlyFrame, flock: Flock, ev: Event, rng: np.random.Generator) -> Event:
    gap(frame, ev.house, ev.hour, int(rng.integers(2, 13)))
    return ev


def depopulation(low: float, high: float) -> Apply:
    """A share of ``low``-``high`` of the hens leaves at the event's hour, and the count says so."""

    def apply(frame: HourlyFrame, flock: Flock, ev: Event, rng: np.random.Generator) -> Event:
        remove(frame, ev.house, ev.hour, float(rng.uniform(low, high)))
        return ev

    return apply


def remove(frame: HourlyFrame, house: int, hour: int, share: float) -> None:
    """``share`` of ``house``'s hens leave at ``hour``: the count, the eggs counted from then on
    (those still on the belt too: the harder case), water and feed all fall by it."""
    left = 1.0 - share
    frame.hens[house, hour:] *= left
    frame.eggs[house, :, hour:] = np.round(frame.eggs[house, :, hour:] * left)
    frame.water_l[house, hour:] *= left
    frame.feed_kg[house, hour:] *= left


def rows_emptied(frame: HourlyFrame, flock: Flock, ev: Event, rng: np.random.Generator) -> Event:
    empty_rows(frame, ev.house, ev.hour, rng)
    return ev


def empty_rows(frame: HourlyFrame, h: int, t: int, rng: np.random.Generator) -> np.ndarray:
    """The hens of one or two of house ``h``'s rows leave at hour ``t`` (the count says so); those rows."""
    rows = rng.choice(len(frame.rows), int(rng.integers(1, 3)), replace=False)
    week = frame.eggs[h, :, t - 7 * 24 : t]
    left = 1.0 - np.nansum(week[rows]) / np.nansum(week)
    frame.hens[h, t:] *= left
    frame.eggs[h, rows, t:] = 0.0
    frame.water_l[h, t:] *= left
    frame.feed_kg[h, t:] *= left
    return rows


def dead_after_emptying(frame: HourlyFrame, flock: Flock, ev: Event, rng: np.random.Generator) -> Event:
    emptied = empty_rows(frame, ev.house, ev.hour - int(rng.integers(24, 13 * 24)), rng)
    row = int(rng.choice(np.setdiff1d(np.arange(len(frame.rows)), emptied)))
    frame.eggs[ev.house, row, ev.hour :] = 0.0
    return replace(ev, row=row)


LIGHTS_CHANGE_UTC = 15  # dark in every flock of crosscheck.flocks (lights on 18-22 UTC for 16 h)


def lights_shift(frame: HourlyFrame, flock: Flock, ev: Event, rng: np.random.Generator) -> Event:
    """The house's lights move by 1-3 h either way from ``LIGHTS_CHANGE_UTC`` of the event's day."""
    t = ev.hour // 24 * 24 + LIGHTS_CHANGE_UTC
    shift_lights(frame, flock, ev.house, t, int(rng.choice([-3, -2, -1, 1, 2, 3])))
    return replace(ev, hour=t)


def shift_lights(frame: HourlyFrame, flock: Flock, house: int, hour: int, by: int) -> None:
    """``house``'s lights come on ``by`` hours later (earlier if negative) from ``hour`` on: the
    same flock (the same noise) built on the new schedule takes over from then."""
    moved = replace(flock, lights_on=(flock.lights_on + by) % 24).build()
    frame.eggs[house, :, hour:] = moved.eggs[house, :, hour:]
    frame.water_l[house, hour:] = moved.water_l[house, hour:]
    frame.feed_kg[house, hour:] = moved.feed_kg[house, hour:]


KINDS: dict[str, Apply] = {
    "dead-zero": dead(0.0),
    "dead-blank": dead(None),
    "dead-short": dead(0.3),
    "late-run": late_run,
    "gateway": gateway,
    "depopulation": depopulation(0.1, 0.3),
    "big-depopulation": depopulation(0.3, 0.5),
    "rows-emptied": rows_emptied,
    "dead-after-emptying": dead_after_emptying,
    "lights-shift": lights_shift,
}


@dataclass
class Tally:
    cases: int = 0
    named: int = 0  # dead counters: a sensor_fault naming the row, no drop alert
    false_drops: int = 0  # cases followed by a drop alert the flock without the event does not raise
    hours_to_name: list[float] = field(default_factory=list)


def _added(alerts: list[DetectorAlert], without: list[DetectorAlert]) -> list[DetectorAlert]:
    """``alerts`` that no alert of the same house and kind in ``without`` comes within a day of (the
    flock's own alerts, moved by an hour or two by the event, are not the event's)."""
    day = timedelta(hours=24)
    return [
        a
        for a in alerts
        if not any(
            b.house == a.house and b.kind == a.kind and abs(b.detected_at - a.detected_at) <= day
            for b in without
        )
    ]


def run(kind: str, n: int = 96, noise: float = 1.1, seed: int = 5, round_the_clock: bool = False) -> Tally:
    rng = np.random.default_rng(seed)
    tally = Tally()
    for flock, _, onset, _ in flocks(n, noise, 0, round_the_clock=round_the_clock):
        flock.drop_from = {}  # no dip: the event is all there is
        house = int(rng.integers(0, flock.houses))
        base = flock.build()
        frame = flock.build()
        ev = KINDS[kind](frame, flock, Event(house, onset), rng)
        if ev is None:
            continue
        t0 = frame.hour_start(ev.hour)
        mine = [
            a
            for a in _added(detect(frame), detect(base))
            if a.house == frame.houses[house] and t0 <= a.detected_at <= t0 + timedelta(hours=AFTER_H)
        ]
        drops = [a for a in mine if a.kind in DROP_KINDS]
        tally.cases += 1
        tally.false_drops += bool(drops)
        if ev.row is not None:
            fault = [a for a in mine if a.kind == "sensor_fault" and a.row == frame.rows[ev.row]]
            if fault and not drops:
                tally.named += 1
                tally.hours_to_name.append((fault[0].detected_at - t0).total_seconds() / 3600)
    return tally


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flocks", type=int, default=96)
    ap.add_argument("--noise", type=float, default=1.1, help="x (0.5-1.5 %% day, 2-4 %% row noise)")
    ap.add_argument("--kinds", nargs="+", choices=sorted(KINDS), default=list(KINDS))
    ap.add_argument("--round-the-clock", action="store_true",
                    help="eggs counted evenly round the clock (a late run: an hour's eggs counted later)")  # fmt: skip
    a = ap.parse_args()
    for kind in a.kinds:
        t = run(kind, a.flocks, a.noise, round_the_clock=a.round_the_clock)
        line = f"{kind:19s} {t.cases:3d} cases  followed by a false drop alert {t.false_drops:3d}"
        if kind.startswith("dead"):
            when = f"{median(t.hours_to_name):.1f} h" if t.hours_to_name else "-"
            line += f"  row named as sensor_fault {t.named:3d} (median {when} after)"
        print(line)


if __name__ == "__main__":
    main()
