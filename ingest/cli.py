"""``eggwatch ingest``."""

from __future__ import annotations

import typer

from eggwatch.clikit import NotImplementedYet


def ingest(
    group: str | None = typer.Option(None, "--group", help="shared-subscription group name"),
) -> None:
    """Subscribe to eggwatch/v1/# and write readings to InfluxDB (or the embedded store)."""
    raise NotImplementedYet("eggwatch ingest")
