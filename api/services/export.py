"""Tables as CSV (UTF-8 with BOM so Excel shows Chinese) or XLSX, headers in English or zh-CN.

Yuan amounts (the floats of these tables, ``schemas.common.to_yuan``) keep two decimals: ``%.2f``
in CSV, ``#,##0.00`` in XLSX, where counts get ``#,##0``; XLSX columns are as wide as their text
(a CJK character takes two widths), so a clerk sees 226,500.50 under a whole header, not ######.
The XLSX month column holds dates (the month's first day), shown 2026年11月 or 2026-11, so Excel
sorts and filters them as dates; CSV keeps 2026-11, which Excel reads as a date itself.

Text is never a formula: names come from data entry (a village called ``=HYPERLINK(...)``), so
XLSX string cells are written as text whatever they start with, and CSV text that a spreadsheet
would read as a formula (starting with ``= + - @``, tab or CR) gets a leading ``'`` (OWASP,
"CSV Injection").  Numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

from api.lang import Lang


def headers(columns: Sequence[tuple[str, str, str]], lang: Lang) -> list[str]:
    return [zh if lang == "zh" else en for _, en, zh in columns]


def to_csv(rows: Sequence[dict[str, object]], columns: Sequence[tuple[str, str, str]], lang: Lang) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers(columns, lang))
    for r in rows:
        w.writerow([_csv_value(csv_safe(_label(r[k], lang))) for k, _, _ in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(
    rows: Sequence[dict[str, object]], columns: Sequence[tuple[str, str, str]], lang: Lang, title: str
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(headers(columns, lang))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([_month(_label(r[k], lang)) if k == "month" else _label(r[k], lang) for k, _, _ in columns])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl makes "=..." a formula; this is text
            cell.number_format = _number_format(cell.value, lang)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)  # totals row
    for column in ws.columns:
        widest = max(_display_width(cell) for cell in column)
        ws.column_dimensions[column[0].column_letter].width = min(widest + 2, 60)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# What makes a spreadsheet read a cell as a formula (OWASP CSV injection guidance).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """``value``, or for text that would start a formula, the text behind a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _label(value: object, lang: Lang) -> object:
    if value == "total":
        return "合计" if lang == "zh" else "Total"
    return value


def _csv_value(value: object) -> object:
    return f"{value:.2f}" if isinstance(value, float) else value  # yuan: 5351.30, not 5351.3


MONTH_FORMAT = {"zh": 'yyyy"年"m"月"', "en": "yyyy-mm"}


def _month(value: object) -> object:
    """``2026-11`` as the date 2026-11-01; anything else (the totals' label) as it is."""
    if isinstance(value, str) and len(value) == 7 and value[4] == "-" and value.replace("-", "").isdigit():
        return dt.date(int(value[:4]), int(value[5:]), 1)
    return value


def _number_format(value: object, lang: Lang) -> str:
    if isinstance(value, dt.date):
        return MONTH_FORMAT[lang]
    if isinstance(value, float):
        return "#,##0.00"  # yuan to the fen
    if isinstance(value, int):
        return "#,##0"
    return "@"  # text


def _display_width(cell: Cell) -> int:
    """Roughly the character widths Excel needs for the cell as shown (CJK counts two)."""
    value = cell.value
    if value is None:
        return 0
    if isinstance(value, dt.date):
        text = "2026年11月" if cell.number_format == MONTH_FORMAT["zh"] else "2026-11"
    elif isinstance(value, float):
        text = f"{value:,.2f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
