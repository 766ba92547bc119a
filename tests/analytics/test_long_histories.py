"""A long history is analysed in pieces (``piece_days``): the same alerts as all at once."""

from __future__ import annotations

import pytest

from analytics import detector
from analytics.alert import DetectorAlert
from analytics.detector import DetectorConfig, detect, piece_context_days
from tests.analytics.synth import Flock, day_hour


def test_pieces_find_what_the_whole_history_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    drops = {0: (day_hour(40, 14), 0.8), 2: (day_hour(59, 20), 0.75)}  # the second across a cut
    frame = Flock(days=100, houses=4, drop_from=drops, ramp_h=36, seed=3).build()
    frame.eggs[1, 3, day_hour(30, 5) :] = 0.0  # a counter dead for 70 days, across three cuts
    frame.eggs[3, 6, day_hour(78, 9) : day_hour(83, 9)] = 0.0  # and one dead for five days
    whole = detect(frame, DetectorConfig(piece_days=0))
    assert {(a.house, a.kind) for a in whole} >= {
        ("H01", "laying_drop"), ("H02", "sensor_fault"), ("H03", "laying_drop"), ("H04", "sensor_fault")
    }  # fmt: skip
    pieces: list[int] = []
    live = detector.detect_live

    def one_piece(frame, cfg, window_hours, state_days):  # type: ignore[no-untyped-def]
        pieces.append(window_hours)
        return live(frame, cfg, window_hours, state_days)

    monkeypatch.setattr(detector, "detect_live", one_piece)
    cfg = DetectorConfig(piece_days=20)
    assert frame.n_hours > 24 * (cfg.piece_days + piece_context_days(cfg))
    found = detect(frame, cfg)
    assert pieces == [480] * 5
    assert [_when(a) for a in found] == [_when(a) for a in whole]
    # The counter dead since day 30 is out of the 47 days the last two pieces analyse: there H02's
    # figure comes from its counting rows alone (rows.py), an eighth lower, and so does its noise,
    # which the park's houses pool: H03's two-day-trend unit moves by 1.4 %.
    for a, b in zip(found, whole, strict=True):
        assert a.magnitude_pct == pytest.approx(b.magnitude_pct, rel=0.01)
        assert _numbers(a) == pytest.approx(_numbers(b), rel=0.02)


def test_a_history_that_fits_one_piece_is_analysed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = Flock(days=60, houses=2).build()
    monkeypatch.setattr(detector, "detect_live", None)  # not called
    assert detect(frame, DetectorConfig(piece_days=0)) == detect(frame, DetectorConfig(piece_days=30)) == []


def _numbers(a: DetectorAlert) -> dict[str, float]:
    return {k: v for k, v in a.evidence.items() if isinstance(v, float)}


def _when(a: DetectorAlert) -> tuple[object, ...]:
    return (a.house, a.kind, a.detected_at, a.onset, a.row)
