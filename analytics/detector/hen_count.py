"""A house whose hen count is never reported: a constant count estimated from its first days' eggs;
one whose count is in other units (thousands of hens): that count scaled to heads.

Every figure the detector judges is per hen (hen-day %, water and feed per hen), so a house without
a count (blank, or 0 at every hour) had no verdict at all: with the ``hens`` column blank, 11 of the
188 incidents of seeds 1-6 were found (none by the eggs).  A drop is judged against the
house's own baseline, so any constant count finds it; the count sets only the scale of the points
(the magnitudes, and the thresholds given in points).  So the count is the eggs of the first whole
days over what a flock of the breed lays at that age (:data:`GUIDE_SHARE` of the breed standard;
:data:`DEFAULT_LEVEL_PCT` where the age is unknown or the flock not yet in lay), and the house's
hen-day % starts just under its breed curve.

Causal: those days lie within the first ``min_baseline_days`` days from the first eggs counted,
and the count stands from the hour they are over (the house has no count before, as the input cut
then has none), so cutting the input after an alert keeps the days its count came from.  One count per house and
file (or live query): a restocked house without counts keeps its first flock's, and a count
reported at any hour is carried instead (flocks.filled_hens).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    first = _FirstDays.of(frame, unknown, days)
    with np.errstate(invalid="ignore"):
        per_day = np.where(first.usable, 100.0 * first.eggs / first.level, np.nan)
    enough = first.enough() & (first.first + days * DAY < frame.n_hours)  # the days are over
    if not enough.any():
        return frame, ()
    hens = frame.hens.copy()
    est = np.full(len(unknown), np.nan)
    est[enough] = np.nanmedian(per_day[enough], axis=1)
    # From the hour the days it is taken from are over: before it, the input cut there has no count
    # (or one from fewer days), so no figure then may rest on it (CONTRACTS §6) — not the house's
    # own (its water and feed may report before its first eggs: counters installed later, pullets),
    # nor the park's medians the other houses are judged by.
    for k in np.flatnonzero(enough):
        hens[unknown[k], first.first[k] + days * DAY :] = np.round(est[k])
    return replace(frame, hens=hens), tuple(frame.houses[h] for h in unknown[enough])


# A hen lays at most one egg a day.  Half again as many eggs as hens, on the median of a house's
# first whole days, is a count that cannot be right.  Five times as many or more is a count in other
# units (thousands of hens: 30.0 for 30,000): read as it was, every point threshold was a
# thousandth of its size (seeds 1-6: 36 -> 102 false alarms).  It is scaled by a power of ten
# (thousands, or 万 = 10,000: exact, mortality and depopulations kept): the one nearest what the
# eggs at the breed's level ask, made large enough that no more than POSSIBLE_EGGS_PER_HEN eggs a
# hen a day remain.  Fewer is counters counting each egg twice as well as a count a few times too
# small: scaled by what the eggs ask at the breed's level (read as it was, a 20 % drop counted
# twice came with a false 3-point one).  Either way the alerts say so.
IMPOSSIBLE_EGGS_PER_HEN = 1.5
UNIT_EGGS_PER_HEN = 5.0
POSSIBLE_EGGS_PER_HEN = 1.05
# A flock coming into lay (its standard under MIN_LEVEL_PCT, too steep to scale by) lays 1-30 %
# in the days after its first eggs: read at DEFAULT_LEVEL_PCT, a 9 % flock counted in thousands
# was scaled by 100 (simulator's pullets, seeds 1-6).
ONSET_LEVEL_PCT = 10.0


@dataclass(frozen=True, slots=True)
class Rescaled:
    """A house whose reported count is too small for its eggs: ``eggs_per_hen`` a day (the median
    of its first whole days), and the ``factor`` its count was scaled by."""

    factor: float
    eggs_per_hen: float

    @property
    def power_of_ten(self) -> bool:
        """Scaled by a power of ten: a count in other units, not a guess at the breed's level."""
        return self.eggs_per_hen >= UNIT_EGGS_PER_HEN


def with_hens_rescaled(frame: HourlyFrame, days: int) -> tuple[HourlyFrame, dict[str, Rescaled]]:
    """``frame`` with the reported count of each house that lays more than
    :data:`IMPOSSIBLE_EGGS_PER_HEN` eggs a hen a day over its first whole days (within ``days`` from
    its first eggs, as :func:`with_estimated_hens`) scaled to a head count, and those houses."""
    head = frame.head(min(frame.n_hours, (days + 2) * DAY))  # the usual case: eggs from the start
    with np.errstate(invalid="ignore"):
        late = ~(head.eggs[:, :, :DAY] > 0).any(axis=(1, 2))  # first eggs later: empty at first
    found: dict[int, Rescaled] = {}
    for part, houses, hours in (
        (head, np.flatnonzero(~late), 2 * DAY),
        (frame, np.flatnonzero(late), frame.n_hours),
    ):
        suspect = houses[_more_eggs_than_hens(part, houses, hours)]
        if suspect.size:  # rare: the first days judged only where the whole stretch is suspect
            found.update(
                {int(suspect[k]): v for k, v in _too_few_hens(part.select(list(suspect)), days).items()}
            )
    if not found:
        return frame, {}
    hens = frame.hens.copy()
    for h, r in found.items():
        hens[h] *= r.factor
    return replace(frame, hens=hens), {frame.houses[h]: r for h, r in sorted(found.items())}


def _more_eggs_than_hens(frame: HourlyFrame, houses: np.ndarray, hours: int) -> np.ndarray:
    """Of ``houses``, those that counted more eggs in the first ``hours`` of ``frame`` than their
    largest count of hens laid a day.  A count in thousands is a thousand times over, so a glance
    at two days does: the whole check then costs a live pass of 1,000 houses 1.6 ms (6 ms over
    the week of first days)."""
    if not houses.size:
        return np.zeros(0, dtype=bool)
    eggs = frame.eggs[:, :, :hours][houses]
    hens = frame.hens[:, :hours][houses]
    with np.errstate(invalid="ignore"):
        most = np.max(hens, axis=1, where=hens > 0, initial=0.0)
        return np.sum(eggs, axis=(1, 2), where=eggs > 0) > most * eggs.shape[2] / DAY


def _too_few_hens(frame: HourlyFrame, days: int) -> dict[int, Rescaled]:
    """The houses (indices) of ``frame`` whose count is too small for their eggs, and the scaling."""
    with np.errstate(invalid="ignore"):
        reporting = np.flatnonzero((frame.hens > 0).any(axis=1))
    if not reporting.size:
        return {}
    first = _FirstDays.of(frame, reporting, days, laying=True, young=ONSET_LEVEL_PCT)
    hens = first.by_day(frame.hens[reporting])
    with np.errstate(invalid="ignore", divide="ignore"):
        counted = np.where(hens > 0, hens, np.nan).mean(axis=2)  # NaN unless reported every hour
        per_hen = np.where(first.usable, first.eggs / counted, np.nan)
        usable = np.isfinite(per_hen)
        enough = usable.sum(axis=1) >= first.needed
        median = np.full(len(reporting), np.nan)
        median[enough] = np.nanmedian(per_hen[enough], axis=1)
        wrong = np.flatnonzero(enough & (median > IMPOSSIBLE_EGGS_PER_HEN))
        if not wrong.size:
            return {}
        # The hens the eggs would take at the breed's level, over those reported.
        ratio = np.nanmedian(np.where(usable, 100.0 * per_hen / first.level, np.nan)[wrong], axis=1)
    power = np.round(np.log10(ratio))
    least = np.ceil(np.log10(median[wrong] / POSSIBLE_EGGS_PER_HEN))
    factor = np.where(median[wrong] >= UNIT_EGGS_PER_HEN, 10.0 ** np.maximum(power, least), ratio)
    return {
        int(reporting[w]): Rescaled(float(f), float(median[w]))
        for w, f in zip(wrong.tolist(), factor.tolist(), strict=True)
    }


@dataclass(frozen=True, slots=True)
class _FirstDays:
    """A house's first whole UTC days from its first eggs (within ``days``), ``[house, day]``."""

    offset: int  # the hour whole days start at
    first: np.ndarray  # each house's first hour counted (``laying``: with eggs), where its days start
    eggs: np.ndarray  # the house's eggs of each day, NaN unless every hour counted
    usable: np.ndarray  # the day lies within the first days and counted eggs
    level: np.ndarray  # the hen-day % a flock of the breed lays then (GUIDE_SHARE of the standard)
    needed: int  # usable days needed for a figure

    @classmethod
    def of(
        cls,
        frame: HourlyFrame,
        houses: np.ndarray,
        days: int,
        laying: bool = False,
        young: float = DEFAULT_LEVEL_PCT,
    ) -> _FirstDays:
        """``laying``: from the first eggs laid, not the first count (a house empty at first);
        ``young``: the level taken for a flock coming into lay."""
        eggs = frame.eggs[houses]
        counted = ~np.isnan(eggs).all(axis=1)  # [house, hour]: some row reported
        house_eggs = np.where(counted, np.nansum(eggs, axis=1), np.nan)
        # The first hour with eggs (0 if none: masked below).
        first = np.argmax(house_eggs > 0 if laying else counted, axis=1)
        offset = (-frame.start.hour) % DAY  # whole UTC days start here
        nd = max(0, (frame.n_hours - offset) // DAY)
        day_start = offset + DAY * np.arange(nd)
        inside = (day_start[None, :] >= first[:, None]) & (
            day_start[None, :] + DAY <= first[:, None] + days * DAY
        )
        day_eggs = house_eggs[:, offset : offset + nd * DAY].reshape(len(houses), nd, DAY).sum(axis=2)
        usable = inside & np.isfinite(day_eggs) & (day_eggs > 0) & counted.any(axis=1)[:, None]
        with np.errstate(invalid="ignore"):
            level = _level(frame, houses, offset, nd, young)
        return cls(offset, first, day_eggs, usable, level, MIN_DAYS if days >= 3 else 1)

    def by_day(self, hourly: np.ndarray) -> np.ndarray:
        """``hourly`` ``[house, hour]`` as ``[house, day, hour of day]`` over the whole days."""
        nd = self.eggs.shape[1]
        return hourly[:, self.offset : self.offset + nd * DAY].reshape(len(hourly), nd, DAY)

    def enough(self) -> np.ndarray:
        return self.usable.sum(axis=1) >= self.needed


# The kinds whose figures are per hen: their messages say the count was estimated.
PER_HEN_KINDS = ("laying_drop", "water_drop", "feed_drop", "heat_stress")


def noted(
    alerts: list[DetectorAlert], estimated: tuple[str, ...], rescaled: dict[str, Rescaled] | None = None
) -> list[DetectorAlert]:
    """``alerts`` of houses whose count was estimated or rescaled saying so: ``hens_source`` (and
    the factor) in their evidence, and in a drop's message what its per-hen figures rest on."""
    rescaled = rescaled or {}
    if not (estimated or rescaled):
        return alerts
    out = []
    for a in alerts:
        if a.house in estimated:
            a = _noted(a, messages.hens_estimated(), {"hens_source": "estimated"})
        elif (r := rescaled.get(a.house)) is not None:
            a = _noted(
                a,
                messages.hens_rescaled(r.factor, r.power_of_ten),
                {"hens_source": "rescaled", "hens_factor": r.factor},
            )
        out.append(a)
    return out


def _noted(a: DetectorAlert, note: tuple[str, str], evidence: dict[str, float | str | None]) -> DetectorAlert:
    en, zh = a.message, a.message_zh
    if a.kind in PER_HEN_KINDS:
        en, zh = f"{en} {note[0]}", f"{zh}{note[1]}"
    return replace(a, message=en, message_zh=zh, evidence={**a.evidence, **evidence})


def _level(frame: HourlyFrame, houses: np.ndarray, offset: int, nd: int, young: float) -> np.ndarray:
    """The hen-day % a flock lays at each whole day's mean age, ``[house, day]``: GUIDE_SHARE of its
    breed standard's; ``young`` where that is under MIN_LEVEL_PCT, DEFAULT_LEVEL_PCT where the age
    is unknown."""
    if nd == 0:
        return np.full((len(houses), 0), DEFAULT_LEVEL_PCT)
    age = frame.age_weeks[houses, offset : offset + nd * DAY].reshape(len(houses), nd, DAY)
    known = ~np.isnan(age)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_age = np.where(known, age, 0.0).sum(axis=2) / known.sum(axis=2)
    std = breed_standard(mean_age, tuple(frame.breeds[h] for h in houses))
    level = np.where(std >= MIN_LEVEL_PCT, GUIDE_SHARE * std, young)
    return np.where(np.isfinite(mean_age), level, DEFAULT_LEVEL_PCT)
