"""A scenario of `eggwatch evaluate`'s suites, read as `eggwatch detect` reads its files (CSV, then
the omitted zeros filled): the regression tests built on one house of one of them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from analytics.frame import HourlyFrame
from analytics.offline import read_frame
from analytics.omitted_zeros import fill_omitted_zeros

if TYPE_CHECKING:
    from simulator.scenarios import Scenario


def read_scenario(sc: Scenario, directory: Path) -> HourlyFrame:
    """``sc`` written into ``directory`` and read back as `eggwatch detect` reads it."""
    frame, _ = fill_omitted_zeros(read_frame(*sc.write(directory)))
    return frame


def suite_frame(tmp_path: Path, name: str) -> HourlyFrame:
    """``name`` ``suite-S-K``: seed S's K-th scenario (``make_suite``'s seed ``S * 100 + K - 1``)."""
    from simulator.scenarios import make_scenario  # the simulator is only needed here

    found = re.fullmatch(r"suite-(\d+)-(\d+)", name)
    if found is None:
        raise ValueError(f"not a suite scenario's name: {name!r}")
    seed, k = int(found[1]), int(found[2])
    return read_scenario(make_scenario(name, seed * 100 + k - 1), tmp_path)
