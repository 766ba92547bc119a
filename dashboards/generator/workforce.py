"""The PostgreSQL dashboards: alerts (``alert`` table) and employment (workforce tables).

Column names follow ``analytics/alerts/models.py`` and ``api/models``; times are stored as naive
UTC, which Grafana's ``$__timeFilter`` compares correctly (it sends UTC bounds).  Money is fen.
"""

from __future__ import annotations

from analytics.alerts.render import KIND_EN, KIND_ZH, STATUS_EN, STATUS_ZH
from dashboards.generator.panels import (
    CNY,
    CNY_DECIMALS,
    GREEN,
    ORANGE,
    PARK_ZONE,
    RED,
    YELLOW,
    Json,
    Layout,
    bargauge,
    column_unit,
    dashboard,
    piechart,
    sql,
    stat,
    steps,
    table,
    timeseries,
)

TZ = PARK_ZONE


def local_start(unit: str, column: str, naive_utc: bool = False) -> str:
    """The start of ``column``'s local day or month (a timestamptz).  Grafana's ``$__timeGroup``
    buckets by UTC epoch, so its days began at 08:00 in the park: an alert at 07:30 counted for
    the day before.  ``naive_utc``: a ``timestamp`` column holding UTC (the alert table)."""
    value = f"{column} AT TIME ZONE 'UTC'" if naive_utc else column
    return f"date_trunc('{unit}', {value}, '{TZ}') AS \"time\""


def labelled(column: str, zh: dict[str, str], en: dict[str, str]) -> str:
    """A CASE showing a code in the words the alert messages use (zh-CN, then English), an unknown
    code as itself: managers read 产蛋率下降 laying-rate drop, not laying_drop."""
    whens = " ".join(f"WHEN '{code}' THEN '{zh[code]} {en.get(code, code)}'" for code in zh)
    return f"CASE {column} {whens} ELSE {column} END"


KIND = labelled("kind", KIND_ZH, KIND_EN)
STATUS = labelled("status", STATUS_ZH, STATUS_EN)
# A laying drop, a counter fault and heat stress are measured in hen-day percentage points, water
# and feed drops in percent of the usual amount (analytics/alert.py): one "%" column mixed them.
IN_PERCENT = "kind IN ('water_drop', 'feed_drop')"
MAGNITUDE = (
    f'CASE WHEN {IN_PERCENT} THEN NULL ELSE magnitude_pct END AS "幅度（百分点） drop (points)", '
    f'CASE WHEN {IN_PERCENT} THEN magnitude_pct END AS "幅度 drop %"'
)
OPEN_ALERTS_SQL = f"""
SELECT unit AS "鸡舍/线 unit", {KIND} AS "类型 kind", row AS "列 row", {STATUS} AS "状态 status",
       opened_at AS "开始 opened", {MAGNITUDE},
       COALESCE(NULLIF(message_zh, ''), message) AS "说明 message"
FROM alert WHERE status IN ('open', 'acknowledged') ORDER BY status DESC, opened_at DESC LIMIT 200
"""
ACK_TIME = steps(GREEN, (1800, YELLOW), (7200, RED))  # seconds: half an hour, two hours


def open_alerts_table(lay: Layout, w: int = 24, h: int = 8) -> Json:
    return table(
        lay,
        "未关闭告警 Active alerts",
        [sql("A", OPEN_ALERTS_SQL)],
        w=w,
        h=h,
        description="未确认（open）与已确认未恢复（acknowledged）的告警。Open and acknowledged, not yet resolved.",
    )


def status_count(lay: Layout, title: str, status: str, thresholds: Json) -> Json:
    """A small tile counting the alerts that are now in ``status``."""
    query = f"SELECT count(*) AS \"{status}\" FROM alert WHERE status = '{status}'"
    return stat(lay, title, [sql("A", query)], thresholds=thresholds, w=6, h=5)


def alerts() -> Json:
    lay = Layout()
    panels = [
        status_count(lay, "未确认 Open", "open", steps(GREEN, (1, ORANGE), (5, RED))),
        status_count(lay, "已确认未恢复 Acknowledged", "acknowledged", steps(GREEN, (1, YELLOW))),
        stat(
            lay,
            "确认用时中位数 Median time to acknowledge",
            [
                sql(
                    "A",
                    """SELECT percentile_cont(0.5) WITHIN GROUP (
                         ORDER BY extract(epoch FROM acknowledged_at - opened_at)) AS "median"
                       FROM alert WHERE acknowledged_at IS NOT NULL AND $__timeFilter(opened_at)""",
                )
            ],
            unit="s",
            thresholds=ACK_TIME,
            w=6,
            h=5,
        ),
        stat(
            lay,
            "期间告警数 Alerts in period",
            [sql("A", 'SELECT count(*) AS "alerts" FROM alert WHERE $__timeFilter(opened_at)')],
            w=6,
            h=5,
        ),
        open_alerts_table(lay),
        timeseries(
            lay,
            "每日告警（按类型） Alerts per day by kind",
            [
                sql(
                    "A",
                    f"""SELECT {local_start("day", "opened_at", naive_utc=True)}, {KIND} AS metric, count(*) AS value
                       FROM alert WHERE $__timeFilter(opened_at) GROUP BY 1, 2 ORDER BY 1""",
                    fmt="time_series",
                )
            ],
            draw="bars",
            stacking="normal",
            calcs=["sum"],
            w=12,
        ),
        timeseries(
            lay,
            "确认用时 Time to acknowledge",
            [
                sql(
                    "A",
                    f"""SELECT {local_start("day", "opened_at", naive_utc=True)},
                         avg(extract(epoch FROM acknowledged_at - opened_at)) AS "平均 mean"
                       FROM alert WHERE acknowledged_at IS NOT NULL AND $__timeFilter(opened_at)
                       GROUP BY 1 ORDER BY 1""",
                    fmt="time_series",
                )
            ],
            unit="s",
            draw="bars",
            thresholds=ACK_TIME,
            w=12,
        ),
        bargauge(
            lay,
            "按鸡舍或包装线 By house or line",
            [
                sql(
                    "A",
                    """SELECT unit AS "unit", count(*) AS "alerts" FROM alert
                       WHERE $__timeFilter(opened_at) GROUP BY unit ORDER BY unit""",
                )
            ],
            w=12,
            h=9,
            values=True,
        ),
        table(
            lay,
            "按鸡舍和类型 By house and kind",
            [
                sql(
                    "A",
                    f"""SELECT unit AS "鸡舍/线 unit", {KIND} AS "类型 kind", count(*) AS "告警 alerts",
                         count(acknowledged_at) AS "已确认 acknowledged",
                         round(avg(extract(epoch FROM acknowledged_at - opened_at)) / 60) AS "平均确认分钟 mean minutes to ack"
                       FROM alert WHERE $__timeFilter(opened_at) GROUP BY unit, kind ORDER BY unit, kind""",
                )
            ],
            w=12,
            h=9,
        ),
    ]
    return dashboard(
        "eggwatch-alerts",
        "告警 Alerts",
        panels,
        variables=[],
        time_from="now-30d",
        refresh="1m",
        tags=["alerts"],
        description="告警：未确认、已确认、确认用时，按鸡舍和类型。Open, acknowledged, time to acknowledge, by house and kind.",
    )


# A payroll run's wages count once it is approved (paid or not yet), dated by the period it covers;
# every wage figure uses this, so the tiles, the bars and the table agree.
COUNTED_RUNS = "r.status IN ('approved', 'paid') AND $__timeFilter(r.period_start)"

# Wages count for the household (and village) recorded on the line when its run was approved, as in
# the API's reports; the worker's current household only for lines without that record.
LINE_VILLAGE = "COALESCE(l.household_village, h.village)"
LINE_HOUSEHOLD_JOIN = """JOIN workers w ON w.id = l.worker_id
LEFT JOIN households h ON h.id = COALESCE(l.household_id, w.household_id)"""

WAGES_BY_VILLAGE = f"""
SELECT date_trunc('month', r.period_start)::timestamp AT TIME ZONE '{TZ}' AS "time",
       {LINE_VILLAGE} AS metric,
       sum(l.net_fen) / 100.0 AS value
FROM payroll_lines l
JOIN payroll_runs r ON r.id = l.run_id
{LINE_HOUSEHOLD_JOIN}
WHERE {COUNTED_RUNS}
GROUP BY 1, 2 ORDER BY 1, 2
"""


def employment() -> Json:
    lay = Layout()
    panels = [
        stat(
            lay,
            "在职工人 Workers employed",
            [sql("A", 'SELECT count(*) AS "workers" FROM workers WHERE active')],
            w=6,
            h=5,
        ),
        stat(
            lay,
            "建档立卡户占比 Share from registered-poor households",
            [
                sql(
                    "A",
                    """SELECT 100.0 * count(*) FILTER (WHERE h.registered_poor) / NULLIF(count(*), 0) AS "share"
                       FROM workers w JOIN households h ON h.id = w.household_id WHERE w.active""",
                )
            ],
            unit="percent",
            decimals=1,
            thresholds=steps(ORANGE, (30, GREEN)),
            w=6,
            h=5,
        ),
        stat(
            lay,
            "受益农户 Households with a worker",
            [
                sql(
                    "A",
                    """SELECT count(DISTINCT w.household_id) AS "households" FROM workers w WHERE w.active""",
                )
            ],
            w=6,
            h=5,
        ),
        stat(
            lay,
            "期间工资总额 Wages in period",
            [
                sql(
                    "A",
                    f"""SELECT sum(l.net_fen) / 100.0 AS "wages" FROM payroll_lines l
                       JOIN payroll_runs r ON r.id = l.run_id
                       WHERE {COUNTED_RUNS}""",
                )
            ],
            unit=CNY,
            decimals=CNY_DECIMALS,
            w=6,
            h=5,
        ),
        timeseries(
            lay,
            "各村月工资 Wages by village and month",
            [sql("A", WAGES_BY_VILLAGE, fmt="time_series")],
            unit=CNY,
            decimals=CNY_DECIMALS,
            draw="bars",
            stacking="normal",
            calcs=["sum"],
            w=16,
            h=9,
            description="已审批/已发放的工资单净额（不含事后调整）。Net pay of approved/paid runs (adjustments not included).",
        ),
        piechart(
            lay,
            "工人来源 Workers by village",
            [
                sql(
                    "A",
                    """SELECT h.village AS "village", count(*) AS "workers"
                       FROM workers w JOIN households h ON h.id = w.household_id
                       WHERE w.active GROUP BY h.village ORDER BY h.village""",
                )
            ],
            w=8,
            h=9,
            values=True,
        ),
        table(
            lay,
            "各村就业与收入 Employment and wages by village",
            [
                sql(
                    "A",
                    f"""SELECT village AS "村 village", township AS "乡镇 township",
                         sum(workers) AS "工人 workers", sum(poor) AS "建档立卡 registered poor",
                         sum(wages_fen) / 100.0 AS "期间工资 wages (CNY)"
                       FROM (
                         SELECT h.village, h.township, count(DISTINCT w.id) AS workers,
                                count(DISTINCT w.id) FILTER (WHERE h.registered_poor) AS poor, 0 AS wages_fen
                         FROM households h JOIN workers w ON w.household_id = h.id
                         GROUP BY h.village, h.township
                         UNION ALL
                         SELECT {LINE_VILLAGE}, COALESCE(l.household_township, h.township), 0, 0, sum(l.net_fen)
                         FROM payroll_lines l
                         JOIN payroll_runs r ON r.id = l.run_id
                         {LINE_HOUSEHOLD_JOIN}
                         WHERE {COUNTED_RUNS}
                         GROUP BY 1, 2
                       ) v
                       GROUP BY village, township ORDER BY township, village""",
                )
            ],
            # the panel's "short" would print the wages as "227 K"
            overrides=[column_unit("期间工资 wages (CNY)", CNY, CNY_DECIMALS)],
            w=12,
            h=9,
        ),
        timeseries(
            lay,
            "每月工时 Hours worked per month",
            [
                sql(
                    "A",
                    f"""SELECT {local_start("month", "s.start_at")}, l.kind AS metric,
                         sum(extract(epoch FROM s.end_at - s.start_at) / 3600.0 - s.break_minutes / 60.0) AS value
                       FROM shifts s JOIN locations l ON l.id = s.location_id
                       WHERE $__timeFilter(s.start_at) GROUP BY 1, 2 ORDER BY 1, 2""",
                    fmt="time_series",
                )
            ],
            unit="h",
            draw="bars",
            stacking="normal",
            calcs=["sum"],
            w=12,
            h=9,
        ),
    ]
    return dashboard(
        "eggwatch-employment",
        "就业与收入 Employment",
        panels,
        variables=[],
        time_from="now-1y",
        refresh="1h",
        tags=["workforce"],
        description="就业、建档立卡户占比、各村月工资。Workers, share from registered-poor households, wages by village and month.",
    )
