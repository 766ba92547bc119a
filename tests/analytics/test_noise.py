"""What the rows add to a house's day-to-day noise (analytics/detector/noise.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.detector.noise import CUTS_UTC, _at_cut, learn_days, row_noise
from tests.analytics.synth import Flock

DAYS = 28


def _flock(**kw: object) -> Flock:
    # Lights on at 04:00 UTC, laying 06-11, belts at 08 and 12: each day's eggs counted within its
    # UTC day, so the 00:00 cut sees whole laying days.
    base: dict[str, object] = dict(
        days=40, houses=3, day_noise=0.0, row_noise=0.04, lights_on=4, runs=(8, 12)
    )
    return Flock(**{**base, **kw})  # type: ignore[arg-type]


def _truth(flock: Flock, without_row: int | None = None) -> np.ndarray:
    """σ² Σ share²: the relative variance the rows' noise gives each house's daily total (of the
    rows but ``without_row``)."""
    rng = np.random.default_rng(flock.seed)  # the generator's own draws, in its order
    rng.standard_normal((flock.houses, flock.days))
    share = rng.uniform(0.8, 1.2, (flock.houses, flock.rows))
    if without_row is not None:
        share[:, without_row] = 0.0
    share /= share.sum(axis=1, keepdims=True)
    return flock.row_noise**2 * (share**2).sum(axis=1)


def _last(frame_eggs: np.ndarray, first_hod: int) -> np.ndarray:
    return row_noise(frame_eggs, first_hod, DAYS)[:, -1]


def test_learns_what_the_rows_add() -> None:
    flock = _flock()
    frame = flock.build()
    learned = _last(frame.eggs, frame.start.hour)
    assert learned == pytest.approx(_truth(flock), rel=0.3)


def test_a_drop_of_the_whole_house_does_not_show() -> None:
    # Every row loses a fifth of its eggs from day 30 on: the rows' changes differ no more than
    # before (the residuals of a baseline would read it as a noisy week).
    calm = _flock().build()
    dropped = _flock(drop_from={0: (30 * 24 + 2, 0.8)}).build()
    assert _last(dropped.eggs, dropped.start.hour) == pytest.approx(
        _last(calm.eggs, calm.start.hour), rel=0.02
    )


def test_a_dead_counter_is_left_out() -> None:
    # Its zeros (and the day it died) are no spread; the seven rows left carry the house figure,
    # each a larger share of it.
    calm, flock = _flock().build(), _flock()
    dead = flock.build()
    dead.eggs[0, 3, 25 * 24 + 10 :] = 0.0  # row 04 counts nothing from day 25, mid-morning
    learned = _last(dead.eggs, dead.start.hour)
    assert learned[0] == pytest.approx(_truth(flock, without_row=3)[0], rel=0.3)
    assert learned[1:] == pytest.approx(_last(calm.eggs, calm.start.hour)[1:])


def test_the_cut_through_the_counting_is_not_kept() -> None:
    # Each laying day's eggs are counted 22:00-01:00 UTC, across midnight: cut at midnight, a day
    # holds the end of one laying day and the start of the next and their noise averages out.
    rng = np.random.default_rng(3)
    rows, days = 8, 40
    noise = 1 + 0.04 * rng.standard_normal((1, rows, days))
    eggs = np.zeros((1, rows, days * 24))
    for d in range(days - 1):
        for k, hour in enumerate((22, 23, 24, 25)):
            eggs[0, :, d * 24 + hour] = 1000.0 * noise[0, :, d] * (0.3, 0.3, 0.2, 0.2)[k]
    truth = 0.04**2 / rows
    midnight = _at_cut(eggs, 0, DAYS)[0, -1]
    assert midnight < 0.7 * truth  # 0.3² + 0.2² ... of two days: about half
    assert CUTS_UTC == (0, 12)
    assert row_noise(eggs, 0, DAYS)[0, -1] == pytest.approx(truth, rel=0.3)  # the noon cut


def test_learned_from_the_past_only() -> None:
    frame = _flock().build()
    whole = row_noise(frame.eggs, frame.start.hour, DAYS)
    for t in (20 * 24 + 5, 33 * 24, 39 * 24 + 17):
        head = row_noise(frame.eggs[..., :t], frame.start.hour, DAYS)
        np.testing.assert_array_equal(head, whole[:, :t])
    # A later start (a live pass's history) gives the same once it holds learn_days of it.
    skip = 5 * 24 + 7
    tail = row_noise(frame.eggs[..., skip:], (frame.start.hour + skip) % 24, DAYS)
    known_from = 24 * learn_days(DAYS)
    np.testing.assert_allclose(tail[:, known_from:], whole[:, skip + known_from :], rtol=1e-12)


def test_too_few_days_learn_nothing() -> None:
    frame = _flock(days=6).build()
    assert np.isnan(row_noise(frame.eggs, frame.start.hour, DAYS)).all()
    assert np.isnan(row_noise(frame.eggs, frame.start.hour, 0)).all()
