"""One house over a horizon: daily draws once, then any window at any step (minute or hour).

:class:`HouseModel` draws everything random per day up front (weather, production noise, drift,
deaths), so evaluating a window is a pure function of the window: an hourly run and a minute run
of the same seed agree, and the demo can simulate "now" window after window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eggwatch.breeds import curve
from simulator import profiles
from simulator.belts import BeltMotion
from simulator.incidents import DAY, H, Incident
from simulator.spec import HouseSpec
from simulator.weather import Weather

RECORD_HOUR = 8.0  # local hour of the daily dead-bird walk, when the hen count is updated
METER_STEP_S = 60.0


def _hours(t: dt.time) -> float:
    return t.hour + t.minute / 60.0


@dataclass
class HouseFrame:
    """A window on a step grid: ``t_s`` has the n+1 step edges; per-step arrays have n values."""

    t_s: np.ndarray  # step edges, epoch s
    eggs_counter: np.ndarray  # (n+1, rows) row counter readings (resets where a counter was replaced)
    eggs_laid: np.ndarray  # (n+1, rows) cumulative eggs laid (truth, before counting)
    water_l: np.ndarray  # (n+1,) water meter reading
    feed_used_kg: np.ndarray  # (n+1,) cumulative feed drawn from the silo
    hens: np.ndarray  # (n+1,) hens on the controller's count
    age_weeks: np.ndarray  # (n+1,)
    temp_c: np.ndarray  # (n,) house temperature in the step
    outdoor_c: np.ndarray  # (n,)
    lit: np.ndarray  # (n,) bool, lights on
    offline: np.ndarray  # (n,) bool, the gateway reports nothing in this step


class HouseModel:
    """Daily state of one house between ``start_s`` and ``end_s`` (epoch s, UTC)."""

    def __init__(
        self,
        spec: HouseSpec,
        incidents: Sequence[Incident],
        seed: int,
        start_s: float,
        end_s: float,
        *,
        utc_offset_s: float = 8 * H,
        weather: Weather | None = None,
    ) -> None:
        self.spec = spec
        self.incidents = list(incidents)
        self.utc_offset_s = utc_offset_s
        house, tr = spec.house, spec.traits
        rng = np.random.default_rng(seed)
        self.curve = curve(house.breed)
        self.weather = weather or Weather(
            np.random.default_rng([seed, 1]), start_s - 3 * DAY, end_s + 3 * DAY
        )

        # Local calendar days covering the horizon (with margin for belts and late layers).
        first = dt.datetime.fromtimestamp(start_s + utc_offset_s, dt.UTC).date() - dt.timedelta(days=2)
        n_days = int((end_s - start_s) // DAY) + 5
        self.dates = [first + dt.timedelta(days=i) for i in range(n_days)]
        epoch0 = dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC).timestamp()
        self.midnight_s = epoch0 - utc_offset_s + DAY * np.arange(n_days)
        self.t0, self.t1 = float(self.midnight_s[0]), float(self.midnight_s[-1] + DAY)

        lights_h = np.full(n_days, _hours(house.lights_on))
        for inc in self.incidents:
            if inc.lights_shift_h is not None:
                lights_h[self.midnight_s + lights_h * H > inc.onset_s] += inc.lights_shift_h
        self.day_start_s = self.midnight_s + lights_h * H
        self.lights_hours = house.lights_hours
        placed_s = epoch0 + (house.placed - first).days * DAY - utc_offset_s
        self.placed_s = placed_s
        self.age_at_day = house.age_weeks_at_placement + (self.day_start_s - placed_s) / (7 * DAY)

        self._draw_hens(rng)
        self._draw_production(rng)
        self._draw_water_feed(rng)
        self.belt = self._belt()
        self.lay_profile = profiles.laying(tr.lay_start_h, tr.lay_shape, tr.lay_scale_h, self.lights_hours)
        self.water_profile = profiles.water(self.lights_hours)
        self.feed_profile = profiles.feeding(self.lights_hours, tr.feed_runs)
        self._meters(rng)

    # --- daily draws --------------------------------------------------------------------------
    def _bumps(self, name: str, t_s: np.ndarray) -> np.ndarray:
        out = np.zeros_like(t_s, dtype=np.float64)
        for inc in self.incidents:
            b = getattr(inc, name)
            if b is not None:
                out += b.at(t_s)
        return out

    def _draw_hens(self, rng: np.random.Generator) -> None:
        house, tr = self.spec.house, self.spec.traits
        c = self.curve
        a0 = house.age_weeks_at_placement
        age = self.age_at_day
        cm = np.nan_to_num(c.cum_mortality(np.maximum(age, a0)))
        cm0 = float(np.nan_to_num(c.cum_mortality(a0)))
        daily_q = np.maximum(np.diff(cm, append=cm[-1] + (cm[-1] - cm[-2])), 0) / 100.0 * tr.mortality_level
        daily_q = np.where(self.day_start_s >= self.placed_s, daily_q, 0.0)
        extra = 1.0 + self._bumps("mortality_x", self.day_start_s)
        placed = self.day_start_s >= self.placed_s
        # Hens at the horizon start: placed minus the guide's mortality since placement.
        start_alive = float(house.hens_placed) * (1.0 - (cm[0] - cm0) / 100.0 * tr.mortality_level)
        alive = start_alive if placed[0] else 0.0
        self._hens0 = alive
        times, deltas = [], []  # hen-count changes: (time, birds gone); a placement is negative
        deaths = np.zeros(len(age), dtype=np.int64)
        depop = [inc.depopulation for inc in self.incidents if inc.depopulation is not None]
        self.row_weight = np.tile(np.array(tr.row_share), (len(age), 1))
        for i in range(len(age)):
            if placed[i] and alive == 0.0 and (i == 0 or not placed[i - 1]):  # pullets arrive
                alive = float(house.hens_placed)
                times.append(self.placed_s)
                deltas.append(-alive)
            deaths[i] = rng.poisson(alive * daily_q[i] * extra[i]) if alive > 0 else 0
            alive -= deaths[i]
            times.append(self.midnight_s[i] + RECORD_HOUR * H)
            deltas.append(float(deaths[i]))
            for _start, end, share, rows in depop:
                if self.midnight_s[i] <= end < self.midnight_s[i] + DAY:
                    if rows:
                        share = float(np.sum(self.row_weight[i, list(rows)]) / self.row_weight[i].sum())
                        self.row_weight[i + 1 :, list(rows)] = 0.0
                    removed = round(alive * share)
                    alive -= removed
                    times.append(end)
                    deltas.append(float(removed))
        self.deaths = deaths
        order = np.argsort(times, kind="stable")
        self._hen_t = np.array(times)[order]
        self._hen_cum = np.cumsum(np.array(deltas)[order])

    def hens_at(self, t_s: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self._hen_t, t_s, side="right") - 1
        gone = np.where(k >= 0, self._hen_cum[np.clip(k, 0, None)], 0.0)
        return np.round(self._hens0 - gone)

    def _draw_production(self, rng: np.random.Generator) -> None:
        tr = self.spec.traits
        n, rows = len(self.age_at_day), self.spec.house.rows
        drift = np.zeros(n)
        noise = np.zeros(n)
        for i in range(1, n):  # slow drift (AR 0.98) and day-to-day house noise (AR 0.3)
            drift[i] = 0.98 * drift[i - 1] + rng.normal(0, tr.drift_sd)
            noise[i] = 0.3 * noise[i - 1] + rng.normal(0, tr.house_noise_sd)
        row_noise = rng.normal(0, tr.row_noise_sd, (n, rows)).clip(-0.5, 0.5)
        drop = self._bumps("egg_drop_points", self.day_start_s + 1 * H)
        std = self.curve.hen_day(self.age_at_day)
        self.hen_day_pct = np.clip(std * tr.level * (1 + drift) * (1 + noise) - drop, 0.0, 99.0)
        self.standard_hd = std
        hens = self.hens_at(self.day_start_s)
        weight = self.row_weight / np.maximum(self.row_weight.sum(axis=1, keepdims=True), 1e-9)
        self.eggs_day = hens[:, None] * weight * self.hen_day_pct[:, None] / 100.0 * (1 + row_noise)
        self.lay_jitter_s = rng.normal(0, 300, n)

    def _draw_water_feed(self, rng: np.random.Generator) -> None:
        tr = self.spec.traits
        n = len(self.age_at_day)
        hourly = (self.midnight_s[:, None] + H * (np.arange(24) + 0.5)).ravel()
        tmean = self.house_temp(hourly).reshape(n, 24).mean(axis=1)
        self.house_tmean = tmean
        hens = self.hens_at(self.day_start_s)
        water_f = 1.0 + 0.035 * np.maximum(tmean - 22.0, 0.0)
        feed_f = 1.0 - 0.012 * np.maximum(tmean - 25.0, 0.0)
        w = hens * self.curve.water_ml(self.age_at_day) / 1000.0 * tr.water_level * water_f
        f = hens * self.curve.feed_g(self.age_at_day) / 1000.0 * tr.feed_level * feed_f
        self.water_day = (w * (1 + rng.normal(0, 0.03, n)))[:, None]
        self.feed_day = (f * (1 + rng.normal(0, 0.02, n)))[:, None]

    def _belt(self) -> BeltMotion:
        house, tr = self.spec.house, self.spec.traits
        delays = [inc.collection_delay for inc in self.incidents if inc.collection_delay is not None]
        if not house.collection:
            stops = [(t, t + d) for t, d in delays]
            return BeltMotion.continuous(tr.transit_h * H, stops, self.t0 - DAY, self.t1 + DAY)
        runs: list[float] = sorted(
            float(m + _hours(c) * H) for m in self.midnight_s for c in house.collection
        )
        for at, delay in delays:
            moved = [r for r in runs if at <= r < at + delay]
            if moved:
                runs = [r for r in runs if r not in moved] + [at + delay]
        dur = tr.belt_run_min * 60.0
        merged: list[tuple[float, float]] = []
        for r in sorted(runs):
            if merged and r < merged[-1][0] + merged[-1][1]:
                continue
            merged.append((r, dur))
        return BeltMotion.scheduled(merged, self.t0 - DAY, self.t1 + DAY)

    def _meters(self, rng: np.random.Generator) -> None:
        """Water meter and feed draw on a one-minute grid over the horizon, once.

        Incidents cut intake at given times and the meter has noise; integrating both once makes
        the meter a fixed function of time, so consecutive windows join without a step.
        """
        grid = np.arange(self.t0, self.t1 + METER_STEP_S, METER_STEP_S)
        mid = grid[:-1] + METER_STEP_S / 2
        n = len(mid)
        hourly = np.repeat(1 + rng.normal(0, 0.04, n // 60 + 1), 60)[:n]
        minute = np.clip(1 + rng.normal(0, 0.15, n), 0, None)
        water = np.diff(profiles.cumulative(grid, self.day_start_s, self.water_day, self.water_profile)[:, 0])
        water *= self._intake_factor("water_cut", mid) * hourly * minute
        feed = np.diff(profiles.cumulative(grid, self.day_start_s, self.feed_day, self.feed_profile)[:, 0])
        feed *= self._intake_factor("feed_cut", mid)
        self._grid = grid
        self._water_cum = self.spec.traits.water_meter_start + np.concatenate([[0.0], np.cumsum(water)])
        self._feed_cum = np.concatenate([[0.0], np.cumsum(feed)])

    def feed_cut(self, t_s: np.ndarray) -> np.ndarray:
        """Share of feed intake lost to incidents at ``t_s``."""
        return self._bumps("feed_cut", t_s)

    def water_meter(self, t_s: np.ndarray) -> np.ndarray:
        return np.interp(t_s, self._grid, self._water_cum)

    def feed_used(self, t_s: np.ndarray) -> np.ndarray:
        return np.interp(t_s, self._grid, self._feed_cum)

    # --- continuous-time quantities -----------------------------------------------------------
    def outdoor_temp(self, t_s: np.ndarray) -> np.ndarray:
        return self.weather.temp_c(t_s, self.utc_offset_s) + self._bumps("outdoor_heat_c", t_s)

    def house_temp(self, t_s: np.ndarray) -> np.ndarray:
        """Ventilation holds the set point until the outdoor air is too warm to cool with."""
        sp = self.spec.traits.setpoint_c
        out = self.outdoor_temp(t_s)
        return sp + 0.35 * np.maximum(out - (sp - 6.0), 0.0) - 0.06 * np.maximum(-out, 0.0)

    def lit(self, t_s: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(self.day_start_s, t_s, side="right") - 1, 0, None)
        on = (t_s >= self.day_start_s[k]) & (t_s < self.day_start_s[k] + self.lights_hours * H)
        for inc in self.incidents:
            if inc.dark is not None:
                on &= ~((t_s >= inc.dark[0]) & (t_s < inc.dark[1]))
        return on

    def laid(self, t_s: np.ndarray) -> np.ndarray:
        """Cumulative eggs laid per row at ``t_s``."""
        return profiles.cumulative(t_s, self.day_start_s + self.lay_jitter_s, self.eggs_day, self.lay_profile)

    def _intake_factor(self, name: str, t_s: np.ndarray) -> np.ndarray:
        f = np.clip(1.0 - self._bumps(name, t_s), 0.0, 1.0)
        dark_lit = ~self.lit(t_s) & self._scheduled_lit(t_s)
        return np.where(dark_lit, f * 0.15, f)  # hens hardly eat or drink in the dark

    def _scheduled_lit(self, t_s: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(self.day_start_s, t_s, side="right") - 1, 0, None)
        return (t_s >= self.day_start_s[k]) & (t_s < self.day_start_s[k] + self.lights_hours * H)

    def counters(self, t_s: np.ndarray) -> np.ndarray:
        """Row counter readings at ``t_s``: belt timing, counter efficiency, faults, replacements."""
        tr = self.spec.traits
        faults = [inc.counter_fault for inc in self.incidents if inc.counter_fault is not None]
        extra = np.array([x for f in faults for x in (f.start_s, f.end_s)], dtype=np.float64)
        allt = np.concatenate([t_s, extra])
        counted = self.belt.counted(allt, self.laid) * np.array(tr.counter_eff)
        c, at = counted[: len(t_s)], counted[len(t_s) :]
        obs = c + np.array(tr.counter_start, dtype=np.float64)
        for k, f in enumerate(faults):
            r = f.row
            cs, ce = at[2 * k, r], at[2 * k + 1, r]
            inside = (t_s >= f.start_s) & (t_s < f.end_s)
            after = t_s >= f.end_s
            lost = (1.0 - f.fraction) * (ce - cs)
            obs[inside, r] -= (1.0 - f.fraction) * (c[inside, r] - cs)
            if f.replaced:
                obs[after, r] = c[after, r] - ce
            else:
                obs[after, r] -= lost
        return np.floor(obs)

    def offline(self, t_s: np.ndarray) -> np.ndarray:
        off = np.zeros(len(t_s), dtype=bool)
        for inc in self.incidents:
            if inc.gap is not None:
                off |= (t_s >= inc.gap[0]) & (t_s < inc.gap[1])
        return off

    # --- windows ------------------------------------------------------------------------------
    def frame(self, start_s: float, end_s: float, step_s: float, seed: int = 0) -> HouseFrame:
        """Evaluate ``[start_s, end_s)`` on a grid of ``step_s``; ``seed`` varies the meter noise."""
        n = round((end_s - start_s) / step_s)
        t = start_s + step_s * np.arange(n + 1)
        mid = t[:-1] + step_s / 2
        rng = np.random.default_rng([seed, int(start_s), int(step_s)])
        house = self.spec.house
        return HouseFrame(
            t_s=t,
            eggs_counter=self.counters(t),
            eggs_laid=self.laid(t),
            water_l=self.water_meter(t),
            feed_used_kg=self.feed_used(t),
            hens=self.hens_at(t),
            age_weeks=house.age_weeks_at_placement + (t - self.placed_s) / (7 * DAY),
            temp_c=self.house_temp(mid) + rng.normal(0, 0.15, n),
            outdoor_c=self.outdoor_temp(mid),
            lit=self.lit(mid),
            offline=self.offline(mid),
        )
