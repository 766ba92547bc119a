"""A small park for the web page tests: two houses with 15 days of hourly counters, one packing
line with today's counters, written through the embedded telemetry store (as the demo does),
a migrated SQL database with two supervisors, a poverty-office and a payroll login, last month's
approved payroll run, seven paid ones before it, and two open alerts."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from sqlalchemy.orm import Session

from api.models import PayrollRun
from eggwatch.park import House, Line, Park
from eggwatch.store.base import Point, TelemetryStore
from eggwatch.wire import Reading

SITE = "webdemo"
PASSWORD = "correct-horse-battery-staple"
HOUR_MS = 3_600_000
# house → (hens, share of the breed standard it lays at)
HOUSES = {"house-01": (30_000, 0.99), "house-02": (28_000, 0.85)}


def demo_park(now: dt.datetime) -> Park:
    placed = (now - dt.timedelta(weeks=20)).date()  # 17 + 20 = 37 weeks old: near the peak
    return Park(
        site=SITE,
        houses=tuple(
            House(
                unit=u,
                name_zh=f"{i}号鸡舍",
                placed=placed,
                age_weeks_at_placement=17,
                hens_placed=hens,
                rows=4,
                lights_hours=16.0,
            )
            for i, (u, (hens, _)) in enumerate(HOUSES.items(), start=1)
        ),
        lines=(Line(unit="packing-1", name_zh="一号包装线"),),
    )


def _lay_share(hour: int) -> float:
    """Share of a day's eggs laid in local ``hour``: lights on at 04:00, peak mid-morning."""
    weights = [math.exp(-(((h - 8.5) / 2.2) ** 2)) for h in range(24)]
    return weights[hour] / sum(weights)


def fill_store(store: TelemetryStore, park: Park, now: dt.datetime, days: int = 16) -> dict[str, float]:
    """Write ``days`` of telemetry up to ``now``; returns the eggs each house laid since local
    midnight (the truth)."""
    from eggwatch.breeds import curve

    now_ms = int(now.timestamp() * 1000) // HOUR_MS * HOUR_MS
    start_ms = now_ms - days * 24 * HOUR_MS
    midnight = dt.datetime.combine(now.astimezone(park.tz).date(), dt.time(0), park.tz)
    midnight_ms, now_exact_ms = int(midnight.timestamp() * 1000), int(now.timestamp() * 1000)
    today: dict[str, float] = {}
    points: list[Point] = []
    for house in park.houses:
        hens, level = HOUSES[house.unit]
        std = curve(house.breed)
        counters = {row: 100_000.0 for row in house.row_ids}
        for ts in range(start_ms, now_ms + 1, HOUR_MS):
            local = dt.datetime.fromtimestamp(ts / 1000, park.tz)
            rate = float(std.hen_day(house.age_weeks(local.date()))) / 100 * level
            eggs = hens * rate * _lay_share(local.hour)
            # Like a gateway polling every few seconds: the hour's last reading comes just before
            # its end and holds that hour's eggs; the current hour holds what is counted so far.
            stamp = ts + HOUR_MS - 60_000
            if stamp >= now_exact_ms:
                stamp = now_exact_ms - 1000
                eggs *= max(0.0, (stamp - ts) / HOUR_MS)
            for row in house.row_ids:
                counters[row] += eggs / house.rows
                r = Reading(stamp, "eggs_total", round(counters[row]), {"row": row})
                points.append(Point(SITE, house.unit, f"eggcounter-{row}", r))
            if ts >= midnight_ms:  # an hour from local midnight on counts today
                today[house.unit] = today.get(house.unit, 0.0) + eggs
            points.append(Point(SITE, house.unit, "controller-1", Reading(ts, "hens_housed", hens)))
    graded = 0.0
    # Up to ``now`` itself (not the hour): the page shows a line's state only if it is < 15 min old.
    # From two hours before local midnight, as a running line's counters are: today's figures are
    # the increase since the last reading of yesterday (from midnight on, the first local hour
    # showed nothing graded yet, and this test failed from 16:00 to 17:00 UTC).
    for ts in range(midnight_ms - 2 * HOUR_MS, now_exact_ms + 1, 600_000):
        graded += 5_000
        points += [
            Point(
                SITE, "packing-1", "grader-1", Reading(ts, "eggs_graded_total", round(graded), {"grade": "L"})
            ),
            Point(
                SITE,
                "packing-1",
                "grader-1",
                Reading(ts, "rejects_total", round(graded * 0.01), {"reason": "cracked"}),
            ),
            Point(SITE, "packing-1", "packer-1", Reading(ts, "cases_packed_total", round(graded / 360))),
            Point(SITE, "packing-1", "plc-1", Reading(ts, "line_state", 1)),
            Point(SITE, "packing-1", "plc-1", Reading(ts, "line_speed_eph", 30_000.0)),
        ]
    store.write(points)
    return today


PAID_MONTHS = 7  # paid runs before last month's: more than the page's first six rows show


def last_months_run(now: dt.datetime, months_back: int = 1) -> PayrollRun:
    """A payroll run (no lines) for the calendar month ``months_back`` before now's: last month's
    approved, the ones before paid."""
    end = now.date().replace(day=1)
    for _ in range(months_back - 1):
        end = (end - dt.timedelta(days=1)).replace(day=1)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    return PayrollRun(
        period_start=start,
        period_end=end,
        status="approved" if months_back == 1 else "paid",
        min_monthly_fen=191_000,
        min_hourly_fen=2_000,
    )


def seed_sql(url: str, now: dt.datetime) -> list[int]:
    """Migrate, create the logins, open two alerts; returns the alert ids."""
    from analytics.alerts.models import Alert
    from api.services.users import create_user
    from eggwatch.migrations import upgrade
    from eggwatch.sql import make_engine

    upgrade(url)
    engine = make_engine(url)
    ids = []
    with Session(engine) as s:
        create_user(s, "sup1", "supervisor", PASSWORD, units=list(HOUSES))
        create_user(s, "sup2", "supervisor", PASSWORD, units=["house-02"])
        create_user(s, "clerk1", "payroll", PASSWORD)
        s.add_all(last_months_run(now, back) for back in range(1, PAID_MONTHS + 2))
        create_user(s, "office1", "poverty_office", PASSWORD)
        for i, (unit, kind, row) in enumerate(
            (("house-02", "laying_drop", None), ("house-01", "sensor_fault", "03"))
        ):
            opened = now - dt.timedelta(hours=3 + i)
            alert = Alert(
                site=SITE, unit=unit, kind=kind, row=row, dedupe_key=f"{SITE}/{unit}/{kind}/{row or '-'}",
                status="open", detected_at=opened, onset=opened - dt.timedelta(hours=5), magnitude_pct=12.5,
                message=f"{unit}: laying below the usual level", message_zh=f"{unit}：产蛋低于平时水平",
                evidence={}, opened_at=opened, last_seen_at=opened, recipients=[],
            )  # fmt: skip
            s.add(alert)
            s.flush()
            ids.append(alert.id)
        s.commit()
    engine.dispose()
    return ids


def sql_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'eggwatch.db'}"
