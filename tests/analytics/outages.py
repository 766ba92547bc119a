"""Outages in the project simulator's houses: how many become a false drop alert.

    .venv/bin/python -m tests.analytics.outages [--kind belt|gateway] [--seeds 1,2,3] [--hours 6 12 24]

In each house of each scenario, once, at a random hour at least four days from any of the house's
labelled incidents, for ``--hours`` hours:

- ``belt``: no row counts an egg, and the belt then brings everything it held in one hour (a
  delayed collection, a belt or counter bus stopped and restarted);
- ``gateway``: the house sends nothing (every column blank), and the counters' and meters'
  backlog comes in the first hour after (eggs, water and feed).

The hens are fine: every drop alert (`laying_drop`, `water_drop`, `feed_drop`, `heat_stress`) of
that house from the outage until 48 h after it that the same data without it does not raise is a
false alarm.  A `sensor_fault` for the house is counted apart (after 36 h without an egg,
`counting_stopped` is what it is).  The simulator's own delayed collections are 2-6 h, its gateway
gaps 2-18 h.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np

from analytics.detector import detect
from analytics.evaluate import with_breeds
from analytics.frame import HourlyFrame
from analytics.offline import read_frame
from analytics.scoring import DROP_KINDS
from simulator.scenarios import Label, make_suite

QUIET_DAYS = 4  # a stop this far from the house's incidents
AFTER_H = 48  # alerts until this long after the eggs came are the stop's


@dataclass
class Tally:
    stops: int = 0
    false_drops: int = 0  # stops followed by a drop alert
    house_faults: int = 0  # stops followed by a sensor_fault
    found: list[str] = field(default_factory=list)  # the false alarms, for -v

    def add(self, other: Tally) -> None:
        self.stops += other.stops
        self.false_drops += other.false_drops
        self.house_faults += other.house_faults
        self.found += other.found


def stop_belt(frame: HourlyFrame, house: int, at: int, hours: int) -> None:
    """No row of ``house`` counts from hour ``at`` for ``hours`` hours; then all that was laid comes."""
    eggs = frame.eggs[house]
    held = np.nansum(eggs[:, at : at + hours], axis=-1)
    eggs[:, at : at + hours] = np.where(np.isnan(eggs[:, at : at + hours]), np.nan, 0.0)
    eggs[:, at + hours] = np.nan_to_num(eggs[:, at + hours]) + held


def gateway_offline(frame: HourlyFrame, house: int, at: int, hours: int) -> None:
    """``house`` sends nothing from hour ``at`` for ``hours`` hours; the first hour after brings what
    the counters and meters counted meanwhile (the hens, age and temperature of those hours are lost)."""
    end = at + hours
    eggs = frame.eggs[house]
    eggs[:, end] = np.nan_to_num(eggs[:, end]) + np.nansum(eggs[:, at:end], axis=-1)
    eggs[:, at:end] = np.nan
    for amounts in (frame.water_l[house], frame.feed_kg[house]):
        amounts[end] = np.nan_to_num(amounts[end]) + np.nansum(amounts[at:end])
        amounts[at:end] = np.nan
    for level in (frame.hens[house], frame.age_weeks[house], frame.temp_c[house]):
        level[at:end] = np.nan


KINDS = {"belt": stop_belt, "gateway": gateway_offline}


def quiet_hour(
    frame: HourlyFrame, labels: list[Label], house: str, rng: np.random.Generator, hours: int
) -> int | None:
    """A random hour, after the first 30 days, whose stop keeps ``QUIET_DAYS`` from ``house``'s incidents."""
    busy = [(lb.onset, lb.end or lb.onset) for lb in labels if lb.house == house]
    margin = timedelta(days=QUIET_DAYS)
    for _ in range(50):
        at = int(rng.integers(30 * 24, frame.n_hours - hours - AFTER_H - 24))
        t0 = frame.hour_start(at)
        t1 = t0 + timedelta(hours=hours + AFTER_H)
        if all(t1 < onset - margin or t0 > end + margin for onset, end in busy):
            return at
    return None


def run_frame(
    frame: HourlyFrame, labels: list[Label], hours: int, rng: np.random.Generator, kind: str = "belt"
) -> Tally:
    """One outage in every house of ``frame`` (all at once: each house is analysed on its own data)."""
    before = {(a.house, a.kind, a.detected_at) for a in detect(frame)}
    stops = []
    for h, house in enumerate(frame.houses):
        at = quiet_hour(frame, labels, house, rng, hours)
        if at is not None:
            KINDS[kind](frame, h, at, hours)
            stops.append((house, frame.hour_start(at)))
    new = [a for a in detect(frame) if (a.house, a.kind, a.detected_at) not in before]
    tally = Tally(stops=len(stops))
    for house, t0 in stops:
        mine = [
            a
            for a in new
            if a.house == house and t0 <= a.detected_at <= t0 + timedelta(hours=hours + AFTER_H)
        ]
        drops = [a for a in mine if a.kind in DROP_KINDS]
        tally.false_drops += bool(drops)
        tally.found += [
            f"{house} stopped {t0:%Y-%m-%d %H}:00: {a.kind} {a.evidence.get('channel', '')} "
            f"{a.detected_at:%m-%d %H}:00 {a.magnitude_pct:.1f} pts"
            for a in drops
        ]
        tally.house_faults += any(a.kind == "sensor_fault" for a in mine)
    return tally


def run(seeds: list[int], hours: int, kind: str = "belt", n_houses: int = 6, days: int = 120) -> Tally:
    total = Tally()
    rng = np.random.default_rng(hours)
    with tempfile.TemporaryDirectory(prefix="eggwatch-outages-") as tmp:
        for seed in seeds:
            for sc in make_suite(seed, n_houses=n_houses, days=days):
                frame = read_frame(*sc.write(Path(tmp) / sc.name))
                if sc.park is not None:
                    frame = with_breeds(frame, {h.unit: h.breed for h in sc.park.houses})
                tally = run_frame(frame, sc.labels, hours, rng, kind)
                tally.found = [f"[{sc.name}] {x}" for x in tally.found]
                total.add(tally)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=sorted(KINDS), default="belt", help="what stops (see above)")
    ap.add_argument("--seeds", default="1,2,3", help="simulator seeds, comma-separated")
    ap.add_argument("--hours", type=int, nargs="+", default=[6, 12, 24], help="how long it lasts")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the false alarms")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    for hours in a.hours:
        t = run(seeds, hours, a.kind)
        print(f"{a.kind} out {hours:2d} h: {t.stops} outages, {t.false_drops} followed by a drop alert, "
              f"{t.house_faults} by a sensor_fault")  # fmt: skip
        if a.verbose:
            print("\n".join(f"  {x}" for x in t.found))


if __name__ == "__main__":
    main()
