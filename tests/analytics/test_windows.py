"""Gap-aware windows and robust statistics."""

from __future__ import annotations

import numpy as np

from analytics.detector.baseline import _power, _smooth_center
from analytics.detector.episodes import first_alarms
from analytics.detector.windows import (
    along_last,
    ffill,
    known_count,
    last_true,
    robust_center,
    robust_center_scale,
    run_lengths,
    sorted_median,
    trailing_sums,
    true_at,
    value_at,
    window_mean,
    window_sums,
)

nan = np.nan


def test_window_is_unknown_when_an_end_is_in_a_gap_and_exact_after_back_fill() -> None:
    x = np.array([1.0, 1, nan, nan, 3, 1, 1, 1])  # the gap's eggs land in hour 4
    w = window_sums(x, 3)
    assert np.isnan(w[:3]).all()
    assert np.isnan(w[3])  # ends inside the gap
    assert np.isnan(w[5]) and np.isnan(w[6])  # starts inside the gap: would count back-fill of earlier hours
    assert w[4] == 3.0  # counter at the end of hour 1 to the end of hour 4: exact
    assert w[7] == 3.0


def test_trailing_sums_use_the_history_there_is() -> None:
    assert trailing_sums(np.array([1.0, 2, 3]), 10).tolist() == [1, 3, 6]


def test_trailing_sums_start_where_the_data_starts() -> None:
    x = np.array([nan, nan, nan, 1.0, 2, 3, nan, 4])
    started = np.arange(8) >= 3  # the first report
    # Nothing was counted before the first report: windows sum what there is, as from a frame start.
    assert trailing_sums(x, 2, started)[3:6].tolist() == [1, 3, 5]
    assert np.isnan(trailing_sums(x, 2)[3:5]).all()  # without it those windows start in a gap
    assert trailing_sums(x, 2, started)[7] == 4.0 and np.isnan(trailing_sums(x, 2, started)[6])
    later_gap = trailing_sums(np.array([1.0, nan, 2, 3]), 2, np.ones(4, dtype=bool))
    assert np.isnan(later_gap[3])  # a gap after the data started is still a gap


def test_ffill_and_run_lengths() -> None:
    assert np.isnan(ffill(np.array([nan, 1, nan, 3]))[0])
    assert ffill(np.array([nan, 1, nan, 3]))[1:].tolist() == [1, 1, 3]
    assert run_lengths(np.array([1, 1, 0, 1, 1, 1], dtype=bool)).tolist() == [1, 2, 0, 1, 2, 3]


def test_robust_center_scale_ignores_nans_and_outliers() -> None:
    med, sig = robust_center_scale(np.array([[1.0, 2, 3, 100, nan]]), 3)
    assert med[0] == 2.5 and 0 < sig[0] < 3
    med, _ = robust_center_scale(np.array([[1.0, nan, nan]]), 2)
    assert np.isnan(med[0])


def test_one_alert_per_episode() -> None:
    alarm = np.array([0, 1, 1, 0, 1, 0, 0, 0, 1], dtype=bool)
    active = np.array([0, 1, 1, 1, 1, 0, 0, 0, 1], dtype=bool)
    assert np.flatnonzero(first_alarms(alarm, active, 3)).tolist() == [1, 8]
    assert np.flatnonzero(first_alarms(alarm, active, 4)).tolist() == [1]


def test_a_gap_neither_ends_a_run_nor_adds_to_it() -> None:
    cond = np.array([1, 1, 0, 0, 1, 1, 0, 1], dtype=bool)
    unknown = np.array([0, 0, 1, 1, 0, 0, 0, 0], dtype=bool)  # hours 2-3: no data
    assert run_lengths(cond).tolist() == [1, 2, 0, 0, 1, 2, 0, 1]
    assert run_lengths(cond, unknown).tolist() == [1, 2, 0, 0, 3, 4, 0, 1]


def _run_lengths_by_hand(cond: np.ndarray, unknown: np.ndarray) -> list[int]:
    out, run = [], 0
    for c, u in zip(cond, unknown, strict=True):
        run = run + 1 if c else (run if u else 0)
        out.append(run if c else 0)
    return out


def test_run_lengths_over_many_series_some_without_any_run() -> None:
    # Series with no run are skipped (the usual case); the others must come out as one by one.
    rng = np.random.default_rng(5)
    cond = rng.random((4, 3, 50)) < 0.6
    cond[1] = False
    cond[2, 1] = False
    unknown = rng.random((4, 1, 50)) < 0.2  # broadcast over the middle axis
    got = run_lengths(cond, unknown)
    assert got.shape == cond.shape
    for i in range(4):
        for j in range(3):
            assert got[i, j].tolist() == _run_lengths_by_hand(cond[i, j], unknown[i, 0])


def test_value_at_picks_each_hours_own_index() -> None:
    x = np.array([[10.0, 11, 12, 13]])
    assert value_at(x, np.array([[-1, 0, 0, 2]])).tolist() == [[10, 10, 10, 12]]  # clipped into the frame
    idx = np.array([[0, 3, 9, 1], [2, 2, 2, 2]])
    assert value_at(x[0], idx).tolist() == [[10, 13, 13, 11], [12, 12, 12, 12]]  # x broadcast over houses


# The fast paths below must give the very numbers of the plain NumPy they replace (the detector's
# alerts were checked identical on 36 seeds; these pin the edge cases).


def test_along_last_is_take_along_axis_with_broadcast_leading_axes() -> None:
    rng = np.random.default_rng(7)
    for x_shape, idx_shape in [
        ((5, 1, 9), (5, 3, 9)),
        ((1, 3, 9), (5, 3, 9)),
        ((5, 3, 9), (5, 3, 9)),
        ((7, 9), (7, 9)),
    ]:
        x = rng.random(x_shape)
        idx = rng.integers(0, 9, idx_shape)
        want = np.take_along_axis(np.broadcast_to(x, idx_shape), idx, axis=-1)
        assert np.array_equal(along_last(x, idx), want)
    x = rng.random((6, 20))[:, 3:12]  # a view, not contiguous
    one = rng.integers(0, 9, 6)  # one pick per series
    assert np.array_equal(along_last(x, one), np.take_along_axis(x, one[:, None], axis=-1)[:, 0])


def test_ffill_and_last_true_against_loops() -> None:
    rng = np.random.default_rng(8)
    x = np.where(rng.random((3, 4, 30)) < 0.4, nan, rng.random((3, 4, 30)))
    filled, last = ffill(x), last_true(~np.isnan(x), -1)
    for i in range(3):
        for j in range(4):
            carried, at = nan, -1
            for t in range(30):
                if not np.isnan(x[i, j, t]):
                    carried, at = x[i, j, t], t
                assert last[i, j, t] == at
                assert filled[i, j, t] == carried or (np.isnan(carried) and np.isnan(filled[i, j, t]))


def test_guide_medians_and_powers_take_shortcuts_with_the_same_numbers() -> None:
    rng = np.random.default_rng(9)
    guide = 5 + np.cumsum(rng.random((40, 30, 7)) * rng.choice([-1, 0, 1], (40, 30, 1)), axis=-1)
    guide[rng.random(guide.shape) < 0.03] = nan  # gaps: sorted the slow way
    guide[rng.random((40, 30)) < 0.2] = rng.random(7)  # not monotone
    assert np.array_equal(_smooth_center(guide, 2), robust_center(guide, 2), equal_nan=True)
    kappa = rng.choice([0.0, 1.0, 0.4, nan], (40, 30, 1))
    with np.errstate(invalid="ignore"):
        assert np.array_equal(_power(guide, kappa), guide**kappa, equal_nan=True)


def test_medians_of_full_stacks_take_a_shortcut_with_the_same_numbers() -> None:
    rng = np.random.default_rng(10)
    for k in (1, 2, 7, 14):
        x = rng.random((50, 20, k))
        x[rng.random(x.shape) < 0.05] = nan  # some stacks short: counted and picked the slow way
        x[0, 0] = nan  # and one empty
        s = np.sort(x, axis=-1)
        n = np.sum(~np.isnan(s), axis=-1)
        assert np.array_equal(known_count(s), n)
        lo, hi = np.clip((n - 1) // 2, 0, None), np.clip(n // 2, 0, None)
        slow = (np.take_along_axis(s, lo[..., None], -1) + np.take_along_axis(s, hi[..., None], -1))[
            ..., 0
        ] / 2.0
        assert np.array_equal(sorted_median(s, n), slow, equal_nan=True)


def test_ffill_of_series_blank_only_before_their_first_value_changes_nothing() -> None:
    x = np.arange(24.0).reshape(2, 12)
    x[0, :5] = nan  # the fast path: nothing after a known value to carry
    assert np.array_equal(ffill(x), x, equal_nan=True) and ffill(x) is not x
    x[1, 7] = nan  # the general path
    assert ffill(x)[1, 7] == 18.0 and np.isnan(ffill(x)[0, :5]).all()


def test_window_mean_against_a_loop_with_and_without_blanks() -> None:
    rng = np.random.default_rng(11)
    full = rng.random((3, 40))
    holed = np.where(rng.random((3, 40)) < 0.3, nan, full)  # the general path; full: the shortcut
    for x in (full, holed):
        for w in (1, 5, 24, 60):
            got = window_mean(x, w)
            for i in range(3):
                for t in range(40):
                    vals = x[i, max(0, t - w + 1) : t + 1]
                    vals = vals[~np.isnan(vals)]
                    assert (np.isnan(got[i, t]) and vals.size == 0) or np.isclose(got[i, t], vals.mean())


def test_true_at_is_nonzero() -> None:
    rng = np.random.default_rng(12)
    for shape in ((7,), (4, 9), (3, 5, 11), (2, 0, 4)):
        mask = rng.random(shape) < 0.2
        assert all(np.array_equal(a, b) for a, b in zip(true_at(mask), np.nonzero(mask), strict=True))
