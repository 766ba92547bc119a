"""House temperatures no house can reach in an hour: a sensor glitch, not the weather.

A house's air warms or cools by a degree or two an hour (the simulator's houses by at most 1.4 °C,
a ventilation failure on a hot afternoon by a few degrees); a reading 8 °C or more off the last one
believed is a sensor that slipped (a loose probe, a unit or channel mix-up) and is taken as unknown.
Kept, six hours 15 °C too warm three times a house (seeds 1-6, ``python -m tests.analytics.glitches
--kinds temp-plus-15 --hours 6``) raised 363 false alarms (0 for one hour): `heat_stress` from the
24 h mean, and water and feed expected to follow that "weather".  A reading that stays that far
off for a day is believed from then on (a probe moved, a house really that much warmer): the
sensor says so consistently.  Causal: each hour is judged on the hours before it.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import DAY, ffill

JUMP_C = 8.0  # a reading this far off the last believed one is a glitch ...
BELIEVED_AFTER = DAY  # ... until it has stayed that far off this long


def drop_temp_jumps(temp_c: np.ndarray) -> np.ndarray:
    """``temp_c`` (``[house, hour]``) with readings a house cannot reach in an hour blank."""
    with np.errstate(invalid="ignore"):  # against the last reading known: a jump may follow a gap
        jumps = np.abs(np.diff(ffill(temp_c), axis=-1)) >= JUMP_C
    some = np.flatnonzero(jumps.any(axis=-1))  # the usual case: none
    if not some.size:
        return temp_c
    out = temp_c.copy()
    sub = temp_c[some]
    ref = sub[:, 0].copy()  # the last reading believed
    off_for = np.zeros(len(some), dtype=int)
    # Each hour's verdict depends on the reading believed before it: a loop over hours, only for the
    # few houses with a jump.
    for t in range(1, sub.shape[-1]):
        x = sub[:, t]
        with np.errstate(invalid="ignore"):
            off = np.abs(x - ref) >= JUMP_C
        off_for = np.where(off, off_for + 1, 0)
        believed = ~np.isnan(x) & (~off | (off_for > BELIEVED_AFTER))
        out[some, t] = np.where(believed | np.isnan(x), x, np.nan)
        ref = np.where(believed | np.isnan(ref), np.where(np.isnan(x), ref, x), ref)
    return out
