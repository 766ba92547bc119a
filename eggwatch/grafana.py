"""``eggwatch dashboards push``: upload the dashboards with grafana-client.

For Grafana installations that do not mount ``dashboards/provisioning`` (e.g. a Grafana run by
the park's IT elsewhere): creates the eggwatch folder if missing, then uploads every dashboard
JSON model with ``overwrite`` so a re-run updates them in place.  ``--datasources`` also creates
or updates the two datasources from the provisioning file (their ``${VAR}`` references filled
from the environment), keeping their fixed uids so the panels find them.

Grafana HTTP API used: ``GET/POST /api/folders``, ``POST /api/dashboards/db``,
``GET /api/datasources/uid/<uid>``, ``POST /api/datasources``, ``PUT /api/datasources/uid/<uid>``.

``eggwatch dashboards standards`` writes the breed-standard hen-day % of every house, one point
per local day (measurement ``hen_day_expected_pct``), which the dashboards draw against the
actual figures.  It depends only on ``park.yaml`` (breed, placement date and age), so it is
written ahead for the coming year and rewritten, idempotently, whenever the park file changes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from eggwatch.settings import ConfigError

if TYPE_CHECKING:
    from eggwatch.park import Park
    from eggwatch.store.base import Point

dashboards_app = typer.Typer(help="Grafana dashboards.", no_args_is_help=True)

FOLDER_UID = "eggwatch"
FOLDER_TITLE = "eggwatch 蛋鸡场"
_DATASOURCE_KEYS = ("name", "uid", "type", "access", "url", "user", "isDefault", "jsonData", "secureJsonData")
_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def default_dir() -> Path:
    """``dashboards/`` of a source checkout, else of the working directory (the Docker image's)."""
    checkout = Path(__file__).resolve().parents[1] / "dashboards"
    return checkout if (checkout / "json").is_dir() else Path.cwd() / "dashboards"


def load_dashboards(directory: Path) -> list[dict[str, Any]]:
    """Every ``*.json`` model in ``directory``; each must have a uid and a title."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ConfigError(f"{directory}: no dashboard JSON files")
    out = []
    for f in files:
        try:
            model = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{f}: not valid JSON: {exc}") from None
        if not isinstance(model, dict) or not model.get("uid") or not model.get("title"):
            raise ConfigError(f"{f}: a dashboard needs a uid and a title")
        out.append(model)
    return out


def expand(value: Any, env: Mapping[str, str]) -> Any:
    """Fill ``$VAR`` / ``${VAR}`` as Grafana's provisioning does; a missing variable is an error."""
    if isinstance(value, str):

        def one(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2)
            if name not in env:
                raise ConfigError(f"datasource provisioning needs the environment variable {name}")
            return env[name]

        return _VAR.sub(one, value)
    if isinstance(value, dict):
        return {k: expand(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, env) for v in value]
    return value


def load_datasources(directory: Path, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The provisioned datasources as Grafana API bodies, variables filled from ``env``."""
    import yaml

    out = []
    for f in sorted((directory / "provisioning" / "datasources").glob("*.yaml")):
        for ds in yaml.safe_load(f.read_text(encoding="utf-8")).get("datasources", []):
            out.append(expand({k: ds[k] for k in _DATASOURCE_KEYS if k in ds}, env))
    return out


@dataclass
class PushReport:
    folder_created: bool = False
    dashboards: list[str] = field(default_factory=list)
    datasources_created: list[str] = field(default_factory=list)
    datasources_updated: list[str] = field(default_factory=list)


def _missing(exc: Exception) -> bool:
    return getattr(exc, "status_code", None) == 404


def push(
    api: Any,
    dashboards: Sequence[dict[str, Any]],
    datasources: Sequence[dict[str, Any]] = (),
    folder_uid: str = FOLDER_UID,
    folder_title: str = FOLDER_TITLE,
) -> PushReport:
    """Upload to the Grafana behind ``api`` (a ``grafana_client.GrafanaApi``); idempotent."""
    from grafana_client.client import GrafanaClientError

    report = PushReport()
    for ds in datasources:  # first: the dashboards refer to them by uid
        try:
            api.datasource.get_datasource_by_uid(ds["uid"])
        except GrafanaClientError as exc:
            if not _missing(exc):
                raise
            api.datasource.create_datasource(ds)
            report.datasources_created.append(ds["uid"])
        else:
            api.datasource.update_datasource_by_uid(ds["uid"], ds)
            report.datasources_updated.append(ds["uid"])
    try:
        api.folder.get_folder(folder_uid)
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
        api.folder.create_folder(folder_title, uid=folder_uid)
        report.folder_created = True
    for model in dashboards:
        body = {
            "dashboard": {**model, "id": None},  # matched by uid; Grafana assigns its own id
            "folderUid": folder_uid,
            "overwrite": True,
            "message": "eggwatch dashboards push",
        }
        api.dashboard.update_dashboard(body)
        report.dashboards.append(model["uid"])
    return report


@dashboards_app.command("push")
def push_command(
    url: str = typer.Option(..., "--url", help="Grafana base URL, e.g. http://grafana:3000"),
    token: str = typer.Option(..., "--token", help="Grafana service-account token (Editor or Admin)"),
    directory: Path | None = typer.Option(
        None, "--dir", help="dashboards/ folder (default: the shipped one)"
    ),
    datasources: bool = typer.Option(
        False, "--datasources", help="also create/update the InfluxDB and PostgreSQL datasources"
    ),
) -> None:
    """Upload the dashboards in dashboards/ to a Grafana that does not use file provisioning."""
    from grafana_client import GrafanaApi
    from grafana_client.client import GrafanaException

    from eggwatch.clikit import fail

    if not url.startswith(("http://", "https://")):
        fail(f"--url must be Grafana's http:// or https:// base URL, got {url!r}")
    base = directory or default_dir()
    models = load_dashboards(base / "json")
    sources = load_datasources(base, os.environ) if datasources else []
    api = GrafanaApi.from_url(url, credential=token, timeout=15)
    try:
        report = push(api, models, sources)
    except GrafanaException as exc:
        code = getattr(exc, "status_code", 0)
        fail(f"Grafana at {url} refused the upload ({code or 'unreachable'}): {exc}".replace("\n", " "))
    created = " (folder created)" if report.folder_created else ""
    typer.echo(f"pushed {len(report.dashboards)} dashboards to {url}{created}")
    for uid in report.datasources_created + report.datasources_updated:
        typer.echo(f"datasource {uid}: {'created' if uid in report.datasources_created else 'updated'}")


STANDARD_DEVICE = "breed-standard"


def standard_points(park: Park, until: dt.date) -> list[Point]:
    """One ``hen_day_expected_pct`` point per house and local day, from placement to ``until``."""
    from eggwatch.breeds import curve
    from eggwatch.store.base import Point
    from eggwatch.wire import Reading

    out = []
    for house in park.houses:
        std = curve(house.breed)
        days = (until - house.placed).days + 1
        for k in range(max(days, 0)):
            day = house.placed + dt.timedelta(days=k)
            midnight = dt.datetime.combine(day, dt.time(0), park.tz)
            value = round(float(std.hen_day(house.age_weeks(day))), 2)
            reading = Reading(int(midnight.timestamp() * 1000), "hen_day_expected_pct", value)
            out.append(Point(park.site, house.unit, STANDARD_DEVICE, reading))
    return out


@dashboards_app.command("standards")
def standards_command(
    park_file: Path | None = typer.Option(None, "--park", help="park file (default: <data dir>/park.yaml)"),
    days_ahead: int = typer.Option(400, "--days-ahead", min=0, max=2000, help="days to write beyond today"),
) -> None:
    """Write each house's breed-standard hen-day % per day into the telemetry store."""
    from eggwatch.park import load_park
    from eggwatch.settings import load_settings
    from eggwatch.store.open import open_store

    settings = load_settings()
    park = load_park(park_file or settings.data_dir / "park.yaml")
    until = dt.datetime.now(park.tz).date() + dt.timedelta(days=days_ahead)
    points = standard_points(park, until)
    from eggwatch.clikit import fail
    from eggwatch.store.errors import StoreRejected, StoreUnavailable

    store = open_store(settings)
    try:
        store.ensure_ready()
        for k in range(0, len(points), 5000):
            store.write(points[k : k + 5000])
    except (StoreUnavailable, StoreRejected) as exc:
        fail(f"telemetry store refused the standards: {exc}".replace("\n", " "))
    finally:
        store.close()
    typer.echo(f"wrote {len(points)} breed-standard points for {len(park.houses)} houses up to {until}")
