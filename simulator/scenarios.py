"""Labelled scenarios in the detector's offline format (CONTRACTS §6), for evaluating the detector.

``make_suite(seed)`` builds several parks of houses with flocks of every age (rise, peak, late
decline), different levels, rows, belt schedules and lights, and injects every incident kind with
ground-truth labels.  ``Scenario.write(dir)`` writes ``H.csv``, ``R.csv`` and ``labels.json``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from eggwatch.breeds import curve
from eggwatch.park import Park
from simulator.hourly import house_hours, iso
from simulator.house import HouseModel
from simulator.incidents import DAY, KINDS, PRODUCTION_KINDS, H, Incident, draw, utc
from simulator.spec import HouseSpec, draw_house
from simulator.weather import Weather

H_FIELDS = ("ts", "house", "hens", "age_weeks", "water_l", "feed_kg", "temp_c")
R_FIELDS = ("ts", "house", "row", "eggs")
UTC_OFFSET_S = 8 * H  # Asia/Shanghai, no daylight saving
SCENARIOS_PER_SUITE = 4
WARMUP_DAYS = 21  # incident-free start, so a detector can learn each house
MIN_GAP_DAYS = 6  # quiet days between one incident's end and the next onset in a house


@dataclass
class Label:
    """Ground truth for one injected incident (times UTC)."""

    house: str
    kind: str
    onset: dt.datetime
    end: dt.datetime | None
    row: str | None
    production: bool
    magnitude_pct: float | None  # hen-day points lost at the worst (production kinds)
    sudden: bool = False  # a step change (detection time is scored for these)
    egg_onset: dt.datetime | None = None  # when the eggs start to fall (disease: after water/feed)
    details: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        for k in ("onset", "end", "egg_onset"):
            d[k] = None if d[k] is None else d[k].strftime("%Y-%m-%dT%H:%M:%SZ")
        return d


@dataclass
class Scenario:
    name: str
    seed: int
    houses_rows: list[dict]  # rows of H.csv: ts,house,hens,age_weeks,water_l,feed_kg,temp_c (None = blank)
    rows_rows: list[dict]  # rows of R.csv: ts,house,row,eggs
    labels: list[Label]
    park: Park | None = None  # the houses as the farm describes them (breed, lights, belt runs)

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write ``H.csv``, ``R.csv`` (CONTRACTS §6) and ``labels.json`` into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        h_path, r_path = directory / "H.csv", directory / "R.csv"
        _write_csv(h_path, H_FIELDS, self.houses_rows)
        _write_csv(r_path, R_FIELDS, self.rows_rows)
        doc = {"name": self.name, "seed": self.seed, "labels": [lb.to_json() for lb in self.labels]}
        (directory / "labels.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))
        if self.park is not None:
            self.park.dump(directory / "park.yaml")
        return h_path, r_path


def _write_csv(path: Path, fields: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(fields)
        for r in rows:
            w.writerow(["" if r[k] is None else r[k] for k in fields])


def label_of(inc: Incident, spec: HouseSpec) -> Label:
    details = dict(inc.notes)
    if inc.depopulation is not None:
        details["share"] = round(inc.depopulation[2], 3)
    if inc.lights_shift_h is not None:
        details["lights_shift_h"] = inc.lights_shift_h
    if inc.counter_fault is not None:
        details["fraction"] = round(inc.counter_fault.fraction, 3)
        details["replaced"] = float(inc.counter_fault.replaced)
    row = None if inc.counter_fault is None else spec.house.row_ids[inc.counter_fault.row]
    onset = _minute(utc(inc.onset_s))
    assert onset is not None
    return Label(
        house=spec.house.unit,
        kind=inc.kind,
        onset=onset,
        end=_minute(utc(inc.end_s)),
        row=row,
        production=inc.production,
        magnitude_pct=None if inc.egg_drop_points is None else round(inc.egg_drop_points.depth, 2),
        sudden=inc.sudden,
        egg_onset=_minute(utc(inc.egg_onset_s)),
        details={k: round(float(v), 3) for k, v in details.items()},
    )


def _minute(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else t.replace(second=0, microsecond=0)


def _onset(rng: np.random.Generator, kind: str, spec: HouseSpec, day_s: float) -> float:
    """A plausible onset within the local day starting at ``day_s`` (UTC epoch of local midnight)."""
    house = spec.house
    lights = house.lights_on.hour + house.lights_on.minute / 60
    if kind == "delayed_collection" and house.collection:
        c = house.collection[int(rng.integers(len(house.collection)))]
        return day_s + (c.hour + c.minute / 60) * H
    if kind == "lighting_failure":
        return day_s + (lights + float(rng.choice([0.0, rng.uniform(0, 10)]))) * H
    if kind in ("gateway_offline", "lighting_schedule_change"):
        return day_s + float(rng.integers(0, 24)) * H
    return day_s + round(float(rng.uniform(0, 24)) * 4) / 4 * H


def plan_incidents(
    rng: np.random.Generator,
    spec: HouseSpec,
    kinds: list[str],
    start_s: float,
    days: int,
    level: float,
    weather: Weather | None = None,
) -> list[Incident]:
    """Place ``kinds`` (in order, as many as fit) in one house, apart from each other.

    A heat wave only comes in the warm season (daily mean >= 14 °C): in a cold month another
    production problem takes its place.
    """
    out: list[Incident] = []
    free_from = start_s + WARMUP_DAYS * DAY
    last_onset = start_s + (days - 8) * DAY
    c = curve(spec.house.breed)
    emptied: set[int] = set()  # rows whose hens were all taken out
    for kind in kinds:
        day = free_from + float(rng.integers(0, 10)) * DAY
        day = np.floor((day + UTC_OFFSET_S) / DAY) * DAY - UTC_OFFSET_S
        onset = _onset(rng, kind, spec, day)
        if onset > last_onset:
            break
        age = spec.house.age_weeks_at_placement + (onset - _placed_s(spec)) / (7 * DAY)
        hd = float(c.hen_day(age)) * level
        if (kind in PRODUCTION_KINDS or kind == "dead_counter") and hd < 50.0:
            continue  # too early in the rise for a drop to mean anything, or a dead counter to show
        if kind == "heat_wave" and weather is not None:
            mean_c = float(np.interp(onset, weather.noon_s, weather.mean_c))
            if mean_c < 14.0:
                kind = str(rng.choice([k for k in PRODUCTION_KINDS if k != "heat_wave"]))
        inc = draw(
            kind, rng, onset, rows=spec.house.rows, continuous=not spec.house.collection, expected_hd=hd
        )
        if inc.counter_fault is not None and inc.counter_fault.row in emptied:
            continue  # a stuck counter on a row without hens counts what it should: nothing to find
        if inc.depopulation is not None:
            emptied.update(inc.depopulation[3])
        out.append(inc)
        free_from = (inc.end_s if inc.end_s is not None else onset + DAY) + MIN_GAP_DAYS * DAY
    return out


def _placed_s(spec: HouseSpec) -> float:
    p = spec.house.placed
    return dt.datetime(p.year, p.month, p.day, tzinfo=dt.UTC).timestamp() - UTC_OFFSET_S


def make_scenario(
    name: str,
    seed: int,
    n_houses: int = 6,
    days: int = 120,
    season_day: int | None = None,
    rows: int | None = None,
) -> Scenario:
    """One park of ``n_houses`` over ``days``, each house but one with incidents of varied kinds.

    ``season_day``: day of the year the scenario starts (random by default); ``rows``: row counters
    per house (6-10 at random by default)."""
    rng = np.random.default_rng([seed, 7])
    doy = int(rng.integers(0, 365)) if season_day is None else season_day
    start = dt.date(2025, 1, 1) + dt.timedelta(days=doy)
    start_s = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp() - UTC_OFFSET_S
    end_s = start_s + days * DAY
    weather = Weather(np.random.default_rng([seed, 8]), start_s - 3 * DAY, end_s + 3 * DAY)
    strata = [(17.0, 19.0), (20.0, 40.0), (40.0, 65.0), (65.0, 100.0 - days / 7)]
    offset = int(rng.integers(len(strata)))
    kinds = [str(k) for k in rng.permutation(list(KINDS))]
    clean = int(rng.integers(n_houses))
    houses_rows: list[dict] = []
    rows_rows: list[dict] = []
    labels: list[Label] = []
    specs = []
    for j in range(n_houses):
        lo, hi = strata[(j + offset) % len(strata)]
        age = float(rng.uniform(lo, max(lo, hi)))
        spec = draw_house(rng, f"house-{j + 1:02d}", start, age_weeks=age, rows=rows)
        specs.append(spec)
        incidents: list[Incident] = []
        if j != clean:
            n = int(rng.integers(2, 5))
            mine = [kinds.pop() if kinds else str(rng.choice(list(KINDS))) for _ in range(n)]
            incidents = plan_incidents(rng, spec, mine, start_s, days, spec.traits.level, weather)
        model = HouseModel(
            spec, incidents, seed * 1000 + j, start_s, end_s, utc_offset_s=UTC_OFFSET_S, weather=weather
        )
        h, r = house_hours(model, start_s, end_s)
        houses_rows += h
        rows_rows += r
        labels += [label_of(inc, spec) for inc in incidents]
    houses_rows.sort(key=lambda x: (x["ts"], x["house"]))
    rows_rows.sort(key=lambda x: (x["ts"], x["house"], x["row"]))
    labels.sort(key=lambda lb: (lb.onset, lb.house))
    park = Park(houses=tuple(s.house for s in specs))
    return Scenario(name, seed, houses_rows, rows_rows, labels, park)


def make_suite(seed: int, n_houses: int = 6, days: int = 120, rows: int | None = None) -> list[Scenario]:
    """Several varied, labelled scenarios that together cover every incident kind (and clean houses)."""
    suite = [
        make_scenario(f"suite-{seed}-{k + 1}", seed * 100 + k, n_houses, days, rows=rows)
        for k in range(SCENARIOS_PER_SUITE)
    ]
    return suite


__all__ = ["Label", "Scenario", "iso", "make_scenario", "make_suite"]
