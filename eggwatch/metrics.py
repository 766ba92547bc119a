"""The metric registry: every metric a reading may carry (CONTRACTS §3).

Each metric declares its unit, kind, value type and valid range.  The value type is fixed per
metric so InfluxDB never sees an integer and a float for the same field (a field-type conflict
would reject whole batches).  Descriptions are given in zh-CN and English for labels and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    GAUGE = "gauge"  # a level: the latest value is the truth
    COUNTER = "counter"  # cumulative; analytics uses increases (wraps and resets handled)
    DELTA = "delta"  # a count within the reporting interval (e.g. mortality); sum to aggregate


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    unit: str
    kind: Kind
    integer: bool  # stored as an InfluxDB integer field (``123i``) rather than a float
    min: float
    max: float
    en: str
    zh: str
    tags: tuple[str, ...] = ()  # typical tag keys (documentation; other tags are allowed)
    area: str = "house"  # "house", "line" or "park": where the metric is measured

    def check(self, value: float) -> str | None:
        """Return ``None`` if ``value`` is acceptable, else the reason it is not."""
        if not self.min <= value <= self.max:
            return f"{self.name}={value!r} outside its valid range [{self.min:g}, {self.max:g}] {self.unit}"
        if self.integer and value != int(value):
            return f"{self.name} takes whole numbers, got {value!r}"
        return None


_U32 = float(2**32 - 1)
_BIG = 1e15

_METRICS = [
    # --- henhouse climate -----------------------------------------------------------------------
    Metric("temp_c", "°C", Kind.GAUGE, False, -40, 60, "House air temperature", "舍内温度"),
    Metric("outdoor_temp_c", "°C", Kind.GAUGE, False, -50, 60, "Outdoor air temperature", "舍外温度"),
    Metric("rh_pct", "%", Kind.GAUGE, False, 0, 100, "Relative humidity", "相对湿度"),
    Metric("nh3_ppm", "ppm", Kind.GAUGE, False, 0, 500, "Ammonia concentration", "氨气浓度"),
    Metric("co2_ppm", "ppm", Kind.GAUGE, False, 0, 20000, "Carbon dioxide concentration", "二氧化碳浓度"),
    Metric("light_lux", "lx", Kind.GAUGE, False, 0, 100000, "Light intensity", "光照强度"),
    Metric("static_pressure_pa", "Pa", Kind.GAUGE, False, -500, 500, "Static pressure", "舍内静压"),
    # --- water, feed, birds -----------------------------------------------------------------------
    Metric(
        "water_l_total",
        "l",
        Kind.COUNTER,
        False,
        0,
        _BIG,
        "Water meter reading (cumulative)",
        "水表累计读数",
        ("line",),
    ),
    Metric("feed_kg", "kg", Kind.GAUGE, False, 0, 200000, "Feed silo weight", "料塔重量", ("silo",)),
    Metric(
        "bird_weight_g",
        "g",
        Kind.GAUGE,
        False,
        0,
        10000,
        "Average bird weight (platform scale)",
        "平均体重（称重平台）",
        ("scale",),
    ),
    Metric(
        "hens_housed",
        "birds",
        Kind.GAUGE,
        True,
        0,
        2_000_000,
        "Hens in the house (controller count)",
        "存栏数",
    ),
    Metric(
        "hen_day_expected_pct",
        "%",
        Kind.GAUGE,
        False,
        0,
        100,
        "Breed-standard hen-day % for the flock's age (derived from park.yaml by `dashboards standards`)",
        "品种标准产蛋率（按周龄，由园区配置计算）",
    ),
    Metric("mortality", "birds", Kind.DELTA, True, 0, 100000, "Birds found dead in the interval", "死淘数"),
    Metric(
        "eggs_total",
        "eggs",
        Kind.COUNTER,
        True,
        0,
        _BIG,
        "Egg counter reading per row (cumulative)",
        "集蛋计数器累计读数",
        ("row", "tier"),
    ),
    # --- grading and packing lines ----------------------------------------------------------------
    Metric(
        "eggs_graded_total",
        "eggs",
        Kind.COUNTER,
        True,
        0,
        _BIG,
        "Eggs graded (cumulative, by grade)",
        "分级蛋数累计",
        ("grade",),
        "line",
    ),
    Metric(
        "rejects_total",
        "eggs",
        Kind.COUNTER,
        True,
        0,
        _BIG,
        "Eggs rejected (cumulative, by reason)",
        "剔除蛋数累计",
        ("reason",),
        "line",
    ),
    Metric(
        "cases_packed_total",
        "cases",
        Kind.COUNTER,
        True,
        0,
        _BIG,
        "Cases packed (cumulative)",
        "装箱数累计",
        (),
        "line",
    ),
    Metric("line_speed_eph", "eggs/h", Kind.GAUGE, False, 0, 1_000_000, "Line speed", "线速度", (), "line"),
    Metric(
        "line_state",
        "",
        Kind.GAUGE,
        True,
        0,
        2,
        "Line state (0 stopped, 1 running, 2 fault)",
        "线状态（0 停止，1 运行，2 故障）",
        (),
        "line",
    ),
]

REGISTRY: dict[str, Metric] = {m.name: m for m in _METRICS}
U32_MAX = _U32


def get(name: str) -> Metric | None:
    return REGISTRY.get(name)


# What users read for the tag values of the packing line (legends, labels): zh-CN, English.
# Grades by egg weight as the simulator and the grader stub write them (小 < 53 g … 特大 ≥ 73 g).
TAG_VALUE_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "grade": {
        "s": ("小", "small"),
        "m": ("中", "medium"),
        "l": ("大", "large"),
        "xl": ("特大", "extra large"),
    },
    "reason": {"cracked": ("破损蛋", "cracked"), "dirty": ("脏蛋", "dirty")},
}
