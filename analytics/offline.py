"""The detector's offline format (CONTRACTS §6): hourly CSVs in, alerts as JSON lines out.

``H.csv``: ``ts,house,hens,age_weeks,water_l,feed_kg,temp_c``; ``R.csv``: ``ts,house,row,eggs``.
Times are hour starts in UTC ISO 8601 with ``Z``; a blank value is "no data for that hour".
Parsing is column-wise with the stdlib ``csv`` module and NumPy (no pandas): timestamps are parsed
once per distinct value, so ~1 M lines take about a second.

A file that cannot be read as the format at all (missing, not UTF-8, no header, a header without
the columns) is a :class:`CsvFormatError`.  A bad line or value is one too in strict mode
(``rejects=None``); otherwise it is left out — a bad value becomes "no data", a line without a
usable time, house or row is dropped — and counted with its reason in :class:`Rejects`, so one
corrupt line in a year of export costs that line, not the run.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import compress
from pathlib import Path
from typing import IO

import numpy as np
import orjson

from analytics.alert import DetectorAlert
from analytics.frame import HOUR_S, HourlyFrame, empty_frame
from eggwatch import metrics

H_COLUMNS = ("ts", "house", "hens", "age_weeks", "water_l", "feed_kg", "temp_c")
R_COLUMNS = ("ts", "house", "row", "eggs")


class CsvFormatError(ValueError):
    """The input does not follow CONTRACTS §6; the message names the file, line and field."""


@dataclass
class Rejects:
    """What the reader left out, by reason: how many, and the first case of each (file:line)."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return "; ".join(
            f"{reason}: {n} (first: {self.first[reason]})" for reason, n in self.counts.most_common()
        )


def _problem(rejects: Rejects | None, reason: str, message: str, n: int = 1) -> None:
    """Strict (``rejects`` is None): raise.  Lenient: count ``n`` cases of ``reason``."""
    if rejects is None:
        raise CsvFormatError(message)
    rejects.counts[reason] += n
    rejects.first.setdefault(reason, message)


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


@dataclass
class _Table:
    """A file's data lines as text columns; ``line`` is each line's number in the file."""

    columns: dict[str, list[str]]
    line: np.ndarray

    def keep(self, ok: np.ndarray) -> _Table:
        if ok.all():
            return self
        return _Table({k: list(compress(v, ok)) for k, v in self.columns.items()}, self.line[ok])

    def where(self, path: Path, column: str, i: int) -> str:
        """``R.csv:17: eggs='five'``: a value and where it stands, for messages."""
        return f"{path}:{self.line[i]}: {column}={self.columns[column][i]!r}"


def _read_table(path: Path, expected: Sequence[str], rejects: Rejects | None) -> _Table:
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CsvFormatError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    lines = raw.splitlines()
    line_no = np.arange(1, len(lines) + 1)
    if "" in lines:  # blank lines are skipped (numbers stay the file's own)
        kept = np.array([line != "" for line in lines], dtype=bool)
        lines, line_no = list(compress(lines, kept)), line_no[kept]
    if not lines:
        raise CsvFormatError(f"{path}: empty file (want header {','.join(expected)})")
    header = [h.strip() for h in next(csv.reader(lines[:1]))]
    missing = [c for c in expected if c not in header]
    if missing:
        raise CsvFormatError(f"{path}: header lacks {', '.join(missing)} (want {','.join(expected)})")
    width = len(header)
    body, line_no = lines[1:], line_no[1:]
    quoted = '"' in raw  # quoted fields need the general (slower) parser
    rows = list(csv.reader(body)) if quoted else []
    # The §6 format has no quoting: count and split in C.
    good = [len(r) == width for r in rows] if quoted else [t.count(",") == width - 1 for t in body]
    if not all(good):
        bad = good.index(False)
        n_fields = len(rows[bad]) if quoted else body[bad].count(",") + 1
        _problem(rejects, "lines with the wrong number of fields",
                 f"{path}:{line_no[bad]}: {n_fields} fields, header has {width}", n=good.count(False))  # fmt: skip
        line_no = line_no[np.array(good, dtype=bool)]
        body, rows = list(compress(body, good)), list(compress(rows, good))
    fields = [f for r in rows for f in r] if quoted else ",".join(body).split(",")
    if not body:
        fields = []
    return _Table({name: fields[header.index(name) :: width] for name in expected}, line_no)


def _numbers(table: _Table, path: Path, column: str, rejects: Rejects | None) -> np.ndarray:
    """The column as floats (blank: NaN); a value that is not a finite number is a problem."""
    text = np.char.strip(np.array(table.columns[column], dtype=str))
    text = np.where(np.char.str_len(text) == 0, "nan", text)
    try:
        out = text.astype(np.float64)  # NumPy parses the strings in C
    except ValueError:  # the slow path, only for files with bad values
        out = np.array([_float_or_nan(v) for v in text.tolist()], dtype=np.float64)
    bad = np.flatnonzero(np.isnan(out) & (text != "nan"))  # also "NaN" typed into the file
    if bad.size:
        _problem(rejects, "values that are not numbers",
                 f"{table.where(path, column, bad[0])} is not a number", n=bad.size)  # fmt: skip
    bad = np.flatnonzero(np.isinf(out))
    if bad.size:
        _problem(rejects, "values that are not finite",
                 f"{table.where(path, column, bad[0])} is not finite", n=bad.size)  # fmt: skip
        out[bad] = np.nan
    return out


def _valid_ranges() -> dict[str, tuple[float, float]]:
    """What one hour's value can be; outside it is a broken meter or a typo, and "no data".  The
    temperature range is the one the MQTT ingest accepts (a DS18B20 probe that lost power reads 85)."""
    temp = metrics.get("temp_c")
    assert temp is not None
    return {"hens": (0.0, math.inf), "age_weeks": (0.0, 200.0), "water_l": (0.0, math.inf),
            "feed_kg": (0.0, math.inf), "temp_c": (temp.min, temp.max), "eggs": (0.0, math.inf)}  # fmt: skip


def _in_range(
    values: np.ndarray, table: _Table, path: Path, column: str, rejects: Rejects | None
) -> np.ndarray:
    """``values`` with those outside the column's valid range made NaN (and reported)."""
    lo, hi = _valid_ranges()[column]
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero((values < lo) | (values > hi))
    if bad.size:
        what = "is negative" if lo == 0 and values[bad[0]] < 0 else f"is outside {lo:g} … {hi:g}"
        _problem(rejects, "values out of range", f"{table.where(path, column, bad[0])} {what}", n=bad.size)
        values[bad] = np.nan
    return values


def _float_or_nan(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return math.nan


def _hours(table: _Table, path: Path, rejects: Rejects | None) -> tuple[np.ndarray, np.ndarray]:
    """Epoch hour of every line, parsing each distinct timestamp once; and which lines have one."""
    distinct: dict[str, int] = {}
    first_error = ""
    for n, v in enumerate(table.columns["ts"]):
        if v not in distinct:
            try:
                distinct[v] = _parse_ts(v.strip(), f"{path}:{table.line[n]}") // HOUR_S
            except CsvFormatError as exc:
                first_error = first_error or str(exc)
                distinct[v] = -1
    hours = np.array([distinct[v] for v in table.columns["ts"]], dtype=np.int64)
    ok = hours >= 0
    if first_error:
        _problem(rejects, "lines with a bad timestamp", first_error, n=int((~ok).sum()))
    return hours, ok


def _named(table: _Table, path: Path, column: str, rejects: Rejects | None) -> np.ndarray:
    """Lines whose ``column`` (house or row id) is not blank."""
    values = table.columns[column]
    blank = {v for v in set(values) if not v.strip()}  # few distinct ids: cheap
    if not blank:
        return np.ones(len(values), dtype=bool)
    ok = np.array([v not in blank for v in values], dtype=bool)
    _problem(rejects, f"lines without a {column} id",
             f"{path}:{table.line[np.argmin(ok)]}: empty {column} id", n=int((~ok).sum()))  # fmt: skip
    return ok


def _repeats(key: np.ndarray, table: _Table, path: Path, rejects: Rejects | None) -> None:
    """Report lines repeating an earlier line's hour (and house, and row): the last one counts."""
    order = np.argsort(key, kind="stable")
    again = np.flatnonzero(key[order][1:] == key[order][:-1])
    if again.size:
        first = int(order[again + 1].min())
        _problem(rejects, "lines repeating an earlier hour (the last one kept)",
                 f"{path}:{table.line[first]}: repeats an earlier line's hour", n=again.size)  # fmt: skip


def read_frame(houses_csv: Path, rows_csv: Path, rejects: Rejects | None = None) -> HourlyFrame:
    """Read the two CSVs into one :class:`HourlyFrame` covering every hour either file mentions.

    ``rejects`` None: the first bad line or value is a :class:`CsvFormatError`.  Otherwise bad lines
    and values are left out and counted there.
    """
    h_tab = _read_table(houses_csv, H_COLUMNS, rejects)
    r_tab = _read_table(rows_csv, R_COLUMNS, rejects)
    h_hour, h_ok = _hours(h_tab, houses_csv, rejects)
    r_hour, r_ok = _hours(r_tab, rows_csv, rejects)
    h_ok &= _named(h_tab, houses_csv, "house", rejects)
    r_ok &= _named(r_tab, rows_csv, "house", rejects) & _named(r_tab, rows_csv, "row", rejects)
    h_tab, h_hour = h_tab.keep(h_ok), h_hour[h_ok]
    r_tab, r_hour = r_tab.keep(r_ok), r_hour[r_ok]
    if h_hour.size == 0 and r_hour.size == 0:
        left_out = f" (left out: {rejects.summary()})" if rejects else ""
        raise CsvFormatError(f"{houses_csv}, {rows_csv}: no data lines{left_out}")
    h_house, r_house, r_row = h_tab.columns["house"], r_tab.columns["house"], r_tab.columns["row"]
    houses = sorted(set(h_house) | set(r_house))
    house_idx = {h: i for i, h in enumerate(houses)}
    ri = np.array([house_idx[h] for h in r_house], dtype=np.int64)
    rows, rr, row_names = _row_slots(ri, r_row, len(houses))
    first = int(min(h_hour.min(initial=2**62), r_hour.min(initial=2**62)))
    last = int(max(h_hour.max(initial=-1), r_hour.max(initial=-1)))
    frame = empty_frame(datetime.fromtimestamp(first * HOUR_S, UTC), houses, rows, last - first + 1)
    if row_names:
        frame = replace(frame, row_names=row_names)

    hi = np.array([house_idx[h] for h in h_house], dtype=np.int64)
    _repeats(hi * frame.n_hours + h_hour - first, h_tab, houses_csv, rejects)
    for name in H_COLUMNS[2:]:
        values = _numbers(h_tab, houses_csv, name, rejects)
        getattr(frame, name)[hi, h_hour - first] = _in_range(values, h_tab, houses_csv, name, rejects)
    _repeats((ri * len(rows) + rr) * frame.n_hours + r_hour - first, r_tab, rows_csv, rejects)
    eggs = _in_range(_numbers(r_tab, rows_csv, "eggs", rejects), r_tab, rows_csv, "eggs", rejects)
    frame.eggs[ri, rr, r_hour - first] = eggs
    return frame


def _row_slots(
    house: np.ndarray, row: list[str], n_houses: int
) -> tuple[list[str], np.ndarray, tuple[tuple[str, ...], ...]]:
    """The frame's row ids, each line's row index, and per-house row names (or ``()``).

    Houses that share their row ids (``01``…``08``) get the union as rows.  Houses that name their
    rows apart (``H03-R1``) would make that union mostly empty — 30 houses × 8 rows a 240-row frame,
    4 times slower and 4 times the memory — so each house's rows are then numbered within the house.
    """
    ids = sorted(set(row))
    idx = {r: i for i, r in enumerate(ids)}
    union = np.array([idx[r] for r in row], dtype=np.int64)
    pairs, line_pair = np.unique(house * len(ids) + union, return_inverse=True)
    pair_house = pairs // max(1, len(ids))
    per_house = np.bincount(pair_house, minlength=n_houses)
    width = int(per_house.max(initial=0))
    if width >= len(ids):
        return ids, union, ()
    slot = np.arange(pairs.size) - np.searchsorted(pair_house, pair_house)  # rank within the house
    names = [[""] * width for _ in range(n_houses)]
    for p, h, s in zip(pairs.tolist(), pair_house.tolist(), slot.tolist(), strict=True):
        names[h][s] = ids[p % len(ids)]
    return [f"#{s + 1}" for s in range(width)], slot[line_pair.ravel()], tuple(map(tuple, names))


def houses_without_hens(frame: HourlyFrame) -> list[str]:
    """Houses whose ``hens`` is never a positive number (their hen-day % cannot be computed)."""
    with np.errstate(invalid="ignore"):
        blind = np.flatnonzero(~(frame.hens > 0).any(axis=1))
    return [frame.houses[i] for i in blind]


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
                for r in range(len(frame.rows)):
                    if present[h, r]:
                        w.writerow([ts, house, frame.row_name(h, r), cell(frame.eggs[h, r, t])])


def write_alerts(alerts: Iterable[DetectorAlert], out: IO[bytes]) -> int:
    """Alerts as JSON lines (CONTRACTS §6 plus ``message_zh`` and ``evidence``); returns the count."""
    n = 0
    for a in alerts:
        out.write(orjson.dumps(a.to_json()) + b"\n")
        n += 1
    return n
