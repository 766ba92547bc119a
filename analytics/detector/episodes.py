"""One alert per event: group alarm hours into episodes and keep the first alarm of each."""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import run_lengths, true_at


def first_alarms(alarm: np.ndarray, active: np.ndarray, rearm_hours: int) -> np.ndarray:
    """Hours (bool mask, same shape) where a new alert fires.

    ``alarm`` is the firing condition, ``active`` the looser "the event is still going on" condition
    (it must hold wherever ``alarm`` does; unknown hours should count as active).  An episode ends
    only after ``active`` has been false for ``rearm_hours`` hours in a row; within an episode only
    the first alarm hour fires.  Vectorised over every leading axis.
    """
    n = alarm.shape[-1]
    flat_alarm = alarm.reshape(-1, n)
    out = np.zeros(flat_alarm.shape, dtype=bool)
    some = np.flatnonzero(flat_alarm.any(axis=-1))  # most series never alarm: skip them
    if some.size:
        sub_alarm = flat_alarm[some]
        sub_active = active.reshape(-1, n)[some] | sub_alarm
        episode = np.cumsum(run_lengths(~sub_active) == rearm_hours, axis=-1)
        series, hour = true_at(sub_alarm)
        key = np.stack([series, episode[series, hour]], axis=1)
        # true_at() yields hours in order within each series, so the first of each key is the earliest.
        _, first = np.unique(key, axis=0, return_index=True)
        out[some[series[first]], hour[first]] = True
    return out.reshape(alarm.shape)
