import numpy as np

from eggwatch.store.counters import WRAP_U16, busy_rate, increases, judged


def test_plain_wrap_and_reset() -> None:
    v = np.array([10, 15, 65530, 4, 20, 3, 8], dtype=float)
    got = increases(v, wrap=WRAP_U16)
    assert got.tolist() == [5, 65515, 10, 16, 3, 5]


def test_nan_propagates() -> None:
    got = increases(np.array([1.0, np.nan, 3.0]))
    assert np.isnan(got).all()


def test_a_wrap_that_would_count_past_the_limit_is_a_reset() -> None:
    vals = np.array([60_240.0, 20])
    assert increases(vals, wrap=WRAP_U16).tolist() == [5_316]  # read as a 16-bit wrap
    assert increases(vals, wrap=WRAP_U16, limit=1_000).tolist() == [20]  # the counter restarted
    assert increases(np.array([65_530.0, 20]), wrap=WRAP_U16, limit=1_000).tolist() == [26]


def _counter(steps: list[float], start: float = 1_000.0) -> np.ndarray:
    return start + np.cumsum([0.0, *steps])


def test_judged_leaves_a_counter_alone_until_its_rate_is_known() -> None:
    vals = _counter([10.0] * 18 + [3_000_000.0])
    assert judged(vals, np.ones(vals.size - 1)).tolist() == [10.0] * 18 + [3_000_000.0]
    most = np.full(vals.size - 1, 1_000.0)  # a cap of its own (the hens) is the judge meanwhile
    assert np.isnan(judged(vals, np.ones(vals.size - 1), most=most)[-1])


def test_judged_refuses_a_new_counter_and_keeps_a_gaps_back_fill() -> None:
    vals = np.concatenate([_counter([100.0] * 30), [3_000_000.0, 3_000_100.0, 3_000_200 + 500]])
    spans = np.ones(vals.size - 1)
    spans[-1] = 5  # five units without a reading: 500 is no burst
    got = judged(vals, spans)
    assert np.isnan(got[30]) and got[31] == 100 and got[32] == 600
    assert busy_rate(got[~np.isnan(got)], spans[~np.isnan(got)]) == 100


def test_judged_tells_a_restart_near_60000_from_a_16_bit_wrap() -> None:
    steps = [100.0] * 30
    restart = np.concatenate([_counter(steps, start=60_000 - 3_000), [50.0, 150.0]])
    assert judged(restart, np.ones(restart.size - 1))[-2:].tolist() == [50, 100]
    wrap = np.concatenate([_counter(steps, start=65_400 - 3_000), [64.0, 164.0]])
    assert judged(wrap, np.ones(wrap.size - 1))[-2:].tolist() == [200, 100]  # a true wrap stays one
