"""One alert per event: group alarm hours into episodes and keep the first alarm of each."""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import run_lengths


def first_alarms(alarm: np.ndarray, active: np.ndarray, rearm_hours: int) -> np.ndarray:
    """Hours (bool mask, same shape) where a new alert fires.

    ``alarm`` is the firing condition, ``active`` the looser "the event is still going on" condition
    (it must hold wherever ``alarm`` does; unknown hours should count as active).  An episode ends
    only after ``active`` has been false for ``rearm_hours`` hours in a row; within an episode only
    the first alarm hour fires.  Vectorised over every leading axis.
    """
    active = active | alarm
    boundary = run_lengths(~active) == rearm_hours
    episode = np.cumsum(boundary, axis=-1)
    lead = alarm.shape[:-1]
    flat_alarm = alarm.reshape(-1, alarm.shape[-1])
    flat_ep = episode.reshape(-1, alarm.shape[-1])
    series, hour = np.nonzero(flat_alarm)
    out = np.zeros(flat_alarm.shape, dtype=bool)
    if series.size:
        key = np.stack([series, flat_ep[series, hour]], axis=1)
        # nonzero() yields hours in order within each series, so the first of each key is the earliest.
        _, first = np.unique(key, axis=0, return_index=True)
        out[series[first], hour[first]] = True
    return out.reshape(*lead, alarm.shape[-1])
