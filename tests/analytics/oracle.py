"""How far a perfect expected level would take the detector: an upper bound for its statistics.

    .venv/bin/python -m tests.analytics.oracle [--seeds 1,2,3] [--trend-z 3.1 2.5 2.2] [--level twin]

Each scenario of ``make_suite`` is simulated twice from the same seed: as it is, and as its *twin*
without the day-to-day house and row noise and without the egg drops (the same flock, level drift,
hen counts, belts, counters and other incidents).  The twin's 24 h hen-day figure, read by the
detector as it reads the real one, is what the house would have counted at each hour had nothing
gone wrong.  The detector is then run on the real scenario with its expected level replaced by
that figure: a baseline that knows the flock's level and drift exactly, which no causal baseline
can.  Everything else is the detector's own (channels, noise units, holds, rows, water and feed),
so ``trend_z`` is swept: the oracle's statistics are less noisy than the units say.

For each ``trend_z`` it prints incidents found within 72 h, mild dips found, false alarms and
precision.  ``--level twin-baseline``: the detector's own baseline computed on the twin's figure
(its method, with noise-free past days: what its lag behind the drift costs alone); ``--level
own``: the detector as it is, for comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from analytics.detector import DetectorConfig, detect, houses
from analytics.detector.analysis import analyse
from analytics.evaluate import house_months, with_breeds
from analytics.frame import HourlyFrame
from analytics.scoring import Score, score
from simulator.house import HouseModel
from simulator.scenarios import Scenario, make_scenario, make_suite
from tests.analytics.suite import read_scenario

LEVELS = {
    "twin": "the twin's figure (perfect level)",
    "twin-baseline": "the detector's baseline of the twin's figure",
    "own": "the detector's own baseline",
}


def _frame(sc: Scenario, tmp: Path) -> HourlyFrame:
    """The scenario as `eggwatch evaluate` reads it: its houses' breeds given."""
    assert sc.park is not None  # make_scenario gives its park
    frame = read_scenario(sc, tmp / sc.name)
    return with_breeds(frame, {house.unit: house.breed for house in sc.park.houses})


@contextmanager
def _twin_houses() -> Iterator[None]:
    """Houses simulated with no day-to-day house or row noise and no egg drops.  The random
    draws are the same (a normal of spread 0 still draws), so all else stays as it was."""
    draw = HouseModel._draw_production
    bumps = HouseModel._bumps

    def quiet(model: HouseModel, rng: np.random.Generator) -> None:
        real = model.spec
        model.spec = dataclasses.replace(
            real, traits=dataclasses.replace(real.traits, house_noise_sd=0.0, row_noise_sd=0.0)
        )
        try:
            draw(model, rng)
        finally:
            model.spec = real

    def no_egg_drops(model: HouseModel, name: str, t_s: np.ndarray) -> np.ndarray:
        return np.zeros_like(t_s, dtype=np.float64) if name == "egg_drop_points" else bumps(model, name, t_s)

    with (
        mock.patch.object(HouseModel, "_draw_production", quiet),
        mock.patch.object(HouseModel, "_bumps", no_egg_drops),
    ):
        yield


@contextmanager
def _expected_level(level: np.ndarray) -> Iterator[None]:
    """The house figure's expected level read from ``level`` ``[house, hour]`` wherever the
    detector's own baseline has one."""
    own = houses._compare

    def oracle(*args: Any, **kwargs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        expected, sigma, sigma_quiet = own(*args, **kwargs)
        assert expected.shape == level.shape, "the whole file is analysed at once (piece_days 0)"
        return np.where(np.isnan(expected), np.nan, level), sigma, sigma_quiet

    with mock.patch.object(houses, "_compare", oracle):
        yield


def run(seeds: list[int], trend_z: list[float], level_of: str = "twin") -> dict[float, Score]:
    """``level_of``: ``twin`` (the twin's figure), ``twin-baseline`` (the detector's own baseline
    of the twin's figure: its method on noise-free days) or ``own`` (the detector as it is)."""
    totals = {z: Score() for z in trend_z}
    whole = DetectorConfig(piece_days=0)
    with tempfile.TemporaryDirectory(prefix="eggwatch-oracle-") as tmp:
        for seed in seeds:
            for sc in make_suite(seed):
                frame = _frame(sc, Path(tmp))
                months = house_months(frame)
                level = None
                if level_of != "own":
                    with _twin_houses():  # the same scenario again, from its own seed
                        twin = _frame(make_scenario(sc.name, sc.seed), Path(tmp) / "twin")
                    drops = analyse(twin, whole).drops
                    level = drops.hen_day if level_of == "twin" else drops.expected
                for z in trend_z:
                    cfg = dataclasses.replace(whole, trend_z=z)
                    if level is None:
                        alerts = detect(frame, cfg)
                    else:
                        with _expected_level(level):
                            alerts = detect(frame, cfg)
                    totals[z].add(score(alerts, sc.labels, months))
            print(f"seed {seed} done", flush=True)
    return totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (make_suite's scenarios each)")
    ap.add_argument("--trend-z", type=float, nargs="+", default=[3.1, 2.5, 2.2])
    ap.add_argument("--level", choices=tuple(LEVELS), default="twin", help="the expected level used")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    for z, s in run(seeds, a.trend_z, a.level).items():
        print(f"{LEVELS[a.level]}, trend_z {z:g}: found {s.detected}/{s.production_events} ({s.recall:.3f}), "
              f"mild dips {s.mild_detected}/{s.mild_events}, false alarms {s.false_alarms} "
              f"({s.false_per_house_month:.3f} per house-month), precision {s.precision:.3f}")  # fmt: skip
        kinds = Counter(m.split()[1] for m in s.missed)
        print("  missed: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))


if __name__ == "__main__":
    main()
