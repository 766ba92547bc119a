"""Water and feed meters stuck at one figure: the same amount hour after hour while the hens' day
changes.

A meter read as a cumulative register that freezes reads 0 an hour: that is a water line or a
feeder stopping as far as anyone can tell, and is alerted at once (a ``water_drop``; its message
names the meter too).  An export that writes a frozen "litres in the last hour" register, or a
device that repeats its last message, freezes at a figure instead.  Taken as amounts, a figure
stuck from a quiet hour into the morning is a water or feed drop, and one stuck from a busy hour a
day of plenty: with each house's water meter so stuck for 48 h once (seeds 1-12), 94 more false
alarms (72 → 166), nearly all ``water_drop``.

A meter reads the same amount for hours by chance when the flow is steady: the simulator's night
trickle, to a tenth of a litre, stood at 17.9 l for three or four hours one night in a hundred (a
run judged by the meter's own rate of repeats gave 59 false faults on seeds 1-12: the repeats come
together, at night).  So a run of at least :data:`MIN_HOURS` hours is a fault once it has crossed
hours whose usual amounts (the same hour's median over the last :data:`USUAL_DAYS` days, two at
the least) differ by :data:`USUAL_RATIO` or more: the hens' day changed and the reading did not.
From then until the figure changes the amount is unknown, and a ``sensor_fault`` names the meter.
A run that crosses no such hours is left as it is: a fixed daily feed ration spread evenly over
its hours by an export stands at one figure for days (a run of 26 h or more taken as stuck, too,
gave 10 false faults on seeds 1-6 so written), and a meter stuck at a figure the hens' day never
moves away from reads about what they use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.stuck import repeats
from analytics.detector.windows import (
    DAY,
    lagged,
    past_days,
    robust_center,
    run_lengths,
    runs_touching,
    value_at,
)

MIN_HOURS = 4  # equal amounts this many hours running, at the least (3: a trickle, by chance)
USUAL_RATIO = 2.0  # ... across hours whose usual amounts differ this much
USUAL_DAYS = 3  # few: a lighting change moves the usual hours (7 days: two false faults in 36 seeds)
MIN_USUAL_DAYS = 2
GATE_RATIO = 1.5  # a run is looked at once a figure in it is this far off the same hour's before


def stuck_meter(amount: np.ndarray) -> np.ndarray:
    """``[house, hour]``: True where the house's hourly ``amount`` has stood at one figure (above 0)
    across hours whose usual amounts differ by :data:`USUAL_RATIO`, from then until it changes."""
    out = np.zeros(amount.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        repeat = repeats(amount) & (amount > 0)
    # Houses to look at: a run at a figure well off the same hour's a day or two before (a meter
    # whose figures follow the hens' day, however coarse, has none).
    with np.errstate(invalid="ignore", divide="ignore"):
        off = np.zeros(amount.shape, dtype=bool)
        for back in (lagged(amount, DAY), lagged(amount, 2 * DAY)):
            off |= (amount > GATE_RATIO * back) | (GATE_RATIO * amount < back)
    runs = StandingRuns.of(amount, repeat, off, MIN_HOURS, USUAL_DAYS, MIN_USUAL_DAYS)
    if runs is None:  # the usual case
        return out
    usual = runs.usual
    usual_first = value_at(usual, runs.first)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.maximum(usual, usual_first) / np.minimum(usual, usual_first)
        crossed = ratio >= USUAL_RATIO  # NaN (no usual days yet): not judged so
    stuck = (runs.run >= MIN_HOURS - 1) & crossed
    out[runs.houses] = runs_touching(runs.repeat, stuck)
    return out


@dataclass(frozen=True, slots=True)
class StandingRuns:
    """A house's hourly figure standing at one figure: for the houses (``houses``, indices) with
    a run of ``min_hours`` at a figure ``off`` the same hour's before, ``[house of houses, hour]``:
    the repeats, the run's length and first hour (the one its repeats repeat), and the figure's
    usual at each hour (the same hour's median over the last days).  Meters and probes."""

    houses: np.ndarray
    repeat: np.ndarray
    run: np.ndarray
    first: np.ndarray
    usual: np.ndarray

    @classmethod
    def of(
        cls,
        values: np.ndarray,
        repeat: np.ndarray,
        off: np.ndarray,
        min_hours: int,
        usual_days: int,
        min_usual_days: int,
    ) -> StandingRuns | None:
        run = run_lengths(repeat)
        some = np.flatnonzero(((run >= min_hours - 1) & off).any(axis=-1))
        if some.size == 0:
            return None
        x, run = values[some], run[some]
        usual = robust_center(past_days(x, usual_days, 0), min_usual_days)
        return cls(some, repeat[some], run, np.arange(x.shape[-1]) - run, usual)
