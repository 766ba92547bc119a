"""One house of the project simulator as the detector reads it (CSV files and all), with the lights
moved if asked: the drinking and laying shapes the detector meets in evaluation, which the unit
tests' synthetic flocks do not have."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from analytics.frame import HourlyFrame
from analytics.offline import read_frame
from simulator.hourly import house_hours
from simulator.house import HouseModel
from simulator.incidents import DAY, H, Incident
from simulator.scenarios import Scenario
from simulator.spec import draw_house

START = dt.date(2025, 3, 1)
START_S = dt.datetime(2025, 3, 1, tzinfo=dt.UTC).timestamp() - 8 * H  # local midnight, UTC+8
CHANGE_S = START_S + 25 * DAY + 12 * H  # the new schedule applies from the next lights-on


def house(tmp_path: Path, seed: int, shift_h: float, runs: tuple[dt.time, ...] = ()) -> HourlyFrame:
    """One simulated house over 40 days whose lights move ``shift_h`` hours (``runs``: belt runs,
    local time; none = continuous belts)."""
    spec = draw_house(np.random.default_rng(seed), "house-01", START, age_weeks=40.0)
    spec = type(spec)(house=spec.house.model_copy(update={"collection": runs}), traits=spec.traits)
    change = Incident("lighting_schedule_change", CHANGE_S, True, None, lights_shift_h=shift_h)
    model = HouseModel(spec, [change] if shift_h else [], seed, START_S, START_S + 40 * DAY)
    h_rows, r_rows = house_hours(model, START_S, START_S + 40 * DAY)
    h_csv, r_csv = Scenario("lights", seed, h_rows, r_rows, [], None).write(tmp_path)
    return read_frame(h_csv, r_csv)
