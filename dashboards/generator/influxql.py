"""InfluxQL fragments for eggwatch's schema (measurement = metric, tags site/unit/device, field ``value``).

Counters are never shown raw: an increase is ``non_negative_difference(last("value"))`` per
interval (a counter reset or wrap gives no negative step), summed over devices and tags in an
outer query.  Day buckets use the park's time zone so "today" means the local day.
"""

from __future__ import annotations

from dashboards.generator.panels import PARK_ZONE

TZ = f"tz('{PARK_ZONE}')"
SITE = "\"site\" = '$site'"
HOUSES = '"unit" =~ /^$house$/'  # multi-value variable: Grafana formats it as a regex group
HOUSE = "\"unit\" = '$house'"
LINES = '"unit" =~ /^$line$/'


def _where_clause(where: str) -> str:
    """The WHERE clause of every raw query: the chosen site, ``where`` and the dashboard's range."""
    return f"WHERE {SITE} AND {where} AND $timeFilter"


def _group_by(group: str, tz: bool) -> str:
    """`` GROUP BY group`` (nothing if ``group`` is empty), with day buckets in local time if ``tz``."""
    by = f" GROUP BY {group}" if group else ""
    tail = f" {TZ}" if tz else ""
    return by + tail


def increases(metric: str, where: str, bucket: str = "$__interval") -> str:
    """Per-bucket increases of a counter.  ``GROUP BY *`` keeps every series (device and all its
    tags) apart: merging two counters before ``difference`` would mix their readings."""
    return (
        f'SELECT non_negative_difference(last("value")) AS "inc" FROM "{metric}" '
        f"{_where_clause(where)} GROUP BY time({bucket}), *"
    )


def summed(inner: str, group: str, tz: bool = False) -> str:
    """Sum an increases sub-query by ``group`` (e.g. ``time(1d), "unit"``)."""
    return f'SELECT sum("inc") FROM ({inner}) WHERE $timeFilter{_group_by(group, tz)}'


def daily_increases(metric: str, where: str, by: str = '"unit"') -> str:
    return summed(increases(metric, where, bucket="1h"), f"time(1d), {by}", tz=True)


def hourly_rate(metric: str, where: str, group: str = 'time($__interval), "unit"') -> str:
    """A counter's rate per hour, taken per series as in ``increases`` and summed by ``group``."""
    inner = (
        f'SELECT non_negative_derivative(last("value"), 1h) AS "rate" FROM "{metric}" '
        f"{_where_clause(where)} GROUP BY time($__interval), *"
    )
    return f'SELECT sum("rate") FROM ({inner}) WHERE $timeFilter{_group_by(group, tz=False)}'


def gauge(
    metric: str, where: str, agg: str = "mean", group: str = 'time($__interval), "unit"', tz: bool = False
) -> str:
    return f'SELECT {agg}("value") FROM "{metric}" {_where_clause(where)}{_group_by(group, tz)}'


def daily_last(metric: str, where: str) -> str:
    """A gauge's last reading of each local day, per unit (e.g. hens housed)."""
    return gauge(metric, where, "last", 'time(1d), "unit"', tz=True)


def silo_usage(where: str, group: str, tz: bool = False) -> str:
    """Feed used: the silo weight's decreases (a refill is an increase and is ignored)."""
    inner = (
        f'SELECT difference(last("value")) AS "d" FROM "feed_kg" {_where_clause(where)} GROUP BY time(1h), *'
    )
    return f'SELECT sum("d") * -1 FROM ({inner}) WHERE "d" < 0 AND $timeFilter{_group_by(group, tz)}'
