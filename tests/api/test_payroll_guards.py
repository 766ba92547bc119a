"""Regression tests for the payroll review: exact money, race-free overlap checks, checked
adjustments, figures frozen at approval, dividends checked.  SQLite and PostgreSQL."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from api.money import half_up, ratio_fen
from api.services.attribution import CounterTimeline, Presence, share
from tests.api.conftest import Api
from tests.api.test_payroll import counter, lines_of, rule, scenario, shift

__all__ = ["scenario"]  # the fixture, shared with test_payroll


def make_run(api: Api, start: str, end: str) -> dict:  # type: ignore[type-arg]
    return api.ok("payroll", "POST", "/api/v1/payroll/runs", json={"period_start": start, "period_end": end})


# 3. Money is exact, rounded once half up to the fen.


def test_half_up_is_exact() -> None:
    assert half_up(Fraction(9 * 1500, 1000)) == 14  # 0.09 CNY per 1,000 eggs x 1,500 = 13.5 fen
    assert 9 / 1000.0 * 1500 < 13.5  # what the float code computed (and rounded to 13)
    assert half_up(Fraction(-27, 2)) == -14 and half_up(Fraction(1, 2)) == 1 and half_up(Fraction(1, 3)) == 0
    assert half_up(Fraction(191000 * 14, 174)) == 15368  # 1,910 CNY x 14 h / 174 h = 153.678... CNY
    assert ratio_fen(92734, 4) == 23184 and ratio_fen(5, 2) == 3 and ratio_fen(7, 2) == 4  # not banker's


def test_share_is_exact() -> None:
    # 1,000 counted over three equal presences: thirds, adding up to exactly what was counted.
    tl = CounterTimeline(np.array([50], dtype=np.int64), np.array([1000.0]))
    got = share(tl, [Presence(k, 0, 100, Fraction(1)) for k in (1, 2, 3)])
    assert got == {1: Fraction(1000, 3), 2: Fraction(1000, 3), 3: Fraction(1000, 3)}
    got = share(tl, [Presence(1, 0, 100, Fraction(1)), Presence(2, 0, 100, Fraction(1, 2))])
    assert got == {1: Fraction(2000, 3), 2: Fraction(1000, 3)}


def test_piece_rate_half_fen_rounds_up(api: Api, scenario: dict[str, int]) -> None:
    loc = api.ok(
        "manager", "POST", "/api/v1/locations", json={"unit": "house-02", "kind": "house", "name": "h2"}
    )
    task = api.ok("manager", "POST", "/api/v1/tasks", json={"code": "pick", "name": "pick", "output": "eggs"})
    rule(api, task["id"], "2026-01-01", per_1000_eggs=0.09)
    shift(api, scenario["C"], loc["id"], task["id"], "2026-05-04 08:00", "2026-05-04 09:00")
    counter(
        api, "house-02", "eggs_total", [("2026-05-04 07:32", 0), ("2026-05-04 08:32", 1500)], {"row": "01"}
    )
    line = lines_of(api, make_run(api, "2026-05-01", "2026-06-01")["id"])[scenario["C"]]
    assert (line["eggs"], line["piece_earnings"]) == (1500, 0.14)  # 13.5 fen → 14 (was 13)
    assert line["topup"] == 19.86 and line["net"] == 20.0  # part-time floor: 1 h x 20 CNY
