"""``python -m simulator suite --seed 1 --out DIR``: write a labelled scenario suite (CONTRACTS §6)."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulator.scenarios import make_suite


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m simulator")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "suite", help="write labelled scenarios: DIR/<name>/{H.csv,R.csv,labels.json,park.yaml}"
    )
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--houses", type=int, default=6)
    s.add_argument("--days", type=int, default=120)
    s.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    for scenario in make_suite(args.seed, args.houses, args.days):
        h, _ = scenario.write(args.out / scenario.name)
        print(f"{h.parent}: {len(scenario.labels)} incidents")


if __name__ == "__main__":
    main()
