import numpy as np

from eggwatch.store.counters import WRAP_U16, increases


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
