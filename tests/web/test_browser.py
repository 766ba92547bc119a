"""The web page in a real browser: Debian's Chromium, headless, driven by Playwright.

Without a session the page is only the login form; a supervisor logs in, sees the demo park and
acknowledges an alert with the button (the server records who did it); the session cookie is
HttpOnly and SameSite=Strict; a new tab shows the figures and asks for a login for the alerts;
logging out brings back the login form; a poverty-office login sees its report first and no
alerts (it downloads the report); a payroll login sees last month's run first and the earlier ones on demand, and the reason
when the payroll API fails while the employment table still loads; the language
switch keeps the login, nothing overflows a 360-px-wide phone, and the console stays clean.
Screenshots are saved under test-artifacts/web/ (gitignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright
from sqlalchemy import create_engine, text

from tests.web.conftest import WebDemo
from tests.web.park_demo import PAID_MONTHS, PASSWORD, last_months_run

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A 360-px-wide page that records console errors and uncaught exceptions."""
    context = browser.new_context(
        viewport={"width": 360, "height": 780}, device_scale_factor=2, locale="zh-CN"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, errors
    context.close()


def login(page: Page, username: str) -> None:
    page.fill("#login input[name=username]", username)
    page.fill("#login input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")


def alert_status(db_url: str, alert_id: int) -> tuple[str, str | None]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, acknowledged_by FROM alert WHERE id = :i"), {"i": alert_id}
        ).one()
    engine.dispose()
    return row[0], row[1]


def test_supervisor_acknowledges_an_alert_on_a_phone(
    served: str, web_demo: WebDemo, phone: tuple[Page, list[str]]
) -> None:
    page, errors = phone
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(served + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#login").is_visible() and page.locator("#houses, article.house").count() == 0
    page.screenshot(path=str(ARTIFACTS / "home-360-login.png"), full_page=True)

    login(page, "sup1")
    page.wait_for_selector("article.house")  # the page reloads with the session cookie
    assert page.locator("article.house").count() == len(web_demo.park.houses)
    assert page.locator("article.house svg.spark polyline.act").count() >= len(web_demo.park.houses)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "eggwatch_session" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert not cookie["secure"]  # plain http here; https gets Secure (test_session.py)
    assert "eggwatch_session" not in page.evaluate("document.cookie")  # scripts cannot read it

    page.wait_for_selector("#alert-list li.alert")
    assert page.locator("#alert-list li.alert.open").count() == 2
    assert "sup1（生产主管）" in page.inner_text("#who")
    page.screenshot(path=str(ARTIFACTS / "home-360-alerts.png"), full_page=True)

    first = web_demo.alert_ids[0]
    page.click(f'#alert-list li[data-id="{first}"] button.ack')
    page.wait_for_selector(f'#alert-list li.alert.acknowledged[data-id="{first}"]')
    assert alert_status(web_demo.db_url, first) == ("acknowledged", "sup1")
    assert page.locator(f'#alert-list li[data-id="{first}"] button.ack').count() == 0
    assert alert_status(web_demo.db_url, web_demo.alert_ids[1])[0] == "open"
    page.screenshot(path=str(ARTIFACTS / "home-360-acknowledged.png"), full_page=True)

    # The language switch keeps the login (the token is in sessionStorage).
    page.click("#lang-switch")
    page.wait_for_selector('html[lang="en"]')
    page.wait_for_selector("#alert-list li.alert")
    assert "Houses" in page.inner_text("#houses h2")
    assert page.locator("#alert-list button.ack").inner_text() == "Acknowledge"
    # Times as the header writes dates, month-day in both languages (not 01/12 for 1 December).
    opened = page.locator("#alert-list li.alert p.muted").first.inner_text()
    assert re.match(r"\d\d-\d\d \d\d:\d\d", opened), opened
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "home-360-en.png"), full_page=True)

    # A new tab has the cookie but no token of its own: the figures, and a login for the alerts.
    tab = page.context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(served + "/?lang=en")
    tab.wait_for_selector("#login:not([hidden])")
    assert tab.locator("article.house").count() == len(web_demo.park.houses)
    assert tab.locator("#alert-box").is_hidden()
    tab.close()

    page.click("#logout")
    page.wait_for_selector("#signin #login")
    assert page.locator("article.house").count() == 0
    assert page.context.cookies() == []
    assert page.evaluate("sessionStorage.getItem('eggwatch.token')") is None
    assert errors == []


def test_poverty_office_sees_its_report_first_and_no_alerts(
    served: str, phone: tuple[Page, list[str]]
) -> None:
    page, errors = phone
    page.goto(served + "/")
    login(page, "office1")
    page.wait_for_selector("article.house")
    assert page.locator("article.house").count() == 2  # any role may view the overview
    # The alerts are not this role's (the API refuses it them, test_alerts_api.py): the page asks for
    # none, shows none, and puts the employment report first.
    sections = page.evaluate("[...document.querySelectorAll('main > section')].map((s) => s.id)")
    assert sections[0] == "reports", sections
    assert page.locator("#alert-box, #alert-list, #alert-error").count() == 0
    # This year's employment by month, from the report's JSON (no payroll yet here: the year's row).
    page.wait_for_selector("#employment:not([hidden]) tbody tr.total")
    head = page.inner_text("#employment thead")
    assert "务工人数" in head and "其中建档立卡贫困户人数" in head, head
    assert page.inner_text("#employment tr.total td:first-child") == "全年"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with page.expect_download() as download:
        page.click("a.report")
    assert download.value.suggested_filename.startswith("就业报表-")  # the API's zh file name
    page.screenshot(path=str(ARTIFACTS / "home-360-poverty-office.png"), full_page=True)
    assert errors == []


def test_payroll_clerk_sees_the_latest_runs(
    served: str, web_demo: WebDemo, phone: tuple[Page, list[str]]
) -> None:
    page, errors = phone
    page.goto(served + "/")
    login(page, "clerk1")
    page.wait_for_selector("#payroll-runs:not([hidden]) tbody tr")
    run = page.inner_text("#payroll-runs tbody tr")
    start = last_months_run(web_demo.now).period_start
    month = f"{start.year}年{start.month}月"
    assert run.startswith(month + "\t") and "已审批" in run, run  # a whole month reads 2026年11月
    assert page.locator("#employment:not([hidden])").count() == 1  # payroll reads the report too
    sections = page.evaluate("[...document.querySelectorAll('main > section')].map((s) => s.id)")
    assert sections[0] == "reports", sections  # the clerk's own business first
    assert page.locator("#alert-box").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "home-360-payroll.png"), full_page=True)
    # Six runs at first; the button brings the paid ones before them, and goes when none are left.
    runs = page.locator("#payroll-runs tbody tr:not(.more)")
    assert runs.count() == 6
    page.click("#payroll-runs tr.more button")
    page.wait_for_selector(f"#payroll-runs tbody tr:nth-child({PAID_MONTHS + 1})")
    assert runs.count() == PAID_MONTHS + 1 and page.locator("#payroll-runs tr.more").count() == 0
    first = last_months_run(web_demo.now, PAID_MONTHS + 1).period_start
    oldest = f"{first.year}年{first.month}月"
    assert runs.last.inner_text().startswith(oldest + "\t") and "已发放" in runs.last.inner_text()
    assert errors == []


def test_a_failing_report_call_shows_why_and_leaves_the_rest(
    served: str, phone: tuple[Page, list[str]]
) -> None:
    """The payroll API failing (here a 503 from a proxy) shows the card's error in the page's
    language; the employment table beside it still loads, and nothing throws."""
    page, errors = phone
    page.route("**/api/v1/payroll/runs*", lambda route: route.fulfill(status=503, body="busy"))
    page.goto(served + "/")
    login(page, "clerk1")
    page.wait_for_selector("#payroll-runs:not([hidden]) p.error:not([hidden])")
    assert "出错" in page.inner_text("#payroll-runs p.error"), page.inner_text("#payroll-runs")
    assert page.locator("#payroll-runs tbody tr").count() == 0
    page.wait_for_selector("#employment:not([hidden]) tbody tr.total")
    assert page.locator("#employment p.error:not([hidden])").count() == 0
    # The browser itself logs the refused resource; the page's script adds nothing.
    assert all("503" in e for e in errors), errors


def test_wrong_password_shows_an_error(served: str, phone: tuple[Page, list[str]]) -> None:
    page, _errors = phone
    page.goto(served + "/")
    page.fill("#login input[name=username]", "sup1")
    page.fill("#login input[name=password]", "not-the-password")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "错误" in page.inner_text("#login-error")
    assert page.evaluate("sessionStorage.getItem('eggwatch.token')") is None
    assert page.context.cookies() == [] and page.locator("article.house").count() == 0


def test_too_many_logins_says_wait_not_try_again(served: str, phone: tuple[Page, list[str]]) -> None:
    """After 10 failed logins a minute the API answers 429: the page said 出错了，请重试 (try again),
    and each retry only kept the lock."""
    page, _errors = phone
    detail = json.dumps({"detail": "too many failed logins; wait a minute"})
    page.route("**/api/v1/auth/token", lambda route: route.fulfill(status=429, body=detail))
    for lang, wait in (("zh", "一分钟后再试"), ("en", "wait a minute")):
        page.goto(served + f"/?lang={lang}")
        login(page, "sup1")
        page.wait_for_selector("#login-error:not([hidden])")
        assert wait in page.inner_text("#login-error"), page.inner_text("#login-error")


RUNS = {"items": [{"id": 1, "period_start": "2026-11-01", "period_end": "2026-12-01", "status": "approved",
                   "workers": 100, "net_total": 226500.88}], "total": 1, "limit": 6, "offset": 0}  # fmt: skip


def _json(route: Route, body: object) -> None:
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


@pytest.mark.parametrize(
    ("lang", "year_total", "november"), [("zh", "全年", "11月"), ("en", "Year", "2026-11")]
)
def test_money_reads_in_yuan_to_the_fen(
    served: str, phone: tuple[Page, list[str]], lang: str, year_total: str, november: str
) -> None:
    """Net totals and wages as the payroll has them, 226,500.88 (they were rounded to 226,501),
    and two townships' wages of a month summed without float drift."""
    page, errors = phone
    runs = RUNS
    keys = ["month", "township", "workers", "poor_workers", "person_days", "wages"]
    rows = [
        {"month": "2026-11", "township": "a", "workers": 23, "poor_workers": 11, "person_days": 491, "wages": 51066.21},
        {"month": "2026-11", "township": "b", "workers": 13, "poor_workers": 3, "person_days": 281, "wages": 30796.4},
        {"month": "total", "township": "", "workers": 36, "poor_workers": 14, "person_days": 772, "wages": 81862.61},
    ]  # fmt: skip
    report = {"columns": [{"key": k, "label": k} for k in keys], "rows": rows}
    page.route("**/api/v1/payroll/runs*", lambda route: _json(route, runs))
    page.route("**/api/v1/reports/employment*", lambda route: _json(route, report))
    page.goto(f"{served}/?lang={lang}")
    login(page, "clerk1")
    page.wait_for_selector("#payroll-runs:not([hidden]) tbody tr")
    page.wait_for_selector("#employment:not([hidden]) tbody tr.total")
    assert page.inner_text("#payroll-runs tbody tr td:last-child") == "226,500.88"
    month, total = page.locator("#employment tbody tr").all()
    # this year's months as Chinese readers write them (the card says 本年), 2026-11 in English
    assert month.inner_text().split("\t") == [november, "36", "14", "772", "81,862.61"]
    period = page.inner_text("#payroll-runs tbody tr td:first-child")
    assert period == ("2026年11月" if lang == "zh" else "2026-11"), period
    assert total.inner_text().split("\t") == [year_total, "36", "14", "772", "81,862.61"]
    assert errors == []


@pytest.mark.parametrize(("status", "expected"), [(500, "出错了"), (403, "不能下载")])
def test_a_failing_download_says_so_where_it_can_be_read(
    served: str, phone: tuple[Page, list[str]], status: int, expected: str
) -> None:
    """The download's error used to go into the login form's error line, hidden once logged in:
    a click on the report that failed did nothing visible."""
    page, errors = phone
    page.route(
        "**/api/v1/reports/employment?*format=xlsx*", lambda route: route.fulfill(status=status, body="{}")
    )
    page.goto(served + "/")
    login(page, "office1")
    page.wait_for_selector("#employment:not([hidden]) tbody tr.total")
    page.click("a.report")
    page.wait_for_selector("#report-error:not([hidden])")
    assert expected in page.inner_text("#report-error")
    assert page.locator("#report-error").is_visible()
    assert all(str(status) in e for e in errors), errors


def test_each_acknowledge_button_names_its_alert(served: str, phone: tuple[Page, list[str]]) -> None:
    """Read out of context (a screen reader's list of buttons), each says which alert it acknowledges;
    they were all just "确认"."""
    page, errors = phone
    page.goto(served + "/")
    login(page, "sup1")
    page.wait_for_selector("#alert-list li.alert button.ack")
    buttons = page.get_by_role("button", name=re.compile("^确认 house-"))
    names = [b.get_attribute("aria-label") for b in buttons.all()]
    assert len(names) == page.locator("#alert-list button.ack").count() == 2, names
    assert len(set(names)) == 2 and all(" · " in str(n) for n in names), names
    assert errors == []


def _a_big_month(route: Route) -> None:
    """The server's own report (its labels in the page's language) with a 100-worker month."""
    response = route.fetch()
    body = response.json()
    for row in body["rows"]:
        row.update(workers=100, poor_workers=37, person_days=2144, wages=226500.69)
    route.fulfill(response=response, json=body)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_tables_fit_a_phone(served: str, phone: tuple[Page, list[str]], lang: str) -> None:
    """With money to the fen the employment table was 8 px (zh) and 135 px (en) wider than its card
    on a 360-px phone, the wages hidden behind a sideways scroll; they fit now."""
    page, errors = phone
    page.route("**/api/v1/payroll/runs*", lambda route: _json(route, RUNS))
    page.route("**/api/v1/reports/employment?*by=township*", _a_big_month)
    page.goto(f"{served}/?lang={lang}")
    login(page, "clerk1")
    page.wait_for_selector("#payroll-runs:not([hidden]) tbody tr")
    page.wait_for_selector("#employment:not([hidden]) tbody tr.total")
    assert "226,500.69" in page.inner_text("#employment tr.total")
    widths = page.evaluate(
        "[...document.querySelectorAll('.card.scroll')].map((c) => [c.id, c.scrollWidth, c.clientWidth])"
    )
    assert len(widths) == 2 and all(scroll <= client for _, scroll, client in widths), widths
    page.screenshot(path=str(ARTIFACTS / f"home-360-reports-{lang}.png"), full_page=True)
    assert errors == []


def _alert(i: int, kind: str, magnitude: float) -> dict[str, object]:
    return {"id": i, "unit": "house-02", "kind": kind, "row": None, "status": "open", "message": "m",
            "message_zh": "m", "magnitude_pct": magnitude, "opened_at": "2026-12-01T06:54:00Z"}  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "points", "percent"),
    [("zh", "下降 20.0 个百分点", "下降 24.6%"), ("en", "down 20.0 points", "down 24.6%")],
)
def test_an_alerts_size_is_read_in_its_own_unit(
    served: str, phone: tuple[Page, list[str]], lang: str, points: str, percent: str
) -> None:
    """A laying drop of 20 hen-day points read "20.0%" beside its message's "20.0 个百分点" (it is a
    quarter of a 81 % day); water and feed drops are percent of the usual amount."""
    page, errors = phone
    items = {"open": [_alert(1, "laying_drop", 20.0), _alert(2, "water_drop", 24.6)], "acknowledged": []}
    page.route(
        "**/api/v1/alerts?status=*",
        lambda route: _json(route, {"items": items[route.request.url.split("status=")[1].split("&")[0]]}),
    )
    page.goto(f"{served}/?lang={lang}")
    login(page, "sup1")
    page.wait_for_selector('#alert-list li[data-id="2"]')
    assert page.inner_text('#alert-list li[data-id="1"] p.muted').endswith(" · " + points)
    assert page.inner_text('#alert-list li[data-id="2"] p.muted').endswith(" · " + percent)
    assert errors == []
