"""``eggwatch evaluate``: the detector and the daily control chart on labelled simulated scenarios.

Each scenario goes through the real offline path (CSV files written by the simulator, read back by
:func:`analytics.offline.read_frame`), so the evaluation also exercises the CSV format.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from analytics.alert import DetectorAlert
from analytics.control_chart import control_chart
from analytics.detector import DetectorConfig, detect
from analytics.frame import HourlyFrame
from analytics.offline import read_frame
from analytics.omitted_zeros import fill_omitted_zeros
from analytics.scoring import LabelLike, Score, score
from eggwatch.breeds import curve

Method = Callable[[HourlyFrame], list[DetectorAlert]]


@dataclass
class Result:
    seed: int
    detector: Score
    baseline: Score


def house_months(frame: HourlyFrame) -> float:
    """The house-months ``frame`` covers (the unit of the false-alarm rate)."""
    return len(frame.houses) * frame.n_hours / 24 / 30.44


def with_breeds(frame: HourlyFrame, breeds: dict[str, str]) -> HourlyFrame:
    """``frame`` with each house's breed from the park description (default breed otherwise)."""
    b = tuple(breeds.get(h, frame.breeds[i]) for i, h in enumerate(frame.houses))
    return replace(frame, breeds=b)


# House columns a park may not meter; ``--without`` scores the detector as if they were blank.
OPTIONAL_COLUMNS = ("hens", "age_weeks", "water_l", "feed_kg", "temp_c")


def optional_columns(text: str) -> list[str]:
    """``"water_l,feed_kg"`` → the columns, each checked against :data:`OPTIONAL_COLUMNS`."""
    return _checked([c.strip() for c in text.split(",") if c.strip()])


def without_columns(frame: HourlyFrame, columns: Sequence[str]) -> HourlyFrame:
    """``frame`` with ``columns`` (of :data:`OPTIONAL_COLUMNS`) blank at every hour."""
    for c in _checked(columns):
        getattr(frame, c)[:] = np.nan
    return frame


@dataclass(frozen=True)
class OffGuide:
    """Flocks that do not keep to the breed guide the simulator draws them from (``eggwatch evaluate
    --age-shift/--whole-weeks/--flat-intake``): how the detector does when a park's flocks, or
    another generator's, lay earlier or later than their stated age, state it in whole weeks, or
    eat and drink the same per hen whatever their age."""

    age_shift: float = 0.0  # weeks the flocks lay ahead of the age in the file (negative: behind)
    whole_weeks: bool = False  # the age in the file in whole weeks
    flat_intake: bool = False  # water and feed per hen without the guide's rise with age

    def __bool__(self) -> bool:
        return bool(self.age_shift or self.whole_weeks or self.flat_intake)

    def describe(self) -> str:
        parts = []
        if self.age_shift:
            side = "ahead of" if self.age_shift > 0 else "behind"
            parts.append(f"laying {abs(self.age_shift):g} weeks {side} their stated age")
        if self.whole_weeks:
            parts.append("age in whole weeks")
        if self.flat_intake:
            parts.append("water and feed per hen flat with age")
        return ", ".join(parts)

    def apply(self, frame: HourlyFrame) -> HourlyFrame:
        true_age = frame.age_weeks.copy()
        if self.flat_intake:
            for h, breed in enumerate(frame.breeds):
                guide, age = curve(breed), np.nan_to_num(true_age[h], nan=60.0)
                frame.water_l[h] *= guide.water_ml(60.0) / guide.water_ml(age)
                frame.feed_kg[h] *= guide.feed_g(60.0) / guide.feed_g(age)
        frame.age_weeks[:] = true_age - self.age_shift
        if self.whole_weeks:
            frame.age_weeks[:] = np.floor(frame.age_weeks)
        return frame


def kill_in_diseases(
    frame: HourlyFrame, labels: Sequence[LabelLike], per_day: float, days: int = 2
) -> HourlyFrame:
    """``frame`` with each labelled disease killing ``per_day`` of its house's hens a day for
    ``days`` days from its egg onset, entered in ``hens`` as they die (the dead neither lay, eat nor
    drink): what the detector does when a disease thins the flock (``eggwatch evaluate
    --disease-deaths``)."""
    for lb in labels:
        if lb.kind != "disease" or lb.house not in frame.houses:
            continue
        h = frame.houses.index(lb.house)
        for day in range(days):
            at = frame.index_of(getattr(lb, "egg_onset", None) or lb.onset) + day * 24
            if 0 <= at < frame.n_hours:
                for series in (frame.hens[h], frame.water_l[h], frame.feed_kg[h]):
                    series[at:] *= 1.0 - per_day
                frame.eggs[h, :, at:] = np.round(frame.eggs[h, :, at:] * (1.0 - per_day))
    return frame


def _checked(columns: Sequence[str]) -> list[str]:
    unknown = [c for c in columns if c not in OPTIONAL_COLUMNS]
    if unknown:
        raise ValueError(f"unknown column {', '.join(unknown)} (choose from {', '.join(OPTIONAL_COLUMNS)})")
    return list(columns)


def evaluate_seed(
    seed: int,
    n_houses: int,
    days: int,
    config: DetectorConfig | None = None,
    without: Sequence[str] = (),
    park_size: int = 0,
    rows: int | None = None,
    off_guide: OffGuide = OffGuide(),
    disease_deaths: float = 0.0,
    breeds_known: bool = True,
) -> Result:
    """Score the detector and the control chart on seed ``seed``'s scenarios; ``without`` lists house
    columns to blank first (what the detector does with a park that does not meter them).  With
    ``park_size`` the detector sees each scenario's houses in parks of that many (1: every house in a
    file of its own), so what it draws from the other houses is left out.  ``rows``: row counters per
    house (the simulator draws 6-10 by default).  ``off_guide``: flocks off their breed guide.
    ``disease_deaths``: the share of the hens each disease kills a day, two days long.
    ``breeds_known`` False: the houses' breeds are not given (every house the default breed), as
    `eggwatch detect` without ``--park``."""
    from simulator.scenarios import make_suite  # the simulator is only needed here

    det, base = Score(), Score()
    with tempfile.TemporaryDirectory(prefix="eggwatch-eval-") as tmp:
        for sc in make_suite(seed, n_houses=n_houses, days=days, rows=rows):
            h_csv, r_csv = sc.write(Path(tmp) / sc.name)
            frame, _ = fill_omitted_zeros(read_frame(h_csv, r_csv))  # as `eggwatch detect` does
            frame = without_columns(frame, without)
            if sc.park is not None and breeds_known:
                frame = with_breeds(frame, {h.unit: h.breed for h in sc.park.houses})
            frame = off_guide.apply(frame)
            if disease_deaths:
                frame = kill_in_diseases(frame, sc.labels, disease_deaths)
            months = house_months(frame)
            for total, alerts in (
                (det, detect_in_parks(frame, config, park_size)),
                (base, control_chart(frame)),
            ):
                sco = score(alerts, sc.labels, months)
                sco.missed = [f"[{sc.name}] {m}" for m in sco.missed]
                sco.false = [f"[{sc.name}] {m}" for m in sco.false]
                total.add(sco)
    return Result(seed, det, base)


def detect_in_parks(frame: HourlyFrame, config: DetectorConfig | None, park_size: int) -> list[DetectorAlert]:
    """The detector's alerts with the houses analysed ``park_size`` at a time (0: all together)."""
    n = len(frame.houses)
    size = park_size or n
    return [
        a
        for first in range(0, n, size)
        for a in detect(frame.select(list(range(first, min(first + size, n)))), config)
    ]


ROWS: Sequence[tuple[str, Callable[[Score], float], str]] = (
    ("drop recall ≤72 h", lambda s: s.recall, "{:.2f}"),
    ("  mild-dip recall", lambda s: s.mild_recall, "{:.2f}"),
    ("  by laying_drop alone", lambda s: s.laying_recall, "{:.2f}"),
    ("precision", lambda s: s.precision, "{:.2f}"),
    ("false alarms / house-month", lambda s: s.false_per_house_month, "{:.3f}"),
    ("median h to detect (sudden)", lambda s: s.median_sudden_h, "{:.1f}"),
    ("dead counters as sensor_fault", lambda s: s.counter_share, "{:.2f}"),
    ("false sensor faults", lambda s: float(s.false_sensor_faults), "{:.0f}"),
)


def report(results: Sequence[Result], verbose: bool = False) -> str:
    total_d, total_b = Score(), Score()
    for r in results:
        total_d.add(r.detector)
        total_b.add(r.baseline)
    lines = []
    head = f"{'metric':32s}" + "".join(f"{'seed ' + str(r.seed):>14s}" for r in results) + f"{'ALL':>14s}"
    lines.append(f"events: {total_d.production_events} production, {total_d.dead_counters} dead counters, "
                 f"{total_d.house_months:.1f} house-months; cells are detector / control chart")  # fmt: skip
    lines.append(head)
    for name, fn, fmt in ROWS:
        cells = [f"{fmt.format(fn(r.detector))} / {fmt.format(fn(r.baseline))}" for r in results]
        cells.append(f"{fmt.format(fn(total_d))} / {fmt.format(fn(total_b))}")
        lines.append(f"{name:32s}" + "".join(f"{c:>14s}" for c in cells))
    if verbose:
        lines.append("detector misses:")
        lines += [f"  {m}" for m in total_d.missed] or ["  none"]
        lines.append("detector false alarms:")
        lines += [f"  {m}" for m in total_d.false] or ["  none"]
    return "\n".join(lines)
