"""Write every dashboard to ``dashboards/json/<uid>.json`` (``python -m dashboards.generator``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from dashboards.generator.panels import Json
from dashboards.generator.telemetry import house_detail, packing_line, park_overview
from dashboards.generator.workforce import alerts, employment

BUILDERS: list[Callable[[], Json]] = [park_overview, house_detail, packing_line, alerts, employment]
OUT = Path(__file__).resolve().parents[1] / "json"


def render(model: Json) -> str:
    return json.dumps(model, ensure_ascii=False, indent=2) + "\n"


def build_all() -> dict[str, str]:
    """File name → JSON text for every dashboard."""
    out: dict[str, str] = {}
    for build in BUILDERS:
        model = build()
        out[f"{model['uid']}.json"] = render(model)
    return out


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in build_all().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
