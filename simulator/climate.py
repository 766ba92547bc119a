"""House climate and bird weight, derived from the weather, the ventilation and the flock.

Ventilation follows the outdoor temperature: minimum ventilation in winter (warm, stale air: high
CO2 and NH3), tunnel ventilation in summer (fresh air, more negative static pressure).  Ammonia
builds up between manure-belt runs.  The platform scale weighs the birds that step on it.
"""

from __future__ import annotations

import numpy as np

from simulator.house import HouseFrame, HouseModel
from simulator.incidents import DAY

# Approximate body weight of brown layers (Hy-Line Brown guide, kg) by age in weeks.
_WEIGHT_WEEKS = np.array([16, 17, 18, 20, 22, 24, 26, 30, 40, 50, 60, 70, 80, 100], dtype=np.float64)
_WEIGHT_KG = np.array([1.33, 1.42, 1.50, 1.64, 1.75, 1.83, 1.88, 1.93, 1.97, 1.99, 2.00, 2.01, 2.02, 2.03])
MANURE_EVERY_S = 2 * DAY  # manure belts run every other day


def ventilation(model: HouseModel, outdoor_c: np.ndarray) -> np.ndarray:
    """Share of the maximum ventilation (0.08 in the cold → 1 in the heat)."""
    sp = model.spec.traits.setpoint_c
    return np.clip((outdoor_c - (sp - 12.0)) / 16.0, 0.08, 1.0)


def climate(model: HouseModel, f: HouseFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-step gauges of the climate controller (same length as ``f.temp_c``)."""
    mid = (f.t_s[:-1] + f.t_s[1:]) / 2
    n = len(mid)
    vent = ventilation(model, f.outdoor_c)
    stocking = f.hens[:-1] / max(model.spec.house.hens_placed, 1)
    outdoor_rh = model.weather.rh_pct(mid, model.utc_offset_s)
    rh = 58.0 + 0.25 * (outdoor_rh - 55.0) + 12.0 * (1 - vent) * stocking - 0.8 * (f.temp_c - 24.0)
    co2 = 450.0 + 2600.0 * stocking * (0.08 / vent) ** 0.7
    since_manure = (mid - model.t0) % MANURE_EVERY_S / MANURE_EVERY_S
    nh3 = (2.0 + 10.0 * stocking * (0.08 / vent) ** 0.6) * (0.7 + 0.6 * since_manure)
    pressure = -(6.0 + 28.0 * vent)
    lux = np.where(f.lit, 20.0, 0.0)
    return {
        "temp_c": f.temp_c,
        "outdoor_temp_c": f.outdoor_c + rng.normal(0, 0.1, n),
        "rh_pct": np.clip(rh + rng.normal(0, 0.8, n), 5.0, 99.0),
        "co2_ppm": np.clip(co2 * (1 + rng.normal(0, 0.03, n)), 400.0, 9000.0),
        "nh3_ppm": np.clip(nh3 * (1 + rng.normal(0, 0.05, n)), 0.0, 100.0),
        "static_pressure_pa": pressure + rng.normal(0, 0.6, n),
        "light_lux": np.clip(lux + np.where(f.lit, rng.normal(0, 0.5, n), 0.0), 0.0, None),
    }


def bird_weight(model: HouseModel, f: HouseFrame, rng: np.random.Generator) -> np.ndarray:
    """Average bird weight on the platform scale (g), per step."""
    age = (f.age_weeks[:-1] + f.age_weeks[1:]) / 2
    kg = np.interp(age, _WEIGHT_WEEKS, _WEIGHT_KG) * model.spec.traits.weight_level
    mid = (f.t_s[:-1] + f.t_s[1:]) / 2
    sick = 1.0 - 0.3 * np.clip(model.feed_cut(mid), 0, 1)  # birds that eat less lose weight
    return 1000.0 * kg * sick + rng.normal(0, 15.0, len(age))
