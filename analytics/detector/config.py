"""Detector settings, validated on construction (defaults are documented in analytics/README.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from analytics.detector.noise import MIN_DAYS as NOISE_MIN_DAYS

LEAD_DAYS = 5  # days of figures computed before a pass's first verdict (see analysis.analyse)


@dataclass(frozen=True)
class DetectorConfig:
    # Baseline: the house's own same-time-of-day 24 h windows of the previous days.
    baseline_days: int = 14  # days in the robust (median / MAD) baseline
    min_baseline_days: int = 5  # fewer valid past days → no verdict yet
    sigma_floor_pts: float = 0.5  # lowest noise (hen-day points) ever assumed
    rise_credit: float = 0.0  # share of the breed curve's rise credited (the own trend covers rises)
    # The breed curve is moved to where each flock's own rise puts it (maturity.py): learned from
    # the last ``maturity_days`` days (0: the stated age as it is), within ± ``maturity_max_weeks``.
    maturity_days: int = 28
    maturity_max_weeks: float = 3.0

    # End-of-day channel: evaluated when the day's counting is complete ("quiet" hours).
    daily_min_pts: float = 5.0  # deficit needed on one day, in hen-day points ...
    daily_z: float = 5.0  # ... and in units of the house's own noise
    quiet_share: float = 0.02  # an hour counting < this share of a day's eggs is "quiet"
    guard_hours: int = 2  # skip this many quiet hours after the last collection (late belt runs)
    round_the_clock_trend_hours: int = 8  # eggs counted round the clock: a two-day trend must last this long

    # Two-day trend channel (mild dips ramping in): (yesterday + 2 x today) / sqrt(5) deficits in
    # noise units, in quiet hours.
    trend_z: float = 3.1  # threshold, noise units
    trend_min_pts: float = 2.0  # today's deficit and the 48 h window's at least this (hen-day points)
    # Its noise unit (see houses.trend_noise): what the rows add, learned from their spread against
    # each other over ``noise_days`` (noise.py), plus the rest of the house's quiet-hour noise
    # pulled towards the park's median over the last ``noise_park_days`` (weight of the park),
    # times ``noise_scale``; a soft floor.  Until the rows' part is known (and with
    # ``noise_days`` 0): the house's quiet-hour noise pulled towards the park's median (weight
    # ``trend_park_weight``), times ``trend_sigma_scale`` for the estimate reading low.
    noise_days: int = 28
    noise_scale: float = 1.05
    noise_park_weight: float = 3.0
    # At most LEAD_DAYS - 2: a live pass then has the whole run's unit a day before its verdicts.
    noise_park_days: int = 3
    trend_park_weight: float = 1.0
    trend_sigma_scale: float = 1.15
    trend_sigma_floor_pts: float = 1.5  # a house quieter than this (hen-day points) ...
    trend_floor_power: float = 0.6  # ... is believed only in part: 0 fully, 1 a hard floor

    # Fast channel: a large deficit at any hour that survived a good part of a day's egg flow.
    fast_min_pts: float = 12.0
    fast_z: float = 6.0
    fast_flow: float = 0.3  # expected share of a day's eggs that must be counted while it persists

    # Recent-hours channel, houses counting round the clock only (houses.recent_deficit): the last
    # few hours' deficit against its own spread on the previous days, for a few hours in a row.
    recent_hours: int = 6
    recent_min_pts: float = 6.0
    recent_z: float = 5.0
    recent_persist_hours: int = 2
    recent_day_z: float = 3.0  # ... with the 24 h figure this many of its noise units short too

    # A belt run that counts (almost) nothing is a late collection, not a drop: hold until it comes.
    stall_expected_share: float = 0.08  # an hour normally counting at least this share of a day ...
    stall_ratio: float = 0.25  # ... that counts less than this fraction of it starts a hold
    hold_max_hours: int = 8
    late_run_share: float = 0.15  # ... but a run of this share of a day is awaited until its eggs come,
    late_run_hours: int = 24  # ... at most this long (collection.py, _run_awaited)

    # Row counters.
    row_fault_ratio: float = 0.55  # row below this fraction of what its neighbours imply → fault
    row_exclude_ratio: float = 0.8  # below this it is left out of the house figure
    row_fault_hours: int = 6  # the fault must persist this many hours
    row_short_hours: int = 48  # a row left out (counting short, not collapsed) this long → fault (0: never)
    row_silent_hours: int = 12  # a row not reporting while its neighbours do, this long → fault
    # A counter counting too many (double counts, a reading stuck high) lifts the house figure and,
    # once mended, reads as counting short: above this × what its neighbours imply for
    # row_high_hours (longer than a late belt run's catch-up day) → fault, and left out until back
    # half way (0: off).
    row_high_ratio: float = 1.5
    row_high_hours: int = 30
    min_row_eggs: float = 30.0  # a row must normally count at least this many eggs a day

    # Water and feed (per hen, same-time-of-day 24 h windows).
    # Both are compared relative to the breed guide for the flock's age (young flocks eat and drink
    # more week by week), and follow the house temperature: hens drink more and eat less when it is
    # warm, each house by its own learned amount (per °C, relative; clipped to these bounds).
    temp_days: int = 14  # days the sensitivity is learned from (0: no temperature correction)
    water_per_c_max: float = 0.08  # water per hen up at most this fraction per °C
    feed_per_c_max: float = 0.04  # feed per hen down at most this fraction per °C
    water_min_frac: float = 0.12
    feed_min_frac: float = 0.08
    consumption_z: float = 3.5  # ... and this many noise units (σ) down
    # σ: each time of day's own MAD of the baseline days, pulled towards the park's median by this
    # weight, times this scale (consumption.py).
    intake_park_weight: float = 3.0
    intake_sigma_scale: float = 1.1
    consumption_hours: int = 6  # consecutive hours the fall must persist
    outage_frac: float = 0.5  # water of the last 3 h mid-day this far below usual: a line stopped ...
    outage_hours: int = 2  # ... for this many hours in a row (0 frac: off)
    outage_busy_share: float = 0.2  # "mid-day": hours around now usually get this share of the peak hour
    outage_normal_frac: float = 0.5  # mid-day 3 h fall below this x water_min_frac vetoes a 24 h alarm
    # A partial fall mid-day (sick hens drink less at once): the 3 h window this far down ... (0: off)
    midday_frac: float = 0.08
    midday_z: float = 5.0  # ... and this many of the house's own noise units of that window ...
    midday_hours: int = 2  # ... for this many hours in a row (outage.py)
    # The noise unit: the window's spread over these days before the last one.  At most
    # LEAD_DAYS - 2, as noise_park_days: a live pass's unit is then the whole run's.
    midday_days: int = 3
    midday_day_weight: float = 1.0  # ... and the 24 h figure's day-to-day spread (a day drinking less)
    # Judged where the hours from this many before now to this many after are usually busy (the
    # outage check's 5 and 4 leave drops in the first and last lit hours to the next day).
    midday_before: int = 3
    midday_after: int = 2
    feed_slow_frac: float = 0.045  # feed over the last 48 h down this much ...
    slow_z: float = 3.0  # ... and this many of its noise units ...
    slow_hours: int = 18  # ... for this many hours in a row is a feed_drop too (0 frac: off)
    joint_frac: float = 0.06  # water and feed both down this much ... (0: off)
    joint_z: float = 2.5  # ... and this many of their noise units ...
    joint_hours: int = 4  # ... for this many hours in a row: a water_drop (consumption.falling_together)
    support_frac: float = 0.06  # water or feed down this much lowers the egg thresholds ...
    support_factor: float = 0.7  # ... by this factor
    support_z: float = 1.5  # ... when it is also this many of its noise units (σ, step 7) down
    # A late belt run is no longer awaited once water or feed is down this many times support_frac:
    # hens eating and drinking clearly less (at 1, a 6 % fall within a day's noise ended the wait for a
    # one-run house's run and made its empty day an 87-point laying_drop).
    hold_release_factor: float = 1.5

    # Heat: the 24 h mean house temperature risen above the same windows of earlier days ...
    heat_excess_c: float = 2.0  # ... this much more than the park's other houses (their cooling copes) ...
    heat_excess_z: float = 5.0  # ... and this many times its usual spread from the others (heat.py)
    heat_rise_c: float = 2.5  # ... or this much with the house ...
    heat_abs_c: float = 28.0  # ... this hot (the whole park warmed: weather)
    # Fewer than 3 houses (no park to compare): a heat_rise_c rise and this many times its noise.
    heat_lone_z: float = 4.0
    # A laying_drop this many hours after a heat_stress alarm names the heat as its likely cause.
    heat_cause_hours: int = 96

    # De-duplication: one alert per event.
    rearm_hours: int = 48  # the condition must clear this long before the same kind alerts again

    # A run over a long history (eggwatch detect) analyses it in pieces of this many days of
    # verdicts, each with the past its verdicts need: memory of about houses x (piece_days + 23)
    # days whatever the history (0: the whole history at once).
    piece_days: int = 120

    # Not production problems: pause the laying verdict after these.
    depopulation_frac: float = 0.03  # hens fell this much within two days: (partial) depopulation
    depopulation_pause_hours: int = 48  # until the 24 h windows hold only the remaining hens
    # ... meanwhile falls of the per-hen figures up to this × the share of hens gone within the 24 h
    # window are explained, larger ones judged (laying: rhythm_override_pts on top; water and feed:
    # their own thresholds on top).
    depopulation_excuse: float = 0.5
    # ... and whole once this share is gone within the 24 h window: hens taken out, never a disease's
    # deaths (a few % a day), and a removal just before the lay leaves the day's eggs short by it all.
    depopulation_whole_frac: float = 0.2
    rhythm_shift_hours: float = 0.4  # drinking rhythm moved this much with the water total normal ...
    rhythm_persist_hours: int = 12  # ... for this many hours in a row (verdicts wait meanwhile)
    rhythm_excess_frac: float = 0.3  # mid-day 3 h water this far above the 24 h figure: rhythm moved
    rhythm_pause_hours: int = 84  # ... a lighting-schedule change: eggs move to the next belt run
    rhythm_outage_hours: int = 48  # ... lifted by a water or feed alarm this close (0: never) ...
    rhythm_back_hours: int = 12  # ... or by the rhythm back this long (0: never; schedule.lighting_pause)
    rhythm_total_fall_frac: float = 0.06  # 24 h water down this much: not (only) a lighting change ...
    rhythm_override_pts: float = 10.0  # ... so a laying deficit this large is judged despite the pause
    # Lights on later than usual (the first usual lit hours dry, then normal drinking): the next 24 h
    # of 24 h windows miss those hours — no verdict then unless the hens drink less mid-day.  With
    # belt runs, the eggs laid after that day's last run come with the next morning's first run,
    # a few hours past those 24 h (suite-2-3 house-05: a run 4 h after lights-on, a 5.8-point
    # end_of_day two hours after a 24 h hold ended): 30 h.
    lights_dark_frac: float = 0.3  # an hour with less than this share of its usual water was dark ...
    lights_lit_frac: float = 0.3  # ... and one with at least this share lit (a half-lit hour is lit)
    lights_hold_hours: int = 30  # verdicts held this long after the late start (0: off)

    @classmethod
    def with_overrides(cls, values: Mapping[str, object]) -> DetectorConfig:
        """The defaults with ``values`` (a YAML ``detector:`` mapping, or ``--set name=value`` text)
        in their place; an unknown name or a value of the wrong kind is a ValueError naming it."""
        defaults = cls()
        typed: dict[str, Any] = {}
        for name, value in values.items():
            if name not in {f.name for f in fields(cls)}:
                raise ValueError(f"unknown detector setting {name!r} (see analytics/detector/config.py)")
            kind = type(getattr(defaults, name))
            try:
                if isinstance(value, bool) or (
                    kind is int and isinstance(value, float) and not value.is_integer()
                ):
                    raise ValueError
                typed[name] = kind(value)  # int or float, from text or YAML
            except (TypeError, ValueError):
                want = "a whole number" if kind is int else "a number"
                raise ValueError(f"detector setting {name}={value!r} is not {want}") from None
        return cls(**typed)  # __post_init__ checks the ranges

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int | float) or v < 0:
                raise ValueError(f"DetectorConfig.{f.name} must be a non-negative number, got {v!r}")
        if self.min_baseline_days < 2 or self.min_baseline_days > self.baseline_days:
            raise ValueError("DetectorConfig: need 2 <= min_baseline_days <= baseline_days")
        for name in ("noise_park_days", "midday_days"):
            if getattr(self, name) > LEAD_DAYS - 2:
                need = f"{name} <= {LEAD_DAYS - 2} (a live pass has {LEAD_DAYS} days before its verdicts)"
                raise ValueError(f"DetectorConfig: need {need}")
        if 0 < self.noise_days < NOISE_MIN_DAYS:
            raise ValueError(f"DetectorConfig: need noise_days 0 (off) or at least {NOISE_MIN_DAYS}")
        if self.trend_floor_power > 1:
            raise ValueError("DetectorConfig: need trend_floor_power <= 1 (1 is a hard floor)")
        if not 0 < self.row_fault_ratio <= self.row_exclude_ratio < 1:
            raise ValueError("DetectorConfig: need 0 < row_fault_ratio <= row_exclude_ratio < 1")
