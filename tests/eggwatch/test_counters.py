import numpy as np

from eggwatch.store.counters import WRAP_U16, increases


def test_plain_wrap_and_reset() -> None:
    v = np.array([10, 15, 65530, 4, 20, 3, 8], dtype=float)
    got = increases(v, wrap=WRAP_U16)
    assert got.tolist() == [5, 65515, 10, 16, 3, 5]


def test_nan_propagates() -> None:
    got = increases(np.array([1.0, np.nan, 3.0]))
    assert np.isnan(got).all()
