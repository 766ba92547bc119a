"""The detector's alert: what happened, where, since when, how big, and the numbers behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# CONTRACTS §6 kinds plus the documented extras (see analytics/README.md).
KINDS = ("laying_drop", "water_drop", "feed_drop", "sensor_fault", "heat_stress")


def iso_z(when: datetime) -> str:
    """``2026-05-02T07:00:00Z`` (UTC, seconds, a literal Z)."""
    if when.tzinfo is None:
        raise ValueError("alert times must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class DetectorAlert:
    """One event the detector reports (one alert per event: it does not repeat while it lasts).

    ``magnitude_pct`` is in percentage points of hen-day for ``laying_drop`` and ``sensor_fault``
    (the share of the house's eggs the row normally counts, as hen-day points); for ``water_drop`` and
    ``feed_drop`` it is the fall of consumption in percent of the expected amount; for ``heat_stress``
    (an early warning: the house much warmer than on the previous days) the laying deficit so far.
    """

    house: str
    kind: str
    detected_at: datetime
    onset: datetime
    magnitude_pct: float
    row: str | None
    message: str
    message_zh: str
    evidence: dict[str, float | str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}")
        if self.detected_at.tzinfo is None or self.onset.tzinfo is None:
            raise ValueError("alert times must be timezone-aware")
        if self.onset > self.detected_at:
            raise ValueError("onset after detected_at")

    def to_json(self) -> dict[str, Any]:
        """The CONTRACTS §6 object, plus ``message_zh`` and ``evidence``."""
        return {
            "house": self.house,
            "kind": self.kind,
            "detected_at": iso_z(self.detected_at),
            "onset": iso_z(self.onset),
            "magnitude_pct": round(float(self.magnitude_pct), 1),
            "row": self.row,
            "message": self.message,
            "message_zh": self.message_zh,
            "evidence": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.evidence.items()},
        }
