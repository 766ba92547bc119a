"""The page's figures cache: shared for a minute, moved forward incrementally, never stale after."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from api.web.cache import FiguresCache
from api.web.figures import park_figures
from eggwatch.store.base import Point, epoch_ms
from eggwatch.store.errors import StoreUnavailable
from eggwatch.store.influx import InfluxStore
from eggwatch.wire import Reading
from tests.support.servers import free_port
from tests.web.conftest import WebDemo, web_login
from tests.web.park_demo import SITE


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _yesterday_at(web_demo: WebDemo, hour: int, minute: int = 0) -> dt.datetime:
    tz = web_demo.park.tz
    return dt.datetime.combine(
        web_demo.now.astimezone(tz).date() - dt.timedelta(days=1), dt.time(hour, minute), tz
    )


def test_figures_are_shared_for_the_ttl_then_moved_forward_as_a_whole_load_gives_them(
    web_demo: WebDemo,
) -> None:
    store, park, clock = web_demo.app.state.telemetry(), web_demo.park, Clock()
    cache = FiguresCache(ttl_s=60, clock=clock)
    at = _yesterday_at(web_demo, 11)
    first = cache.get(store, park, at)
    clock.t += 30
    assert cache.get(store, park, at + dt.timedelta(seconds=30)) is first  # within the minute
    assert cache.computed == 1
    clock.t += 31
    later = at + dt.timedelta(hours=1, minutes=5)
    moved = cache.get(store, park, later)
    assert cache.computed == 2 and cache.loader.whole_loads == 1 and cache.loader.partial_loads == 1
    assert moved == park_figures(store, park, later)  # the last 50 hours read again, the rest kept
    assert moved.houses[0].eggs_today > first.houses[0].eggs_today


def test_a_reading_that_arrives_is_on_the_page_after_the_ttl(web_demo: WebDemo) -> None:
    store, park, clock = web_demo.app.state.telemetry(), web_demo.park, Clock()
    cache = FiguresCache(ttl_s=60, clock=clock)
    at = _yesterday_at(web_demo, 11)
    before = cache.get(store, park, at).houses[0]
    # house-01 emptied a minute before: its controller reports no hens
    store.write([Point(SITE, "house-01", "controller-1", Reading(epoch_ms(at) - 60_000, "hens_housed", 0))])
    assert cache.get(store, park, at).houses[0] == before  # not read again within the minute
    clock.t += 60
    after = cache.get(store, park, at).houses[0]
    assert before.hens > 0 and after.hens == 0  # the emptied house, as a whole load reads it
    assert after == park_figures(store, park, at).houses[0]


def test_concurrent_requests_share_one_computation(web_demo: WebDemo) -> None:
    store, park = web_demo.app.state.telemetry(), web_demo.park
    cache = FiguresCache()
    at = _yesterday_at(web_demo, 11)
    start = threading.Barrier(8)

    def get(_: int) -> object:
        start.wait()
        return cache.get(store, park, at)

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(get, range(8)))
    assert cache.computed == 1 and all(g is got[0] for g in got)
    # a request that read the clock a moment before the computing one, and waited for it
    assert cache.get(store, park, at - dt.timedelta(seconds=1)) is got[0]
    assert cache.get(store, park, at - dt.timedelta(hours=1)) is not got[0]  # another moment


def test_another_store_or_park_is_computed_again_and_a_failure_is_not_kept(web_demo: WebDemo) -> None:
    store, park = web_demo.app.state.telemetry(), web_demo.park
    cache = FiguresCache()
    at = _yesterday_at(web_demo, 11)
    cache.get(store, park, at)
    down = InfluxStore(f"http://127.0.0.1:{free_port()}", "x", retry_for_s=0.2)
    for _ in range(2):  # each request tries the store again
        with pytest.raises(StoreUnavailable):
            cache.get(down, park, at)
    down.close()
    other = park.model_copy(update={"lines": ()})
    assert cache.get(store, other, at).lines == [] and cache.computed == 2
    assert cache.get(store, park, at).lines and cache.computed == 3


def test_the_page_uses_the_apps_cache_and_says_when_its_figures_are_from(web_demo: WebDemo) -> None:
    client = TestClient(web_demo.app)
    web_login(client, "sup2")  # house-02 first on their page: the shared figures keep the park's order
    for _ in range(3):
        assert client.get("/?lang=en").status_code == 200
    cache: FiguresCache = web_demo.app.state.figures
    assert cache.computed == 1
    kept = cache.get(web_demo.app.state.telemetry(), web_demo.park, dt.datetime.now(dt.UTC))
    assert [h.unit for h in kept.houses] == ["house-01", "house-02"]
    html = client.get("/?lang=en").text
    local = kept.now.astimezone(web_demo.park.tz)
    assert f"Updated {local:%Y-%m-%d %H:%M}" in html
    assert html.index('data-unit="house-02"') < html.index('data-unit="house-01"')
