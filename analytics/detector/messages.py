"""Plain-language alert texts, English and zh-CN (the supervisor reads Chinese first)."""

from __future__ import annotations


def laying_drop(
    house: str,
    deficit: float,
    observed: float,
    expected: float,
    *,
    heat: bool = False,
    water_fall_pct: float | None = None,
    feed_fall_pct: float | None = None,
) -> tuple[str, str]:
    """The likely cause, where the other figures point to one: ``heat``, the house under heat stress
    these days; ``water_fall_pct`` / ``feed_fall_pct``, intake per hen down this much too (or None)."""
    en = (
        f"{house}: laying down {deficit:.1f} points — {observed:.1f}% hen-day over the last 24 h "
        f"against {expected:.1f}% expected for this flock. "
    )
    zh = (
        f"{house}：产蛋率下降 {deficit:.1f} 个百分点——近24小时饲养日产蛋率 {observed:.1f}%，"
        f"本群预期 {expected:.1f}%。"
    )
    if heat:
        en += "The house has been under heat stress: cool it, check the drinkers and the birds."
        zh += "鸡舍近日热应激：请降温，检查饮水器及鸡群状况。"
    elif water_fall_pct is not None and feed_fall_pct is not None:
        en += (
            f"Water and feed per hen are down {water_fall_pct:.0f}% and {feed_fall_pct:.0f}% too: "
            f"the hens drink and eat less. Check the birds first."
        )
        zh += f"每只鸡饮水量和采食量也分别下降 {water_fall_pct:.0f}% 和 {feed_fall_pct:.0f}%：鸡群饮水采食减少。请先检查鸡群。"
    elif water_fall_pct is not None:
        en += f"Water per hen is down {water_fall_pct:.0f}% too: check the water lines and the birds."
        zh += f"每只鸡饮水量也下降 {water_fall_pct:.0f}%：请检查水线和鸡群。"
    elif feed_fall_pct is not None:
        en += f"Feed per hen is down {feed_fall_pct:.0f}% too: check the feed, the feed lines and the birds."
        zh += f"每只鸡采食量也下降 {feed_fall_pct:.0f}%：请检查饲料、料线和鸡群。"
    else:
        en += "Check water, feed, lights, temperature and the birds."
        zh += "请检查饮水、饲料、光照、温度及鸡群状况。"
    return en, zh


def hens_estimated() -> tuple[str, str]:
    """Appended to a drop's text where the house reports no hen count (hen_count.py)."""
    return (
        "(No hen count reported for this house: per-hen figures use a count estimated from its first "
        "days' eggs and its breed's standard. If birds were moved out or sold, this fall is theirs: enter "
        "the count.)",
        "（该舍未上报存栏数：每只鸡指标按其最初几天的产蛋量和品种标准估算存栏数。"
        "如有转群或出售，此下降即因鸡只减少：请录入存栏数。）",
    )


def hens_rescaled(factor: float, power_of_ten: bool) -> tuple[str, str]:
    """Appended to a drop's text where the house's reported count was too small for its eggs:
    scaled by a power of ten (a count in other units), or by what a flock of the breed lays."""
    times = f"{factor:,.0f}" if power_of_ten else f"{factor:.2f}"
    if power_of_ten:
        return (
            f"(The hen count reported for this house is too small for its eggs: another unit, such as "
            f"thousands? Per-hen figures use it × {times}; check the count.)",
            f"（该舍上报的存栏数相对产蛋量过小，单位可能不是“只”（如千只）：每只鸡指标按其 × {times} 计算，请核对存栏数。）",
        )
    return (
        f"(The hen count reported for this house is too small for its eggs, or its counters count eggs "
        f"twice: per-hen figures use it × {times}, what a flock of its breed lays at its age; check both.)",
        f"（该舍上报的存栏数相对产蛋量过小，或计蛋器重复计数：每只鸡指标按其 × {times}（按品种标准估算）计算，请核对两者。）",
    )


def consumption_drop(
    house: str, what: str, fall_pct: float, other_fall_pct: float | None = None
) -> tuple[str, str]:
    """``other_fall_pct``: the other meter (feed for water, water for feed) down as well."""
    zh_what = {"water": "饮水量", "feed": "采食量"}
    other = "feed" if what == "water" else "water"
    if other_fall_pct is not None:  # both down: the hens, not a line
        en = (
            f"{house}: {what} intake per hen down {fall_pct:.0f}% and {other} down {other_fall_pct:.0f}% "
            f"against the last days — the hens eat and drink less, often the first sign of illness and a "
            f"laying drop. Check the birds first (if birds were moved out, enter the new count)."
        )
        zh = (
            f"{house}：每只鸡{zh_what[what]}比前几天下降 {fall_pct:.0f}%，{zh_what[other]}也下降 "
            f"{other_fall_pct:.0f}%——鸡群饮水和采食同时减少，常是发病和产蛋下降的先兆。"
            f"请先检查鸡群（如已转出鸡只，请录入新的存栏数）。"
        )
        return en, zh
    en = (
        f"{house}: {what} intake per hen down {fall_pct:.0f}% against the last days — "
        f"often the first sign of a laying drop. Check the {what} lines and the birds."
    )
    zh = f"{house}：每只鸡{zh_what[what]}比前几天下降 {fall_pct:.0f}%——常是产蛋下降的先兆。请检查{'水线' if what == 'water' else '料线'}和鸡群。"
    return en, zh


def line_stopped(house: str, what: str, fall_3h_pct: float) -> tuple[str, str]:
    """The water (or feed) through the meter (nearly) gone for hours mid-day: a line, or the meter
    itself.  The detector cannot tell them apart in time (outage.py), so the text names both and
    the urgency."""
    if what == "water":
        en_cause = (
            "a water line has stopped (a closed valve, a blocked filter, a failed pump, a burst pipe) or the "
            "meter stopped counting. Check the lines and drinkers at once: hens without water stop eating and "
            "laying within hours."
        )
        zh_cause = (
            "水线停水（阀门关闭、过滤器堵塞、水泵故障或水管破裂）或水表停止计数。"
            "请立即检查水线和饮水器：鸡群断水数小时内就会停止采食和产蛋。"
        )
        zh_meter = "水表"
    else:
        en_cause = (
            "a feed line has stopped (the chain, the auger, the bin's outlet) or the scale stopped counting. "
            "Check the feeders at once: hens without feed lay less within a day."
        )
        zh_cause = "料线停止（链条、绞龙或料塔下料故障）或料秤停止计数。请立即检查喂料系统：鸡群断料一天内产蛋就会下降。"
        zh_meter = "料秤"
    en = f"{house}: {what} through the meter down {fall_3h_pct:.0f}% over the last 3 h against these hours' usual — {en_cause}"
    zh = f"{house}：近3小时{zh_meter}读数比该时段通常值低 {fall_3h_pct:.0f}%——{zh_cause}"
    return en, zh


def row_fault(house: str, row: str, ratio: float) -> tuple[str, str]:
    en = (
        f"{house} row {row}: egg counter counts {100 * ratio:.0f}% of what its neighbours imply while the other "
        f"rows are normal — a counter or belt fault, not the hens. The row is left out of the house figure."
    )
    zh = (
        f"{house} 第{row}列：计蛋器只计到相邻各列推算值的 {100 * ratio:.0f}%，其他列正常——"
        f"是计数器或蛋带故障，不是鸡群问题。该列已暂不计入鸡舍产蛋率。"
    )
    return en, zh


def row_silent(house: str, row: str, hours: int) -> tuple[str, str]:
    en = f"{house} row {row}: egg counter has not reported for {hours} h while the other rows do — check the counter."
    zh = f"{house} 第{row}列：计蛋器已 {hours} 小时没有上报数据，其他列正常——请检查计数器。"
    return en, zh


def row_stuck(house: str, row: str, count: float, hours: int) -> tuple[str, str]:
    en = (
        f"{house} row {row}: egg counter has read the same {count:.0f} eggs every hour for {hours} h "
        f"while the other rows' counts change — it is stuck; check the counter."
    )
    zh = f"{house} 第{row}列：计蛋器连续 {hours} 小时每小时都报 {count:.0f} 枚，其他列在变化——计数器卡住了，请检查。"
    return en, zh


def meter_stuck(house: str, column: str, amount: float, hours: int) -> tuple[str, str]:
    if column == "water_l":
        what_en, what_zh, unit_en, unit_zh = "water meter", "水表", "l", "升"
    else:
        what_en, what_zh, unit_en, unit_zh = "feed meter (silo scale)", "料量计（料塔秤）", "kg", "千克"
    en = (
        f"{house}: {what_en} has read the same {amount:g} {unit_en} every hour for {hours} h, through hours "
        f"when the hens usually use far more or far less — it is stuck; check the meter and its reading."
    )
    zh = (
        f"{house}：{what_zh}连续 {hours} 小时每小时都报 {amount:g} {unit_zh}，"
        f"而鸡群在这些时段的用量通常相差很大——仪表卡住了，请检查仪表及其读数。"
    )
    return en, zh


def probe_stuck(house: str, temp_c: float, hours: int) -> tuple[str, str]:
    en = (
        f"{house}: temperature probe has read {temp_c:.1f} °C every hour for {hours} h, through hours when "
        f"the house is usually warmer or cooler, or for longer than its readings ever stood still — it is "
        f"stuck; check the probe. Heat is not judged meanwhile."
    )
    zh = (
        f"{house}：温度探头连续 {hours} 小时都报 {temp_c:.1f} °C，而舍内这些时段的温度通常有明显变化，"
        f"或读数保持不变的时间远超以往——探头卡住了，请检查。在此期间不判断热应激。"
    )
    return en, zh


def heat_stress(house: str, rise_c: float, mean_c: float) -> tuple[str, str]:
    en = (
        f"{house}: house {rise_c:.1f} °C warmer than the last days ({mean_c:.1f} °C over 24 h) — heat stress; "
        f"expect feed intake and laying to fall. Check ventilation, cooling pads and water."
    )
    zh = (
        f"{house}：舍温比前几天高 {rise_c:.1f} °C（近24小时平均 {mean_c:.1f} °C）——热应激，"
        f"采食量和产蛋率可能下降。请检查通风、湿帘和饮水。"
    )
    return en, zh


def counting_stopped(house: str, rows: str, hours: int) -> tuple[str, str]:
    en = (
        f"{house}: no eggs counted by any row ({rows}) for {hours} h while the hens eat and drink as usual — "
        f"the egg belts, the counters or their controller stopped, not the hens. The house is not judged until eggs are counted again."
    )
    zh = (
        f"{house}：各列（{rows}）已 {hours} 小时没有计到蛋，而鸡群采食饮水正常——"
        f"是集蛋带、计蛋器或其控制器停止工作，不是鸡群问题。恢复计蛋前暂不判定该舍产蛋率。"
    )
    return en, zh
