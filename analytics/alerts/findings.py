"""What the lifecycle consumes: a ``Finding`` per detector alert.

The detector (``analytics.detector.detect``) reports one alert per event.  In the live loop it
runs over the whole recent window, so its output also holds old, finished events; the lifecycle
tells them apart by ``detected_at`` (see ``lifecycle.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from analytics.alerts.models import dedupe_key
from analytics.detector.alerts import METER_STUCK, PROBE_STUCK

# A meter's or a probe's fault has no row; the sensor stands in its place in the de-duplication
# key, so a stuck water meter, a stuck feed meter, a stuck temperature probe and a house whose
# counting stopped are four alerts.
_SENSOR_OF_CAUSE = {cause: column.split("_")[0] + "_meter" for column, cause in METER_STUCK.items()}
_SENSOR_OF_CAUSE[PROBE_STUCK] = "temp_probe"


def _finite(v: Any) -> Any:
    """NaN and ±inf as None, also inside lists and dicts: they are not JSON, and PostgreSQL refused
    the alert's evidence or the outbox payload, and with it the whole pass, every pass."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite(x) for x in v]
    return v


def _aware(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _parse_time(v: Any) -> dt.datetime | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return _aware(v)
    return _aware(dt.datetime.fromisoformat(str(v).replace("Z", "+00:00")))


@dataclass(frozen=True, slots=True)
class Finding:
    """One detector alert as the lifecycle sees it."""

    unit: str
    kind: str
    detected_at: dt.datetime
    onset: dt.datetime | None = None
    magnitude_pct: float | None = None
    row: str | None = None
    message: str = ""
    message_zh: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "magnitude_pct", _finite(self.magnitude_pct))
        object.__setattr__(self, "evidence", _finite(self.evidence))
        if not self.unit or not self.kind:
            raise ValueError("a finding needs a unit and a kind")
        if self.detected_at.tzinfo is None:
            raise ValueError("detected_at must be timezone-aware")

    @property
    def subject(self) -> str | None:
        """What the alert is about within its house: the row, a meter or probe, or the house (None)."""
        if self.row is not None:
            return self.row
        return _SENSOR_OF_CAUSE.get(str(self.evidence.get("cause")))

    def key(self, site: str) -> str:
        return dedupe_key(site, self.unit, self.kind, self.subject)

    @classmethod
    def from_detector(cls, alert: Any) -> Finding:
        """Adapt an ``analytics.alert.DetectorAlert`` (or its ``to_json()`` dict)."""
        d = alert if isinstance(alert, dict) else alert.to_json()
        magnitude = d.get("magnitude_pct")
        row = d.get("row")
        detected = _parse_time(d["detected_at"])
        assert detected is not None
        return cls(
            unit=str(d["house"]),
            kind=str(d["kind"]),
            detected_at=detected,
            onset=_parse_time(d.get("onset")),
            magnitude_pct=None if magnitude is None else float(magnitude),
            row=None if row is None else str(row),
            message=str(d.get("message") or ""),
            message_zh=str(d.get("message_zh") or ""),
            evidence=dict(d.get("evidence") or {}),
        )


def latest_per_key(findings: Iterable[Finding], site: str) -> dict[str, Finding]:
    """The most recent finding of each (unit, kind, row): older episodes are history."""
    out: dict[str, Finding] = {}
    for f in findings:
        k = f.key(site)
        if k not in out or f.detected_at >= out[k].detected_at:
            out[k] = f
    return out
