"""The demo's simulated park, and what a second run needs to continue it (``<data dir>/demo/``).

The park is a pure function of (seed, origin): ``state.json`` keeps both plus how far the
simulation has been fed, so a second run rebuilds the same park and continues its counters where
the first run stopped (the time in between is backfilled, like a gateway replaying its spool).
The injected demo incident is planned on the first run and kept in the state too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from eggwatch.settings import ConfigError
from simulator.incidents import DAY, Bump, H, Incident
from simulator.park_sim import ParkSim

log = logging.getLogger(__name__)
HORIZON_DAYS = 120  # one park covers this many days from its origin
STATE_VERSION = 1


@dataclass
class DemoState:
    seed: int
    houses: int
    origin: str  # ISO date: the park's first (local) day
    fed_until_s: float  # simulated readings published up to here
    incident_house: str | None = None
    incident_water_s: float | None = None  # water starts to fall
    incident_eggs_s: float | None = None  # eggs start to fall

    @classmethod
    def load(cls, path: Path) -> DemoState | None:
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text())
            if doc.pop("version", None) != STATE_VERSION:
                raise ValueError("unknown version")
            return cls(**doc)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}: unreadable demo state ({exc}); delete it to start afresh") from None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": STATE_VERSION, **asdict(self)}, indent=1))
        tmp.replace(path)


def disease_incident(water_s: float, eggs_s: float) -> Incident:
    """An acute disease outbreak: water and feed fall first, eggs fall ~25 points half a day later."""
    eggs = Bump(eggs_s, 4 * H, 6 * DAY, 6 * DAY, 25.0)
    water = Bump(water_s, 6 * H, 7 * DAY, 4 * DAY, 0.22)
    feed = Bump(water_s + 2 * H, 6 * H, 7 * DAY, 4 * DAY, 0.18)
    return Incident("disease", water_s, True, eggs.end_s, eggs, water, feed,
                    mortality_x=Bump(water_s, DAY, 5 * DAY, 3 * DAY, 4.0))  # fmt: skip


INCIDENT_WITHIN_DAYS = 3.0  # plan_incident: the eggs fall at most this long before the history ends


def plan_incident(
    sim: ParkSim, history_start_s: float, history_end_s: float
) -> tuple[str, float, float] | None:
    """Eggs fall on the last (or, with history enough, the last but one) laying day whose eggs are
    collected before the history ends; water and feed fall 10 h earlier (at least 2 h when the
    history is too short for that)."""
    units = list(sim.houses)
    unit = units[min(2, len(units) - 1)]
    model = sim.houses[unit]
    # lights-on of laying days mostly laid and counted (lights-on + 12 h) before the history ends
    days = model.day_start_s[(model.day_start_s + 12 * H <= history_end_s)]
    if not len(days):
        return None
    # A day earlier when the history allows: a full day of low counts shows in the hen-day too.
    if len(days) >= 2 and days[-2] - 5 * H >= history_start_s + 16 * H:
        days = days[:-1]
    eggs_s = float(days[-1]) - 5 * H  # the drop is complete when that day's laying starts
    if eggs_s < history_start_s + 3 * H:
        return None
    water_s = max(eggs_s - 10 * H, min(history_start_s + H, eggs_s - 2 * H))
    return unit, water_s, eggs_s


def local_midnight_s(day: dt.date, utc_offset_s: float = 8 * H) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() - utc_offset_s


def build_sim(state: DemoState, site: str) -> ParkSim:
    origin = dt.date.fromisoformat(state.origin)
    incidents: dict[str, list[Incident]] = {}
    if state.incident_house and state.incident_water_s and state.incident_eggs_s:
        incidents[state.incident_house] = [disease_incident(state.incident_water_s, state.incident_eggs_s)]
    # 8 rows: the egg-counter stub has 8 counters (one per row).
    return ParkSim.generate(state.seed, origin, HORIZON_DAYS, n_houses=state.houses, site=site, rows=8,
                            incidents=incidents)  # fmt: skip


def prepare(
    path: Path, seed: int, houses: int, history_days: float, now_s: float, site: str, warmup_days: float = 0.0
) -> tuple[DemoState, ParkSim, float, float]:
    """Load or create the demo state.

    Returns the state, the park, where the backfill starts and where its full-resolution part
    starts: a new park gets ``warmup_days`` before the requested history (10-minute readings, so the
    detector has the baseline it needs to judge a house).
    """
    state = DemoState.load(path)
    if state is not None and (state.seed != seed or state.houses != houses):
        log.warning(
            "demo state in %s was made with seed %d / %d houses: starting a new park",
            path,
            state.seed,
            state.houses,
        )
        state = None
    if state is not None:
        end = local_midnight_s(dt.date.fromisoformat(state.origin)) + (HORIZON_DAYS - 2) * DAY
        if now_s >= end:
            log.warning(
                "the simulated park of %s has reached its %d-day horizon: starting a new one",
                state.origin,
                HORIZON_DAYS,
            )
            state = None
    if state is None:
        start_s = float(np.floor(now_s - history_days * DAY))
        warm_s = start_s - warmup_days * DAY
        origin = (dt.datetime.fromtimestamp(warm_s, dt.UTC) + dt.timedelta(hours=8)).date() - dt.timedelta(
            days=1
        )
        state = DemoState(seed, houses, origin.isoformat(), fed_until_s=warm_s)
        sim = build_sim(state, site)
        # A short history may let the incident begin in the warm-up (it has the baseline already).
        plan = plan_incident(sim, start_s - (12 * H if warmup_days >= 0.5 else 0.0), now_s)
        if plan is not None:
            state.incident_house, state.incident_water_s, state.incident_eggs_s = plan
            sim = build_sim(state, site)
        state.save(path)
        return state, sim, warm_s, start_s
    sim = build_sim(state, site)
    # Resume: backfill the time the demo was off (at most the requested history, or a week).
    start_s = float(np.floor(max(state.fed_until_s, now_s - max(history_days, 7.0) * DAY)))
    return state, sim, start_s, start_s
