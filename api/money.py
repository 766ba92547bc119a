"""Money arithmetic: exact, in integer fen, with one rounding rule.

Every amount is computed exactly (integers and :class:`fractions.Fraction`; never binary floats)
and rounded once, **half up to the fen** (half away from zero: 13.5 fen → 14, −13.5 → −14), when it
becomes a figure that is stored or shown.  Yuan on the wire are ``fen / 100`` (two decimals).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

Exact = int | Fraction | Decimal


def half_up(value: Exact) -> int:
    """``value`` (fen, exact) rounded half away from zero to a whole fen."""
    x = Fraction(value)
    n = (2 * abs(x.numerator) + x.denominator) // (2 * x.denominator)
    return n if x >= 0 else -n


def ratio_fen(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` fen rounded half up, e.g. a total split over people or months."""
    return half_up(Fraction(numerator, denominator))
