"""Grafana's query macros and template variables, filled in the way Grafana does before a query runs.

Only what eggwatch's dashboards use: ``$timeFilter`` and ``$__interval`` (InfluxQL), and
``$__timeFilter(col)``, ``$__timeGroupAlias(col, 'iv')`` (PostgreSQL).  Panel time overrides
(``timeFrom``, ``timeShift``, ``now/d``) resolve against a fixed reference "now".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

_DURATION = re.compile(r"^(\d+)([smhdwMy])(/[dwMy])?$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2_592_000, "y": 31_536_000}


def _seconds(text: str) -> int:
    m = _DURATION.match(text)
    assert m, f"unsupported duration {text!r}"
    return int(m.group(1)) * _SECONDS[m.group(2)]


@dataclass(frozen=True)
class TimeRange:
    start: dt.datetime
    end: dt.datetime

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * 1000)

    def interval(self) -> str:
        """``$__interval``: the range over ~1000 points, rounded up to a tidy step (≥ 10 s)."""
        raw = (self.end - self.start).total_seconds() / 1000
        for step, text in ((10, "10s"), (60, "1m"), (300, "5m"), (600, "10m"), (1800, "30m"), (3600, "1h")):
            if raw <= step:
                return text
        return "1d"


def panel_range(
    dashboard: dict[str, Any], panel: dict[str, Any], now: dt.datetime, tz: dt.tzinfo
) -> TimeRange:
    """The time range a panel queries: the dashboard's, or the panel's relative time and shift;
    "now/d" and "/d" in the dashboard's own zone if it names one (else ``tz``, the viewer's)."""
    if dashboard.get("timezone") not in (None, "", "browser"):
        tz = dt.UTC if dashboard["timezone"] == "utc" else ZoneInfo(dashboard["timezone"])
    spec = panel.get("timeFrom") or dashboard["time"]["from"]
    spec = spec.removeprefix("now-") if spec != "now/d" else spec
    end = now
    if spec == "now/d":
        start = dt.datetime.combine(now.astimezone(tz).date(), dt.time(0), tz)
    else:
        start = now - dt.timedelta(seconds=_seconds(spec))
    shift = panel.get("timeShift")
    if shift:
        m = _DURATION.match(shift)
        assert m, shift
        delta = dt.timedelta(seconds=_seconds(m.group(1) + m.group(2)))
        start, end = start - delta, end - delta
        if m.group(3) == "/d":  # "1d/d": the whole previous local day
            day = end.astimezone(tz).date()
            start = dt.datetime.combine(day, dt.time(0), tz)
            end = start + dt.timedelta(days=1)
    return TimeRange(start, end)


def fill_influxql(query: str, rng: TimeRange, variables: dict[str, str], interval: str | None = None) -> str:
    q = query.replace("$timeFilter", f"time >= {rng.start_ms}ms AND time <= {rng.end_ms}ms")
    q = q.replace("$__interval", interval or rng.interval())
    for name in sorted(variables, key=len, reverse=True):
        q = q.replace(f"${name}", variables[name])
    assert not re.search(r"\$(?!/|tag_)", q), f"unfilled macro in {q}"  # $/ ends a regex
    return q


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fill_sql(query: str, rng: TimeRange) -> str:
    def time_filter(m: re.Match[str]) -> str:
        return f"{m.group(1)} BETWEEN '{_iso(rng.start)}' AND '{_iso(rng.end)}'"

    def time_group_alias(m: re.Match[str]) -> str:
        step = _seconds(m.group(2))
        return f'floor(extract(epoch from {m.group(1)})/{step})*{step} AS "time"'

    q = re.sub(r"\$__timeFilter\(([^)]+)\)", time_filter, query)
    q = re.sub(r"\$__timeGroupAlias\(([^,]+),\s*'([^']+)'\)", time_group_alias, q)
    assert "$" not in q, f"unfilled macro in {q}"
    return q
