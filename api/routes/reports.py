"""Poverty-office reports: employment by month and township/village, JSON, CSV or XLSX."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Response

from api.deps import ConfigDep, Role, SessionDep, require_roles
from api.lang import Lang, LangParam
from api.models import User
from api.schemas.common import Printable
from api.services.export import to_csv, to_xlsx
from api.services.income import year_bounds
from api.services.reports import columns_for, employment_report

router = APIRouter(prefix="/reports", tags=["reports"])
REPORT_ROLES: tuple[Role, ...] = ("manager", "payroll", "poverty_office")  # and admin
Reader = Annotated[User, require_roles(*REPORT_ROLES)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/employment",
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}, 400: {}},
)
def employment(
    session: SessionDep,
    config: ConfigDep,
    _: Reader,
    year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    by: Literal["village", "township", "household"] = "village",
    township: Annotated[str | None, Query(max_length=80), Printable] = None,
    village: Annotated[str | None, Query(max_length=80), Printable] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
    lang: LangParam = "zh",  # the county office reads Chinese; ?lang=en for English
) -> Any:
    """Workers employed, of whom registered poor, person-days, wages, average monthly wage,
    dividends, households above the poverty line; one row per month and place, then totals."""
    if month is None:
        start, end = year_bounds(year)
    else:
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
    rows = employment_report(session, start, end, config.poverty_line_yearly, by, township, village)
    cols = columns_for(by)
    name = file_name(year, month, by, lang)
    if format == "json":
        keys = [k for k, _, _ in cols]
        return {
            "columns": [{"key": k, "label": zh if lang == "zh" else en} for k, en, zh in cols],
            "rows": [{k: r[k] for k in keys} for r in rows],
            "poverty_line_yearly": float(config.poverty_line_yearly),
        }
    if format == "csv":
        return Response(
            to_csv(rows, cols, lang),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition(year, month, by, lang, "csv")},
        )
    if format == "xlsx":
        return Response(
            to_xlsx(rows, cols, lang, name),
            media_type=XLSX,
            headers={"Content-Disposition": disposition(year, month, by, lang, "xlsx")},
        )
    raise HTTPException(400, "unknown format")


BY_ZH = {"village": "按村", "township": "按乡镇", "household": "按户"}


def file_name(year: int, month: int | None, by: str, lang: Lang) -> str:
    """``employment-2026-03-village`` or ``就业报表-2026年3月-按村`` (also the XLSX sheet's name)."""
    if lang == "zh":
        return f"就业报表-{year}年" + (f"{month}月" if month else "") + f"-{BY_ZH[by]}"
    return f"employment-{year}" + (f"-{month:02d}" if month else "") + f"-{by}"


def disposition(year: int, month: int | None, by: str, lang: Lang, ext: str) -> str:
    """An ASCII ``filename`` for old clients, the Chinese name as RFC 5987 ``filename*`` for zh."""
    header = f'attachment; filename="{file_name(year, month, by, "en")}.{ext}"'
    if lang == "zh":
        header += "; filename*=UTF-8''" + quote(f"{file_name(year, month, by, lang)}.{ext}", safe="")
    return header
