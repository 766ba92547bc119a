"""A small deterministic park in InfluxDB line protocol, for running the dashboards' queries.

Two houses and one packing line, every metric of the registry, sampled every 10 minutes for
three days up to a fixed reference time (so "today" panels always have data, whatever the hour
the tests run).  Counters are cumulative, as devices send them; the silo is refilled daily.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx

from eggwatch.metrics import REGISTRY

TZ = ZoneInfo("Asia/Shanghai")
HOUSES = ("house-01", "house-02")
LINE = "packing-1"
ROWS = ("01", "02", "03", "04")
STEP_MS = 600_000
DAYS = 3


def reference_time() -> dt.datetime:
    """Yesterday 15:00 local time: a fixed afternoon, when every "today" panel has data."""
    today = dt.datetime.now(TZ).date() - dt.timedelta(days=1)
    return dt.datetime.combine(today, dt.time(15, 0), TZ)


@dataclass
class DemoPark:
    site: str
    end: dt.datetime

    @property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * 1000)

    def lines(self) -> list[str]:
        out: list[str] = []
        start = self.end_ms - DAYS * 86_400_000
        counters: dict[str, float] = {}
        for i, ts in enumerate(range(start, self.end_ms + 1, STEP_MS)):
            hour = (
                dt.datetime.fromtimestamp(ts / 1000, TZ).hour
                + dt.datetime.fromtimestamp(ts / 1000, TZ).minute / 60
            )
            for h, unit in enumerate(HOUSES):
                out += self._house(unit, h, ts, i, hour, counters)
            out += self._line(ts, i, hour, counters)
        return out

    def _point(self, metric: str, unit: str, device: str, value: float, ts: int, **tags: str) -> str:
        kv = {"site": self.site, "unit": unit, "device": device, **tags}
        key = ",".join(f"{k}={kv[k]}" for k in sorted(kv))
        v = f"{round(value)}i" if REGISTRY[metric].integer else f"{float(value)!r}"
        return f"{metric},{key} value={v} {ts}"

    def _count(self, counters: dict[str, float], key: str, inc: float) -> float:
        counters[key] = counters.get(key, 1000.0) + inc
        return counters[key]

    def _house(
        self, unit: str, h: int, ts: int, i: int, hour: float, counters: dict[str, float]
    ) -> list[str]:
        hens = 20_000 - h * 2000 - i // 36
        p = self._point
        # Laying: a morning peak after lights-on, a trickle otherwise; ~0.9 egg per hen per day.
        lay_share = 0.02 + math.exp(-(((hour - 8.0) / 2.5) ** 2))
        eggs_per_step = hens * 0.9 * lay_share / (6 * 5.5)
        lines = []
        for row in ROWS:
            for tier in ("1", "2"):
                key = f"{unit}/{row}/{tier}"
                value = self._count(counters, key, eggs_per_step / 8)
                lines.append(p("eggs_total", unit, f"eggcounter-{row}", value, ts, row=row, tier=tier))
        day = 2 * math.pi * (hour - 14) / 24
        lines += [
            p("temp_c", unit, "climate-1", 22 + 2 * math.cos(day) + h * 0.3, ts),
            p("outdoor_temp_c", unit, "climate-1", 5 + 8 * math.cos(day), ts),
            p("rh_pct", unit, "climate-1", 60 - 10 * math.cos(day), ts),
            p("nh3_ppm", unit, "climate-1", 8 + 3 * math.sin(day) + h * 2, ts),
            p("co2_ppm", unit, "climate-1", 1800 + 400 * math.sin(day), ts),
            p("light_lux", unit, "climate-1", 20.0 if 4 <= hour < 20 else 0.0, ts),
            p("static_pressure_pa", unit, "climate-1", 25 + 3 * math.sin(day), ts),
            p("hens_housed", unit, "controller-1", hens, ts),
            p("mortality", unit, "controller-1", 1 if i % 36 == 0 else 0, ts),
            p("bird_weight_g", unit, "scale-1", 1950 + 10 * math.sin(i / 50), ts, scale="1"),
            p("hen_day_expected_pct", unit, "standard", 93.5 - h, ts),
        ]
        for line in ("1", "2"):
            water = self._count(counters, f"{unit}/water/{line}", hens * 0.2 / 144 / 2 * (0.5 + lay_share))
            lines.append(p("water_l_total", unit, "watermeter-" + line, water, ts, line=line))
        silo_key = f"{unit}/silo"
        level = counters.get(silo_key, 9000.0) - hens * 0.115 / 144
        if level < 2000:
            level = 12000.0  # the daily refill
        counters[silo_key] = level
        lines.append(p("feed_kg", unit, "silo-1", level, ts, silo="1"))
        return lines

    def _line(self, ts: int, i: int, hour: float, counters: dict[str, float]) -> list[str]:
        p = self._point
        running = 7 <= hour < 21 and i % 50 != 0
        speed = 30_000.0 if running else 0.0
        lines = [
            p("line_state", LINE, "plc-1", 1 if running else (2 if i % 100 == 0 else 0), ts),
            p("line_speed_eph", LINE, "plc-1", speed, ts),
        ]
        graded = speed / 6
        for grade, share in (("XL", 0.2), ("L", 0.45), ("M", 0.3), ("S", 0.05)):
            value = self._count(counters, f"grade/{grade}", graded * share)
            lines.append(p("eggs_graded_total", LINE, "grader-1", value, ts, grade=grade))
        for reason, share in (("cracked", 0.012), ("dirty", 0.006)):
            value = self._count(counters, f"reject/{reason}", graded * share)
            lines.append(p("rejects_total", LINE, "grader-1", value, ts, reason=reason))
        lines.append(
            p("cases_packed_total", LINE, "packer-1", self._count(counters, "cases", graded / 360), ts)
        )
        return lines


def load(influx_url: str, db: str, park: DemoPark) -> int:
    """Create ``db`` and write the demo park into it; returns the number of points."""
    httpx.post(f"{influx_url}/query", data={"q": f'CREATE DATABASE "{db}"'}, timeout=10).raise_for_status()
    lines = park.lines()
    for k in range(0, len(lines), 5000):
        body = "\n".join(lines[k : k + 5000]).encode()
        r = httpx.post(f"{influx_url}/write", params={"db": db, "precision": "ms"}, content=body, timeout=30)
        assert r.status_code == 204, r.text
    return len(lines)
