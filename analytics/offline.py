"""The detector's offline format (CONTRACTS §6): hourly CSVs in, alerts as JSON lines out.

``H.csv``: ``ts,house,hens,age_weeks,water_l,feed_kg,temp_c``; ``R.csv``: ``ts,house,row,eggs``.
Times are hour starts in UTC ISO 8601 with ``Z``; a blank value is "no data for that hour".
Parsing is column-wise with the stdlib ``csv`` module and NumPy (no pandas): timestamps are parsed
once per distinct value, so ~1 M lines take about a second.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import numpy as np
import orjson

from analytics.alert import DetectorAlert
from analytics.frame import HOUR_S, HourlyFrame, empty_frame

H_COLUMNS = ("ts", "house", "hens", "age_weeks", "water_l", "feed_kg", "temp_c")
R_COLUMNS = ("ts", "house", "row", "eggs")


class CsvFormatError(ValueError):
    """The input does not follow CONTRACTS §6; the message names the file, line and field."""


def _parse_ts(text: str, where: str) -> int:
    """Epoch seconds of an hour-start timestamp ``2026-03-01T05:00:00Z``."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CsvFormatError(f"{where}: bad timestamp {text!r} (want 2026-03-01T05:00:00Z)") from None
    if when.tzinfo is None:
        raise CsvFormatError(f"{where}: timestamp {text!r} has no time zone (want a trailing Z)")
    epoch = int(when.timestamp())
    if epoch % HOUR_S:
        raise CsvFormatError(f"{where}: timestamp {text!r} is not the start of an hour")
    return epoch


def _read_columns(path: Path, expected: Sequence[str]) -> dict[str, list[str]]:
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CsvFormatError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    lines = [line for line in raw.splitlines() if line]
    if not lines:
        raise CsvFormatError(f"{path}: empty file (want header {','.join(expected)})")
    header = [h.strip() for h in next(csv.reader(lines[:1]))]
    missing = [c for c in expected if c not in header]
    if missing:
        raise CsvFormatError(f"{path}: header lacks {', '.join(missing)} (want {','.join(expected)})")
    body, width = lines[1:], len(header)
    if '"' in raw:  # quoted fields: the general (slower) parser
        rows = list(csv.reader(body))
        fields = [f for r in rows for f in r]
    else:  # the §6 format has no quoting: split all lines at once, in C
        fields = ",".join(body).split(",") if body else []
    if len(fields) != width * len(body):
        n, line = next((n, ln) for n, ln in enumerate(body) if len(next(csv.reader([ln]))) != width)
        raise CsvFormatError(f"{path}:{n + 2}: {len(next(csv.reader([line])))} fields, header has {width}")
    return {name: fields[header.index(name) :: width] for name in expected}


def _numbers(values: list[str], path: Path, column: str) -> np.ndarray:
    text = np.array(values, dtype=str)
    text = np.where(np.char.str_len(np.char.strip(text)) == 0, "nan", text)
    try:
        out = text.astype(np.float64)  # NumPy parses the strings in C
    except ValueError:
        bad = next(i for i, v in enumerate(values) if v.strip() and not _is_float(v))
        raise CsvFormatError(f"{path}:{bad + 2}: {column}={values[bad]!r} is not a number") from None
    spelled = np.isnan(out) & (text != "nan")
    if spelled.any():  # "nan" or "NaN" typed into the file: not a number in the format
        bad = int(np.flatnonzero(spelled)[0])
        raise CsvFormatError(f"{path}:{bad + 2}: {column}={values[bad]!r} is not a number")
    if np.isinf(out).any():
        bad = int(np.flatnonzero(np.isinf(out))[0])
        raise CsvFormatError(f"{path}:{bad + 2}: {column}={values[bad]!r} is not finite")
    return out


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _hour_index(values: list[str], path: Path) -> tuple[np.ndarray, dict[str, int]]:
    """Epoch hour of every line (parsing each distinct timestamp once)."""
    distinct: dict[str, int] = {}
    for n, v in enumerate(values):
        if v not in distinct:
            distinct[v] = _parse_ts(v.strip(), f"{path}:{n + 2}") // HOUR_S
    return np.array([distinct[v] for v in values], dtype=np.int64), distinct


def read_frame(houses_csv: Path, rows_csv: Path) -> HourlyFrame:
    """Read the two CSVs into one :class:`HourlyFrame` covering every hour either file mentions."""
    hcols = _read_columns(houses_csv, H_COLUMNS)
    rcols = _read_columns(rows_csv, R_COLUMNS)
    h_hour, _ = _hour_index(hcols["ts"], houses_csv)
    r_hour, _ = _hour_index(rcols["ts"], rows_csv)
    if h_hour.size == 0 and r_hour.size == 0:
        raise CsvFormatError(f"{houses_csv}, {rows_csv}: no data lines")
    houses = sorted(set(hcols["house"]) | set(rcols["house"]))
    if any(not h.strip() for h in houses):
        raise CsvFormatError("a line has an empty house id")
    rows = sorted(set(rcols["row"]))
    first = int(min(h_hour.min(initial=2**62), r_hour.min(initial=2**62)))
    last = int(max(h_hour.max(initial=-1), r_hour.max(initial=-1)))
    frame = empty_frame(datetime.fromtimestamp(first * HOUR_S, UTC), houses, rows, last - first + 1)
    house_idx = {h: i for i, h in enumerate(houses)}
    row_idx = {r: i for i, r in enumerate(rows)}

    hi = np.array([house_idx[h] for h in hcols["house"]], dtype=np.int64)
    ti = h_hour - first
    for name in H_COLUMNS[2:]:
        getattr(frame, name)[hi, ti] = _numbers(hcols[name], houses_csv, name)
    ri = np.array([house_idx[h] for h in rcols["house"]], dtype=np.int64)
    rr = np.array([row_idx[r] for r in rcols["row"]], dtype=np.int64)
    eggs = _numbers(rcols["eggs"], rows_csv, "eggs")
    if (eggs < 0).any():
        bad = int(np.flatnonzero(eggs < 0)[0])
        raise CsvFormatError(f"{rows_csv}:{bad + 2}: eggs={rcols['eggs'][bad]!r} is negative")
    frame.eggs[ri, rr, r_hour - first] = eggs
    return frame


def write_frame(frame: HourlyFrame, houses_csv: Path, rows_csv: Path) -> None:
    """Write ``frame`` in the §6 format (used by tests, benchmarks and the evaluation)."""

    def cell(v: float) -> str:
        return "" if math.isnan(v) else (f"{v:.0f}" if float(v).is_integer() else f"{v:.4g}")

    stamps = [
        datetime.fromtimestamp(frame.start.timestamp() + i * HOUR_S, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for i in range(frame.n_hours)
    ]
    with houses_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(H_COLUMNS)
        arrays = [frame.hens, frame.age_weeks, frame.water_l, frame.feed_kg, frame.temp_c]
        for t, ts in enumerate(stamps):
            for h, house in enumerate(frame.houses):
                w.writerow([ts, house, *(cell(a[h, t]) for a in arrays)])
    with rows_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(R_COLUMNS)
        present = ~np.isnan(frame.eggs).all(axis=2)
        for t, ts in enumerate(stamps):
            for h, house in enumerate(frame.houses):
                for r, row in enumerate(frame.rows):
                    if present[h, r]:
                        w.writerow([ts, house, row, cell(frame.eggs[h, r, t])])


def write_alerts(alerts: Iterable[DetectorAlert], out: IO[bytes]) -> int:
    """Alerts as JSON lines (CONTRACTS §6 plus ``message_zh`` and ``evidence``); returns the count."""
    n = 0
    for a in alerts:
        out.write(orjson.dumps(a.to_json()) + b"\n")
        n += 1
    return n
