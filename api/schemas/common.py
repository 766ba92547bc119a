"""Validated building blocks shared by the request and response schemas."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

T = TypeVar("T")


def _printable(v: str | None) -> str | None:
    # PostgreSQL rejects NUL in text; other control characters are never meant in names.
    if v is not None and any(ord(c) < 32 and c not in "\t\n" for c in v):
        raise ValueError("control characters are not allowed")
    return v


# For any other free text that is stored or queried (reasons, e-mail, query filters).
Printable = AfterValidator(_printable)


def _aware(v: dt.datetime) -> dt.datetime:
    if v.tzinfo is None:
        raise ValueError("datetime needs a UTC offset (e.g. 2026-03-01T08:00:00+08:00)")
    # Check the range before converting: astimezone() overflows near year 1 or 9999.
    if not 2000 <= v.year <= 2100:
        raise ValueError("datetime out of range (years 2000-2100)")
    return v.astimezone(dt.UTC)


def _in_range(v: dt.date) -> dt.date:
    if not 2000 <= v.year <= 2100:
        raise ValueError("date out of range (years 2000-2100)")
    return v


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AfterValidator(_printable)
]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), AfterValidator(_printable)
]
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_printable)]
Unit = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]
Aware = Annotated[dt.datetime, AfterValidator(_aware)]
Day = Annotated[dt.date, AfterValidator(_in_range)]
# Integers and booleans in request bodies are strict: "12" or true for an int, "yes" or 1 for a
# bool are refused, not coerced.  Per field, not model-wide: dates and yuan amounts come as JSON
# strings and must still be parsed from them.
Int = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
RefId = Annotated[int, Strict(), Field(ge=1, le=2**31 - 1)]  # a key named in a request body
Count = Annotated[int, Strict(), Field(ge=0, le=10**12)]
# Yuan with at most two decimals (stored as integer fen).
Yuan = Annotated[Decimal, Field(ge=0, le=Decimal("10000000"), max_digits=12, decimal_places=2)]
SignedYuan = Annotated[
    Decimal, Field(ge=Decimal("-10000000"), le=Decimal("10000000"), max_digits=12, decimal_places=2)
]


def to_fen(yuan: Decimal) -> int:
    return int((Decimal(yuan) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_yuan(fen: int) -> float:
    return round(fen / 100.0, 2)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="matching rows; counting stops after 10,000 (then: at least this many)")
    limit: int
    offset: int
