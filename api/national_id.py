"""PRC resident identity numbers (GB 11643-1999): 17 digits + ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# [0-9], not \d: \d also matches fullwidth and other scripts' digits (int() reads them), so one
# number would pass in several spellings, each with its own lookup hash (a duplicate unseen).
_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")


def check_char(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalize(value: str) -> str:
    """Validate an ID number and return it canonical (upper-case X); raise ``ValueError`` why not."""
    v = value.strip().upper()
    if not _SHAPE.fullmatch(v):  # fullmatch: `$` would let a trailing newline through
        raise ValueError("national ID must be 17 digits followed by a digit or X")
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValueError("national ID has an impossible birth date") from None
    if not dt.date(1900, 1, 1) <= birth <= dt.date.today():
        raise ValueError("national ID has an out-of-range birth date")
    if check_char(v[:17]) != v[17]:
        raise ValueError("national ID checksum does not match")
    return v


def mask(value: str) -> str:
    """``620525********2316``: region code and last four only."""
    return value[:6] + "*" * 8 + value[-4:]


def make(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid ID (for seeding demo data): region (6 digits), birth date, 3-digit sequence."""
    first17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)
