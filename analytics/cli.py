"""``eggwatch detect`` and ``eggwatch evaluate``."""

from __future__ import annotations

from pathlib import Path

import typer

from eggwatch.clikit import NotImplementedYet


def detect(
    houses: Path = typer.Option(..., "--houses", help="hourly house CSV (CONTRACTS §6)"),
    rows: Path = typer.Option(..., "--rows", help="hourly row-counter CSV (CONTRACTS §6)"),
) -> None:
    """Run the laying-drop detector offline; alerts as JSON lines on stdout."""
    raise NotImplementedYet("eggwatch detect")


def evaluate() -> None:
    """Score the detector on simulated, labelled scenarios against the control-chart baseline."""
    raise NotImplementedYet("eggwatch evaluate")
