"""Hourly rows in the detector's offline format (CONTRACTS §6) from a simulated house.

Hours the gateway was offline are blank; what the meters and counters counted meanwhile shows up
in the first hour after, as it does when the gateway's readings resume.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simulator.house import HouseModel

HOUR = 3600.0


def iso(t_s: float) -> str:
    return dt.datetime.fromtimestamp(t_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _since_last_report(cum: np.ndarray, offline: np.ndarray) -> np.ndarray:
    """Per step: increase since the end of the last reported step (NaN while offline)."""
    n = len(offline)
    reported_edge = np.where(~offline, np.arange(1, n + 1), 0)
    last = np.maximum.accumulate(np.concatenate([[0], reported_edge]))[:-1]
    start = np.where(np.arange(n) > 0, last, 0)
    d = cum[1:] - cum[start]
    # A counter that restarted from zero (replaced) counts its new reading since the restart.
    d = np.where(d < 0, cum[1:], d)
    return np.where(offline[:, None] if d.ndim == 2 else offline, np.nan, d)


def house_hours(model: HouseModel, start_s: float, end_s: float) -> tuple[list[dict], list[dict]]:
    """Rows of H.csv and R.csv for ``[start_s, end_s)`` (hour-aligned)."""
    f = model.frame(start_s, end_s, HOUR)
    unit = model.spec.house.unit
    water = _since_last_report(f.water_l, f.offline)
    feed = _since_last_report(f.feed_used_kg, f.offline)
    eggs = _since_last_report(f.eggs_counter, f.offline)
    rows_ids = model.spec.house.row_ids
    h_rows: list[dict] = []
    r_rows: list[dict] = []
    for k in range(len(f.offline)):
        ts = iso(f.t_s[k])
        off = bool(f.offline[k])
        h_rows.append(
            {
                "ts": ts,
                "house": unit,
                "hens": int(f.hens[k]),
                "age_weeks": round(float(f.age_weeks[k]), 3),
                "water_l": None if off else round(float(water[k]), 1),
                "feed_kg": None if off else round(float(feed[k]), 1),
                "temp_c": None if off else round(float(f.temp_c[k]), 1),
            }
        )
        for j, row in enumerate(rows_ids):
            r_rows.append({"ts": ts, "house": unit, "row": row, "eggs": None if off else int(eggs[k, j])})
    return h_rows, r_rows
