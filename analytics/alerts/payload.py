"""The published alert object: CONTRACTS §6 fields plus id, status, site, message_zh, evidence
and the lifecycle times (compatible extension; every consumer sees the same object)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics.alerts.models import Alert


def iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def alert_object(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "site": a.site,
        "house": a.unit,
        "unit": a.unit,
        "kind": a.kind,
        "row": a.row,
        "status": a.status,
        "detected_at": iso(a.detected_at),
        "onset": iso(a.onset),
        "magnitude_pct": a.magnitude_pct,
        "message": a.message,
        "message_zh": a.message_zh,
        "evidence": a.evidence or {},
        "opened_at": iso(a.opened_at),
        "acknowledged_at": iso(a.acknowledged_at),
        "acknowledged_by": a.acknowledged_by,
        "escalated_at": iso(a.escalated_at),
        "resolved_at": iso(a.resolved_at),
        "resolved_by": a.resolved_by,
        "resolution": a.resolution,
        "recipients": list(a.recipients or []),
    }
