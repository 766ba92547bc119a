"""The park file's names: what the SQL columns that record them can hold."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from eggwatch.park import House


def test_a_unit_longer_than_its_columns_is_refused_when_the_file_is_read() -> None:
    assert House(unit="h" * 64, placed="2026-01-05", hens_placed=1000).unit == "h" * 64
    with pytest.raises(ValidationError, match="at most 64"):
        House(unit="h" * 65, placed="2026-01-05", hens_placed=1000)
