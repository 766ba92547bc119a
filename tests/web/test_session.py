"""The page's session (no browser): without a valid cookie `/` is only the login form; the cookie
is set from a bearer token the API accepts, with HttpOnly, SameSite=Strict and (over https) Secure."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.models import User
from api.security import Keys
from eggwatch.sql import make_engine
from tests.web.conftest import WebDemo, web_login

# Anything that only a page with park data carries.
PARK_DATA = ("data-unit=", "house-01", "packing-1", "<svg", "今日产蛋", "Eggs today", "/api/v1/reports")


def _assert_login_page(html: str, lang: str = "zh") -> None:
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in html
    assert '<form id="login"' in html and 'name="password"' in html and 'data-user=""' in html
    body = html.split("</head>")[1]  # the head carries the UI words for the script, no data
    leaked = [marker for marker in PARK_DATA if marker in body]
    assert not leaked, leaked


def _set_cookie(response: object) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    assert len(headers) == 1, headers
    return str(headers[0])


def _user_id(db_url: str, username: str) -> int:
    engine = make_engine(db_url)
    with Session(engine) as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
    engine.dispose()
    assert user_id is not None
    return user_id


def test_without_a_session_the_page_is_only_the_login_form(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    r = client.get("/")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    _assert_login_page(r.text)
    assert "登录后查看园区数据" in r.text
    # The language switch works before logging in.
    en = client.get("/?lang=en").text
    _assert_login_page(en, "en")
    assert "Log in to see the park" in en and 'href="/?lang=zh"' in en
    assert client.get("/?lang=fr").status_code == 422


def test_session_cookie_is_httponly_strict_and_lets_the_page_show_the_figures(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    token = client.post(
        "/api/v1/auth/token", data={"username": "sup1", "password": "correct-horse-battery-staple"}
    ).json()["access_token"]
    r = client.post("/web/session", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204 and r.headers["cache-control"] == "no-store"
    cookie = _set_cookie(r)
    assert cookie.startswith(f"eggwatch_session={token};")
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/", "max-age=3600"} <= flags, flags
    assert "secure" not in flags  # plain http (the demo on a LAN): a Secure cookie would be dropped
    html = client.get("/").text
    assert all(f'data-unit="{u}"' in html for u in web_demo.eggs_today)
    assert f'data-user="{_user_id(web_demo.db_url, "sup1")}"' in html


def test_over_https_the_cookie_is_secure_and_host_only(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app, base_url="https://eggwatch.example")
    web_login(client, "sup1")
    (cookie,) = client.cookies.jar
    assert cookie.name == "__Host-eggwatch_session" and cookie.secure and cookie.path == "/"
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert "data-unit=" in client.get("/").text
    # The plain-http name is not honoured over https (it could have been planted without TLS).
    token = cookie.value
    assert token is not None
    other = TestClient(web_demo.app, base_url="https://eggwatch.example")
    other.cookies.set("eggwatch_session", token)
    _assert_login_page(other.get("/").text)


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic c3VwMTp4"])
def test_session_needs_a_token_the_api_accepts(web_demo: WebDemo, authorization: str | None) -> None:
    client = TestClient(web_demo.app)
    headers = {"Authorization": authorization} if authorization else {}
    r = client.post("/web/session", headers=headers)
    assert r.status_code == 401 and "set-cookie" not in r.headers
    _assert_login_page(client.get("/").text)


def test_expired_forged_or_revoked_cookies_get_the_login_form_and_are_cleared(web_demo: WebDemo) -> None:
    user_id = _user_id(web_demo.db_url, "sup1")
    keys: Keys = web_demo.app.state.keys
    expired = keys.issue_token(user_id, "supervisor", dt.timedelta(minutes=-1))
    forged = Keys.from_secret(b"someone else's secret").issue_token(user_id, "admin", dt.timedelta(hours=1))
    for bad in (expired, forged, "garbage"):
        client = TestClient(web_demo.app)
        client.cookies.set("eggwatch_session", bad)
        r = client.get("/")
        _assert_login_page(r.text)
        assert re.match(r'eggwatch_session="?"?; .*Max-Age=0', _set_cookie(r)), _set_cookie(r)

    # A valid cookie stops working as soon as its user is deactivated, as the API token does.
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    assert "data-unit=" in client.get("/").text
    engine = make_engine(web_demo.db_url)
    with Session(engine) as s:
        s.execute(update(User).where(User.id == user_id).values(active=False))
        s.commit()
    engine.dispose()
    _assert_login_page(client.get("/").text)


def test_logout_clears_the_cookie(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    assert "data-unit=" in client.get("/").text
    r = client.delete("/web/session")
    assert r.status_code == 204 and "Max-Age=0" in _set_cookie(r)
    assert "eggwatch_session" not in client.cookies
    _assert_login_page(client.get("/").text)


def test_the_api_never_accepts_the_cookie(web_demo: WebDemo) -> None:
    # The cookie only renders the page: acting needs the bearer token (so no CSRF through it).
    client = TestClient(web_demo.app)
    token = web_login(client, "sup1")
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.post(f"/api/v1/alerts/{web_demo.alert_ids[0]}/acknowledge", json={}).status_code == 401
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
