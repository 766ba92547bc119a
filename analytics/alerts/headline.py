"""Which alert a unit's retained MQTT topic should end on.

The topic holds one alert object per unit: whichever changed last.  When that is an acknowledged or
resolved alert while another of the unit's alerts is more urgent (open, or acknowledged but not
resolved), the more urgent one must be published again after it, or a dashboard connecting later
is told "resolved" while the house still has an open alert.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.alerts.models import ACTIVE, Alert

URGENCY = {"open": 0, "acknowledged": 1}  # anything else (resolved) ranks after these


def more_urgent(session: Session, site: str, unit: str, status: str, alert_id: int) -> Alert | None:
    """The unit's alert to publish after ``alert_id`` (now in ``status``), or None: the most
    urgent active one, then the newest — what the topic would hold had it changed last."""
    if status == "open":
        return None  # nothing is more urgent (and a pass opening many alerts costs no query)
    mine = URGENCY.get(status, len(URGENCY))
    others = session.scalars(
        select(Alert).where(
            Alert.site == site, Alert.unit == unit, Alert.status.in_(ACTIVE), Alert.id != alert_id
        )
    ).all()
    candidates = [a for a in others if URGENCY[a.status] < mine]
    return min(candidates, key=lambda a: (URGENCY[a.status], -a.id)) if candidates else None
