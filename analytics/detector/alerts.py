"""Turn the analysis' firing hours into :class:`DetectorAlert` objects (onset, magnitude, evidence).

This runs once per alert (a handful per house-month), so plain Python is fine here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from analytics.alert import DetectorAlert
from analytics.detector import messages
from analytics.detector.analysis import Analysis
from analytics.detector.collection import stop_hours
from analytics.detector.config import DetectorConfig
from analytics.detector.consumption import ConsumptionDrops
from analytics.detector.houses import CHANNELS
from analytics.detector.stuck import hours_needed
from analytics.detector.windows import run_start, true_at
from analytics.frame import HourlyFrame

ONSET_LOOKBACK_H = 72


def _num(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _as_cause(fall_pct: float | None, cfg: DetectorConfig) -> float | None:
    """An intake fall large enough to lower the egg thresholds (``support_frac``) is named in a
    ``laying_drop``'s message as its likely cause."""
    return fall_pct if fall_pct is not None and fall_pct >= 100 * cfg.support_frac else None


def _onset(signal: np.ndarray, at: int, fraction: float) -> int:
    """First hour of the stretch before ``at`` where ``signal`` stayed above ``fraction`` of its value
    at ``at`` (unknown hours do not end the stretch); the hour the event started to show."""
    level = fraction * signal[at]
    lo = max(0, at - ONSET_LOOKBACK_H)
    i = at
    while i - 1 >= lo and (np.isnan(signal[i - 1]) or signal[i - 1] > level):
        i -= 1
    # The first affected hour's eggs were laid up to a few hours earlier (belt runs, laying time).
    return max(lo, i - 1)


COUNTER_HIGH = "counter_high"  # a row counter counting too many (evidence "cause"; see rows.py)
COUNTER_STUCK = "counter_stuck"  # a row's count standing at one figure (stuck.py)
METER_STUCK = {"water_l": "water_meter_stuck", "feed_kg": "feed_meter_stuck"}  # stuck_meters.py
PROBE_STUCK = "temp_probe_stuck"  # the house's temperature stuck at one figure (stuck_probes.py)


def _row_cause(ratio: float, cfg: DetectorConfig) -> str:
    if ratio > 1.0:
        return COUNTER_HIGH  # counting double, or a reading stuck high
    return "counter_collapsed" if ratio < cfg.row_fault_ratio else "counter_short"


BOTH_MAX_PCT = 25.0  # water and feed both down, less than this: worded as the hens eating and drinking less


def build_alerts(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, names: Sequence[str] | None = None
) -> list[DetectorAlert]:
    """The alerts of ``an``; ``names``: the house id of each series (a house's flocks are series of
    their own, see flocks.py), the frame's own ids by default."""
    houses = tuple(names) if names is not None else frame.houses
    kinds = (
        _laying_drops,
        _intake_drops,
        _heat_stress,
        _row_faults,
        _silent_rows,
        _stuck_rows,
        _stuck_meters,
        _stuck_probes,
        _counting_stops,
    )
    out = [alert for kind in kinds for alert in kind(frame, an, cfg, houses)]
    out.sort(key=lambda a: (a.detected_at, a.house, a.kind, a.row or ""))
    return out


def _laying_drops(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``laying_drop``: the house's hen-day % short of its baseline (houses.py)."""
    out: list[DetectorAlert] = []
    d = an.drops
    for h, t in zip(*true_at(an.drop_fires), strict=True):
        house = houses[h]
        deficit, observed, expected = float(d.deficit[h, t]), float(d.hen_day[h, t]), float(d.expected[h, t])
        excluded = [frame.row_name(h, r) for r in np.flatnonzero(an.rows.left_out[h, :, t])]
        heat = bool(an.heat.recent[h, t])
        water_fall, feed_fall = (_num(100 * m.fall[h, t]) for m in (an.water, an.feed))
        en, zh = messages.laying_drop(
            house, deficit, observed, expected, heat=heat,
            water_fall_pct=_as_cause(water_fall, cfg), feed_fall_pct=_as_cause(feed_fall, cfg),
        )  # fmt: skip
        out.append(
            DetectorAlert(
                house=house,
                kind="laying_drop",
                detected_at=frame.hour_end(t),
                onset=frame.hour_start(_onset(d.deficit[h], t, 0.25)),
                magnitude_pct=deficit,
                row=None,
                message=en,
                message_zh=zh,
                evidence={
                    "channel": CHANNELS.get(int(d.channel[h, t]), "?"),
                    "hen_day_24h_pct": observed,
                    "expected_pct": expected,
                    "deficit_pts": deficit,
                    "noise_pts": float(d.sigma[h, t]),
                    "trend_z": _num(d.trend[h, t]),  # the two-day statistic (noise units) ...
                    "trend_noise_pts": _num(d.trend_noise[h, t]),  # ... and its unit
                    "recent_deficit_pts": _num(d.recent[h, t]),  # round-the-clock houses: the last hours
                    "breed_standard_pct": _num(an.standard[h, t]),
                    "hens": _num(an.hens[h, t]),
                    "water_fall_pct": water_fall,
                    "feed_fall_pct": feed_fall,
                    "temp_rise_c": _num(an.heat.rise[h, t]),
                    "heat_stress": "recent" if heat else None,  # the likely cause (heat.py)
                    "rows_excluded": ",".join(excluded) or None,
                },
            )
        )
    return out


def intake_fall(c: ConsumptionDrops, h: int, t: int) -> tuple[float, float]:
    """(the short windows' fall, a fraction: NaN where neither was judged; the alert's fall in %:
    the larger of it and the 24 h fall, 0 at the least).  Either may be unknown: a 24 h window
    over a meter's unknown hours while the last 3 h were judged (its magnitude was NaN)."""
    short = float(np.fmax(c.fall_short[h, t], c.fall_mid[h, t]))
    return short, 100 * float(np.fmax(np.fmax(c.fall[h, t], short), 0.0))


def _intake_drops(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``water_drop`` and ``feed_drop``: 24 h intake per hen short of its baseline (consumption.py)."""
    out: list[DetectorAlert] = []
    d = an.drops
    for kind, what, fires, c, other, o in (
        ("water_drop", "water", an.water_fires, an.water, "feed", an.feed),
        ("feed_drop", "feed", an.feed_fires, an.feed, "water", an.water),
    ):
        for h, t in zip(*true_at(fires), strict=True):
            short, fall = intake_fall(c, h, t)
            other_fall = 100 * float(o.fall[h, t])  # NaN: unknown
            # The other meter down beyond a day's noise too, neither by a quarter or more (a line
            # that stopped, water failing and the hens eating less for it): the hens, not a line.
            both = 100 * cfg.support_frac <= other_fall and max(fall, other_fall) < BOTH_MAX_PCT
            # The last 3 h mid-day (nearly) gone: the outage check, worded as such.
            if float(np.nan_to_num(c.fall_short[h, t])) >= cfg.outage_frac:
                en, zh = messages.line_stopped(houses[h], what, 100 * float(c.fall_short[h, t]))
            else:
                en, zh = messages.consumption_drop(houses[h], what, fall, other_fall if both else None)
            out.append(
                DetectorAlert(
                    house=houses[h],
                    kind=kind,
                    detected_at=frame.hour_end(t),
                    onset=frame.hour_start(_onset(c.fall[h], t, 0.3)),
                    magnitude_pct=fall,
                    row=None,
                    message=en,
                    message_zh=zh,
                    evidence={
                        f"{what}_per_hen_24h": _num(c.per_hen[h, t]),
                        f"{what}_expected_per_hen": _num(c.expected[h, t]),
                        "fall_pct": fall,
                        "fall_48h_pct": _num(100 * c.fall_2d[h, t]),
                        "fall_3h_pct": _num(100 * short),
                        # Both down: the hens eat and drink less (consumption.falling_together).
                        f"{other}_fall_pct": _num(other_fall),
                        "laying_deficit_pts": _num(d.deficit[h, t]),
                    },
                )
            )
    return out


def _heat_stress(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``heat_stress``: the house warmer than its own last days (heat.py)."""
    out: list[DetectorAlert] = []
    d = an.drops
    for h, t in zip(*true_at(an.heat_fires), strict=True):
        rise, mean = float(an.heat.rise[h, t]), float(an.heat.mean_24h[h, t])
        en, zh = messages.heat_stress(houses[h], rise, mean)
        out.append(
            DetectorAlert(
                house=houses[h],
                kind="heat_stress",
                detected_at=frame.hour_end(t),
                onset=frame.hour_start(_onset(an.heat.rise[h], t, 0.3)),
                magnitude_pct=max(0.0, float(np.nan_to_num(d.deficit[h, t]))),
                row=None,
                message=en,
                message_zh=zh,
                evidence={
                    "temp_24h_c": mean,
                    "temp_rise_c": rise,
                    "temp_rise_above_park_c": _num(an.heat.excess[h, t]),
                    "laying_deficit_pts": _num(d.deficit[h, t]),
                },
            )
        )
    return out


def _row_faults(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``sensor_fault`` for a row counting far fewer or more than its share (rows.py)."""
    out: list[DetectorAlert] = []
    d = an.drops
    rs = an.rows
    for h, r, t in zip(*true_at(rs.fault_fires), strict=True):
        house, row = houses[h], frame.row_name(h, r)
        ratio = float(rs.ratio[h, r, t])
        share = float(rs.share[h, r, t])
        en, zh = messages.row_fault(house, row, ratio)
        out.append(
            DetectorAlert(
                house=house,
                kind="sensor_fault",
                detected_at=frame.hour_end(t),
                onset=frame.hour_start(_onset(np.abs(1.0 - rs.ratio[h, r]), t, 0.2)),
                magnitude_pct=share * abs(1.0 - ratio) * float(np.nan_to_num(d.expected[h, t], nan=0.0)),
                row=row,
                message=en,
                message_zh=zh,
                evidence={
                    "cause": _row_cause(ratio, cfg),
                    "row_ratio": ratio,
                    "row_eggs_24h": _num(rs.window[h, r, t]),
                    "row_share": share,
                    "median_row_ratio": 1.0,
                },
            )
        )
    return out


def _silent_rows(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``sensor_fault`` for a row that stopped reporting while the others report."""
    out: list[DetectorAlert] = []
    rs = an.rows
    for h, r, t in zip(*true_at(rs.silent_fires), strict=True):
        if an.stuck[h, r, t]:
            continue  # not silent: stuck at a figure, and named so (_stuck_rows)
        house, row = houses[h], frame.row_name(h, r)
        en, zh = messages.row_silent(house, row, cfg.row_silent_hours)
        out.append(
            DetectorAlert(
                house=house,
                kind="sensor_fault",
                detected_at=frame.hour_end(t),
                onset=frame.hour_start(max(0, t - cfg.row_silent_hours + 1)),
                magnitude_pct=0.0,
                row=row,
                message=en,
                message_zh=zh,
                evidence={"cause": "counter_silent", "silent_hours": float(cfg.row_silent_hours)},
            )
        )
    return out


def _stuck_rows(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``sensor_fault`` for a row whose count has stood at one figure for hours (stuck.py)."""
    out: list[DetectorAlert] = []
    for h, r, t in zip(*true_at(an.stuck_fires), strict=True):
        house, row, count = houses[h], frame.row_name(h, r), float(frame.eggs[h, r, t])
        hours = int(hours_needed(np.array(count)))
        en, zh = messages.row_stuck(house, row, count, hours)
        out.append(
            DetectorAlert(
                house=house,
                kind="sensor_fault",
                detected_at=frame.hour_end(t),
                onset=frame.hour_start(max(0, t - hours + 1)),
                magnitude_pct=0.0,
                row=row,
                message=en,
                message_zh=zh,
                evidence={"cause": COUNTER_STUCK, "stuck_hours": float(hours), "count": count},
            )
        )
    return out


def _stuck_meters(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``sensor_fault`` (no row) for a water or feed meter stuck at one figure (stuck_meters.py)."""
    return [
        _stuck_figure(
            frame,
            getattr(frame, column)[h],
            t,
            houses[h],
            METER_STUCK[column],
            "amount",
            partial(messages.meter_stuck, houses[h], column),
        )
        for column, fires in an.meter_stuck_fires.items()
        for h, t in zip(*true_at(fires), strict=True)
    ]


def _stuck_probes(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``sensor_fault`` (no row) for a temperature probe stuck at one figure (stuck_probes.py)."""
    return [
        _stuck_figure(
            frame,
            frame.temp_c[h],
            t,
            houses[h],
            PROBE_STUCK,
            "temp_c",
            partial(messages.probe_stuck, houses[h]),
        )
        for h, t in zip(*true_at(an.probe_stuck_fires), strict=True)
    ]


def _stuck_figure(
    frame: HourlyFrame,
    series: np.ndarray,
    t: int,
    house: str,
    cause: str,
    figure: str,
    message: Callable[[float, int], tuple[str, str]],
) -> DetectorAlert:
    """The ``sensor_fault`` of a house's meter or probe whose ``series`` stands at one figure at
    hour ``t``: its onset where the figure began to stand, the figure and the hours in evidence."""
    value = float(series[t])
    start = int(run_start(series[: t + 1] == value)[-1])  # the hours the figure has stood
    hours = t + 1 - start
    en, zh = message(value, hours)
    return DetectorAlert(
        house=house,
        kind="sensor_fault",
        detected_at=frame.hour_end(t),
        onset=frame.hour_start(start),
        magnitude_pct=0.0,
        row=None,
        message=en,
        message_zh=zh,
        evidence={"cause": cause, figure: value, "stuck_hours": float(hours)},
    )


def _counting_stops(
    frame: HourlyFrame, an: Analysis, cfg: DetectorConfig, houses: tuple[str, ...]
) -> list[DetectorAlert]:
    """``sensor_fault`` for a house whose counting stopped altogether (collection.py)."""
    out: list[DetectorAlert] = []
    d = an.drops
    rs = an.rows
    for h, t in zip(*true_at(an.stop_fires), strict=True):
        # The fault is upstream of the rows (belts, counter bus): a row only when the house has one.
        counting = [frame.row_name(h, r) for r in np.flatnonzero(rs.share[h, :, t] > 0)]
        idle_h = stop_hours(cfg)
        en, zh = messages.counting_stopped(houses[h], ",".join(counting), idle_h)
        out.append(
            DetectorAlert(
                house=houses[h],
                kind="sensor_fault",
                detected_at=frame.hour_end(t),
                onset=frame.hour_start(max(0, t - idle_h + 1)),
                magnitude_pct=float(np.nan_to_num(d.expected[h, t], nan=0.0)),
                row=counting[0] if len(counting) == 1 else None,
                message=en,
                message_zh=zh,
                evidence={
                    "cause": "counting_stopped",
                    "rows": ",".join(counting) or None,
                    "idle_hours": float(idle_h),
                    "water_fall_pct": _num(100 * an.water.fall[h, t]),
                    "feed_fall_pct": _num(100 * an.feed.fall[h, t]),
                },
            )
        )
    return out
