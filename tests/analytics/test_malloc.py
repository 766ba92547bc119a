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

# A pass of the detector in small: hold some 60 MB of 0.8-3.2 MB arrays, free them, again 20 times;
# count the page faults after the first round (which faults the memory in once either way).
CHILD = """
import json, resource, sys
import numpy as np
from analytics.malloc import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else False
def work():
    held = [np.ones(n) for n in range(100_000, 400_000, 10_000)]
    return sum(float(a[-1]) for a in held)
work()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    work()
print(json.dumps({"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


def _faults(mode: str) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@glibc_only
def test_freed_memory_is_reused_instead_of_faulted_in_again() -> None:
    plain, kept = _faults("plain"), _faults("keep")
    assert kept["kept"] is True
    assert plain["faults"] > 20 * 10_000  # ~14,000 pages a round, faulted in anew each time
    assert kept["faults"] < 1_000  # measured: 0


def test_an_operator_setting_in_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1048576")
    assert keep_freed_memory() is False
