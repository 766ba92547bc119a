"""The laying-drop detector: causal, vectorised over houses and rows (see analytics/README.md).

``detect(frame)`` returns every alert over the frame; hour ``t``'s verdict uses data up to hour
``t`` only, so cutting the input after an alert's ``detected_at`` still yields that alert.
``detect_live(frame)`` is the live loop's entry point: it analyses only the recent past and
returns the alerts detected within the last pass window.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import numpy as np

from analytics.alert import DetectorAlert
from analytics.detector.alerts import build_alerts
from analytics.detector.analysis import LEAD_DAYS, Analysis, analyse, maturity_shift, row_noise_of
from analytics.detector.config import DetectorConfig
from analytics.detector.flocks import split_flocks
from analytics.detector.hen_count import noted, with_estimated_hens, with_hens_rescaled
from analytics.detector.maturity import history_days
from analytics.detector.noise import learn_days
from analytics.frame import HourlyFrame

__all__ = [
    "Analysis",
    "DetectorConfig",
    "analyse",
    "analysed_days",
    "detect",
    "detect_live",
    "piece_context_days",
]

LIVE_BLOCK = 128  # houses analysed together in a live pass


# Days of verdicts analysed before each piece of a long history, so an event alerted in the piece
# before is not alerted again (an episode ends only after its condition cleared for rearm_hours).
PIECE_STATE_DAYS = 7


def detect(frame: HourlyFrame, config: DetectorConfig | None = None) -> list[DetectorAlert]:
    """All alerts over ``frame``, ordered by ``detected_at`` then house.

    A history longer than ``piece_days`` plus the days each verdict looks back on is analysed in
    pieces of ``piece_days`` of verdicts, each with that past in front (the live pass's way, so each
    piece's verdicts are the whole run's): memory stays that of ``piece_days`` however long the file.
    """
    cfg = config or DetectorConfig()
    # A count in other units, or none at all: set before the pieces, one for the whole file.
    frame, rescaled = with_hens_rescaled(with_a_counter(frame), cfg.min_baseline_days)
    frame, estimated = with_estimated_hens(frame, cfg.min_baseline_days)
    piece = 24 * cfg.piece_days
    if not piece or frame.n_hours <= piece + 24 * piece_context_days(cfg):
        flocks = split_flocks(frame)
        alerts = build_alerts(flocks.frame, analyse(flocks.frame, cfg), cfg, flocks.house_of)
        return noted(alerts, estimated, rescaled)
    alerts = []
    for start in range(0, frame.n_hours, piece):
        end = min(start + piece, frame.n_hours)
        alerts += detect_live(frame.head(end), cfg, end - start, cfg.piece_days + PIECE_STATE_DAYS)
    return noted(alerts, estimated, rescaled)


def with_a_counter(frame: HourlyFrame) -> HourlyFrame:
    """``frame`` with one blank row counter where it has none at all (an R.csv without data lines, a
    park whose counters have not reported yet): water, feed and heat are judged, the eggs are not."""
    if frame.rows:
        return frame
    return replace(frame, rows=("",), eggs=np.full((len(frame.houses), 1, frame.n_hours), np.nan))


def analysed_days(cfg: DetectorConfig, state_days: int) -> int:
    """Days a live pass analyses: ``state_days`` of verdicts, the figures' lead-in before them
    (LEAD_DAYS) and the baselines' days before that, and a day for the UTC day's cut."""
    return max(cfg.baseline_days, cfg.temp_days) + LEAD_DAYS + state_days + 1


def piece_context_days(cfg: DetectorConfig) -> int:
    """Days in front of a piece of verdicts: what a live pass analyses before its window, and the
    days each flock's place on its breed curve is learned from (see :func:`detect_live`)."""
    return analysed_days(cfg, PIECE_STATE_DAYS) + learned_days(cfg) + 1


def learned_days(cfg: DetectorConfig) -> int:
    """Days before the analysed ones that what is learned from a longer past reads: each flock's
    place on its breed curve (maturity.py) and its rows' noise (noise.py)."""
    return max(history_days(cfg.maturity_days), learn_days(cfg.noise_days))


def detect_live(
    frame: HourlyFrame,
    config: DetectorConfig | None = None,
    window_hours: int = 1,
    state_days: int = 3,
    workers: int | None = None,
) -> list[DetectorAlert]:
    """Alerts whose ``detected_at`` falls within the last ``window_hours`` of ``frame``.

    Only the last :func:`analysed_days` are analysed (``state_days`` of verdicts for the episode
    state, so an event already alerted in an earlier pass is not reported again, and the figures'
    history before them), and each flock's place on its
    breed curve is learned from the ``history_days(maturity_days)`` before them (maturity.py); the
    cost is linear in houses and independent of older history.  Blocks of houses are analysed on
    ``workers`` threads (default: one per CPU); NumPy releases the GIL in its array loops, so they
    run on all cores.
    """
    cfg = config or DetectorConfig()
    frame, rescaled = with_hens_rescaled(with_a_counter(frame), cfg.min_baseline_days)
    frame, estimated = with_estimated_hens(frame, cfg.min_baseline_days)
    keep = min(frame.n_hours, 24 * analysed_days(cfg, state_days))
    start = max(0, keep - 24 * state_days)
    cutoff = frame.hour_end(frame.n_hours - 1) - timedelta(hours=window_hours)
    # Where each flock is on its breed curve is learned from a longer past than the verdicts need.
    learn = min(frame.n_hours, keep + 24 * (learned_days(cfg) + 1))
    flocks = split_flocks(frame.tail(learn))  # a restocked house: a series a flock
    # Blocks of houses keep the working arrays in the CPU caches (2x faster for 1,000 houses).  Equal
    # blocks: each holds enough of the park to tell the weather from one house (see heat.py).
    n = len(flocks.frame.houses)
    size = max(1, -(-n // max(1, -(-n // LIVE_BLOCK))))  # ceil(n / number of blocks)
    blocks = [list(range(first, min(first + size, n))) for first in range(0, n, size)]

    def block_alerts(houses: list[int]) -> list[DetectorAlert]:
        recent = flocks.frame.select(houses)
        maturity = maturity_shift(recent, cfg)[:, -keep:]
        noise = row_noise_of(recent, cfg)[:, -keep:]
        block = recent.tail(keep)
        an = analyse(block, cfg, evaluate_from=start, maturity=maturity, noise=noise)
        found = build_alerts(block, an, cfg, [flocks.house_of[i] for i in houses])
        return [a for a in found if a.detected_at > cutoff]

    threads = min(len(blocks), workers or os.cpu_count() or 1)
    if threads <= 1:
        per_block = [block_alerts(b) for b in blocks]
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="detect-live") as pool:
            per_block = list(pool.map(block_alerts, blocks))
    alerts = [a for found in per_block for a in found]
    alerts.sort(key=lambda a: (a.detected_at, a.house, a.kind, a.row or ""))
    return noted(alerts, estimated, rescaled)
