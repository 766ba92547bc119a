"""What each simulated device reports: columnar channels of one metric each, in wire terms (§3).

A house has a climate controller (``climate-1``), one egg counter box with a counter per row
(``eggcounter-1``, tag ``row``), a water meter (``water-1``, tag ``line``), silo load cells
(``silo-1``, tag ``silo`` a/b), a bird scale (``scale-1``) and the house controller's flock
records (``controller-1``: hens housed, daily mortality).  A packing line has its grader
(``grader-1``).  Device ids and tags match the firmware stubs' register maps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from eggwatch import metrics
from eggwatch.wire import Reading
from simulator.house import RECORD_HOUR, HouseFrame, HouseModel
from simulator.incidents import DAY, H
from simulator.packing import GRADES, REJECTS, LineFrame

CLIMATE_METRICS = (
    "temp_c",
    "outdoor_temp_c",
    "rh_pct",
    "nh3_ppm",
    "co2_ppm",
    "light_lux",
    "static_pressure_pa",
)
_DECIMALS = {
    "co2_ppm": 0,
    "light_lux": 1,
    "bird_weight_g": 0,
    "feed_kg": 1,
    "water_l_total": 1,
    "line_speed_eph": 0,
}


@dataclass
class Channel:
    """One series of one device: ``ts_ms`` (int64 epoch ms) and ``values`` of equal length."""

    unit: str
    device: str
    metric: str
    ts_ms: np.ndarray
    values: np.ndarray
    tags: dict[str, str] = field(default_factory=dict)

    def readings(self) -> Iterator[Reading]:
        """As wire readings (integers for integer metrics, sensible rounding for the rest)."""
        m = metrics.REGISTRY[self.metric]
        if m.integer:
            vals: list[float] | list[int] = [int(v) for v in np.round(self.values)]
        else:
            vals = [float(v) for v in np.round(self.values, _DECIMALS.get(self.metric, 2))]
        tags = self.tags
        for ts, v in zip(self.ts_ms.tolist(), vals, strict=True):
            yield Reading(ts, self.metric, v, tags)

    def __len__(self) -> int:
        return len(self.ts_ms)


def _ms(t_s: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(t_s) * 1000.0).astype(np.int64)


def house_channels(
    model: HouseModel,
    f: HouseFrame,
    gauges: dict[str, np.ndarray],
    silo_kg: np.ndarray,
    weight_g: np.ndarray,
    tier_shares: np.ndarray | None = None,
) -> list[Channel]:
    """Channels of one house's devices; steps the gateway was offline are left out.

    ``tier_shares`` (one per tier, summing to 1): each row has a counter per tier (tags ``row`` and
    ``tier``) instead of one per row; the tiers of a row add up to the row.
    """
    unit = model.spec.house.unit
    keep = ~f.offline
    end = f.t_s[1:][keep]
    ts = _ms(end)
    out: list[Channel] = [
        Channel(unit, "climate-1", name, ts, gauges[name][keep]) for name in CLIMATE_METRICS
    ]
    counters = f.eggs_counter[1:][keep]
    for j, row in enumerate(model.spec.house.row_ids):
        if tier_shares is None:
            out.append(Channel(unit, "eggcounter-1", "eggs_total", ts, counters[:, j], {"row": row}))
            continue
        for k, share in enumerate(tier_shares):
            tier = np.floor(counters[:, j] * share)  # still only grows (or restarts with the row's)
            out.append(
                Channel(unit, "eggcounter-1", "eggs_total", ts, tier, {"row": row, "tier": str(k + 1)})
            )
    out.append(Channel(unit, "water-1", "water_l_total", ts, f.water_l[1:][keep], {"line": "1"}))
    silo = np.clip(silo_kg[1:][keep], 0.0, None)
    out.append(Channel(unit, "silo-1", "feed_kg", ts, silo[:, 0], {"silo": "a"}))
    out.append(Channel(unit, "silo-1", "feed_kg", ts, silo[:, 1], {"silo": "b"}))
    lit = f.lit[keep]  # the birds only step on the scale while the lights are on
    out.append(Channel(unit, "scale-1", "bird_weight_g", ts[lit], weight_g[keep][lit], {"scale": "1"}))
    out.append(Channel(unit, "controller-1", "hens_housed", ts, f.hens[1:][keep]))
    out.append(_mortality(model, f))
    return out


def _mortality(model: HouseModel, f: HouseFrame) -> Channel:
    """The day's dead birds, entered at the morning walk (one reading a day)."""
    walk = model.midnight_s + RECORD_HOUR * H
    inside = (walk >= f.t_s[0]) & (walk < f.t_s[-1])
    walk_ok = inside & ~model.offline(walk)
    return Channel(
        model.spec.house.unit, "controller-1", "mortality", _ms(walk[walk_ok]), model.deaths[walk_ok]
    )


def line_channels(unit: str, f: LineFrame) -> list[Channel]:
    ts = _ms(f.t_s[1:])
    out = [
        Channel(unit, "grader-1", "eggs_graded_total", ts, f.graded[1:, k], {"grade": g})
        for k, g in enumerate(GRADES)
    ]
    out += [
        Channel(unit, "grader-1", "rejects_total", ts, f.rejects[1:, k], {"reason": r})
        for k, r in enumerate(REJECTS)
    ]
    out.append(Channel(unit, "grader-1", "cases_packed_total", ts, f.cases[1:]))
    out.append(Channel(unit, "grader-1", "line_speed_eph", ts, f.speed_eph))
    out.append(Channel(unit, "grader-1", "line_state", ts, f.state.astype(np.float64)))
    return out


__all__ = ["DAY", "Channel", "house_channels", "line_channels"]
