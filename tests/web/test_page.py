"""The web page rendered by the real app (no browser): figures, languages, headers, assets.

The login itself (cookie, flags, expiry, logout) is tested in test_session.py."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from analytics.alert import KINDS
from analytics.alerts.render import KIND_EN, KIND_ZH
from eggwatch.breeds import curve
from eggwatch.store.embedded import EmbeddedStore
from tests.web.conftest import WebDemo, web_login
from tests.web.park_demo import SITE


def _ratio(html: str, unit: str) -> str:
    m = re.search(r'class="ratio">([^<]+)<', html.split(f'data-unit="{unit}"')[1])
    assert m is not None
    return m.group(1)


def test_page_shows_every_house_with_todays_figures_in_chinese_by_default(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="zh-CN">' in html and "蛋鸡场一览" in html and "今日包装线" in html
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for unit, eggs in web_demo.eggs_today.items():
        card = html.split(f'data-unit="{unit}"')[1].split("</article>")[0]
        shown = int(re.search(r"今日产蛋 <b>([\d,]+)</b>", card).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert abs(shown - eggs) <= web_demo.park.house(unit).rows, (unit, shown, eggs)  # type: ignore[union-attr]
        assert card.count("<polyline") >= 2 and '<svg class="spark"' in card
    house = web_demo.park.houses[0]
    expected = float(
        curve(house.breed).hen_day(house.age_weeks(web_demo.now.astimezone(web_demo.park.tz).date()))
    )
    assert f"标准全天 {expected:.1f}%" in html
    # House 1 lays at 99 % of the standard, house 2 at 85 %: compared with the standard so far.
    ratios = [_ratio(html, u) for u in ("house-01", "house-02")]  # type: ignore[union-attr]
    if ratios[0] != "–":  # before the morning's laying there is nothing to compare yet
        assert 93 <= float(ratios[0].rstrip("%")) <= 105 and 80 <= float(ratios[1].rstrip("%")) <= 90, ratios
    line = html.split('data-unit="packing-1"')[1].split("</article>")[0]
    assert "运行" in line and "0.99%" in line  # running; 1 reject per 100 graded = 0.99 % of all
    assert re.search(r"更新于 \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+08:00\)", html)  # the park's time, said so
    assert 'id="who">sup1（生产主管）<' in html and 'id="logout"' in html
    assert html.index('id="alerts"') < html.index('id="houses"')  # a supervisor comes for the alerts
    assert 'id="employment"' not in html and 'class="report"' not in html  # the reports API refuses them


def test_any_role_may_view_the_figures(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    web_login(client, "office1")  # poverty office: refused the alerts by the API, not the overview
    html = client.get("/").text
    assert all(f'data-unit="{u}"' in html for u in web_demo.eggs_today)
    assert 'id="who">office1（乡村振兴（扶贫）办）<' in html  # the role in the page's words
    assert html.index('id="reports"') < html.index('id="houses"') < html.index('id="alerts"')
    assert 'id="alert-box"' not in html and 'id="login"' in html  # the form, for a tab without a token
    assert 'id="employment"' in html  # filled from the report's JSON by the script
    assert 'id="payroll-runs"' not in html  # the payroll API refuses the poverty office


def test_a_supervisors_own_houses_come_first_and_stand_out(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    web_login(client, "sup2")  # oversees house-02 only
    html = client.get("/").text
    assert html.index('data-unit="house-02"') < html.index('data-unit="house-01"')
    assert '<article class="card house own" data-unit="house-02">' in html
    assert '<article class="card house" data-unit="house-01">' in html
    web_login(client, "office1")  # other roles: the park's own order, no house marked
    html = client.get("/").text
    assert html.index('data-unit="house-01"') < html.index('data-unit="house-02"')
    assert "house own" not in html


def test_english_switch_and_unknown_language_rejected(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    html = client.get("/?lang=en").text
    assert '<html lang="en">' in html and "Park at a glance" in html and "Hen-day today" in html
    assert 'href="/?lang=zh"' in html
    assert client.get("/?lang=fr").status_code == 422


def test_language_tags_as_browsers_and_the_page_itself_write_them(web_demo: WebDemo) -> None:
    """The page calls itself zh-CN (``<html lang>``, ``hreflang``); a link with ?lang=zh-CN was a 422."""
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    for tag in ("zh-CN", "zh-cn", "zh_CN", "zh-Hans", "ZH"):
        r = client.get("/", params={"lang": tag})
        assert r.status_code == 200 and '<html lang="zh-CN">' in r.text, (tag, r.status_code)
    for tag in ("en-US", "en-GB", "EN"):
        r = client.get("/", params={"lang": tag})
        assert r.status_code == 200 and '<html lang="en">' in r.text, (tag, r.status_code)
    assert client.get("/", params={"lang": "fr-FR"}).status_code == 422


def test_static_assets_are_served_and_nothing_else(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    js = client.get("/web/app.js")
    assert js.status_code == 200 and "text/javascript" in js.headers["content-type"]
    assert client.get("/web/app.css").status_code == 200
    for name in ("..%2Fapp.py", "routes.py", "nope"):
        r = client.get(f"/web/{name}")  # an error as everywhere else: JSON with a detail
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}, r.text


def test_web_session_answers_405_with_allow_to_a_method_it_does_not_serve(web_demo: WebDemo) -> None:
    """GET /web/session (a typed URL, a crawler) was a 404: the static-file route /web/{name}
    caught it, although the path exists for POST and DELETE; PUT's Allow listed GET besides."""
    client = TestClient(web_demo.app)
    for method in ("GET", "HEAD", "PUT"):
        r = client.request(method, "/web/session")
        assert r.status_code == 405, (method, r.status_code)
        assert r.headers["allow"] == "DELETE, POST", (method, r.headers["allow"])
    assert client.get("/web/session").json() == {"detail": "Method Not Allowed"}
    assert client.put("/web/app.js").headers["allow"] == "GET, HEAD"


def test_page_without_park_explains_instead_of_failing(web_demo: WebDemo) -> None:
    web_demo.app.state.park = None
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    html = client.get("/").text
    assert "尚未配置园区" in html and 'id="alerts"' in html


def test_a_line_without_readings_today_shows_dashes_not_zeros(web_demo: WebDemo) -> None:
    """A line that graded nothing today (new, or idle) had a reject rate of 0.00 %: a perfect day.
    Its rate, speed and state read – / no data; a running line's speed says its unit."""
    from eggwatch.park import Line

    park = web_demo.park
    web_demo.app.state.park = park.model_copy(update={"lines": (*park.lines, Line(unit="packing-9"))})
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    for lang, no_data, speed in (("zh", "无数据", "线速度（枚/时）"), ("en", "no data", "Speed (eggs/h)")):
        html = client.get(f"/?lang={lang}").text
        idle = html.split('data-unit="packing-9"')[1].split("</article>")[0]
        assert no_data in idle and "%" not in idle, idle
        assert re.findall(r"<dd>([^<]*)</dd>", idle) == ["0", "0", "–", "–"], idle
        running = html.split('data-unit="packing-1"')[1].split("</article>")[0]
        assert f"<dt>{speed}</dt>" in running and "0.99%" in running


def test_a_house_whose_counters_are_silent_today_has_no_figure(web_demo: WebDemo, tmp_path: Path) -> None:
    """With no egg-counter reading since midnight (counters offline, a new house, an empty store) a
    house read 0.0 % and 0 eggs, as if the hens had stopped laying; now –, and says why."""
    web_demo.app.state.telemetry = lambda: EmbeddedStore(tmp_path / "empty")
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    for lang, why in (("zh", "今日无计数数据"), ("en", "no counter readings today")):
        html = client.get(f"/?lang={lang}").text
        for unit in web_demo.eggs_today:
            card = html.split(f'data-unit="{unit}"')[1].split("</article>")[0]
            assert '<span class="big muted">–</span>' in card and why in card, card
            assert "0.0%" not in card.split("</h3>")[1].split("<br>")[0], card
            assert re.search(r"<b>–</b>", card) and _ratio(html, unit) == "–"


def test_an_emptied_house_shows_no_hens_not_the_placed_flock(web_demo: WebDemo) -> None:
    """A house reporting 0 hens housed (emptied between flocks) read the flock placed, 30,000 hens,
    and a hen-day of its eggs over them, compared in red with the standard; now 0 hens, – and 空舍."""
    from eggwatch.store.base import Point, epoch_ms
    from eggwatch.wire import Reading

    midnight = dt.datetime.combine(
        web_demo.now.astimezone(web_demo.park.tz).date(), dt.time(0), web_demo.park.tz
    )
    stamps = [epoch_ms(midnight) + 60_000, epoch_ms(web_demo.now) - 60_000]
    store = web_demo.app.state.telemetry()
    store.write([Point(SITE, "house-01", "controller-1", Reading(ts, "hens_housed", 0)) for ts in stamps])
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    for lang, hens, empty in (("zh", "存栏 0<", "空舍"), ("en", "Hens 0<", "empty house")):
        html = client.get(f"/?lang={lang}").text
        card = html.split('data-unit="house-01"')[1].split("</article>")[0]
        assert hens in card and empty in card, card
        assert '<span class="big muted">–</span>' in card and _ratio(html, "house-01") == "–"
        other = html.split('data-unit="house-02"')[1].split("</article>")[0]
        assert empty not in other and "–</span>" not in other  # its neighbour unchanged


def test_chinese_words_take_full_width_brackets(web_demo: WebDemo) -> None:
    """The page's Chinese (rendered and the script's words) has no ASCII bracket beside a Chinese
    character: it read 今日产蛋率 (截至目前) and 实发合计(元)."""
    from api.web.i18n import table

    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    html = client.get("/").text
    mixed = re.compile(r"[\u4e00-\u9fff] ?[()]|[()] ?[\u4e00-\u9fff]")
    text = re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1])
    assert not mixed.findall(text), mixed.findall(text)
    assert not [w for w in table("zh").values() if mixed.search(w)]
    assert "今日产蛋率（截至目前）" in html and "达标率" in html


def test_alert_kinds_read_as_in_the_alert_messages_and_dashboards(web_demo: WebDemo) -> None:
    """One name per kind: the page said 产蛋下降 where the WeCom/e-mail alert and Grafana say 产蛋率下降."""
    client = TestClient(web_demo.app)
    web_login(client, "sup1")
    for lang, names in (("zh", KIND_ZH), ("en", KIND_EN)):
        html = client.get("/", params={"lang": lang}).text
        words = json.loads(html.split('id="words">')[1].split("</script>")[0])
        assert {k: words[f"kind_{k}"] for k in KINDS} == {k: names[k] for k in KINDS}, lang
