"""``GET /``: the park at a glance for phones and the embedded demo, plus its script and style.

Server-rendered (Jinja2, autoescaped) with inline SVG sparklines.  Without a valid session cookie
(session.py) the page is only the login form: park data is shown to logged-in users, of any role.
The small script of our own (``app.js``) handles login, the open alerts and their acknowledge
button, and report downloads, all through the JSON API, so every permission is checked there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from analytics.alerts.api import ALERT_ROLES
from api.deps import SessionDep, may, units_of
from api.lang import LangParam
from api.models import User
from api.routes.payroll import PAYROLL_READERS
from api.routes.reports import REPORT_ROLES, file_name
from api.web.figures import ParkFigures, spark_values
from api.web.i18n import LANGS, Lang, table
from api.web.session import PageUser, cookie_name, forget
from api.web.session import router as session_router
from api.web.svg import sparkline
from eggwatch.store.errors import StoreUnavailable

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC = {"app.js": "text/javascript", "app.css": "text/css"}
# Everything the page loads comes from us; the JSON data block is not a script and needs no nonce.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)

router = APIRouter(include_in_schema=False)
router.include_router(session_router)
_env = Environment(
    loader=FileSystemLoader(HERE),  # index.html sits beside this module (shipped as package data)
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _figures(request: Request, now: dt.datetime) -> tuple[ParkFigures | None, str | None]:
    """The figures, or the i18n key of why there are none."""
    park = request.app.state.park
    if park is None:
        return None, "no_park"
    store = request.app.state.telemetry()
    if store is None:
        return None, "no_store"
    try:
        return request.app.state.figures.get(store, park, now), None
    except (StoreUnavailable, OSError) as exc:
        log.warning("web page: telemetry store failed: %s", exc)
        return None, "no_store"


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, user: PageUser, session: SessionDep, lang: Annotated[LangParam, Query()] = "zh"
) -> HTMLResponse:
    now = dt.datetime.now(dt.UTC)
    words = table(lang)
    if user is None:
        html = _login_page(lang, words)
    else:
        html = _page(request, user, units_of(session, user) or set(), now, lang, words)
    response = HTMLResponse(html, headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP})
    if user is None and cookie_name(request) in request.cookies:
        forget(request, response)  # expired or revoked: the browser need not send it again
    return response


def _login_page(lang: Lang, words: dict[str, str]) -> str:
    return _env.get_template("login.html").render(_common(lang, words))


def _common(lang: Lang, words: dict[str, str]) -> dict[str, object]:
    return {
        "lang": lang,
        "other_lang": LANGS[1 - LANGS.index(lang)],
        "t": words,
        "words_json": json.dumps(words, ensure_ascii=False),
    }


def _page(
    request: Request, user: User, own: set[str], now: dt.datetime, lang: Lang, words: dict[str, str]
) -> str:
    """The page; ``own``: the units a supervisor oversees, whose houses come first and stand out."""
    figures, problem = _figures(request, now)
    if figures is not None and own:  # a sorted copy: the cached figures are shared by requests
        houses = sorted(figures.houses, key=lambda h: h.unit not in own)  # stable: the park's order
        figures = dataclasses.replace(figures, houses=houses)
    park = request.app.state.park
    tz = park.tz if park is not None else dt.UTC
    sparks = {}
    if figures is not None:
        for h in figures.houses:
            actual, standard = spark_values(h.days)
            sparks[h.unit] = sparkline(actual, standard, f"{h.unit}: {words['spark_legend']}")
    return _env.get_template("index.html").render(
        _common(lang, words),
        user=user,
        own=own,
        # What the APIs behind the page would serve this user: nothing of the rest is shown.
        sees_alerts=may(user, ALERT_ROLES),
        reads_reports=may(user, REPORT_ROLES),
        reads_payroll=may(user, PAYROLL_READERS),
        figures=figures,
        problem=problem,
        sparks=sparks,
        updated=_stamp((figures.now if figures is not None else now).astimezone(tz)),
        timezone=str(tz),
        year=now.astimezone(tz).year,
        # the name the API gives the report (by village, the default), 就业报表-2026年-按村.xlsx in zh
        report_file=file_name(now.astimezone(tz).year, None, "village", lang) + ".xlsx",
    )


def _stamp(local: dt.datetime) -> str:
    """``2026-12-03 13:20 (UTC+08:00)``: a clerk in another office must not read it as their time."""
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _static_route(name: str, media_type: str) -> None:
    def static_file() -> Response:
        return FileResponse(HERE / name, media_type=media_type, headers={"Cache-Control": "max-age=300"})

    router.add_api_route(f"/web/{name}", static_file, methods=["GET"], name=f"static:{name}")


# One route per file, not a catch-all /web/{name}: that one also caught GET /web/session (a 404
# where POST and DELETE are served, so 405 with Allow is due). Any other /web/... is the app's 404.
for _name, _media_type in STATIC.items():
    _static_route(_name, _media_type)
