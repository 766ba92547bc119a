"""keep_freed_memory: freed arrays stay with the process, so the next ones fault nothing in."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from analytics.malloc import ENV_VARS, keep_freed_memory

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")

# A pass of the detector in small: hold some 60 MB of 0.8-3.2 MB arrays, free them, again 20 times,
# on this thread or, as a live pass does, on two new threads a round (twice the arrays each); count the page faults after
# the first round (which faults the memory in once either way).
CHILD = """
import json, resource, sys
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from analytics.malloc import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else False
threads = int(sys.argv[2])
def work(_=None):
    held = [np.ones(n) for n in range(100_000, 400_000, 10_000 // max(threads, 1))]  # 120 MB a thread
    return sum(float(a[-1]) for a in held)
def round():
    if not threads:
        return work()
    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(work, range(threads)))
round()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    round()
print(json.dumps({"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


def _faults(mode: str, threads: int = 0) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(threads)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@glibc_only
def test_freed_memory_is_reused_instead_of_faulted_in_again() -> None:
    plain, kept = _faults("plain"), _faults("keep")
    assert kept["kept"] is True
    assert plain["faults"] > 20 * 10_000  # ~14,000 pages a round, faulted in anew each time
    assert kept["faults"] < 1_000  # measured: 0


@glibc_only
def test_freed_memory_is_reused_on_worker_threads_too() -> None:
    # Each thread's own arena unmaps its emptied heaps whatever the trim threshold; one arena keeps them.
    plain = _faults("plain", threads=2)
    # The fewest of three runs: the machine's other work adds faults now and then (14,193 once in a
    # full `make test`), while an arena a thread gives its 28,000-390,000 every time.
    kept = min((_faults("keep", threads=2) for _ in range(3)), key=lambda run: run["faults"])
    assert kept["kept"] is True
    assert plain["faults"] > 20 * 10_000
    assert kept["faults"] < 12_000  # measured: 40-5,300; with an arena a thread 28,000-390,000


def test_an_operator_setting_in_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1048576")
    assert keep_freed_memory() is False
