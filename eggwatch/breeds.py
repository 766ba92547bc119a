"""Breed-standard laying curves (Hy-Line Brown, Lohmann Brown-Classic), from the breeders' guides.

The CSVs ship in ``eggwatch/data/breed_standards`` (sources in its README).  :class:`BreedCurve`
interpolates hen-day %, mortality, water and feed by age in (fractional) weeks, vectorised.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

BREEDS = {"hyline_brown": "hyline_brown.csv", "lohmann_brown_classic": "lohmann_brown_classic.csv"}
LABELS = {
    "hyline_brown": ("Hy-Line Brown", "海兰褐"),
    "lohmann_brown_classic": ("Lohmann Brown-Classic", "罗曼褐"),
}


def _mid(cell: str) -> float:
    """'163–233' (en dash) or '163-233' → 198.0; '62.9' → 62.9; '' → nan."""
    cell = cell.strip().replace("–", "-")
    if not cell:
        return float("nan")
    if "-" in cell[1:]:
        lo, hi = cell.split("-", 1)
        return (float(lo) + float(hi)) / 2
    return float(cell)


@dataclass(frozen=True)
class BreedCurve:
    breed: str
    weeks: np.ndarray  # float64, ascending
    hen_day_pct: np.ndarray  # standard hen-day production %
    cum_mortality_pct: np.ndarray  # nan where the guide gives none
    water_ml_bird_day: np.ndarray
    feed_g_bird_day: np.ndarray
    egg_weight_g: np.ndarray

    def hen_day(self, age_weeks: np.ndarray | float) -> np.ndarray:
        """Standard hen-day % at ``age_weeks``: 0 until the middle of the guide's first week, where
        that week's figure begins (a week's figure is its average), the last value after the last."""
        a = np.asarray(age_weeks, dtype=np.float64)
        # Weekly values describe the middle of the week: shift by half a week when interpolating.
        out = np.interp(a, self.weeks + 0.5, self.hen_day_pct, left=0.0, right=self.hen_day_pct[-1])
        return np.where(a < self.weeks[0], 0.0, out)

    def _interp(self, arr: np.ndarray, age_weeks: np.ndarray | float) -> np.ndarray:
        ok = ~np.isnan(arr)
        if not ok.any():
            return np.full(np.shape(age_weeks), np.nan)
        return np.interp(np.asarray(age_weeks, dtype=np.float64), self.weeks[ok] + 0.5, arr[ok])

    def egg_weight(self, age_weeks: np.ndarray | float) -> np.ndarray:
        return self._interp(self.egg_weight_g, age_weeks)

    def water_ml(self, age_weeks: np.ndarray | float) -> np.ndarray:
        return self._interp(self.water_ml_bird_day, age_weeks)

    def feed_g(self, age_weeks: np.ndarray | float) -> np.ndarray:
        return self._interp(self.feed_g_bird_day, age_weeks)

    def cum_mortality(self, age_weeks: np.ndarray | float) -> np.ndarray:
        return self._interp(self.cum_mortality_pct, age_weeks)


@cache
def curve(breed: str) -> BreedCurve:
    """The standard curve of ``breed`` (a key of :data:`BREEDS`)."""
    if breed not in BREEDS:
        raise KeyError(f"unknown breed {breed!r}; known: {', '.join(BREEDS)}")
    text = resources.files("eggwatch.data.breed_standards").joinpath(BREEDS[breed]).read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))

    def col(*names: str) -> np.ndarray:
        for n in names:
            if n in rows[0]:
                return np.array([_mid(r[n]) for r in rows])
        return np.full(len(rows), np.nan)

    # Lohmann gives no water/feed/mortality columns: borrow Hy-Line's (both brown layers, same guide ranges).
    c = BreedCurve(
        breed=breed,
        weeks=col("week"),
        hen_day_pct=col("hd_pct_mid", "rate_of_lay_pct_hen_day"),
        cum_mortality_pct=col("cum_mortality_pct"),
        water_ml_bird_day=col("water_ml_bird_day"),
        feed_g_bird_day=col("feed_g_bird_day"),
        egg_weight_g=col("avg_egg_wt_g", "egg_wt_in_week_g"),
    )
    if breed != "hyline_brown":
        hl = curve("hyline_brown")
        c = BreedCurve(
            breed, c.weeks, c.hen_day_pct,
            hl._interp(hl.cum_mortality_pct, c.weeks + 0.5),
            hl._interp(hl.water_ml_bird_day, c.weeks + 0.5),
            hl._interp(hl.feed_g_bird_day, c.weeks + 0.5),
            c.egg_weight_g,
        )  # fmt: skip
    return c
