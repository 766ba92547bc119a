"""The InfluxDB dashboards: park overview, house detail, packing line."""

from __future__ import annotations

from typing import Any

from dashboards.generator import influxql as q
from dashboards.generator.panels import (
    BLUE,
    GREEN,
    ORANGE,
    RED,
    YELLOW,
    Json,
    Layout,
    bargauge,
    dashboard,
    hidden,
    influx,
    influx_variable,
    math,
    named_by_label,
    piechart,
    stat,
    state_timeline,
    steps,
    timeseries,
    value_names,
)
from dashboards.generator.workforce import open_alerts_table
from eggwatch.metrics import TAG_VALUE_NAMES

SITE_VAR = influx_variable("site", "园区 Site", 'SHOW TAG VALUES FROM "eggs_total" WITH KEY = "site"')
TODAY = "now/d"

HEN_DAY_THRESHOLDS = steps(RED, (70, ORANGE), (85, GREEN))
TEMP = steps(BLUE, (15, GREEN), (27, YELLOW), (30, RED))
RH = steps(YELLOW, (40, GREEN), (75, YELLOW), (85, RED))
NH3 = steps(GREEN, (15, YELLOW), (25, RED))  # 25 ppm: the usual occupational and welfare limit
CO2 = steps(GREEN, (2500, YELLOW), (3000, RED))  # 3000 ppm: EU broiler/layer welfare guidance
REJECT_RATE = steps(GREEN, (2, YELLOW), (4, RED))  # % of the eggs through the grader

LINE_STATE_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "0": {"text": "停止 stopped", "color": "yellow", "index": 0},
            "1": {"text": "运行 running", "color": "green", "index": 1},
            "2": {"text": "故障 fault", "color": "red", "index": 2},
        },
    }
]
LINE_STATE_COLOURS = steps(YELLOW, (1, GREEN), (2, RED))  # the mappings' colours, by state value


def unit_variable(name: str, label: str, measurement: str, *, multi: bool = False) -> Json:
    """A variable listing the units (houses or lines) of the chosen site that report ``measurement``."""
    query = f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "unit" WHERE "site" = \'$site\''
    return influx_variable(name, label, query, multi=multi)


def today_total(lay: Layout, title: str, targets: list[Json], **kw: Any) -> Json:
    """A small tile with the sum of ``targets`` since local midnight."""
    return stat(lay, title, targets, calc="sum", w=6, h=5, time_from=TODAY, **kw)


def hen_day_targets(where: str) -> list[Json]:
    """Daily hen-day % per house (eggs ÷ hens housed) and the breed standard for its age."""
    return [
        hidden(influx("A", q.daily_increases("eggs_total", where))),
        hidden(influx("B", q.daily_last("hens_housed", where))),
        math("C", "$A / $B * 100"),
        influx("D", q.daily_last("hen_day_expected_pct", where), "标准 standard $tag_unit"),
    ]


def hen_day_chart(lay: Layout, where: str, **kw: Any) -> Json:
    """The hen-day % of ``hen_day_targets`` on a 0–100 % axis; ``kw`` sizes and places it."""
    return timeseries(
        lay,
        "产蛋率 vs 品种标准 Hen-day % vs breed standard",
        hen_day_targets(where),
        unit="percent",
        decimals=1,
        min_value=0,
        max_value=100,
        thresholds=HEN_DAY_THRESHOLDS,
        overrides=[named_by_label("C")],
        **kw,
    )


def per_hen_per_day(daily_amount: str, where: str) -> list[Json]:
    """A daily amount (query ``daily_amount``, in litres or kg) per hen housed, in ml or g."""
    return [
        hidden(influx("A", daily_amount)),
        hidden(influx("B", q.daily_last("hens_housed", where))),
        math("C", "$A * 1000 / $B"),
    ]


def reject_rate(rejects: str, graded: str, group: str) -> list[Json]:
    """Rejects as % of all eggs through the grader, both counters' increases summed by ``group``."""
    return [
        hidden(influx("A", q.summed(rejects, group))),
        hidden(influx("B", q.summed(graded, group))),
        math("C", "$A / ($A + $B) * 100"),
    ]


def park_overview() -> Json:
    lay = Layout()
    houses = unit_variable("house", "鸡舍 House", "eggs_total", multi=True)
    w = q.HOUSES
    panels = [
        today_total(
            lay,
            "今日产蛋（全场） Eggs today, park",
            [influx("A", q.summed(q.increases("eggs_total", w), ""))],
            description="今天（本地时间）各计数器增量之和。Sum of all egg-counter increases since local midnight.",
        ),
        stat(
            lay,
            "今日产蛋 / 标准日产 Eggs today vs standard day",
            [
                hidden(influx("A", q.summed(q.increases("eggs_total", w), '"unit"'))),
                hidden(influx("B", q.gauge("hens_housed", w, "last", '"unit"'))),
                hidden(influx("D", q.gauge("hen_day_expected_pct", w, "last", '"unit"'))),
                math("C", "$A / ($B * $D / 100) * 100"),
            ],
            overrides=[named_by_label("C")],
            unit="percent",
            decimals=0,
            w=18,
            h=5,
            time_from=TODAY,
            thresholds=steps(RED, (80, ORANGE), (95, GREEN)),
            description="今日已计蛋数占按周龄标准全天产蛋数的百分比（上午集蛋后接近 100%）。"
            "Eggs counted today as % of the breed standard's daily eggs for the flock's age.",
        ),
        hen_day_chart(
            lay,
            where=w,
            w=24,
            h=9,
            description="每日产蛋数 ÷ 存栏数；虚线为品种标准（按周龄）。Daily eggs ÷ hens housed; the standard is the breed curve at the flock's age.",
        ),
        timeseries(
            lay,
            "每只鸡日饮水 Water per hen per day",
            per_hen_per_day(q.daily_increases("water_l_total", w), w),
            overrides=[named_by_label("C")],
            unit="mlitre",
            decimals=0,
            w=12,
            draw="bars",
            description="水表增量 ÷ 存栏数（毫升/只/天）。Water-meter increase ÷ hens (ml per hen per day).",
        ),
        timeseries(
            lay,
            "每只鸡日采食 Feed per hen per day",
            per_hen_per_day(q.silo_usage(w, 'time(1d), "unit"', tz=True), w),
            overrides=[named_by_label("C")],
            unit="massg",
            decimals=0,
            w=12,
            draw="bars",
            description="料塔重量下降量 ÷ 存栏数（克/只/天；补料不计）。Silo weight decrease ÷ hens (refills ignored).",
        ),
        open_alerts_table(lay, h=7),
    ]
    for metric, title, unit, th in (
        ("temp_c", "舍内温度 Temperature", "celsius", TEMP),
        ("rh_pct", "相对湿度 Humidity", "humidity", RH),
        ("nh3_ppm", "氨气 NH₃", "ppm", NH3),
        ("co2_ppm", "二氧化碳 CO₂", "ppm", CO2),
    ):
        panels.append(
            stat(
                lay,
                title,
                [influx("A", q.gauge(metric, w, "last", '"unit"'), "$tag_unit")],
                unit=unit,
                decimals=1 if unit != "ppm" else 0,
                thresholds=th,
                w=6,
                h=6,
                time_from="30m",
                description="最近 30 分钟的最新值。Latest value in the last 30 minutes.",
            )
        )
    return dashboard(
        "eggwatch-park-overview",
        "园区总览 Park overview",
        panels,
        variables=[SITE_VAR, houses],
        time_from="now-14d",
        refresh="5m",
        tags=["park"],
        description="产蛋率、饮水、采食与环境一览。Laying, water, feed and climate across the park.",
    )


def house_detail() -> Json:
    lay = Layout()
    house = unit_variable("house", "鸡舍 House", "eggs_total")
    w = q.HOUSE
    rows = q.increases("eggs_total", w)
    hourly_rows = q.increases("eggs_total", w, "1h")
    eggs_per_hour = q.summed(hourly_rows, "time(1h)")
    panels = [
        today_total(lay, "今日产蛋 Eggs today", [influx("A", q.summed(rows, ""))]),
        stat(
            lay,
            "昨日产蛋率 Hen-day % yesterday",
            [
                hidden(influx("A", q.summed(hourly_rows, ""))),
                hidden(influx("B", q.gauge("hens_housed", w, "last", ""))),
                math("C", "$A / $B * 100"),
            ],
            unit="percent",
            decimals=1,
            thresholds=HEN_DAY_THRESHOLDS,
            w=6,
            h=5,
            time_from=TODAY,
            time_shift="1d/d",  # with "now/d": the whole of yesterday
        ),
        stat(lay, "存栏 Hens housed", [influx("A", q.gauge("hens_housed", w, "last", '"unit"'))], w=6, h=5),
        today_total(
            lay,
            "今日死淘 Mortality today",
            [influx("A", q.gauge("mortality", w, "sum", '"unit"'))],
            thresholds=steps(GREEN, (20, YELLOW), (50, RED)),
        ),
        timeseries(
            lay,
            "各列每小时产蛋（计数器增量） Eggs per row per hour (counter increases)",
            [influx("A", hourly_rows, "列 row $tag_row 层 tier $tag_tier")],
            w=16,
            h=9,
            draw="bars",
            stacking="normal",
            calcs=["sum"],
        ),
        bargauge(
            lay,
            "今日各列产蛋 Eggs per row today",
            [influx("A", q.summed(rows, '"row"'), "列 row $tag_row")],
            calc="sum",
            w=8,
            h=9,
            time_from=TODAY,
            description="一列明显偏低多为计数器故障而非鸡群问题。A single low row usually means a counter fault, not the hens.",
        ),
        timeseries(
            lay,
            "今日每小时产蛋 Today's hourly laying",
            [influx("A", eggs_per_hour, "今日 today")],
            w=12,
            draw="bars",
            time_from=TODAY,
            calcs=["sum"],
        ),
        timeseries(
            lay,
            "近 7 天每小时产蛋（通常曲线） Hourly laying, last 7 days (usual profile)",
            [influx("A", eggs_per_hour, "每小时 hourly")],
            w=12,
            draw="bars",
            time_from="7d",
            calcs=["mean", "max"],
        ),
        timeseries(
            lay,
            "饮水量 Water use",
            [
                influx(
                    "A",
                    q.summed(q.increases("water_l_total", w, "1h"), 'time(1h), "line"'),
                    "水线 line $tag_line",
                )
            ],
            unit="litre",
            w=12,
            draw="bars",
            stacking="normal",
        ),
        timeseries(
            lay,
            "采食量与料塔 Feed used and silo weight",
            [
                influx("A", q.silo_usage(w, "time(1h)"), "每小时采食 feed used / h"),
                influx(
                    "B", q.gauge("feed_kg", w, "last", 'time($__interval), "silo"'), "料塔 silo $tag_silo"
                ),
            ],
            unit="masskg",
            w=12,
        ),
        timeseries(
            lay,
            "温度 Temperature",
            [
                influx("A", q.gauge("temp_c", w), "舍内 inside"),
                influx("B", q.gauge("outdoor_temp_c", w), "舍外 outside"),
            ],
            unit="celsius",
            decimals=1,
            thresholds=TEMP,
            w=12,
        ),
        timeseries(
            lay,
            "相对湿度 Humidity",
            [influx("A", q.gauge("rh_pct", w), "RH")],
            unit="humidity",
            thresholds=RH,
            w=12,
        ),
        timeseries(
            lay, "氨气 NH₃", [influx("A", q.gauge("nh3_ppm", w), "NH₃")], unit="ppm", thresholds=NH3, w=8
        ),
        timeseries(
            lay, "二氧化碳 CO₂", [influx("A", q.gauge("co2_ppm", w), "CO₂")], unit="ppm", thresholds=CO2, w=8
        ),
        timeseries(
            lay,
            "静压 Static pressure",
            [influx("A", q.gauge("static_pressure_pa", w), "Pa")],
            unit="pressurepa",
            thresholds=steps(GREEN, (-10, GREEN), (40, YELLOW), (60, RED)),
            w=8,
        ),
        timeseries(lay, "光照 Light", [influx("A", q.gauge("light_lux", w), "lx")], unit="lux", w=8),
        timeseries(
            lay,
            "平均体重 Bird weight",
            [
                influx(
                    "A",
                    q.gauge("bird_weight_g", w, "mean", 'time(1d), "scale"', tz=True),
                    "秤 scale $tag_scale",
                )
            ],
            unit="massg",
            decimals=0,
            w=8,
            time_from="30d",
        ),
        hen_day_chart(lay, where=w, w=8, time_from="30d"),
    ]
    return dashboard(
        "eggwatch-house-detail",
        "鸡舍详情 House detail",
        panels,
        variables=[SITE_VAR, house],
        time_from="now-2d",
        refresh="1m",
        tags=["house"],
        description="单个鸡舍：各列计数、产蛋曲线、水料、环境、体重。One house: rows, laying profile, water, feed, climate.",
    )


def packing_line() -> Json:
    lay = Layout()
    line = unit_variable("line", "包装线 Line", "eggs_graded_total", multi=True)
    w = q.LINES
    graded = q.increases("eggs_graded_total", w)
    rejects = q.increases("rejects_total", w)
    panels = [
        today_total(
            lay, "今日分级 Eggs graded today", [influx("A", q.summed(graded, '"unit"'), "$tag_unit")]
        ),
        today_total(
            lay,
            "今日装箱 Cases packed today",
            [influx("A", q.summed(q.increases("cases_packed_total", w), '"unit"'), "$tag_unit")],
        ),
        stat(
            lay,
            "今日剔除率 Reject rate today",
            reject_rate(rejects, graded, '"unit"'),
            overrides=[named_by_label("C")],
            unit="percent",
            decimals=2,
            thresholds=REJECT_RATE,
            w=6,
            h=5,
            time_from=TODAY,
        ),
        stat(
            lay,
            "线状态 Line state",
            [influx("A", q.gauge("line_state", w, "last", '"unit"'), "$tag_unit")],
            mappings=LINE_STATE_MAPPINGS,
            thresholds=LINE_STATE_COLOURS,
            w=6,
            h=5,
            time_from="15m",
        ),
        timeseries(
            lay,
            "产能 Throughput",
            [
                influx("A", q.hourly_rate("eggs_graded_total", w), "实际 graded $tag_unit"),
                influx("B", q.gauge("line_speed_eph", w), "线速度 speed $tag_unit"),
            ],
            unit="suffix: 枚/时 eggs/h",
            w=16,
            h=9,
        ),
        piechart(
            lay,
            "等级分布 Grade distribution",
            [influx("A", q.summed(graded, '"grade"'), "$tag_grade")],
            overrides=value_names(TAG_VALUE_NAMES["grade"]),
            w=8,
            h=9,
        ),
        timeseries(
            lay,
            "剔除原因 Rejects by reason",
            [influx("A", q.summed(rejects, 'time($__interval), "reason"'), "$tag_reason")],
            overrides=value_names(TAG_VALUE_NAMES["reason"]),
            draw="bars",
            stacking="normal",
            calcs=["sum"],
            w=12,
        ),
        timeseries(
            lay,
            "剔除率 Reject rate",
            reject_rate(rejects, graded, 'time(1h), "unit"'),
            overrides=[named_by_label("C")],
            unit="percent",
            decimals=2,
            thresholds=REJECT_RATE,
            w=12,
        ),
        timeseries(
            lay,
            "每小时装箱 Cases packed per hour",
            [
                influx(
                    "A", q.summed(q.increases("cases_packed_total", w, "1h"), 'time(1h), "unit"'), "$tag_unit"
                )
            ],
            draw="bars",
            calcs=["sum"],
            w=12,
        ),
        state_timeline(
            lay,
            "运行与停机 Running and stops",
            [
                influx(
                    "A",
                    q.gauge("line_state", w, "last", 'time($__interval), "unit" fill(previous)'),
                    "$tag_unit",
                )
            ],
            mappings=LINE_STATE_MAPPINGS,
            thresholds=LINE_STATE_COLOURS,
            w=12,
        ),
    ]
    return dashboard(
        "eggwatch-packing-line",
        "包装线 Packing line",
        panels,
        variables=[SITE_VAR, line],
        time_from="now/d",
        refresh="1m",
        tags=["packing"],
        description="分级包装线：产能、等级分布、剔除、装箱、停机。Grading and packing: throughput, grades, rejects, cases, stops.",
    )
