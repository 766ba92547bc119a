"""A house emptied and stocked again: the new flock is judged on its own, not against the last one.

Before flocks were told apart (flocks.py), 216 restockings of unit-test houses (3-28 days empty,
new flocks of 17-22 weeks, belts and round the clock, counters on or off while empty) gave 213
false alerts: water and feed "drops" the day the new flock came in, laying "drops" and counter
faults for rows the new flock fills unlike the last one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analytics.detector import detect, detect_live
from analytics.detector.flocks import AGE_HOURS, age_unsettled, split_flocks
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour, restock

SOLD = day_hour(40, 8)


def _park(
    empty_days: int, age: float, runs: tuple[int, ...], blank: bool, seed: int = 1
) -> tuple[HourlyFrame, int]:
    """Six houses; house H01 sold at day 40 and restocked ``empty_days`` later (the hour returned)."""
    flock = Flock(days=110, houses=6, age0=60.0, seed=seed, runs=runs)
    frame = flock.build()
    placed = SOLD + empty_days * 24
    restock(frame, flock, 0, SOLD, placed, age, blank_while_empty=blank)
    return frame, placed


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("runs", [(1, 6), ()], ids=["belts", "round-the-clock"])
@pytest.mark.parametrize(
    ("empty_days", "age", "blank"),
    [
        (3, 17.0, False),
        (3, 19.0, True),
        (7, 22.0, False),
        (7, 19.0, True),
        (14, 17.0, True),
        (28, 22.0, False),
    ],
)
def test_a_new_flock_raises_nothing(
    empty_days: int, age: float, blank: bool, runs: tuple[int, ...], seed: int
) -> None:
    frame, _ = _park(empty_days, age, runs, blank, seed)
    after_sale = [a for a in detect(frame) if a.house == "H01" and a.detected_at > frame.hour_end(SOLD)]
    assert after_sale == []


def test_a_drop_in_the_new_flock_is_the_houses_alert() -> None:
    frame, placed = _park(7, 19.0, (1, 6), blank=False)
    at = placed + 45 * 24
    frame.eggs[0, :, at:] = np.round(frame.eggs[0, :, at:] * 0.8)
    found = [a for a in detect(frame) if a.kind == "laying_drop" and a.detected_at > frame.hour_end(at)]
    assert [a.house for a in found] == ["H01"]
    assert found[0].message.startswith("H01:") and found[0].message_zh.startswith("H01：")
    assert (
        found[0].detected_at - frame.hour_end(at)
    ).total_seconds() <= 36 * 3600  # the next laying is 14 h on
    # The live pass, at the hour the full run found it, names the house too.
    cut = frame.index_of(found[0].detected_at)
    live = detect_live(frame.head(cut))
    assert [(a.house, a.kind) for a in live] == [("H01", "laying_drop")]


def test_the_old_flocks_alerts_are_those_of_the_data_up_to_the_restocking() -> None:
    # Causal: a drop in the old flock before the sale is found as in a frame cut at the restocking.
    frame, placed = _park(7, 19.0, (1, 6), blank=False)
    at = day_hour(30, 0)
    frame.eggs[0, :, at:SOLD] = np.round(frame.eggs[0, :, at:SOLD] * 0.8)
    before = [a for a in detect(frame) if a.detected_at <= frame.hour_end(placed - 1)]
    assert before == detect(frame.head(placed))
    assert any(a.kind == "laying_drop" and a.house == "H01" for a in before)


def test_a_younger_flock_is_a_new_flock_even_when_the_emptying_was_not_entered() -> None:
    frame, placed = _park(7, 19.0, (1, 6), blank=False)
    frame.hens[0, SOLD:placed] = np.nan  # the sale never entered: hens carried forward
    flocks = split_flocks(frame)
    assert flocks.house_of.count("H01") == 2
    series = flocks.frame.houses.index("H01/flock-2")
    # Split once the younger age has lasted a day (a typo corrected sooner splits nothing); the old
    # flock's series gives no verdicts meanwhile.
    split = placed + AGE_HOURS - 1
    assert np.isnan(flocks.frame.eggs[series, :, :split]).all()
    assert not np.isnan(flocks.frame.eggs[series, :, split:]).any()
    old = flocks.frame.houses.index("H01")
    assert age_unsettled(flocks.frame.age_weeks)[old, placed:split].all()


@pytest.mark.parametrize("hours", [1, 6, 23])
@pytest.mark.parametrize("weeks", [-10.0, 10.0])
def test_an_age_wrong_for_less_than_a_day_is_no_new_flock(weeks: float, hours: int) -> None:
    # Ten weeks too young for a few hours (or too old, and then right again: the age falls) had cut
    # the flock in two; the second half had no baseline for days.
    frame = Flock(days=60, houses=3).build()
    frame.age_weeks[0, SOLD : SOLD + hours] += weeks
    assert split_flocks(frame).frame is frame


@pytest.mark.parametrize("weeks", [-10.0, 10.0])
def test_a_drop_after_an_age_typo_is_found_as_without_it(weeks: float) -> None:
    flock = Flock(days=60, houses=6, drop_from={0: (SOLD + 3 * 24, 0.92)})
    clean = flock.build()
    typo = flock.build()
    typo.age_weeks[0, SOLD : SOLD + 6] += weeks  # corrected six hours later
    found = [(a.house, a.kind, a.detected_at) for a in detect(clean) if a.house == "H01"]
    assert found and any(kind == "laying_drop" for _, kind, _ in found)
    assert [(a.house, a.kind, a.detected_at) for a in detect(typo) if a.house == "H01"] == found


@pytest.mark.parametrize("hours", [1, 6, 23])
def test_no_hens_for_less_than_a_day_and_then_the_same_count_is_no_emptying(hours: int) -> None:
    frame = Flock(days=60, houses=3).build()
    frame.hens[0, SOLD : SOLD + hours] = 0.0
    assert split_flocks(frame).frame is frame


def test_no_hens_for_hours_and_then_another_count_is_a_new_flock() -> None:
    frame = Flock(days=60, houses=3).build()
    frame.hens[0, SOLD : SOLD + 6] = 0.0
    frame.hens[0, SOLD + 6 :] *= 1.1
    assert split_flocks(frame).house_of.count("H01") == 2


def test_a_house_emptied_and_not_restocked_stays_one_series() -> None:
    frame = replace(Flock(days=60, houses=3), seed=2).build()
    frame.hens[1, SOLD:] = 0.0
    frame.eggs[1, :, SOLD:] = 0.0
    flocks = split_flocks(frame)
    assert flocks.frame is frame and flocks.house_of == frame.houses
