"""Human-readable alert texts, Chinese first then English (users read zh-CN first)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")

KIND_ZH = {
    "laying_drop": "产蛋率下降",
    "water_drop": "饮水量下降",
    "feed_drop": "采食量下降",
    "sensor_fault": "传感器/计数器故障",
    "heat_stress": "热应激",
}
KIND_EN = {
    "laying_drop": "laying-rate drop",
    "water_drop": "water intake drop",
    "feed_drop": "feed intake drop",
    "sensor_fault": "sensor/counter fault",
    "heat_stress": "heat stress",
}
EVENT_ZH = {
    "opened": "新告警",
    "reopened": "告警复发",
    "escalated": "告警升级（未确认）",
    "acknowledged": "告警已确认",
    "resolved": "告警已解除",
}
EVENT_EN = {
    "opened": "New alert",
    "reopened": "Alert reopened",
    "escalated": "Escalated (not acknowledged)",
    "acknowledged": "Alert acknowledged",
    "resolved": "Alert resolved",
}
# "open" is 未确认 (not acknowledged), as the page's pill and the alerts dashboard call it.
STATUS_ZH = {"open": "未确认", "acknowledged": "已确认", "resolved": "已解除"}
STATUS_EN = {"open": "open", "acknowledged": "acknowledged", "resolved": "resolved"}


def title(event: str, a: dict[str, Any]) -> str:
    """One line, e.g. ``[eggwatch] 新告警 New alert: house-07 产蛋率下降 laying-rate drop``."""
    kind = a["kind"]
    row = f" 第{a['row']}列 row {a['row']}" if a.get("row") else ""
    return (
        f"[eggwatch] {EVENT_ZH.get(event, event)} {EVENT_EN.get(event, event)}: "
        f"{a['unit']}{row} {KIND_ZH.get(kind, kind)} {KIND_EN.get(kind, kind)}"
    )


def local(iso_utc: str | None, tz: ZoneInfo) -> str:
    """``2026-05-02T07:00:00Z`` as ``2026-05-02 15:00 (Asia/Shanghai)``: people read local time."""
    if not iso_utc:
        return "-"
    t = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone(tz)
    return f"{t:%Y-%m-%d %H:%M} ({tz.key})"


# China's one clock: its zones read 北京时间 in Chinese, any other zone by its name.
BEIJING_TIME = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})


def local_zh(iso_utc: str | None, tz: ZoneInfo) -> str:
    """``2026-05-02T07:00:00Z`` as ``2026年5月2日 15:00（北京时间）``, as Chinese readers write dates."""
    if not iso_utc:
        return "-"
    t = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone(tz)
    zone = "北京时间" if tz.key in BEIJING_TIME else tz.key
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}（{zone}）"


# What the detector's magnitude_pct measures (analytics/alert.py): hen-day percentage points for
# laying and row faults, but the fall in percent of the expected amount for water and feed.
PERCENT_OF_EXPECTED = frozenset({"water_drop", "feed_drop"})


def _mag_zh(a: dict[str, Any]) -> str | None:
    m = a.get("magnitude_pct")
    if m is None:
        return None
    if a["kind"] in PERCENT_OF_EXPECTED:
        return f"幅度：比预期用量低 {m:.1f}%"
    return f"幅度：{m:.1f} 个百分点"


def _mag_en(a: dict[str, Any]) -> str | None:
    m = a.get("magnitude_pct")
    if m is None:
        return None
    if a["kind"] in PERCENT_OF_EXPECTED:
        return f"Magnitude: {m:.1f} % below the expected amount"
    return f"Magnitude: {m:.1f} percentage points"


def lines_zh(a: dict[str, Any], tz: ZoneInfo = UTC) -> list[str | None]:
    return [
        f"鸡舍/产线：{a['unit']}" + (f"，第{a['row']}列" if a.get("row") else ""),
        f"类型：{KIND_ZH.get(a['kind'], a['kind'])}",
        _mag_zh(a),
        f"开始（估计）：{local_zh(a.get('onset'), tz)}；检出：{local_zh(a['detected_at'], tz)}",
        f"状态：{STATUS_ZH.get(a['status'], a['status'])}（编号 {a['id']}）",
        a.get("message_zh") or "",
    ]


def lines_en(a: dict[str, Any], tz: ZoneInfo = UTC) -> list[str | None]:
    return [
        f"Unit: {a['unit']}" + (f", row {a['row']}" if a.get("row") else ""),
        f"Kind: {KIND_EN.get(a['kind'], a['kind'])}",
        _mag_en(a),
        f"Onset (estimated): {local(a.get('onset'), tz)}; detected: {local(a['detected_at'], tz)}",
        f"Status: {a['status']} (id {a['id']})",
        a.get("message") or "",
    ]


def plain_text(event: str, a: dict[str, Any], tz: ZoneInfo = UTC) -> str:
    body = [title(event, a), "", *lines_zh(a, tz), "", *lines_en(a, tz)]
    return "\n".join(line for line in body if line is not None).strip() + "\n"


def markdown(event: str, a: dict[str, Any], tz: ZoneInfo = UTC) -> str:
    zh = "\n".join(f"> {line}" for line in lines_zh(a, tz) if line)
    en = "\n".join(f"> {line}" for line in lines_en(a, tz) if line)
    return f"### {title(event, a)}\n{zh}\n\n{en}\n"
