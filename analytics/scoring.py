"""Per-event scoring of alerts against labelled incidents (the metrics of the issue's targets).

- a production incident is *detected* when a drop alert (laying, water or feed) of its house is
  detected within 72 h of its onset; time to detect is measured from the onset; how many a
  ``laying_drop`` alone finds is counted too (a scorer that reads only laying alerts);
- an alert is *true* when it falls within a production incident of its house (onset to end + 24 h);
  every other drop alert is a false alarm (whatever non-production incident it coincides with);
- a dead row counter is *recognised* when a ``sensor_fault`` names its row between the onset and the
  end + 24 h, and no drop alert of that house falls in that time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Protocol

from analytics.alert import DetectorAlert

DROP_KINDS = ("laying_drop", "water_drop", "feed_drop", "heat_stress")
RECALL_WINDOW = timedelta(hours=72)
TAIL = timedelta(hours=24)


class LabelLike(Protocol):
    house: str
    kind: str
    onset: datetime
    end: datetime | None
    row: str | None
    production: bool
    sudden: bool
    magnitude_pct: float | None


@dataclass
class Score:
    production_events: int = 0
    detected: int = 0
    mild_events: int = 0
    mild_detected: int = 0
    laying_detected: int = 0  # ... by a laying_drop alone
    sudden_delays_h: list[float] = field(default_factory=list)
    drop_alerts: int = 0
    true_alerts: int = 0
    false_alarms: int = 0
    house_months: float = 0.0
    dead_counters: int = 0
    counters_recognised: int = 0
    false_sensor_faults: int = 0
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for k, v in vars(other).items():
            setattr(self, k, getattr(self, k) + v)

    @property
    def recall(self) -> float:
        return self.detected / self.production_events if self.production_events else float("nan")

    @property
    def laying_recall(self) -> float:
        return self.laying_detected / self.production_events if self.production_events else float("nan")

    @property
    def mild_recall(self) -> float:
        return self.mild_detected / self.mild_events if self.mild_events else float("nan")

    @property
    def precision(self) -> float:
        return self.true_alerts / self.drop_alerts if self.drop_alerts else float("nan")

    @property
    def false_per_house_month(self) -> float:
        return self.false_alarms / self.house_months if self.house_months else float("nan")

    @property
    def median_sudden_h(self) -> float:
        return median(self.sudden_delays_h) if self.sudden_delays_h else float("nan")

    @property
    def counter_share(self) -> float:
        return self.counters_recognised / self.dead_counters if self.dead_counters else float("nan")


def _end(lb: LabelLike) -> datetime:
    return (lb.end or lb.onset + RECALL_WINDOW) + TAIL


def score(alerts: Sequence[DetectorAlert], labels: Sequence[LabelLike], house_months: float) -> Score:
    s = Score(house_months=house_months)
    drops = [a for a in alerts if a.kind in DROP_KINDS]
    s.drop_alerts = len(drops)
    prod = [lb for lb in labels if lb.production]
    for lb in prod:
        s.production_events += 1
        mild = lb.kind == "mild_dip"
        s.mild_events += mild
        hits = [
            a for a in drops if a.house == lb.house and lb.onset <= a.detected_at <= lb.onset + RECALL_WINDOW
        ]
        s.laying_detected += any(a.kind == "laying_drop" for a in hits)
        if hits:
            s.detected += 1
            s.mild_detected += mild
            if lb.sudden:
                first = min(a.detected_at for a in hits)
                s.sudden_delays_h.append((first - lb.onset).total_seconds() / 3600)
        else:
            s.missed.append(f"{lb.house} {lb.kind} {lb.onset:%m-%d %H:%M} ({lb.magnitude_pct} pts)")
    for a in drops:
        if any(lb.house == a.house and lb.onset <= a.detected_at <= _end(lb) for lb in prod):
            s.true_alerts += 1
        else:
            s.false_alarms += 1
            near = [
                lb.kind
                for lb in labels
                if lb.house == a.house and lb.onset - TAIL <= a.detected_at <= _end(lb)
            ]
            s.false.append(
                f"{a.house} {a.kind} {a.detected_at:%m-%d %H:%M} {a.magnitude_pct:.1f} {a.evidence.get('channel', '')} near {near}"
            )
    for lb in labels:
        if lb.kind != "dead_counter":
            continue
        s.dead_counters += 1
        lo, hi = lb.onset, _end(lb)
        named = any(
            a.kind == "sensor_fault" and a.house == lb.house and a.row == lb.row and lo <= a.detected_at <= hi
            for a in alerts
        )
        dropped = any(a.house == lb.house and lo <= a.detected_at <= hi for a in drops)
        if named and not dropped:
            s.counters_recognised += 1
        else:
            s.missed.append(
                f"{lb.house} dead_counter row {lb.row} {lb.onset:%m-%d %H:%M} named={named} drop={dropped}"
            )
    for a in alerts:
        if a.kind == "sensor_fault" and not any(
            lb.kind == "dead_counter" and lb.house == a.house and lb.onset <= a.detected_at <= _end(lb)
            for lb in labels
        ):
            s.false_sensor_faults += 1
            s.false.append(f"{a.house} sensor_fault row {a.row} {a.detected_at:%m-%d %H:%M}")
    return s
