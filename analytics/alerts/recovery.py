"""The recovery signal: has the figure behind an alert come back?

The detector reports one alert per event and does not repeat it while it lasts, so recovery is
judged here, on the same hourly frame the pass loaded: the figure over the trailing window
(``recovery_hours``, which must lie entirely after ``detected_at``) against the same clock hours
of the 7 days before the onset (median), so the laying-time pattern and belt collections cancel
out.  Figures are per hen, so a partial depopulation does not hold an alert open.

- ``laying_drop``: eggs of the house per hen;   ``sensor_fault``: the row's share of the house's eggs
  (without a row, every counter stopped: the house's eggs per hen) — for a counter that counted too
  many (cause ``counter_high``) the share must come *down* to the baseline, not up; for one stuck
  at a figure (``counter_stuck``, a share of any size) it must be within the tolerance either way
  and the count no longer stuck; for a water or feed meter stuck at a figure (``water_meter_stuck``,
  ``feed_meter_stuck``, no row) water or feed per hen, within the tolerance either way, the meter no
  longer stuck; for a temperature probe stuck at a figure (``temp_probe_stuck``, no row) the probe
  reading again: no longer stuck, and its figure changing within the window;
- ``water_drop`` / ``feed_drop``: water / feed per hen;
- ``heat_stress``: the house's mean temperature, back within ``HEAT_BACK_C`` of the baseline (the
  detector alarms at a rise of 2-2.5 °C, so this is its hysteresis).

Recovered when the shortfall against that baseline is below ``TOLERANCE[kind]``.  ``None`` means
"cannot tell yet" (too soon, too little data, unknown unit or kind): the alert stays open.  So does
a window that on the baseline days held less than half of an even share of the day's figure
(``MIN_EVEN_SHARE``): twelve quiet hours and the first of the next belt run are a sliver of the
day whose eggs come and go with the run's timing (the demo's 25-point disease drop "recovered"
a day after detection: 1.5 % eggs per hen in that window against 0.8 %).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from analytics.alerts.models import stored_row
from analytics.detector.alerts import COUNTER_HIGH, COUNTER_STUCK, METER_STUCK, PROBE_STUCK
from analytics.detector.stuck import stuck_counts
from analytics.detector.stuck_meters import stuck_meter
from analytics.detector.stuck_probes import stuck_probe

TOLERANCE = {"laying_drop": 0.02, "sensor_fault": 0.10, "water_drop": 0.05, "feed_drop": 0.05}
BASELINE_DAYS = 7
MIN_BASELINE_DAYS = 3
# A stuck meter's cause → its column and the figure its recovery is judged on.
STUCK_METER_FIGURES = {
    METER_STUCK["water_l"]: ("water_l", "water_drop"),
    METER_STUCK["feed_kg"]: ("feed_kg", "feed_drop"),
}
MIN_EVEN_SHARE = 0.5  # the window's part of the day / its part of 24 hours, on the baseline days
# heat_stress is judged in °C, not per hen: without a verdict its alert stayed open for ever, and
# the next heat wave only refreshed it (no message to anyone).
HEAT_BACK_C = 1.0
JUDGED = frozenset(TOLERANCE) | {"heat_stress"}


def _figure(frame: Any, h: int, kind: str, row: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Numerator and denominator per hour; a window's figure is sum(num) / sum(den)."""
    eggs = frame.eggs[h]  # [row, hour]
    counted = ~np.isnan(eggs).all(axis=0)
    house_eggs = np.where(counted, np.nansum(eggs, axis=0), np.nan)
    if kind == "laying_drop":
        return house_eggs, frame.hens[h]
    if kind == "sensor_fault":
        if row is None:  # every counter of the house stopped: back once the house counts again
            return house_eggs, frame.hens[h]
        r = frame.row_index(h, row)
        return None if r is None else (eggs[r], house_eggs)
    if kind == "water_drop":
        return frame.water_l[h], frame.hens[h]
    if kind == "feed_drop":
        return frame.feed_kg[h], frame.hens[h]
    if kind == "heat_stress":  # the mean temperature over the window's hours with a reading
        return frame.temp_c[h], np.ones_like(frame.temp_c[h])
    return None


def _window(fig: tuple[np.ndarray, np.ndarray], lo: int, hi: int, amounts: bool = True) -> float:
    num, den = fig[0][lo:hi], fig[1][lo:hi]
    good = np.isfinite(num) & np.isfinite(den)
    if good.sum() * 2 < len(num):  # under half the hours with data: no verdict
        return math.nan
    if amounts:
        return _amounts(fig, lo, hi)
    total = float(np.sum(den[good]))
    return float(np.sum(num[good])) / total if total > 0 else math.nan


def _amounts(fig: tuple[np.ndarray, np.ndarray], lo: int, hi: int) -> float:
    """An amount's figure over ``[lo, hi)``: sums, not hourly ratios (hours without laying count
    as such).  The first hour after blank hours holds what was counted in them (back-fill), so it
    is divided by the hours it covers, back to the last hour with a figure, even before ``lo`` (a
    6 h gateway gap over a belt run, divided by one hour of hens, "recovered" a laying drop 2 days
    early); blank hours at the end, not back-filled yet, may hold anything: no verdict."""
    num, den = fig
    if np.isnan(num[hi - 1]):
        return math.nan
    seen = np.flatnonzero(np.isfinite(num[:lo]))
    # A first figure with nothing before it is no back-fill (the loaders leave such an hour blank).
    first = int(seen[-1]) + 1 if seen.size else lo  # where the hours it counted start
    counted, hours = num[lo:hi], den[first:hi]
    total = float(np.sum(hours[np.isfinite(hours)]))
    return float(np.sum(counted[np.isfinite(counted)])) / total if total > 0 else math.nan


def _day_share(num: np.ndarray, lo: int, hi: int) -> float:
    """The part of the 24 hours ending at ``hi`` that ``[lo, hi)`` holds (NaN: nothing that day)."""
    day = num[max(0, hi - 24) : hi]
    total = float(np.sum(day[np.isfinite(day)]))
    part = num[lo:hi]
    return float(np.sum(part[np.isfinite(part)])) / total if total > 0 else math.nan


def _trailing(
    frame: Any, detected_at: dt.datetime, data_end: dt.datetime, recovery_hours: int
) -> tuple[int, int] | None:
    """The trailing window ``[lo, end)`` recovery is judged on; None while it still reaches back
    before the detection (too soon to judge)."""
    end = min(frame.index_of(data_end), frame.n_hours)
    lo = end - recovery_hours
    if lo < frame.index_of(detected_at) or lo < 0:
        return None
    return lo, end


def _probe_reads_again(frame: Any, h: int, lo: int, end: int) -> bool | None:
    """A stuck temperature probe is back once, over the trailing window, it is no longer stuck and
    its figure has changed (``None``: too few readings to say)."""
    temp = frame.temp_c[h, lo:end]
    known = temp[~np.isnan(temp)]
    if known.size < (end - lo) / 2:
        return None
    still = bool(stuck_probe(frame.temp_c[:, :end])[h, lo:end].any())
    return not still and np.unique(known).size > 1


def _frame_row(frame: Any, h: int, stored: str) -> str | None:
    """House ``h``'s row whose name ``alert.row`` holds as ``stored`` (None: none, or several).  A
    device id over 64 characters is stored clipped: looked up as such, it was never found and its
    alert never auto-resolved."""
    if frame.row_index(h, stored) is not None:
        return stored
    names = frame.row_names[h] if frame.row_names else frame.rows
    matches = [name for name in names if name and stored_row(name) == stored]
    return matches[0] if len(matches) == 1 else None


def recovered(
    frame: Any,
    unit: str,
    kind: str,
    row: str | None,
    onset: dt.datetime | None,
    detected_at: dt.datetime,
    data_end: dt.datetime,
    recovery_hours: int,
    cause: str | None = None,
) -> bool | None:
    if unit not in frame.houses or kind not in JUDGED:
        return None
    h = frame.houses.index(unit)
    if row is not None:
        row = _frame_row(frame, h, row) or row
    window = _trailing(frame, detected_at, data_end, recovery_hours)
    if kind == "sensor_fault" and cause == PROBE_STUCK:
        return None if window is None else _probe_reads_again(frame, h, *window)
    # A stuck meter's alert is judged on the meter's own figure (water or feed per hen).
    meter = STUCK_METER_FIGURES.get(cause or "") if kind == "sensor_fault" else None
    fig = _figure(frame, h, meter[1] if meter else kind, row)
    if fig is None or window is None:
        return None
    lo, end = window
    t_onset = frame.index_of(onset or detected_at)
    k0 = max(1, math.ceil((end - t_onset) / 24))  # first whole-day shift that ends before the onset
    days = [k for k in range(k0, k0 + BASELINE_DAYS) if lo - 24 * k >= 0]
    amounts = kind != "heat_stress"  # a temperature is no amount: nothing is back-filled
    base = [b for b in (_window(fig, lo - 24 * k, end - 24 * k, amounts) for k in days) if math.isfinite(b)]
    now = _window(fig, lo, end, amounts)
    if len(base) < MIN_BASELINE_DAYS or not math.isfinite(now):
        return None
    shares = [s for s in (_day_share(fig[0], lo - 24 * k, end - 24 * k) for k in days) if math.isfinite(s)]
    if not shares or float(np.median(shares)) < MIN_EVEN_SHARE * (end - lo) / 24:
        return None  # the window holds too little of a day to say
    baseline = float(np.median(base))
    if kind == "heat_stress":  # in °C: a baseline may be at or below 0 (a cold house in winter)
        return now <= baseline + HEAT_BACK_C
    if baseline <= 0:
        return None
    if kind == "sensor_fault" and cause == COUNTER_HIGH:
        return now <= baseline * (1.0 + TOLERANCE[kind])
    # A stuck counter or meter: back once no longer stuck, and within the tolerance either way (a
    # stuck share or amount may be of any size).
    still: bool | None = None
    if meter is not None:
        still = bool(stuck_meter(getattr(frame, meter[0])[h : h + 1])[0, lo:end].any())
    elif kind == "sensor_fault" and cause == COUNTER_STUCK and row is not None:
        still = bool(stuck_counts(frame.eggs[h : h + 1])[0, frame.row_index(h, row), lo:end].any())
    if still is not None:
        return not still and abs(now - baseline) <= baseline * TOLERANCE[meter[1] if meter else kind]
    return now >= baseline * (1.0 - TOLERANCE[kind])
