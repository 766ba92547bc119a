"""Output attribution: what the machines counted at a location, shared among the workers there.

Eggs collected in a house are the increases of its ``eggs_total`` counters (all rows and tiers);
cases packed on a line the increases of ``cases_packed_total``; trays graded are
``eggs_graded_total`` / 30; rejects (for quality deductions) ``rejects_total``.  Counters are read
in buckets of :data:`BUCKET_MS` (last value per bucket) and each bucket's increase is placed at the
bucket's middle, so attribution has a resolution of a few minutes.  What a counter counted while it
was not read (a gateway or link down: a silence of over :data:`GAP_CADENCES` times its usual
interval) is spread evenly over the buckets of the gap (the counter interpolated linearly), not
given to whoever is on shift when its readings come back.

Sharing: the shift windows of the workers at a location (doing a task paid for that output) cut
time into segments; each segment's output is split among the workers present, weighted by the
fraction of their shift that is worked (breaks excluded), i.e. by hours worked.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from eggwatch.store.base import Query, TelemetryStore
from eggwatch.store.counters import judged

BUCKET_MS = 5 * 60_000
GAP_CADENCES = 3  # a silence longer than this many of the counter's usual intervals is a gap
EGGS_PER_TRAY = 30

# output kind of a task -> (counter metric, divisor to get pieces)
OUTPUT_METRIC: dict[str, tuple[str, int]] = {
    "eggs": ("eggs_total", 1),
    "cases": ("cases_packed_total", 1),
    "trays": ("eggs_graded_total", EGGS_PER_TRAY),
}
REJECTS_METRIC = "rejects_total"


class CounterTimeline:
    """Cumulative increases of one metric at one unit: ``amount(a, b)`` counted in ``[a, b)``."""

    def __init__(self, times_ms: np.ndarray, amounts: np.ndarray) -> None:
        order = np.argsort(times_ms, kind="stable")
        self.times = times_ms[order]
        self.cum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(amounts[order]))])

    @classmethod
    def empty(cls) -> CounterTimeline:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    def amount(self, a_ms: int, b_ms: int) -> float:
        i, j = np.searchsorted(self.times, [a_ms, b_ms], side="left")
        return float(self.cum[j] - self.cum[i])

    def has_data(self, a_ms: int, b_ms: int) -> bool:
        i, j = np.searchsorted(self.times, [a_ms, b_ms], side="left")
        return bool(j > i)

    def amounts(self, cuts_ms: np.ndarray) -> np.ndarray:
        """What was counted between consecutive cuts (``amount`` for every pair in one call)."""
        return np.diff(self.cum[np.searchsorted(self.times, cuts_ms, side="left")])

    def has_data_in(self, starts_ms: np.ndarray, ends_ms: np.ndarray) -> np.ndarray:
        """``has_data`` for many windows at once."""
        return np.searchsorted(self.times, ends_ms, side="left") > np.searchsorted(
            self.times, starts_ms, side="left"
        )


def load_timelines(
    store: TelemetryStore, site: str, metric: str, units: Sequence[str], start_ms: int, end_ms: int
) -> dict[str, CounterTimeline]:
    """One timeline per unit; the query starts a day early so the first bucket has a predecessor."""
    if not units:
        return {}
    series = store.query(
        Query(
            metric=metric,
            site=site,
            start_ms=start_ms - 86_400_000,
            end_ms=end_ms,
            bucket_ms=BUCKET_MS,
            agg="last",
            units=tuple(sorted(set(units))),
        )
    )
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for s in series:
        if s.values.size < 2:
            continue
        spans = np.maximum(np.diff(s.ts) // BUCKET_MS, 1)
        # A gap is a silence beyond the counter's own cadence (a device read every hour has none).
        gaps = np.where(spans > GAP_CADENCES * np.median(spans), spans, 1)
        parts[s.unit].append(spread(s.ts[1:] + BUCKET_MS // 2, counted(s.values, spans), gaps))
    out = {}
    for unit in units:
        if parts.get(unit):
            out[unit] = CounterTimeline(
                np.concatenate([t for t, _ in parts[unit]]), np.concatenate([v for _, v in parts[unit]])
            )
        else:
            out[unit] = CounterTimeline.empty()
    return out


# A quiet counter's burst is no new counter: a step is one only above this per bucket, whatever
# its busy rate (eggwatch.store.counters.judged).
NEW_COUNTER_FLOOR = 500.0


def counted(values: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Increases of one counter series (steps of ``spans`` buckets), a new counter's first step
    NaN (nothing counted): a counter replaced at 3,000,000 shared its 2,988,020 "eggs" among the
    workers on shift, and so into their pay; a 32-bit grader restarting at 60,000 was a 16-bit
    wrap of 5,536 eggs more."""
    return judged(values, spans, NEW_COUNTER_FLOOR)


def spread(ends_ms: np.ndarray, inc: np.ndarray, spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each step's count spread evenly over the ``spans`` buckets it covers, ending at ``ends_ms``
    (whole counts stay whole: the remainder goes to the earliest buckets).  Reproduction: a gateway
    down from 12:00 to 18:00 put the 9,000 eggs of a 14:00 belt run in the 18:00 bucket, all paid to
    the shift that began at 14:30."""
    k = np.where(np.isnan(inc), 1, spans).astype(np.int64)
    if (k == 1).all():
        return ends_ms, inc
    step = np.repeat(np.arange(inc.size), k)
    j = np.arange(step.size) - np.repeat(np.cumsum(k) - k, k)  # 0 .. k-1 within each step
    times = ends_ms[step] - (k[step] - 1 - j) * BUCKET_MS
    with np.errstate(invalid="ignore"):
        base = np.floor(inc / k)
        whole = inc == np.round(inc)
    rest = inc - base * k
    amounts = np.where(whole[step], base[step] + (j < rest[step]), inc[step] / k[step])
    return times, amounts


@dataclass(frozen=True, slots=True)
class Presence:
    """A worker's time at a location: ``[start_ms, end_ms)`` with ``weight`` = worked fraction."""

    key: int  # the caller's id (a shift slice)
    start_ms: int
    end_ms: int
    weight: Fraction


def share(timeline: CounterTimeline, presences: Iterable[Presence]) -> dict[int, Fraction]:
    """Split what ``timeline`` counted during the presences among them, by hours worked.

    Exact: counts are whole numbers and weights fractions, so the shares are fractions that add up
    to what was counted, and the pay computed from them can be rounded once, exactly.
    """
    items = list(presences)
    if not items:
        return {}
    cuts = sorted({p.start_ms for p in items} | {p.end_ms for p in items})
    # One searchsorted for every segment, not two per segment: a month's payroll has ~100,000.
    segment_amounts = timeline.amounts(np.asarray(cuts, dtype=np.int64)).tolist()
    starts = sorted(items, key=lambda p: p.start_ms)
    # A segment with one person on it adds a whole count: summed as int, made exact at the end.
    whole: dict[int, int] = {p.key: 0 for p in items}
    parts: dict[int, Fraction] = {}
    active: dict[int, Presence] = {}
    nxt = 0
    for (a, _b), amount in zip(itertools.pairwise(cuts), segment_amounts, strict=True):
        while nxt < len(starts) and starts[nxt].start_ms <= a:
            active[starts[nxt].key] = starts[nxt]
            nxt += 1
        if any(p.end_ms <= a for p in active.values()):
            active = {k: p for k, p in active.items() if p.end_ms > a}
        if not active or amount == 0.0:
            continue
        if len(active) == 1:
            (only,) = active.values()
            if only.weight > 0:
                if amount.is_integer():
                    whole[only.key] += int(amount)
                else:
                    parts[only.key] = parts.get(only.key, Fraction(0)) + Fraction(amount)
            continue
        total_w = sum((p.weight for p in active.values()), Fraction(0))
        if total_w <= 0:
            continue
        per_weight = Fraction(amount) / total_w  # a float holding a whole count: converted exactly
        for k, p in active.items():
            if p.weight:
                parts[k] = parts.get(k, Fraction(0)) + p.weight * per_weight
    return {k: Fraction(n) + parts[k] if k in parts else Fraction(n) for k, n in whole.items()}
