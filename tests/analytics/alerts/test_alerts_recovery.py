"""The recovery signal on a real HourlyFrame: back to the pre-onset level, same clock hours."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from analytics.alerts.recovery import recovered
from analytics.frame import empty_frame

START = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
DAYS = 20
ONSET = START + dt.timedelta(days=12, hours=2)
DETECTED = ONSET + dt.timedelta(hours=6)
RECOVERY = START + dt.timedelta(days=15, hours=5)


def frame(  # type: ignore[no-untyped-def]
    drop: float = 0.10,
    dead_row: bool = False,
    all_dead: bool = False,
    double_row: bool = False,
    stuck_row: float | None = None,
):
    f = empty_frame(START, ["house-07"], [f"{i:02d}" for i in range(1, 9)], DAYS * 24)
    hour = (np.arange(DAYS * 24)) % 24
    laying = np.where((hour >= 0) & (hour < 10), 560.0, 0.0)  # eggs per row per hour, a daily pattern
    t_on, t_rec = f.index_of(ONSET), f.index_of(RECOVERY)
    eggs = np.tile(laying, (8, 1))
    if dead_row:
        eggs[2, t_on:t_rec] = 0.0
    elif double_row:
        eggs[2, t_on:t_rec] *= 2
    elif stuck_row is not None:
        eggs += np.where(laying > 0, np.arange(DAYS * 24) % 3, 0.0)  # counts vary from hour to hour
        eggs[2, t_on:t_rec] = stuck_row
    elif all_dead:
        eggs[:, t_on:t_rec] = 0.0
    else:
        eggs[:, t_on:t_rec] *= 1 - drop
    f.eggs[0] = eggs
    f.hens[0] = 50_000.0
    f.water_l[0] = np.where(hour < 14, 900.0, 300.0)
    f.feed_kg[0] = 250.0
    f.eggs[0, :, 100:103] = np.nan  # a gap long before: no effect
    return f


def judge(
    f,
    kind: str = "laying_drop",
    row: str | None = None,
    hours_after_detection: float = 0.0,
    end: dt.datetime | None = None,
    cause: str | None = None,
):  # type: ignore[no-untyped-def]
    data_end = end or DETECTED + dt.timedelta(hours=hours_after_detection)
    return recovered(f, "house-07", kind, row, ONSET, DETECTED, data_end, 12, cause)


def test_ongoing_drop_is_not_recovered() -> None:
    assert judge(frame(), hours_after_detection=20) is False


def test_too_soon_to_tell() -> None:
    assert judge(frame(), hours_after_detection=5) is None


def test_recovered_once_the_window_is_back_to_normal() -> None:
    f = frame()
    assert judge(f, end=RECOVERY + dt.timedelta(hours=4)) is False  # the window still holds drop hours
    assert judge(f, end=RECOVERY + dt.timedelta(hours=12)) is True


def test_dead_row_counter() -> None:
    f = frame(dead_row=True)
    assert judge(f, "sensor_fault", "03", hours_after_detection=20) is False
    assert judge(f, "sensor_fault", "03", end=RECOVERY + dt.timedelta(hours=12)) is True
    assert judge(f, "sensor_fault", "99", hours_after_detection=20) is None


def test_a_row_counting_double_comes_down_to_be_recovered() -> None:
    f = frame(double_row=True)
    # Its share is above the usual one: not "back" while it still counts double.
    assert judge(f, "sensor_fault", "03", hours_after_detection=20, cause="counter_high") is False
    assert judge(f, "sensor_fault", "03", end=RECOVERY + dt.timedelta(hours=12), cause="counter_high") is True


def test_a_stuck_row_is_recovered_once_it_counts_its_share_again() -> None:
    # Stuck at 70 an hour (a day of 1,680 eggs, below its usual 5,600) or at 560 (13,440, above):
    # either way not back while stuck (the higher share was "recovered" at once), back once it counts.
    for value in (70.0, 560.0):
        f = frame(stuck_row=value)
        assert judge(f, "sensor_fault", "03", hours_after_detection=20, cause="counter_stuck") is False
        assert (
            judge(f, "sensor_fault", "03", end=RECOVERY + dt.timedelta(hours=12), cause="counter_stuck")
            is True
        )


def test_every_counter_stopped() -> None:
    f = frame(all_dead=True)
    assert judge(f, "sensor_fault", None, hours_after_detection=20) is False
    assert judge(f, "sensor_fault", None, end=RECOVERY + dt.timedelta(hours=12)) is True


def test_unknown_unit_or_kind_cannot_tell() -> None:
    f = frame()
    assert recovered(f, "house-99", "laying_drop", None, ONSET, DETECTED, RECOVERY, 12) is None
    assert recovered(f, "house-07", "mystery", None, ONSET, DETECTED, RECOVERY, 12) is None


def test_water_steady_is_recovered() -> None:
    assert judge(frame(), "water_drop", hours_after_detection=20) is True


def test_a_window_with_a_sliver_of_the_day_cannot_tell() -> None:
    # One belt run a day at 02:00-03:00: the 02:00 hour catches 4 % of the day's eggs, on the day
    # judged 10 % (the run a little earlier).  The 12 h ending at 03:00 hold only that hour: a
    # 25 % drop would read as "recovered" (7.5 % of a day against 4 %).
    f = empty_frame(START, ["house-07"], ["01", "02"], DAYS * 24)
    hour = np.arange(DAYS * 24) % 24
    day_eggs = 20_000.0
    eggs = np.where(hour == 2, 0.04 * day_eggs, np.where(hour == 3, 0.96 * day_eggs, 0.0))
    t_on = f.index_of(ONSET)
    eggs[t_on:] *= 0.75
    judged_day = t_on + 24 * 2 - (t_on % 24)  # the second midnight after the onset
    eggs[judged_day + 2], eggs[judged_day + 3] = 0.10 * 0.75 * day_eggs, 0.90 * 0.75 * day_eggs
    f.eggs[0] = np.tile(eggs / 2, (2, 1))
    f.hens[0] = 25_000.0
    sliver = f.hour_start(judged_day + 3)  # data up to 03:00: the window is 15:00-02:59
    assert judge(f, end=sliver) is None
    assert judge(f, end=sliver + dt.timedelta(hours=1)) is False  # with the run's main hour in it


def test_heat_stress_is_recovered_once_the_house_is_back_to_its_temperature() -> None:
    """A heat_stress alert is judged on the house's temperature against the same clock hours
    before the onset: it stays open while the house is hot and resolves once it is back (it
    stayed open for ever, and the next heat wave only refreshed it: nobody was told)."""
    f = frame(drop=0.0)
    f.temp_c[0] = 22.0 + 2.0 * np.sin(np.arange(DAYS * 24) * 2 * np.pi / 24)
    f.temp_c[0, f.index_of(ONSET) : f.index_of(RECOVERY)] += 5.0  # the hot spell
    assert judge(f, "heat_stress") is None  # too soon to tell
    assert judge(f, "heat_stress", hours_after_detection=30) is False  # still hot
    assert judge(f, "heat_stress", end=RECOVERY + dt.timedelta(hours=12)) is True
    f.temp_c[0, f.index_of(RECOVERY) :] += 1.5  # cooler, yet not back
    assert judge(f, "heat_stress", end=RECOVERY + dt.timedelta(hours=12)) is False


def test_a_row_named_by_a_device_id_over_64_characters_is_judged() -> None:
    """A counter without a row tag is named by its device id, which ``alert.row`` holds clipped to
    64 characters: the recovery looked the clipped name up, found no such row and never resolved
    the alert.  The stored name is matched as it was stored."""
    from analytics.alerts.models import stored_row

    long_id = "eggcounter-" + "x" * 70
    names = ["01", "02", long_id, "04", "05", "06", "07", "08"]
    for kind, cause in (("dead", None), ("stuck", "counter_stuck")):
        f = frame(dead_row=kind == "dead", stuck_row=560.0 if kind == "stuck" else None)
        f = dataclasses.replace(f, rows=tuple(names))
        stored = stored_row(long_id)
        assert stored != long_id
        late = RECOVERY + dt.timedelta(hours=12)
        assert judge(f, "sensor_fault", stored, hours_after_detection=20, cause=cause) is False, kind
        assert judge(f, "sensor_fault", stored, end=late, cause=cause) is True, kind
        twins = (*names[:3], long_id[:-1] + "y", *names[4:])  # the same clipped name: cannot tell
        twin = dataclasses.replace(frame(dead_row=True), rows=twins)
        assert judge(twin, "sensor_fault", stored, end=late) is None


def gateway_gap(f, first: dt.datetime, hours: int, back_filled: bool):  # type: ignore[no-untyped-def]
    """Every counter of the house blank for ``hours`` from ``first``; when ``back_filled``, what
    they counted meanwhile lands in the first hour after (as ``load_hourly`` gives it)."""
    a = f.index_of(first)
    if back_filled:
        f.eggs[0, :, a + hours] += f.eggs[0, :, a : a + hours].sum(axis=1)
    f.eggs[0, :, a : a + hours] = np.nan
    return f


def test_a_back_filled_gateway_gap_is_no_recovery() -> None:
    """Reproduction (live loop, simulated park, embedded store): a 6 h gateway gap over house-02's
    belt run resolved its open laying_drop as recovered 2 days early, at 2026-04-13 09:00 instead
    of 04-15 06:00: the hour after the gap holds 7 hours' eggs and was divided by one hour of hens."""
    day13 = START + dt.timedelta(days=13)
    f = gateway_gap(frame(), day13 + dt.timedelta(hours=1), 6, back_filled=True)
    assert judge(f, end=day13 + dt.timedelta(hours=10)) is False  # still 10 % down


def test_a_gateway_gap_still_open_at_the_window_end_cannot_tell() -> None:
    """The gateway away for the last 6 h (quiet hours): the other 6 hours held the whole day's
    laying and were read as 12 hours' worth."""
    day13 = START + dt.timedelta(days=13)
    f = gateway_gap(frame(), day13 + dt.timedelta(hours=10), 6, back_filled=False)
    assert judge(f, end=day13 + dt.timedelta(hours=16)) is None
