"""The baseline farms use: a daily control chart of hen-day % against the house's own trailing
7-day median, alarming below 3 points (the detector is compared with it by ``eggwatch evaluate``)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from analytics.alert import DetectorAlert
from analytics.frame import HourlyFrame


def control_chart(
    frame: HourlyFrame, utc_offset_h: int = 8, window_days: int = 7, limit_pts: float = 3.0
) -> list[DetectorAlert]:
    """One ``laying_drop`` per run of alarm days, detected at the end of the first local day below."""
    first_local = (frame.start.hour + utc_offset_h) % 24
    pad = first_local
    days = (pad + frame.n_hours) // 24  # complete local days only
    h = len(frame.houses)
    grid = np.full((h, days * 24 + 24), np.nan)
    grid[:, pad : pad + frame.n_hours] = np.nansum(frame.eggs, axis=1)
    eggs = grid[:, : days * 24].reshape(h, days, 24)
    grid = np.full((h, days * 24 + 24), np.nan)
    grid[:, pad : pad + frame.n_hours] = frame.hens
    hens = grid[:, : days * 24].reshape(h, days, 24)
    known = ~np.isnan(hens)
    with np.errstate(invalid="ignore", divide="ignore"):  # a day without a count: no hen-day % (NaN)
        mean_hens = np.where(known, hens, 0.0).sum(axis=2) / known.sum(axis=2)
        hd = 100.0 * np.nansum(eggs, axis=2) / mean_hens
    hd[:, 0] = np.nan  # the first local day is partial
    out: list[DetectorAlert] = []
    for i in range(h):
        below_prev = False
        for d in range(window_days, days):
            ref = (
                np.nanmedian(hd[i, d - window_days : d])
                if np.isfinite(hd[i, d - window_days : d]).any()
                else np.nan
            )
            below = bool(hd[i, d] < ref - limit_pts)
            if below and not below_prev:
                end = frame.start + timedelta(hours=(d + 1) * 24 - pad)
                out.append(
                    DetectorAlert(
                        house=frame.houses[i],
                        kind="laying_drop",
                        detected_at=end,
                        onset=end - timedelta(hours=24),
                        magnitude_pct=float(ref - hd[i, d]),
                        row=None,
                        message=f"{frame.houses[i]}: daily hen-day {hd[i, d]:.1f}% < 7-day median {ref:.1f}% - 3",
                        message_zh=f"{frame.houses[i]}：日产蛋率 {hd[i, d]:.1f}% 低于7日中位数 {ref:.1f}% 减3",
                        evidence={"hen_day_pct": float(hd[i, d]), "median_7d_pct": float(ref)},
                    )
                )
            below_prev = below
    return out
