"""The glitch stress run (tests/analytics/glitches.py) makes the glitches it says, where it says."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from analytics.offline import read_frame
from simulator.scenarios import make_scenario
from tests.analytics.glitches import FIRST_DAY, KINDS, add_glitches


@pytest.fixture(scope="module")
def frame():  # type: ignore[no-untyped-def]
    sc = make_scenario("glitches", 3, n_houses=2, days=60)
    with tempfile.TemporaryDirectory() as tmp:
        return read_frame(*sc.write(Path(tmp)))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_glitch_changes_a_few_hours_after_the_first_month(frame, kind: str) -> None:  # type: ignore[no-untyped-def]
    columns = ("hens", "age_weeks", "water_l", "feed_kg", "temp_c", "eggs")
    glitched = replace(frame, **{c: getattr(frame, c).copy() for c in columns})
    add_glitches(glitched, KINDS[kind], 3, np.random.default_rng(0))
    changed = np.zeros(frame.n_hours, dtype=bool)
    for c in columns:
        a, b = getattr(frame, c), getattr(glitched, c)
        diff = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        changed |= diff.reshape(-1, frame.n_hours).any(axis=0)
    hours = np.flatnonzero(changed)
    assert 1 <= hours.size <= 6 and hours.min() >= FIRST_DAY * 24


def test_a_glitch_lasts_the_hours_asked_for(frame) -> None:  # type: ignore[no-untyped-def]
    glitched = replace(frame, age_weeks=frame.age_weeks.copy())
    add_glitches(glitched, KINDS["age-10-weeks-young"], 1, np.random.default_rng(0), hours=6)
    off = np.isclose(frame.age_weeks - glitched.age_weeks, 10.0)
    for house in off:
        hours = np.flatnonzero(house)
        assert hours.size == 6 and hours[-1] - hours[0] == 5  # six hours in a row
