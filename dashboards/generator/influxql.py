"""InfluxQL fragments for eggwatch's schema (measurement = metric, tags site/unit/device, field ``value``).

Counters are never shown raw: an increase is ``non_negative_difference(last("value"))`` per
interval (a counter reset or wrap gives no negative step), summed over devices and tags in an
outer query.  Day buckets use the park's time zone so "today" means the local day.
"""

from __future__ import annotations

TZ = "tz('Asia/Shanghai')"
SITE = "\"site\" = '$site'"
HOUSES = '"unit" =~ /^$house$/'  # multi-value variable: Grafana formats it as a regex group
HOUSE = "\"unit\" = '$house'"
LINES = '"unit" =~ /^$line$/'


def increases(metric: str, where: str, bucket: str = "$__interval") -> str:
    """Per-bucket increases of a counter.  ``GROUP BY *`` keeps every series (device and all its
    tags) apart: merging two counters before ``difference`` would mix their readings."""
    return (
        f'SELECT non_negative_difference(last("value")) AS "inc" FROM "{metric}" '
        f"WHERE {SITE} AND {where} AND $timeFilter GROUP BY time({bucket}), *"
    )


def summed(inner: str, group: str, tz: bool = False) -> str:
    """Sum an increases sub-query by ``group`` (e.g. ``time(1d), "unit"``)."""
    tail = f" {TZ}" if tz else ""
    by = f" GROUP BY {group}" if group else ""
    return f'SELECT sum("inc") FROM ({inner}) WHERE $timeFilter{by}{tail}'


def daily_increases(metric: str, where: str, by: str = '"unit"') -> str:
    return summed(increases(metric, where, bucket="1h"), f"time(1d), {by}", tz=True)


def gauge(
    metric: str, where: str, agg: str = "mean", group: str = 'time($__interval), "unit"', tz: bool = False
) -> str:
    tail = f" {TZ}" if tz else ""
    by = f" GROUP BY {group}" if group else ""
    return f'SELECT {agg}("value") FROM "{metric}" WHERE {SITE} AND {where} AND $timeFilter{by}{tail}'


def silo_usage(where: str, group: str, tz: bool = False) -> str:
    """Feed used: the silo weight's decreases (a refill is an increase and is ignored)."""
    inner = (
        f'SELECT difference(last("value")) AS "d" FROM "feed_kg" WHERE {SITE} AND {where} AND $timeFilter '
        "GROUP BY time(1h), *"
    )
    tail = f" {TZ}" if tz else ""
    return f'SELECT sum("d") * -1 FROM ({inner}) WHERE "d" < 0 AND $timeFilter GROUP BY {group}{tail}'
