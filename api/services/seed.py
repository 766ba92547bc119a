"""Demo and benchmark data: households of a Gansu county, workers, locations, tasks, shifts, rules.

Households are spread over townships and villages of 张家川回族自治县 (Tianshui, region code
620525) and neighbouring counties of Tianshui (6205xx); about 40 % are registered poor.  Workers
get valid 18-character ID numbers (GB 11643 checksum).  Shifts run five days a week: day shifts
07:00-15:00 (30 min break) and, for cleaning and night watch, night shifts 22:00-06:00 across
midnight.  Rates change on 1 July, so a demo year has a mid-year rate change.

Shifts are written with bulk inserts (``seed_demo_workforce`` seeds 500,000 shifts in about a
minute on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api import national_id
from api.config import ApiConfig, load_api_config
from api.models import Household, Location, PayrollRun, PieceRateRule, Shift, Task, User
from api.schemas.common import to_fen
from api.security import Keys
from api.services.payroll import run_payroll, snapshot_households
from api.services.users import create_user
from api.services.workers import NewWorker, add_workers
from eggwatch.park import Park
from eggwatch.store.base import TelemetryStore

TOWNSHIPS: dict[str, list[str]] = {
    "张家川镇": ["东关村", "西关村", "南川村", "北山村"],
    "龙山镇": ["龙山村", "石峡村", "连柯村"],
    "恭门镇": ["恭门村", "河峪村", "付川村"],
    "马鹿镇": ["马鹿村", "长宁村"],
    "川王镇": ["川王村", "罗湾村", "上仁村"],
    "梁山镇": ["梁山村", "刘沟村"],
}
REGIONS = ["620525", "620525", "620525", "620521", "620522", "620523", "620502", "620503"]
SURNAMES = "马王李张杨刘赵苏何韩田海沙丁白哈穆"
GIVEN = [
    "小红",
    "建国",
    "秀兰",
    "海军",
    "玉梅",
    "志强",
    "桂英",
    "永福",
    "春花",
    "明亮",
    "淑珍",
    "国华",
    "彩霞",
    "德胜",
]

# code: (English, 中文, paid output, night shift?)
TASKS: dict[str, tuple[str, str, str, bool]] = {
    "egg_collection": ("Egg collection", "集蛋", "eggs", False),
    "grading": ("Grading", "分级", "trays", False),
    "packing": ("Packing", "包装", "cases", False),
    "cleaning": ("House cleaning", "清洁", "none", True),
    "night_watch": ("Night watch", "夜间值班", "none", True),
    "supervision": ("Supervision", "主管", "none", False),
}
# (base/hour, base/shift, per 1000 eggs, per case, per tray) in yuan, before and from 1 July.
RATES_H1 = {"egg_collection": (9, 0, 6.0, 0, 0), "grading": (10, 0, 0, 0, 0.05), "packing": (10, 0, 0, 0.6, 0),
            "cleaning": (14, 0, 0, 0, 0), "night_watch": (12, 20, 0, 0, 0), "supervision": (18, 0, 0, 0, 0)}  # fmt: skip
RATES_H2 = {k: (v[0] + 1, *v[1:]) for k, v in RATES_H1.items()}


@dataclass
class SeedSummary:
    households: int = 0
    workers: int = 0
    shifts: int = 0
    locations: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)
    supervisors: dict[str, int] = field(default_factory=dict)  # unit -> worker id on supervision
    payroll_run_id: int | None = None


def _ensure_locations(session: Session, park: Park) -> dict[str, int]:
    have = {loc.unit: loc.id for loc in session.scalars(select(Location))}
    for h in park.houses:
        if h.unit not in have:
            session.add(Location(unit=h.unit, kind="house", name=h.unit, name_zh=h.name_zh))
    for ln in park.lines:
        if ln.unit not in have:
            session.add(Location(unit=ln.unit, kind="line", name=ln.unit, name_zh=ln.name_zh))
    session.flush()
    return {loc.unit: loc.id for loc in session.scalars(select(Location))}


def _ensure_tasks(session: Session) -> dict[str, int]:
    have = {t.code: t.id for t in session.scalars(select(Task))}
    for code, (en, zh, output, _) in TASKS.items():
        if code not in have:
            session.add(Task(code=code, name=en, name_zh=zh, output=output))
    session.flush()
    return {t.code: t.id for t in session.scalars(select(Task))}


def _rules(session: Session, tasks: dict[str, int], start: dt.date) -> None:
    if session.scalar(select(PieceRateRule.id).limit(1)) is not None:
        return
    change = dt.date(start.year, 7, 1) if start < dt.date(start.year, 7, 1) else dt.date(start.year + 1, 7, 1)
    for rates, a, b in ((RATES_H1, dt.date(2000, 1, 1), change), (RATES_H2, change, None)):
        for code, (hour, shift, eggs, case, tray) in rates.items():
            session.add(
                PieceRateRule(
                    name=f"{code} from {a}", task_id=tasks[code], effective_from=a, effective_to=b,
                    base_per_hour_fen=to_fen_f(hour), base_per_shift_fen=to_fen_f(shift),
                    per_1000_eggs_fen=to_fen_f(eggs), per_case_fen=to_fen_f(case), per_tray_fen=to_fen_f(tray),
                    deduction_per_1000_rejects_fen=to_fen_f(2.0) if code in ("grading", "packing") else 0,
                )
            )  # fmt: skip


def to_fen_f(yuan: float) -> int:
    from decimal import Decimal

    return to_fen(Decimal(str(yuan)))


def _birth(rng: random.Random) -> dt.date:
    return dt.date(1962, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 42))


def seed_demo_workforce(
    session: Session,
    park: Park,
    start: dt.date,
    end: dt.date,
    seed: int = 1,
    *,
    keys: Keys | None = None,
    households: int = 120,
    workers: int = 200,
    store: TelemetryStore | None = None,
    config: ApiConfig | None = None,
    payroll: bool = True,
) -> SeedSummary:
    """Seed everything for local dates ``[start, end)`` and one approved payroll run (the last full
    month in the range).  Idempotent for locations, tasks and rules; households/workers are added.
    Commits.  ``keys`` defaults to the configured secret's."""
    if keys is None:
        from eggwatch.settings import load_settings

        keys = Keys.from_secret(load_settings().secret_key)
    rng = random.Random(seed)
    tz = park.tz
    summary = SeedSummary()
    summary.locations = _ensure_locations(session, park)
    summary.tasks = _ensure_tasks(session)
    _rules(session, summary.tasks, start)

    base_code = (session.scalar(select(Household.id).order_by(Household.id.desc()).limit(1)) or 0) + 1
    hh_rows = []
    for i in range(households):
        town = rng.choice(list(TOWNSHIPS))
        poor = rng.random() < 0.4
        hh_rows.append(
            {"code": f"HH{base_code + i:05d}", "village": rng.choice(TOWNSHIPS[town]), "township": town,
             "members": rng.randint(2, 7), "registered_poor": poor,
             "poverty_exit_year": rng.choice([2018, 2019, 2020]) if poor else None, "notes": None}
        )  # fmt: skip
    session.execute(insert(Household), hh_rows)
    hh_ids = list(
        session.scalars(select(Household.id).where(Household.code.in_([h["code"] for h in hh_rows])))
    )
    summary.households = len(hh_ids)

    new: list[NewWorker] = []
    used: set[str] = set()
    for i in range(workers):
        while True:
            nid = national_id.make(rng.choice(REGIONS), _birth(rng), rng.randrange(1000))
            if nid not in used:
                used.add(nid)
                break
        new.append(NewWorker(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN), national_id=nid,
            household_id=hh_ids[i % len(hh_ids)], phone=f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}",
            bank_account=f"62284{rng.randrange(10**14):014d}", full_time=rng.random() < 0.85, hired_on=start,
        ))  # fmt: skip
    worker_objs = add_workers(session, keys, new)
    summary.workers = len(worker_objs)

    houses = [h.unit for h in park.houses] or ["house-01"]
    lines = [ln.unit for ln in park.lines] or houses
    assignments = []  # (worker id, unit, task code)
    for n, w in enumerate(worker_objs):
        if n < len(houses):  # the first workers supervise one house each
            assignments.append((w.id, houses[n], "supervision"))
            summary.supervisors[houses[n]] = w.id
            continue
        r = rng.random()
        if r < 0.45:
            assignments.append((w.id, houses[n % len(houses)], "egg_collection"))
        elif r < 0.6:
            assignments.append((w.id, lines[n % len(lines)], "grading"))
        elif r < 0.75:
            assignments.append((w.id, lines[n % len(lines)], "packing"))
        elif r < 0.92:
            assignments.append((w.id, houses[n % len(houses)], "cleaning"))
        else:
            assignments.append((w.id, houses[n % len(houses)], "night_watch"))

    batch: list[dict[str, object]] = []
    day = start
    while day < end:
        for n, (wid, unit, code) in enumerate(assignments):
            if (day.toordinal() + n) % 7 >= 5:  # two rest days a week, staggered
                continue
            night = TASKS[code][3] and (day.toordinal() + n) % 2 == 0
            begin = dt.datetime.combine(day, dt.time(22 if night else 7), tz)
            stop = begin + dt.timedelta(hours=8)
            batch.append(
                {"worker_id": wid, "location_id": summary.locations[unit], "task_id": summary.tasks[code],
                 "start_at": begin.astimezone(dt.UTC), "end_at": stop.astimezone(dt.UTC),
                 "break_minutes": 30, "entered_count": None}
            )  # fmt: skip
        if len(batch) >= 20_000:
            session.execute(insert(Shift), batch)
            summary.shifts += len(batch)
            batch = []
        day += dt.timedelta(days=1)
    if batch:
        session.execute(insert(Shift), batch)
        summary.shifts += len(batch)
    session.commit()

    if payroll:
        summary.payroll_run_id = _last_month_run(
            session, start, end, store, park, tz, config or load_api_config()
        )
    return summary


def _last_month_run(
    session: Session, start: dt.date, end: dt.date, store: TelemetryStore | None, park: Park, tz: ZoneInfo,
    config: ApiConfig,
) -> int | None:  # fmt: skip
    last = dt.date(end.year, end.month, 1)
    first = dt.date(last.year - (last.month == 1), (last.month - 2) % 12 + 1, 1)
    if first < start:
        return None
    clash = session.scalar(
        select(PayrollRun.id).where(PayrollRun.period_start < last, PayrollRun.period_end > first)
    )
    if clash is not None:
        return None
    run = PayrollRun(
        period_start=first, period_end=last, status="approved",
        min_monthly_fen=to_fen(config.monthly_minimum), min_hourly_fen=to_fen(config.hourly_minimum),
        approved_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    session.add(run)
    session.flush()
    run_payroll(session, run, store, park.site, tz, config)
    snapshot_households(session, run)  # approved: its households recorded, as approval does
    session.commit()
    return run.id


def seed_demo_logins(session: Session, password: str, supervisors: dict[str, int]) -> list[str]:
    """One login per role (``admin``, ``manager``, ``payroll``, ``poverty``) and one supervisor per
    house (``sup-<house>``, linked to its supervision worker).  Skips names that exist; commits."""
    made = []
    for name, role in (
        ("admin", "admin"),
        ("manager", "manager"),
        ("payroll", "payroll"),
        ("poverty", "poverty_office"),
    ):
        if session.scalar(select(User.id).where(User.username == name)) is None:
            create_user(session, name, role, password, display_name=name)
            made.append(name)
    for unit, worker_id in supervisors.items():
        name = f"sup-{unit}"
        if session.scalar(select(User.id).where(User.username == name)) is None:
            create_user(session, name, "supervisor", password, display_name=f"{unit} 主管", worker_id=worker_id,
                        units=[unit], phone="13800000000")  # fmt: skip
            made.append(name)
    session.commit()
    return made
