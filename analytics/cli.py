"""``eggwatch detect`` and ``eggwatch evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from eggwatch.clikit import fail

if TYPE_CHECKING:
    from analytics.detector import DetectorConfig

SET_HELP = "a detector setting, NAME=VALUE (repeatable; names in analytics/detector/config.py)"


def detector_config(pairs: list[str]) -> DetectorConfig:
    """``["trend_z=3.0", ...]`` → the detector's settings, or a one-line error and exit 2."""
    from analytics.detector import DetectorConfig

    values: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--set wants NAME=VALUE, got {pair!r}")
        values[name.strip()] = value.strip()
    try:
        return DetectorConfig.with_overrides(values)
    except ValueError as exc:
        fail(f"--set: {exc}")


def detect(
    houses: Path = typer.Option(..., "--houses", help="hourly house CSV (CONTRACTS §6)"),
    rows: Path = typer.Option(..., "--rows", help="hourly row-counter CSV (CONTRACTS §6)"),
    park: Path | None = typer.Option(
        None, "--park", help="park YAML: each house's breed (default Hy-Line Brown)"
    ),
    strict: bool = typer.Option(
        False, "--strict", help="stop at the first bad line or value (default: leave it out and say so)"
    ),
    settings: list[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Run the laying-drop detector offline; alerts as JSON lines on stdout."""
    import sys
    import time

    from analytics.detector import detect as run
    from analytics.detector.hen_count import with_estimated_hens, with_hens_rescaled
    from analytics.evaluate import with_breeds
    from analytics.offline import (
        CsvFormatError,
        Rejects,
        empty_span,
        houses_without_hens,
        read_frame,
        write_alerts,
    )
    from analytics.omitted_zeros import fill_omitted_zeros
    from eggwatch.park import load_park

    t0 = time.perf_counter()
    config = detector_config(settings)
    breeds = {h.unit: h.breed for h in load_park(park).houses} if park else {}
    rejects = None if strict else Rejects()
    try:
        frame = read_frame(houses, rows, rejects)
    except CsvFormatError as exc:
        fail(str(exc))
    if rejects:  # one line on stderr, before the alerts are written: nothing is left out silently
        print(f"eggwatch detect: left out {rejects.summary()}", file=sys.stderr)
    if rejects is not None and rejects.read_as_utc:
        print(f"eggwatch detect: read {rejects.read_as_utc} timestamps without a time zone as UTC "
              f"(first: {rejects.read_as_utc_first}); §6 wants 2026-03-01T05:00:00Z", file=sys.stderr)  # fmt: skip
    if span := empty_span(frame):
        before, after = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in span)
        print(f"eggwatch detect: no data at all after {before} until {after} ({(span[1] - span[0]).days:,} days), "
              "read as one long gap: a mistyped year?", file=sys.stderr)  # fmt: skip
    frame, filled = fill_omitted_zeros(frame)
    if filled:  # an export that writes no line for an hour that counted nothing
        print(f"eggwatch detect: the counters of {rows} have no line, day after day, at hours their houses' "
              f"meters reported: read as an export that leaves out empty hours (zero counts, or a reading "
              f"once a day), {filled.hours} hours of {filled.describe()} taken as 0", file=sys.stderr)  # fmt: skip
    _, rescaled = with_hens_rescaled(frame, config.min_baseline_days)
    for house, r in rescaled.items():  # a count in thousands: judged, and said so
        why = (
            "read as another unit"
            if r.power_of_ten
            else "or counters counting eggs twice: read at its breed's level"
        )
        print(f"eggwatch detect: the hens figure of {house} is too small for its eggs ({r.eggs_per_hen:,.1f} "
              f"eggs a hen a day over its first days; a hen lays at most one): {why}, multiplied by "
              f"{r.factor:,.6g}; its alerts say so", file=sys.stderr)  # fmt: skip
    if blind := houses_without_hens(frame):  # no flock size: the count is estimated (hen_count.py), say so
        _, estimated = with_estimated_hens(frame, config.min_baseline_days)
        if guessed := [b for b in blind if b in estimated]:
            print(f"eggwatch detect: no hens figure for {', '.join(guessed)}: their count is estimated from "
                  "their first days' eggs and their breed's standard (their alerts say so); enter it for exact "
                  "figures", file=sys.stderr)  # fmt: skip
        if unknown := [b for b in blind if b not in estimated]:
            print(f"eggwatch detect: no hens figure for {', '.join(unknown)} and no whole day of eggs in "
                  "their first days to estimate it: their hen-day % is unknown, so only their counters "
                  "and meters are checked", file=sys.stderr)  # fmt: skip
    if not frame.rows:
        print(f"eggwatch detect: no egg counter lines in {rows}: the eggs are not judged, only water, feed "
              "and temperature", file=sys.stderr)  # fmt: skip
    if breeds:
        frame = with_breeds(frame, breeds)
    n = write_alerts(run(frame, config), sys.stdout.buffer)
    sys.stdout.flush()
    print(
        f"eggwatch detect: {len(frame.houses)} houses × {frame.n_hours} h × {len(frame.rows)} rows → "
        f"{n} alerts in {time.perf_counter() - t0:.2f} s",
        file=sys.stderr,
    )


def evaluate(
    seeds: str = typer.Option("1,2,3", "--seeds", help="comma-separated simulator seeds (4 scenarios each)"),
    houses: int = typer.Option(6, "--houses", min=2, max=60, help="houses per scenario"),
    days: int = typer.Option(120, "--days", min=40, max=400, help="days per scenario"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="list every miss and false alarm"),
    without: str = typer.Option(
        "",
        "--without",
        help="house columns to blank, as if not metered: hens,age_weeks,water_l,feed_kg,temp_c",
    ),
    settings: list[str] = typer.Option([], "--set", help=SET_HELP),
    park_size: int = typer.Option(
        0, "--park-size", min=0, max=60, help="analyse the houses this many at a time (1: each alone; 0: all)"
    ),
    rows: int = typer.Option(0, "--rows", min=0, max=32, help="row counters per house (0: 6-10 at random)"),
    age_shift: float = typer.Option(
        0.0, "--age-shift", min=-6.0, max=6.0, help="flocks lay this many weeks ahead of their stated age"
    ),
    whole_weeks: bool = typer.Option(False, "--whole-weeks", help="age_weeks given in whole weeks"),
    flat_intake: bool = typer.Option(
        False, "--flat-intake", help="water and feed per hen do not rise with age as the breed guide's do"
    ),
    disease_deaths: float = typer.Option(
        0.0,
        "--disease-deaths",
        min=0.0,
        max=0.5,
        help="share of the hens each disease kills a day (two days)",
    ),
    no_park: bool = typer.Option(
        False, "--no-park", help="as `eggwatch detect` without --park: every house taken as Hy-Line Brown"
    ),
) -> None:
    """Score the detector on simulated, labelled scenarios against the control-chart baseline."""
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        fail(f"--seeds must be comma-separated integers, got {seeds!r}")
    if any(s < 0 for s in seed_list):  # NumPy's generators take none: a ValueError traceback
        fail(f"--seeds must be comma-separated integers from 0, got {seeds!r}")
    if not seed_list:
        fail("--seeds is empty")

    from analytics.evaluate import OffGuide, evaluate_seed, optional_columns, report

    try:
        blank = optional_columns(without)
    except ValueError as exc:
        fail(f"--without: {exc}")
    config = detector_config(settings)
    off = OffGuide(age_shift, whole_weeks, flat_intake)
    results = []
    for seed in seed_list:
        results.append(
            evaluate_seed(
                seed,
                houses,
                days,
                config,
                without=blank,
                park_size=park_size,
                rows=rows or None,
                off_guide=off,
                disease_deaths=disease_deaths,
                breeds_known=not no_park,
            )
        )
        typer.echo(f"seed {seed} done", err=True)
    # What was changed from the default evaluation, one line each, before the scores.
    changes = {
        f"house columns left blank: {', '.join(blank)}": blank,
        f"detector settings changed: {', '.join(settings)}": settings,
        f"the detector saw the houses {park_size} at a time": park_size,
        f"{rows} row counters per house": rows,
        f"flocks off their breed guide: {off.describe()}": off,
        f"each disease kills {disease_deaths:.0%} of its house's hens a day for two days": disease_deaths,
        "breeds not given (no park file): every house taken as Hy-Line Brown": no_park,
    }
    for line, changed in changes.items():
        if changed:
            typer.echo(line)
    typer.echo(report(results, verbose=verbose))
