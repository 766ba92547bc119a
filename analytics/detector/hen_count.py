"""A house whose hen count is never reported: a constant count estimated from its first days' eggs.

Every figure the detector judges is per hen (hen-day %, water and feed per hen), so a house without
a count (blank, or 0 at every hour) had no verdict at all: with the ``hens`` column blank, 11 of the
188 incidents of seeds 1-6 were found (none by the eggs).  A drop is judged against the
house's own baseline, so any constant count finds it; the count sets only the scale of the points
(the magnitudes, and the thresholds given in points).  So the count is the eggs of the first whole
days over what a flock of the breed lays at that age (:data:`GUIDE_SHARE` of the breed standard;
:data:`DEFAULT_LEVEL_PCT` where the age is unknown or the flock not yet in lay), and the house's
hen-day % starts just under its breed curve.

Causal: those days lie within the first ``min_baseline_days`` days from the first eggs counted,
before the first hour any verdict can be given (a verdict needs that many past days' 24 h windows),
so cutting the input after an alert keeps the days its count came from.  One count per house and
file (or live query): a restocked house without counts keeps its first flock's, and a count
reported at any hour is carried instead (flocks.filled_hens).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from analytics.alert import DetectorAlert
from analytics.detector import messages
from analytics.detector.analysis import breed_standard
from analytics.detector.windows import DAY
from analytics.frame import HourlyFrame

MIN_DAYS = 2  # whole days needed within them (1 within fewer than 3 days); fewer: no count
# Commercial flocks lay a few per cent under their breed guide (a guide is what the breed can do):
# taking the guide itself made the points 5-15 % too large and added a third more false alarms on
# the second generator (its flocks lay at 85-98 % of the guide), 0.9 of it cost a dip found.
GUIDE_SHARE = 0.95
DEFAULT_LEVEL_PCT = 85.0  # hen-day % taken where the breed standard says nothing (no age, not laying)
MIN_LEVEL_PCT = 20.0  # a standard below this (pullets coming into lay) is too steep to scale by


def with_estimated_hens(frame: HourlyFrame, days: int) -> tuple[HourlyFrame, tuple[str, ...]]:
    """``frame`` with a count for each house that never reports one (blank, or 0 throughout) and has
    whole days of eggs within ``days`` (the detector's ``min_baseline_days``) from its first eggs,
    and those houses' ids (empty, and ``frame`` itself, in the usual case of every house reporting)."""
    with np.errstate(invalid="ignore"):
        unknown = np.flatnonzero(~(frame.hens > 0).any(axis=1))  # blank, or 0 throughout
    if not unknown.size:
        return frame, ()
    eggs = frame.eggs[unknown]
    counted = ~np.isnan(eggs).all(axis=1)  # [house, hour]: some row reported
    house_eggs = np.where(counted, np.nansum(eggs, axis=1), np.nan)
    first = np.argmax(counted, axis=1)  # the first hour with eggs (0 if none: masked below)
    offset = (-frame.start.hour) % DAY  # whole UTC days start here
    nd = max(0, (frame.n_hours - offset) // DAY)
    by_day = house_eggs[:, offset : offset + nd * DAY].reshape(len(unknown), nd, DAY)
    day_start = offset + DAY * np.arange(nd)
    inside = (day_start[None, :] >= first[:, None]) & (
        day_start[None, :] + DAY <= first[:, None] + days * DAY
    )
    day_eggs = by_day.sum(axis=2)  # NaN unless every hour counted
    usable = inside & np.isfinite(day_eggs) & (day_eggs > 0) & counted.any(axis=1)[:, None]
    with np.errstate(invalid="ignore"):
        level = _level(frame, unknown, offset, nd)
        per_day = np.where(usable, 100.0 * day_eggs / level, np.nan)
    enough = usable.sum(axis=1) >= (MIN_DAYS if days >= 3 else 1)
    if not enough.any():
        return frame, ()
    hens = frame.hens.copy()
    est = np.full(len(unknown), np.nan)
    est[enough] = np.nanmedian(per_day[enough], axis=1)
    hens[unknown[enough]] = np.round(est[enough])[:, None]
    return replace(frame, hens=hens), tuple(frame.houses[h] for h in unknown[enough])


# The kinds whose figures are per hen: their messages say the count was estimated.
PER_HEN_KINDS = ("laying_drop", "water_drop", "feed_drop", "heat_stress")


def noted(alerts: list[DetectorAlert], houses: tuple[str, ...]) -> list[DetectorAlert]:
    """``alerts`` with those of ``houses`` (counts estimated) saying so: ``hens_source`` in their
    evidence, and in a drop's message that its per-hen figures rest on the estimate."""
    if not houses:
        return alerts
    out = []
    for a in alerts:
        if a.house in houses:
            en, zh = a.message, a.message_zh
            if a.kind in PER_HEN_KINDS:
                note_en, note_zh = messages.hens_estimated()
                en, zh = f"{en} {note_en}", f"{zh}{note_zh}"
            a = replace(a, message=en, message_zh=zh, evidence={**a.evidence, "hens_source": "estimated"})
        out.append(a)
    return out


def _level(frame: HourlyFrame, houses: np.ndarray, offset: int, nd: int) -> np.ndarray:
    """The hen-day % a flock lays at each whole day's mean age, ``[house, day]``: GUIDE_SHARE of its
    breed standard's."""
    if nd == 0:
        return np.full((len(houses), 0), DEFAULT_LEVEL_PCT)
    age = frame.age_weeks[houses, offset : offset + nd * DAY].reshape(len(houses), nd, DAY)
    known = ~np.isnan(age)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_age = np.where(known, age, 0.0).sum(axis=2) / known.sum(axis=2)
    std = breed_standard(mean_age, tuple(frame.breeds[h] for h in houses))
    return np.where(np.isfinite(mean_age) & (std >= MIN_LEVEL_PCT), GUIDE_SHARE * std, DEFAULT_LEVEL_PCT)
