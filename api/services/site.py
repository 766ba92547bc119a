"""The site id and local time zone the API works in (the park file's, else the settings')."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import Request

DEFAULT_TZ = "Asia/Shanghai"


def site_of(request: Request) -> str:
    park = request.app.state.park
    return park.site if park is not None else str(request.app.state.settings.site)


def tz_of(request: Request) -> ZoneInfo:
    park = request.app.state.park
    return park.tz if park is not None else ZoneInfo(DEFAULT_TZ)
