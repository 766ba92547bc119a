"""The report files as a county clerk opens them in Excel on Chinese Windows (api/services/export.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.services.export import to_csv, to_xlsx
from api.services.reports import columns_for
from tests.api.conftest import Api

COLS = columns_for("village")
ROW = {
    "month": "2026-11", "township": "张家川镇", "village": "东关村", "workers": 1234, "poor_workers": 7,
    "person_days": 278, "wages": 226500.5, "avg_monthly_wage": 1783.0, "dividends": 0.0, "households": 8,
    "households_above_line": 8,
}  # fmt: skip
TOTAL = ROW | {"month": "total", "township": "", "village": ""}


def sheet(lang: str = "zh") -> Worksheet:
    ws = load_workbook(io.BytesIO(to_xlsx([ROW, TOTAL], COLS, lang, "employment-2026-village"))).active  # type: ignore[arg-type]
    assert isinstance(ws, Worksheet)
    return ws


def test_xlsx_money_reads_as_yuan_to_the_fen_and_counts_with_separators() -> None:
    ws = sheet()
    head = [c.value for c in ws[1]]
    for row in (2, 3):  # a month and the totals
        fmt = {h: ws.cell(row, i + 1).number_format for i, h in enumerate(head)}
        # 226500.5 shows as 226,500.50 (not 226500.5); 0 dividends as 0.00
        assert fmt["发放工资(元)"] == fmt["人均月工资(元)"] == fmt["分红(元)"] == "#,##0.00"
        assert fmt["务工人数"] == fmt["务工人天数"] == "#,##0"  # 1,234
        assert fmt["村"] == "@" or row == 3  # text stays text (the totals' place is empty)
        assert isinstance(ws.cell(row, head.index("发放工资(元)") + 1).value, float)  # still a number


def test_xlsx_columns_are_wide_enough_for_their_chinese_headers() -> None:
    ws = sheet()
    for cell in ws[1]:
        width = ws.column_dimensions[cell.column_letter].width
        # a CJK character takes two character widths in Excel's default font
        assert width >= 2 * len(str(cell.value)), (cell.value, width)
    assert ws.column_dimensions["A"].width < 20  # and not all made huge


def test_csv_money_has_two_decimals() -> None:
    rows = list(csv.reader(io.StringIO(to_csv([ROW, TOTAL], COLS, "zh").decode("utf-8-sig"))))
    head = rows[0]
    for r in rows[1:]:
        got = dict(zip(head, r, strict=True))
        assert (got["发放工资(元)"], got["人均月工资(元)"], got["分红(元)"]) == (
            "226500.50",
            "1783.00",
            "0.00",
        )
        assert got["务工人数"] == "1234"  # counts as they are: a separator would make Excel read text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_zh_report_downloads_under_a_chinese_name(api: Api) -> None:
    params = {"year": 2026, "month": 3, "by": "township"}
    r = api.get("poverty_office", "/api/v1/reports/employment", params=params | {"format": "xlsx"})
    disposition = r.headers["content-disposition"]
    # RFC 6266/5987: an ASCII fallback for old clients, the Chinese name for the rest
    assert 'filename="employment-2026-03-township.xlsx"' in disposition
    assert disposition.endswith("filename*=UTF-8''" + quote("就业报表-2026年3月-按乡镇.xlsx"))
    assert load_workbook(io.BytesIO(r.content)).active.title == "就业报表-2026年3月-按乡镇"  # type: ignore[union-attr]
    r = api.get(
        "poverty_office", "/api/v1/reports/employment", params=params | {"format": "csv", "lang": "en"}
    )
    assert r.headers["content-disposition"] == 'attachment; filename="employment-2026-03-township.csv"'
    r = api.get(
        "poverty_office", "/api/v1/reports/employment", params=params | {"format": "xlsx", "lang": "en"}
    )
    assert load_workbook(io.BytesIO(r.content)).active.title == "employment-2026-03-township"  # type: ignore[union-attr]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_report_language_takes_bcp47_tags(api: Api) -> None:
    def labels(tag: str) -> list[str]:
        r = api.get("poverty_office", "/api/v1/reports/employment", params={"year": 2026, "lang": tag})
        assert r.status_code == 200, (tag, r.text)
        return [c["label"] for c in r.json()["columns"]][:1]

    assert labels("zh-CN") == labels("zh_Hans") == ["月份"]
    assert labels("en-US") == ["Month"]
    r = api.get("poverty_office", "/api/v1/reports/employment", params={"year": 2026, "lang": "fr"})
    assert r.status_code == 422


def test_xlsx_months_are_dates_shown_as_chinese_readers_write_them() -> None:
    """The month column was the text "2026-11": not a date to Excel (no sorting or filtering by
    date), and written the ISO way in the Chinese sheet."""
    for lang, fmt in (("zh", 'yyyy"年"m"月"'), ("en", "yyyy-mm")):
        ws = sheet(lang)
        month, total = ws["A2"], ws["A3"]
        assert month.is_date and month.value == dt.datetime(2026, 11, 1), (lang, month.value)
        assert month.number_format == fmt, (lang, month.number_format)
        assert total.value == ("合计" if lang == "zh" else "Total")
