"""Machine counts shared into pay: a counter replaced under its id is not millions of eggs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from api.services.attribution import BUCKET_MS, load_timelines
from eggwatch.store.base import Point
from eggwatch.store.embedded import EmbeddedStore
from eggwatch.wire import Reading

T0 = int(dt.datetime(2026, 3, 2, tzinfo=dt.UTC).timestamp() * 1000)
DAY = 86_400_000


def belt_day(day: int) -> list[float]:
    """A 5-minute count of one day's belt runs: two hour-long runs of 9,000 eggs, nothing else."""
    out = [0.0] * 288
    for start in (96, 168):  # 08:00 and 14:00
        for k in range(12):
            out[start + k] = 750.0
    return out


def series(steps: list[float], start: float = 1000.0, silent: range = range(0)) -> list[tuple[int, float]]:
    """(ts, counter) every 5 minutes; no reading in the ``silent`` buckets (the counter counts on)."""
    value, out = start, []
    for i, step in enumerate(steps):
        value += step
        if i not in silent:
            out.append((T0 + i * BUCKET_MS, value))
    return out


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "t.db")
    s.ensure_ready()
    return s


def write(store: EmbeddedStore, unit: str, points: list[tuple[int, float]]) -> None:
    store.write([Point("s", unit, "ec-1", Reading(t, "eggs_total", v, {"row": "01"})) for t, v in points])


def total(store: EmbeddedStore, unit: str, days: int) -> float:
    tl = load_timelines(store, "s", "eggs_total", [unit], T0 + DAY, T0 + days * DAY)[unit]
    return tl.amount(T0 + DAY, T0 + days * DAY)


def test_a_replaced_counter_is_not_counted_a_gap_and_a_wrap_are(store: EmbeddedStore) -> None:
    steps = [s for d in range(6) for s in belt_day(d)]
    replaced = list(steps)
    write(store, "house-01", series(steps))
    # The device is swapped on day 3 at 12:00: 20 minutes without readings, then a counter at 3,000,000.
    swap = 3 * 288 + 144
    points = series(replaced)
    new = [(t, v + 3_000_000 - points[swap - 1][1]) for t, v in points[swap + 4 :]]
    write(store, "house-02", points[:swap] + new)
    # Offline from day 2 08:00 to day 4 20:00: its back-fill (54,000 eggs) lands in one bucket.
    write(store, "house-03", series(steps, silent=range(2 * 288 + 96, 4 * 288 + 240)))
    write(store, "house-04", [(t, v % 65536) for t, v in series(steps, start=50_000)])  # 16-bit wraps

    assert total(store, "house-01", 6) == 5 * 18_000
    assert total(store, "house-02", 6) == 5 * 18_000  # was 3,000,000 more (the belts were still then)
    assert total(store, "house-03", 6) == 5 * 18_000
    assert total(store, "house-04", 6) == 5 * 18_000


def test_a_counter_too_new_to_know_its_rate_is_left_alone(store: EmbeddedStore) -> None:
    write(store, "house-01", series([0.0] * 300 + [5.0] * 5 + [2_000_000.0]))
    assert total(store, "house-01", 2) == 25 + 2_000_000


def test_a_replaced_counter_polled_every_ten_minutes_is_not_counted(store: EmbeddedStore) -> None:
    # Reproduction: read every other bucket, the counter had no one-bucket steps to learn its rate
    # from, so nothing was refused: the web page showed 8,939,999 eggs graded today.
    steps = [s for d in range(6) for s in belt_day(d)]
    points = series(steps)
    swap = 3 * 288 + 144
    new = [(t, v + 3_000_000 - points[swap - 1][1]) for t, v in points[swap + 4 :]]
    write(store, "house-01", (points[:swap] + new)[::2])
    assert total(store, "house-01", 6) == 5 * 18_000


def test_a_32_bit_counter_restarting_near_60000_is_a_reset_not_a_16_bit_wrap(store: EmbeddedStore) -> None:
    steps = [s for d in range(4) for s in belt_day(d)]
    points = series(steps, start=21_000)
    swap = 2 * 288 + 100  # day 2, 08:20, during a belt run: the counter shows 60,000 and restarts
    restarted = points[:swap] + [(t, v - points[swap - 1][1]) for t, v in points[swap:]]
    assert points[swap - 1][1] == 60_000 and max(v for _, v in restarted) < 65_536  # looks 16-bit
    write(store, "house-01", restarted)
    assert total(store, "house-01", 4) == 3 * 18_000  # was 5,536 more


def test_what_a_counter_counted_while_unread_is_spread_over_the_gap(store: EmbeddedStore) -> None:
    # Reproduction: the gateway down from 12:00 to 18:00 on day 1 put the 9,000 eggs of the 14:00
    # belt run in the 18:00 bucket, all to the shift that began at 14:30.
    steps = [s for d in range(3) for s in belt_day(d)]
    write(store, "house-01", series(steps, silent=range(288 + 144, 288 + 216)))
    tl = load_timelines(store, "s", "eggs_total", ["house-01"], T0 + DAY, T0 + 2 * DAY)["house-01"]
    hour = 3_600_000
    a = tl.amount(T0 + DAY + 6 * hour, T0 + DAY + 14 * hour + hour // 2)  # 06:00-14:30
    b = tl.amount(T0 + DAY + 14 * hour + hour // 2, T0 + DAY + 22 * hour)  # 14:30-22:00
    assert a + b == 18_000
    assert a == 9_000 + 30 * 123 + 21  # 08:00's run, and 30 of the gap's 73 buckets (9,000 = 73 x 123 + 21)
    assert tl.amounts(np.array([T0 + DAY, T0 + 2 * DAY])).tolist() == [18_000]
