"""Run every benchmark in turn: ``python -m bench`` (or one: ``python -m bench.ingest``).

Each benchmark measures its own baseline in the same run and prints ratios against it; none of
them is a pass/fail test.
"""

from __future__ import annotations

import runpy
import sys
import time

BENCHMARKS = ["simulator", "detector", "gateway", "ingest", "api", "login"]


def main(names: list[str]) -> int:
    failed = []
    for name in names or BENCHMARKS:
        print(f"\n=== bench.{name} ===", flush=True)
        t0 = time.perf_counter()
        try:
            runpy.run_module(f"bench.{name}", run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (0, None):
                failed.append(name)
        except Exception as exc:  # keep going: one broken benchmark should not hide the others
            print(f"bench.{name} failed: {exc!r}", flush=True)
            failed.append(name)
        print(f"=== bench.{name}: {time.perf_counter() - t0:.1f} s ===", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
