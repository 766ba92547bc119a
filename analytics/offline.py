"""The detector's offline format (CONTRACTS §6): hourly CSVs in, alerts as JSON lines out.

``H.csv``: ``ts,house,hens,age_weeks,water_l,feed_kg,temp_c``; ``R.csv``: ``ts,house,row,eggs``.
Times are hour starts in UTC ISO 8601 with ``Z``; a blank value is "no data for that hour".
Parsing is column-wise with the stdlib ``csv`` module and NumPy (no pandas), a few MB of the file at
a time (memory is a block's text plus ~40 bytes a line, not the whole file's text): timestamps are
parsed once per distinct value, so ~1 M lines take a few seconds.

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
from collections.abc import Iterable, Iterator, Sequence
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
    # Lines whose timestamp has no time zone, kept and read as UTC (§6 says the times are UTC; a
    # spreadsheet or pandas export often drops the "Z"), and the first of them.
    read_as_utc: int = 0
    read_as_utc_first: str = ""

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


def _parse_ts(text: str, where: str, naive_utc: bool = False) -> tuple[int, bool]:
    """Epoch seconds of an hour-start timestamp ``2026-03-01T05:00:00Z``, and whether it had no time
    zone (then taken as UTC with ``naive_utc``, an error without)."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CsvFormatError(f"{where}: bad timestamp {text!r} (want 2026-03-01T05:00:00Z)") from None
    naive = when.tzinfo is None
    if naive:
        if not naive_utc:
            raise CsvFormatError(f"{where}: timestamp {text!r} has no time zone (want a trailing Z)")
        when = when.replace(tzinfo=UTC)
    seconds = when.timestamp()
    if seconds < 0:  # a mistyped year: the hours before 1970 were dropped without a count
        raise CsvFormatError(f"{where}: timestamp {text!r} is before 1970")
    if seconds % HOUR_S:  # a fraction of a second past the hour too (int() would drop it)
        raise CsvFormatError(f"{where}: timestamp {text!r} is not the start of an hour")
    return int(seconds), naive


# The files are parsed a block at a time: memory is a block's text and the lines' numbers, not the
# whole file's text (a year of a 30-house park, 2.1 M lines, peaked at 1.1 GB read whole).
BLOCK_BYTES = 4 << 20


@dataclass
class _Table:
    """A block of a file's data lines as text columns; ``line`` is each line's number in the file."""

    columns: dict[str, list[str]]
    line: np.ndarray

    def keep(self, ok: np.ndarray) -> _Table:
        if ok.all():
            return self
        return _Table({k: list(compress(v, ok)) for k, v in self.columns.items()}, self.line[ok])

    def where(self, path: Path, column: str, i: int) -> str:
        """``R.csv:17: eggs='five'``: a value and where it stands, for messages."""
        return f"{path}:{self.line[i]}: {column}={self.columns[column][i]!r}"


def _line_blocks(path: Path) -> Iterator[tuple[list[str], np.ndarray, bool]]:
    """The file's lines, about :data:`BLOCK_BYTES` at a time (cut after a line end), without the
    blank ones: (lines, their numbers in the file, whether the block has a quote)."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise CsvFormatError(f"{path}: file not found") from None
    except OSError as exc:  # a directory, no permission: one line, not a traceback
        raise CsvFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with f:
        first, pending, encoding = 1, b"", "utf-8-sig"  # a byte-order mark only at the start
        while True:
            data = f.read(BLOCK_BYTES)
            block, pending = pending + data, b""
            if not block:
                return
            if data:  # cut after the last line end; the rest goes with the next block
                cut = block.rfind(b"\n") + 1
                block, pending = block[:cut], block[cut:]
                if not block:
                    continue
            try:
                lines = block.decode(encoding).splitlines()
            except UnicodeDecodeError as exc:
                raise CsvFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
            encoding = "utf-8"
            line_no = np.arange(first, first + len(lines))
            first += len(lines)
            if "" in lines:  # blank lines are skipped (numbers stay the file's own)
                kept = np.array([line != "" for line in lines], dtype=bool)
                lines, line_no = list(compress(lines, kept)), line_no[kept]
            yield lines, line_no, b'"' in block


def _read_table(path: Path, expected: Sequence[str], rejects: Rejects | None) -> Iterator[_Table]:
    """The file's data lines, a block at a time, as the ``expected`` columns."""
    header: list[str] | None = None
    for lines, line_no, quoted in _line_blocks(path):
        if header is None:
            if not lines:
                continue
            header = [h.strip() for h in next(csv.reader(lines[:1]))]
            missing = [c for c in expected if c not in header]
            if missing:
                raise CsvFormatError(f"{path}: header lacks {', '.join(missing)} (want {','.join(expected)})")
            lines, line_no = lines[1:], line_no[1:]
        yield _split(lines, line_no, quoted, header, expected, path, rejects)
    if header is None:
        raise CsvFormatError(f"{path}: empty file (want header {','.join(expected)})")


def _split(
    body: list[str],
    line_no: np.ndarray,
    quoted: bool,
    header: list[str],
    expected: Sequence[str],
    path: Path,
    rejects: Rejects | None,
) -> _Table:
    width = len(header)
    rows = list(csv.reader(body)) if quoted else []  # quoted fields need the general (slower) parser
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
    blank = np.char.str_len(text) == 0
    text = np.where(blank, "nan", text)
    try:
        out = text.astype(np.float64)  # NumPy parses the strings in C
    except ValueError:  # the slow path, only for files with bad values
        out = np.array([_float_or_nan(v) for v in text.tolist()], dtype=np.float64)
    bad = np.flatnonzero(np.isnan(out) & ~blank)  # also "NaN" or "nan" typed into the file
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


def _hours(
    table: _Table, path: Path, rejects: Rejects | None, distinct: dict[str, int], naive: set[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Epoch hour of every line, parsing each distinct timestamp once (``distinct`` and ``naive``,
    the distinct timestamps without a time zone, are kept from block to block); and which lines
    have one.  Lenient, a timestamp without a time zone is read as UTC (§6: the times are UTC; a
    spreadsheet or pandas export often drops the "Z") and counted in ``rejects.read_as_utc``."""
    first_error = ""
    for n, v in enumerate(table.columns["ts"]):
        if v not in distinct:
            where = f"{path}:{table.line[n]}"
            try:
                epoch, was_naive = _parse_ts(v.strip(), where, naive_utc=rejects is not None)
            except CsvFormatError as exc:
                first_error = first_error or str(exc)
                distinct[v] = -1
                continue
            distinct[v] = epoch // HOUR_S
            if was_naive and rejects is not None:
                naive.add(v)
                rejects.read_as_utc_first = rejects.read_as_utc_first or f"{where}: {v.strip()!r}"
    hours = np.array([distinct[v] for v in table.columns["ts"]], dtype=np.int64)
    ok = hours >= 0
    if naive and rejects is not None:
        rejects.read_as_utc += sum(v in naive for v in table.columns["ts"])
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


class _Ids:
    """Numbers for names (houses, rows) in the order they first appear.  A name is read without the
    spaces around it, as the header and the values are (``H01, 03`` is house ``H01``'s row ``03``:
    kept, each house with spaces was a second house, its eggs apart from its meters)."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.written: dict[str, int] = {}  # each name as the file wrote it: its number

    def of(self, names: list[str]) -> np.ndarray:
        for name in set(names) - self.written.keys():  # few distinct names: cheap
            self.written[name] = self.number.setdefault(name.strip(), len(self.number))
        return np.array([self.written[n] for n in names], dtype=np.int64)

    def sorted(self) -> tuple[list[str], np.ndarray]:
        """The names sorted, and each number's place among them."""
        names = sorted(self.number)
        place = np.empty(len(names), dtype=np.int64)
        place[[self.number[n] for n in names]] = np.arange(len(names))
        return names, place


@dataclass
class _Lines:
    """A file's usable lines, parsed: hour, house and row numbers (``_Ids``), values, line number."""

    hour: np.ndarray
    house: np.ndarray
    row: np.ndarray
    values: dict[str, np.ndarray]
    line: np.ndarray


def _parse(
    path: Path, columns: Sequence[str], rejects: Rejects | None, houses: _Ids, rows: _Ids | None = None
) -> _Lines:
    """Read a file block by block, keeping only each line's numbers (32-64 bytes a line)."""
    ids = ("ts", "house", "row") if rows else ("ts", "house")
    distinct: dict[str, int] = {}
    naive: set[str] = set()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("hour", "house", "row", "line", *columns)}
    for table in _read_table(path, (*ids, *columns), rejects):
        hour, ok = _hours(table, path, rejects, distinct, naive)
        for name in ids[1:]:
            ok &= _named(table, path, name, rejects)
        table = table.keep(ok)
        parts["hour"].append(hour[ok])
        parts["house"].append(houses.of(table.columns["house"]))
        parts["row"].append(rows.of(table.columns["row"]) if rows else np.zeros(len(table.line), np.int64))
        parts["line"].append(table.line)
        for name in columns:
            parts[name].append(_in_range(_numbers(table, path, name, rejects), table, path, name, rejects))
    # One array at a time, each list of parts let go as it is joined: the peak is one column twice.
    joined = {k: np.concatenate(parts.pop(k)) if parts[k] else np.zeros(0) for k in list(parts)}
    as_int = {k: joined.pop(k).astype(np.int64, copy=False) for k in ("hour", "house", "row", "line")}
    return _Lines(values=joined, **as_int)


def _repeats(key: np.ndarray, line: np.ndarray, path: Path, rejects: Rejects | None) -> None:
    """Report lines repeating an earlier line's hour (and house, and row): the last one counts."""
    ordered = np.sort(key)
    if (ordered[1:] == ordered[:-1]).any():  # rare: only then find where (a stable sort, more memory)
        order = np.argsort(key, kind="stable")
        again = np.flatnonzero(key[order][1:] == key[order][:-1])
        first = int(order[again + 1].min())
        _problem(rejects, "lines repeating an earlier hour (the last one kept)",
                 f"{path}:{line[first]}: repeats an earlier line's hour", n=again.size)  # fmt: skip


def read_frame(houses_csv: Path, rows_csv: Path, rejects: Rejects | None = None) -> HourlyFrame:
    """Read the two CSVs into one :class:`HourlyFrame` covering every hour either file mentions.

    ``rejects`` None: the first bad line or value is a :class:`CsvFormatError`.  Otherwise bad lines
    and values are left out and counted there.
    """
    house_ids, row_ids = _Ids(), _Ids()
    h = _parse(houses_csv, H_COLUMNS[2:], rejects, house_ids)
    r = _parse(rows_csv, R_COLUMNS[3:], rejects, house_ids, row_ids)
    if h.hour.size == 0 and r.hour.size == 0:
        left_out = f" (left out: {rejects.summary()})" if rejects else ""
        raise CsvFormatError(f"{houses_csv}, {rows_csv}: no data lines{left_out}")
    houses, place = house_ids.sorted()
    hi, ri = place[h.house], place[r.house]
    rows, rr, row_names = _row_slots(ri, r.row, row_ids, len(houses))
    first = int(min(h.hour.min(initial=2**62), r.hour.min(initial=2**62)))
    last = int(max(h.hour.max(initial=-1), r.hour.max(initial=-1)))
    try:
        frame = empty_frame(datetime.fromtimestamp(first * HOUR_S, UTC), houses, rows, last - first + 1)
    except MemoryError:  # one line with a mistyped year (2925) spans centuries: say so, not a traceback
        span = " … ".join(
            datetime.fromtimestamp(x * HOUR_S, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for x in (first, last)
        )
        raise CsvFormatError(f"{houses_csv}, {rows_csv}: the lines span {span}, {last - first + 1:,} hours of "
                             f"{len(houses)} houses and {len(rows)} rows: too many to hold (a mistyped year?)") from None  # fmt: skip
    if row_names:
        frame = replace(frame, row_names=row_names)

    _repeats(hi * frame.n_hours + h.hour - first, h.line, houses_csv, rejects)
    for name in H_COLUMNS[2:]:
        getattr(frame, name)[hi, h.hour - first] = h.values[name]
    _repeats((ri * len(rows) + rr) * frame.n_hours + r.hour - first, r.line, rows_csv, rejects)
    frame.eggs[ri, rr, r.hour - first] = r.values["eggs"]
    return frame


# A stretch this long without a value in any column of any house is worth a word: a mistyped year
# (2035 for 2025) that still fits in memory made the run go over the empty years silently.
EMPTY_SPAN_HOURS = 30 * 24


def empty_span(frame: HourlyFrame) -> tuple[datetime, datetime] | None:
    """The longest stretch without any data, when it is :data:`EMPTY_SPAN_HOURS` or more: the
    start of the last hour with data before it and of the first hour after it."""
    seen = ~np.isnan(frame.eggs).all(axis=(0, 1))
    for name in H_COLUMNS[2:]:
        seen |= ~np.isnan(getattr(frame, name)).all(axis=0)
    hours = np.flatnonzero(seen)
    if hours.size < 2:
        return None
    k = int(np.argmax(np.diff(hours)))
    if hours[k + 1] - hours[k] - 1 < EMPTY_SPAN_HOURS:
        return None
    return frame.hour_start(int(hours[k])), frame.hour_start(int(hours[k + 1]))


def _row_slots(
    house: np.ndarray, row: np.ndarray, row_ids: _Ids, n_houses: int
) -> tuple[list[str], np.ndarray, tuple[tuple[str, ...], ...]]:
    """The frame's row ids, each line's row index, and per-house row names (or ``()``).

    Houses that share their row ids (``01``…``08``) get the union as rows.  Houses that name their
    rows apart (``H03-R1``) would make that union mostly empty — 30 houses × 8 rows a 240-row frame,
    4 times slower and 4 times the memory — so each house's rows are then numbered within the house.
    """
    ids, place = row_ids.sorted()
    union = place[row]
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
