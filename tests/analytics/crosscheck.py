"""The detector and the daily control chart on the unit tests' own flock generator (not the project
simulator): mild dips of 3-7 hen-day points (``--depth``), as steps or ramps, at a chosen noise
level; eggs only (water and feed stay normal), or with water and feed falling at the onset as well
(``--intake-fall``).

    .venv/bin/python -m tests.analytics.crosscheck [--flocks 48] [--noise 1.0] [--ramp-h 0] [--depth 3 7]

A second, deliberately different generator keeps the detector from being tuned to one simulator's
noise (analytics/QUALITY.md).  Each flock: 6 houses (``--houses``) x 80 days, one with a dip.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterator
from statistics import median

import numpy as np

from analytics.control_chart import control_chart
from analytics.detector import DetectorConfig, detect
from analytics.scoring import Score, score
from simulator.scenarios import Label
from tests.analytics.synth import Flock, day_hour

RUNS = [(1, 6), (23,), (), (0, 3, 7), (2,), (1, 5, 9)]  # belt runs (UTC hours); () continuous


def flocks(
    n: int,
    noise: float,
    ramp_h: int,
    houses: int = 6,
    seed: int = 100,
    depth: tuple[float, float] = (3.0, 7.0),
    round_the_clock: bool = False,
    swing: tuple[float, float] = (0.0, 0.0),
    intake_fall: tuple[float, float] = (0.0, 0.0),
) -> Iterator[tuple[Flock, int, int, float]]:
    """(flock, house with the dip, onset hour, depth in points); ``noise`` scales day and row noise."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        level = rng.uniform(0.8, 0.93)
        pts = rng.uniform(*depth)
        flock = Flock(days=80, houses=houses, rows=8, level=level, day_noise=noise * rng.uniform(0.005, 0.015),
                      row_noise=noise * rng.uniform(0.02, 0.04), runs=RUNS[k % len(RUNS)],
                      lights_on=int(rng.integers(18, 23)), age0=rng.uniform(25, 60), seed=seed + k,
                      ramp_h=int(ramp_h * rng.uniform(0, 1)), round_the_clock=round_the_clock,
                      swing=swing[0], drift_h=swing[1])  # fmt: skip
        onset = day_hour(int(rng.integers(35, 70)), int(rng.integers(0, 24)))
        house = int(rng.integers(0, 6)) % houses
        flock.drop_from = {house: (onset, 1 - pts / (100 * level))}
        if intake_fall[1] > 0:
            flock.intake_from = {house: 1 - rng.uniform(*intake_fall)}
        yield flock, house, onset, pts


def run(
    n: int,
    noise: float,
    ramp_h: int,
    config: DetectorConfig | None = None,
    houses: int = 6,
    depth: tuple[float, float] = (3.0, 7.0),
    round_the_clock: bool = False,
    swing: tuple[float, float] = (0.0, 0.0),
    intake_fall: tuple[float, float] = (0.0, 0.0),
) -> tuple[Score, Score]:
    det, chart = Score(), Score()
    for flock, house, onset, pts in flocks(
        n,
        noise,
        ramp_h,
        houses,
        depth=depth,
        round_the_clock=round_the_clock,
        swing=swing,
        intake_fall=intake_fall,
    ):
        frame = flock.build()
        at = frame.hour_start(onset)
        # Steps are "sudden" (their time to detect is scored); ramps are not.
        labels = [Label(frame.houses[house], "mild_dip", at, None, None, True, pts, sudden=ramp_h == 0)]
        months = flock.houses * flock.days / 30.44
        det.add(score(detect(frame, config), labels, months))
        chart.add(score(control_chart(frame), labels, months))
    return det, chart


def hours_until_visible(flock: Flock, house: int, onset: int, frac: float) -> int:
    """Hours from ``onset`` until the eggs ``house`` counted since then are short by ``frac`` of a
    usual day's eggs, against the same flock without the drop: no statistic on the counters can see
    the drop earlier (the eggs laid before it, or waiting on the belt, are counted as usual)."""
    with_drop = np.nansum(flock.build().eggs[house], axis=0)
    usual = np.nansum(dataclasses.replace(flock, drop_from={}).build().eggs[house], axis=0)
    day = usual[onset - 7 * 24 : onset].sum() / 7
    short = np.cumsum(usual[onset:] - with_drop[onset:]) / day
    return int(np.argmax(short >= frac)) + 1  # the hour's end


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flocks", type=int, default=48)
    ap.add_argument("--noise", type=float, default=1.0, help="x (0.5-1.5 %% day, 2-4 %% row noise)")
    ap.add_argument("--ramp-h", type=int, default=0, help="dips ramp in over up to this many hours")
    ap.add_argument("--houses", type=int, default=6, help="houses per flock (fewer than 3: no park to pool)")
    ap.add_argument("--depth", type=float, nargs=2, default=(3.0, 7.0), help="dip depth range, points")
    ap.add_argument("--floor", type=float, default=0.0, metavar="FRAC",
                    help="also print the median hours until the counted eggs are FRAC of a day short")  # fmt: skip
    ap.add_argument("--round-the-clock", action="store_true",
                    help="eggs, water and feed spread evenly over the 24 hours (no laying time, no lights)")  # fmt: skip
    ap.add_argument("--swing", type=float, nargs=2, default=(0.0, 0.0), metavar=("SHARE", "DRIFT_H"),
                    help="round the clock: counting swings ± SHARE over the day, its timing drifting DRIFT_H h a day")  # fmt: skip
    ap.add_argument("--intake-fall", type=float, nargs=2, default=(0.0, 0.0), metavar=("LO", "HI"),
                    help="water and feed per hen fall by LO-HI (fractions) at the dip's onset, as a step")  # fmt: skip
    a = ap.parse_args()
    det, chart = run(a.flocks, a.noise, a.ramp_h, houses=a.houses, depth=tuple(a.depth),
                     round_the_clock=a.round_the_clock, swing=tuple(a.swing),
                     intake_fall=tuple(a.intake_fall))  # fmt: skip
    for name, s in (("detector", det), ("control chart", chart)):
        when = f"  median {s.median_sudden_h:.1f} h to detect" if a.ramp_h == 0 else ""
        print(f"{name:14s} recall {s.recall:.3f} ({s.detected}/{s.production_events})  "
              f"false alarms {s.false_alarms} ({s.false_per_house_month:.3f} per house-month){when}")  # fmt: skip
    if a.floor > 0:
        seen = [
            hours_until_visible(f, h, t, a.floor)
            for f, h, t, _ in flocks(
                a.flocks, a.noise, a.ramp_h, a.houses, depth=tuple(a.depth), round_the_clock=a.round_the_clock
            )
        ]
        print(f"{'counters':14s} short by {a.floor:.0%} of a day's eggs after a median {median(seen):.1f} h")


if __name__ == "__main__":
    main()
