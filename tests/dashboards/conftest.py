"""Shared helpers for the dashboard tests: the dashboard files and the provisioned datasources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
JSON_DIR = DASHBOARDS / "json"


def dashboard_files() -> list[Path]:
    return sorted(JSON_DIR.glob("*.json"))


def load_dashboards() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in dashboard_files()]


def targets(dashboard: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(panel, target) for every query of every panel."""
    return [(p, t) for p in dashboard["panels"] for t in p.get("targets", [])]


@pytest.fixture(scope="session")
def provisioned_uids() -> dict[str, str]:
    """uid → type of every provisioned datasource."""
    out: dict[str, str] = {}
    for f in sorted((DASHBOARDS / "provisioning" / "datasources").glob("*.yaml")):
        for ds in yaml.safe_load(f.read_text())["datasources"]:
            out[ds["uid"]] = ds["type"]
    return out
