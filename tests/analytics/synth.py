"""A small, independent flock generator for the detector's unit tests (not the project simulator).

Deliberately different from ``simulator/`` so the detector is not tested only against the generator
it is evaluated on: eggs laid on a normal curve after lights-on, belt runs at given UTC hours (or
continuous counting with a lag), multiplicative day noise, row noise, and helpers that inject
events into the hourly arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from analytics.frame import HourlyFrame
from eggwatch.breeds import curve

START = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Flock:
    days: int = 40
    houses: int = 2
    rows: int = 8
    hens: float = 30000.0
    level: float = 0.9  # hen-day fraction
    day_noise: float = 0.01  # multiplicative, per day and house
    row_noise: float = 0.03  # per day and row
    runs: tuple[int, ...] = (1, 6)  # belt runs, UTC hours; () = continuous counting
    lights_on: int = 20  # UTC hour (04:00 in China)
    age0: float = 40.0
    seed: int = 0
    drop_from: dict[int, tuple[int, float]] = field(default_factory=dict)  # house -> (hour, factor)
    # house -> water and feed per hen from ``drop_from``'s hour on (a step): sick hens eat and drink less
    intake_from: dict[int, float] = field(default_factory=dict)
    ramp_h: int = 0  # a drop reaches its full factor this many hours after its onset (0: a step)
    # Eggs, water and feed spread evenly over the 24 hours (no laying time, no lights), as a
    # simple generator or a park exporting daily figures by the hour might give them.
    round_the_clock: bool = False
    swing: float = 0.0  # ... counting ± this over the day (a sine) ...
    drift_h: float = 0.0  # ... its timing drifting smoothly by this many hours a day (sd)

    def build(self) -> HourlyFrame:
        rng = np.random.default_rng(self.seed)
        n = self.days * 24
        t = np.arange(n)
        since_lights = (t - self.lights_on) % 24
        # Laying: normal curve 2-7 h after lights-on (mean 4 h, sd 1.2 h), summing to 1 a day.
        prof = np.exp(-0.5 * ((since_lights - 4.0) / 1.2) ** 2)
        prof /= prof[:24].sum()
        if self.round_the_clock:
            prof = np.full(n, 1.0 / 24)
        h, r = self.houses, self.rows
        day = t // 24
        day_f = 1 + self.day_noise * rng.standard_normal((h, self.days))
        row_share = rng.uniform(0.8, 1.2, (h, r))
        row_share /= row_share.sum(axis=1, keepdims=True)
        row_f = 1 + self.row_noise * rng.standard_normal((h, r, self.days))
        rate = np.full((h, n), self.level)
        for house, (hour, factor) in self.drop_from.items():
            reached = np.clip(
                (t - hour + 1) / max(self.ramp_h, 1), 0.0, 1.0
            )  # 1 from the onset on for a step
            rate[house] *= 1.0 - (1.0 - factor) * reached
        laid = (
            (self.hens * rate * prof * day_f[:, day])[:, None, :] * row_share[:, :, None] * row_f[:, :, day]
        )
        counted = np.zeros_like(laid)
        if self.round_the_clock:
            counted = laid
            if self.swing:
                knots = rng.normal(0.0, self.drift_h, (h, self.days + 1))
                phase = np.stack([np.interp(t / 24.0, np.arange(self.days + 1), k) for k in knots])
                counted = counted * (1 + self.swing * np.sin(2 * np.pi * (t % 24 - phase) / 24))[:, None, :]
        elif self.runs:
            acc = np.zeros((h, r))
            for i in range(n):
                acc += laid[:, :, i]
                if i % 24 in self.runs:
                    counted[:, :, i] = acc
                    acc = np.zeros((h, r))
        else:
            counted[:, :, 2:] = laid[:, :, :-2]  # two hours on the belt
        lit = (t - self.lights_on) % 24 < 16
        water = self.hens * 0.22 / 16 * np.where(lit, 1.0, 0.05)
        feed = self.hens * 0.11 / 16 * np.where(lit, 1.0, 0.0)
        if self.round_the_clock:
            water, feed = np.full(n, self.hens * 0.22 / 24), np.full(n, self.hens * 0.11 / 24)
        water = np.tile(water, (h, 1)) * (1 + 0.02 * rng.standard_normal((h, n)))
        feed = np.tile(feed, (h, 1)) * (1 + 0.02 * rng.standard_normal((h, n)))
        for house, factor in self.intake_from.items():
            since = t >= self.drop_from[house][0]
            water[house, since] *= factor
            feed[house, since] *= factor
        return HourlyFrame(
            start=START,
            houses=tuple(f"H{i + 1:02d}" for i in range(h)),
            rows=tuple(f"{j + 1:02d}" for j in range(r)),
            hens=np.full((h, n), self.hens),
            age_weeks=np.tile(self.age0 + t / (24 * 7), (h, 1)),
            water_l=water,
            feed_kg=feed,
            temp_c=np.full((h, n), 21.0),
            eggs=np.round(counted),
        )


def gap(frame: HourlyFrame, house: int, start: int, hours: int) -> None:
    """The gateway was offline: blanks, then everything counted meanwhile in the first hour after."""
    end = start + hours
    for arr in (frame.eggs[house],):
        arr[:, end] += arr[:, start:end].sum(axis=1)
        arr[:, start:end] = np.nan
    for arr in (frame.water_l[house], frame.feed_kg[house]):
        arr[end] += arr[start:end].sum()
        arr[start:end] = np.nan


def delay_run(frame: HourlyFrame, house: int, hour: int, by: int) -> None:
    """The belt run at ``hour`` happened ``by`` hours later."""
    frame.eggs[house, :, hour + by] += frame.eggs[house, :, hour]
    frame.eggs[house, :, hour] = 0


def day_hour(day: int, utc_hour: int) -> int:
    return day * 24 + utc_hour


def restock(
    frame: HourlyFrame,
    flock: Flock,
    house: int,
    sold: int,
    placed: int,
    age_weeks: float,
    blank_while_empty: bool = False,
) -> None:
    """House ``house``'s flock is sold at hour ``sold`` (hens 0 from then, nothing laid) and a new
    flock of ``age_weeks`` placed at hour ``placed``: other row shares and noise (its own seed), a
    tenth more hens, laying on the Hy-Line curve as it comes into lay.  ``blank_while_empty``: the
    empty house's counters and meters are off (blank) after its first empty day, as while it is
    cleaned."""
    new = replace(flock, houses=1, seed=flock.seed + 1000 + house, hens=1.1 * flock.hens, level=1.0).build()
    t = np.arange(frame.n_hours)
    age = age_weeks + (t[placed:] - placed) / (24 * 7)
    laying = np.clip(curve("hyline_brown").hen_day(age) / 100.0, 0.0, 1.0)
    frame.hens[house, sold:] = 0.0
    frame.eggs[house, :, sold:placed] = 0.0
    frame.water_l[house, sold:placed] = 0.0
    frame.feed_kg[house, sold:placed] = 0.0
    frame.age_weeks[house, sold:placed] = np.nan
    if blank_while_empty:
        for arr in (frame.eggs[house].T, frame.water_l[house], frame.feed_kg[house]):
            arr[sold + 24 : placed] = np.nan
    frame.hens[house, placed:] = new.hens[0, placed:]
    frame.age_weeks[house, placed:] = age
    frame.eggs[house, :, placed:] = np.round(new.eggs[0, :, placed:] * laying)
    frame.water_l[house, placed:] = new.water_l[0, placed:]
    frame.feed_kg[house, placed:] = new.feed_kg[0, placed:]
