"""One-hour glitches in the project simulator's houses: what they cost the detector.

    .venv/bin/python -m tests.analytics.glitches [--seeds 1,2,3,4,5,6] [--kinds hens-x10 water-zero ...] [--hours 1]

In each house of each scenario, ``--per-house`` times (default 3) at random hours after the first
30 days, one column is wrong for one hour: the hen count or the age entered wrong, a meter that
missed an hour or read ten times too much, a row counter that counted ten times too many, a
temperature 15 °C off, or a belt run every counter missed (its eggs never counted); with
``--hours`` the same figure is wrong that many hours in a row (a typo corrected later; a row
counter's is a row drawn anew each hour).  Each kind is
scored like ``eggwatch evaluate`` (incidents found within 72 h, false drop alerts, dead counters
named) against the same scenarios without glitches, in the same run.  The hens are fine: a glitch
should cost nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from analytics.detector import detect
from analytics.evaluate import house_months, with_breeds
from analytics.frame import HourlyFrame
from analytics.offline import read_frame
from analytics.scoring import Score, score
from simulator.scenarios import make_suite

FIRST_DAY = 30  # glitches after the detector has learned the house

Glitch = Callable[[HourlyFrame, int, int, np.random.Generator], None]


def _times(column: str, factor: float) -> Glitch:
    def glitch(frame: HourlyFrame, h: int, t: int, rng: np.random.Generator) -> None:
        getattr(frame, column)[h, t] *= factor

    return glitch


def _shift(column: str, by: float) -> Glitch:
    def glitch(frame: HourlyFrame, h: int, t: int, rng: np.random.Generator) -> None:
        getattr(frame, column)[h, t] += by

    return glitch


def _row_times_ten(frame: HourlyFrame, h: int, t: int, rng: np.random.Generator) -> None:
    frame.eggs[h, rng.integers(0, frame.eggs.shape[1]), t] *= 10


def _run_uncounted(frame: HourlyFrame, h: int, t: int, rng: np.random.Generator) -> None:
    """Every row reads 0 at the belt run nearest after ``t`` (the counters were off as it passed)."""
    counted = np.nansum(frame.eggs[h], axis=0)
    runs = np.flatnonzero(counted[t : t + 24] > 0.1 * np.nanmax(counted[t - 24 * 7 : t]))
    if runs.size:
        frame.eggs[h, :, t + int(runs[0])] = 0.0


KINDS: dict[str, Glitch] = {
    "hens-x10": _times("hens", 10.0),
    "hens-tenth": _times("hens", 0.1),
    "hens-zero": _times("hens", 0.0),
    "age-10-weeks-young": _shift("age_weeks", -10.0),
    "age-10-weeks-old": _shift("age_weeks", 10.0),
    "water-x10": _times("water_l", 10.0),
    "water-zero": _times("water_l", 0.0),
    "feed-x10": _times("feed_kg", 10.0),
    "row-x10": _row_times_ten,
    "temp-plus-15": _shift("temp_c", 15.0),
    "run-uncounted": _run_uncounted,
}


def add_glitches(
    frame: HourlyFrame, glitch: Glitch, per_house: int, rng: np.random.Generator, hours: int = 1
) -> None:
    """``per_house`` glitches in every house of ``frame``, at random hours from day FIRST_DAY on, each
    lasting ``hours`` hours (the same wrong figure, or the same meter wrong, hour after hour)."""
    for h in range(len(frame.houses)):
        for t in rng.integers(FIRST_DAY * 24, frame.n_hours - 23 - hours, per_house):
            for k in range(hours):
                glitch(frame, h, int(t) + k, rng)


def run(seeds: list[int], kinds: list[str], per_house: int = 3, hours: int = 1) -> dict[str, Score]:
    """Scores without glitches (key ``"none"``) and with each kind, over the seeds' scenarios."""
    totals = {k: Score() for k in ["none", *kinds]}
    with tempfile.TemporaryDirectory(prefix="eggwatch-glitches-") as tmp:
        for seed in seeds:
            for sc in make_suite(seed):
                paths = sc.write(Path(tmp) / sc.name)
                months = 0.0
                for k in totals:
                    frame = read_frame(*paths)
                    if sc.park is not None:
                        frame = with_breeds(frame, {h.unit: h.breed for h in sc.park.houses})
                    months = house_months(frame)
                    if k != "none":
                        add_glitches(frame, KINDS[k], per_house, np.random.default_rng(seed), hours)
                    scored = score(detect(frame), sc.labels, months)
                    scored.false = [f"[{sc.name}] {x}" for x in scored.false]
                    totals[k].add(scored)
    return totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3,4,5,6", help="simulator seeds, comma-separated")
    ap.add_argument("--kinds", nargs="+", choices=sorted(KINDS), default=sorted(KINDS))
    ap.add_argument("--per-house", type=int, default=3, help="glitches in each house")
    ap.add_argument("--hours", type=int, default=1, help="how long each glitch lasts")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the false alarms a glitch added")
    a = ap.parse_args()
    totals = run([int(s) for s in a.seeds.split(",")], a.kinds, a.per_house, a.hours)
    print(f"{'glitch':20s} {'found':>11s} {'false alarms':>13s} {'dead counters named':>20s}")
    for k, s in totals.items():
        print(
            f"{k:20s} {s.detected:5d} / {s.production_events:<4d} {s.false_alarms:13d}"
            f" {s.counters_recognised:11d} / {s.dead_counters}"
        )
        if a.verbose and k != "none":
            print("\n".join(f"  {x}" for x in sorted(set(s.false) - set(totals["none"].false))))


if __name__ == "__main__":
    main()
