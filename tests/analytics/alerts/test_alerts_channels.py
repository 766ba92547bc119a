"""Each channel against a real receiver: HTTP server (generic, WeCom, DingTalk), aiosmtpd,
the machine's Mosquitto."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from analytics.alerts.channels import DeliveryError
from analytics.alerts.channels.email import EmailChannel
from analytics.alerts.channels.mqtt import MqttChannel
from analytics.alerts.channels.webhook import WECOM_LIMITS, WebhookChannel
from analytics.alerts.config import Smtp, Webhook
from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from tests.analytics.alerts.receivers import HttpReceiver, SmtpReceiver, TrickleReceiver, wait_for


def payload(event: str = "opened", site: str = "jinji", **alert: Any) -> dict[str, Any]:
    a = {
        "id": 42,
        "site": site,
        "house": "house-07",
        "unit": "house-07",
        "kind": "laying_drop",
        "row": None,
        "status": "open",
        "detected_at": "2026-05-02T07:00:00Z",
        "onset": "2026-05-01T22:00:00Z",
        "magnitude_pct": 6.4,
        "message": "House 07 laying fell 6.4 points since 22:00",
        "message_zh": "7号鸡舍产蛋率自22:00起下降6.4个百分点",
        "evidence": {"expected": 91.0, "observed": 84.6},
    }
    a.update(alert)
    return {
        "event": event,
        "alert": a,
        "recipients": [{"name": "李主管", "email": "li@example.com", "phone": "13800138000"}],
    }


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    yield r
    r.stop()


def test_generic_webhook(http: HttpReceiver) -> None:
    ch = WebhookChannel(Webhook(name="ops", url=http.url, headers={"X-Token": "t0ken"}))
    ch.deliver(payload())
    (got,) = http.received
    assert got.headers["X-Token"] == "t0ken"
    assert got.body["event"] == "opened" and got.body["alert"]["id"] == 42
    assert got.body["alert"]["message_zh"].startswith("7号鸡舍")
    assert "产蛋率下降" in got.body["title"] and "laying-rate drop" in got.body["title"]
    assert got.body["recipients"][0]["name"] == "李主管"


def test_messages_show_local_time(http: HttpReceiver) -> None:
    from zoneinfo import ZoneInfo

    WebhookChannel(
        Webhook(name="wx", format="wecom", url=http.url, msgtype="text"), tz=ZoneInfo("Asia/Shanghai")
    ).deliver(payload())
    text = http.received[0].body["text"]["content"]
    # the Chinese lines as Chinese readers write dates, the English ones ISO-like with the zone
    assert (
        "开始（估计）：2026年5月2日 06:00（北京时间）；检出：2026年5月2日 15:00（北京时间）" in text
    )  # 07:00Z
    assert "Onset (estimated): 2026-05-02 06:00 (Asia/Shanghai)" in text
    WebhookChannel(
        Webhook(name="wx2", format="wecom", url=http.url, msgtype="text"), tz=ZoneInfo("Europe/Berlin")
    ).deliver(payload())
    assert "检出：2026年5月2日 09:00（Europe/Berlin）" in http.received[1].body["text"]["content"]


def test_generic_webhook_signed(http: HttpReceiver) -> None:
    WebhookChannel(Webhook.model_validate({"name": "ops", "url": http.url, "secret": "shh"})).deliver(
        payload()
    )
    (got,) = http.received
    expected = hmac.new(b"shh", got.raw, hashlib.sha256).hexdigest()
    assert got.headers["X-Eggwatch-Signature"] == f"sha256={expected}"


def test_wecom_text_and_markdown(http: HttpReceiver) -> None:
    WebhookChannel(Webhook(name="wx", format="wecom", url=http.url + "?key=abc", msgtype="text")).deliver(
        payload()
    )
    WebhookChannel(Webhook(name="wx2", format="wecom", url=http.url + "?key=abc")).deliver(
        payload(message="x" * 10_000)
    )
    text, md = http.received
    assert text.path == "/hook?key=abc"
    assert text.body["msgtype"] == "text"
    assert text.body["text"]["mentioned_mobile_list"] == ["13800138000"]
    assert "产蛋率下降" in text.body["text"]["content"] and "laying-rate drop" in text.body["text"]["content"]
    assert md.body["msgtype"] == "markdown" and set(md.body) == {"msgtype", "markdown"}
    assert len(md.body["markdown"]["content"].encode()) <= WECOM_LIMITS["markdown"]


def test_wecom_errcode_is_a_failure(http: HttpReceiver) -> None:
    http.answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
    with pytest.raises(DeliveryError, match="45009"):
        WebhookChannel(Webhook(name="wx", format="wecom", url=http.url)).deliver(payload())


@pytest.mark.parametrize("fmt", ["wecom", "dingtalk"])
@pytest.mark.parametrize("answer", [None, [], "ok"])
def test_a_robot_answer_that_is_not_an_object_is_retried(http: HttpReceiver, fmt: str, answer: Any) -> None:
    """A relay or error page answering 200 with JSON that is no object: the robot did not say
    errcode 0, so the message is retried (a DeliveryError), not set aside as a bug (dead at once)."""
    http.answer = answer
    with pytest.raises(DeliveryError, match="robot answered"):
        WebhookChannel(Webhook(name="bot", format=fmt, url=http.url)).deliver(payload())


def test_dingtalk_signed_markdown(http: HttpReceiver) -> None:
    secret = "SEC" + uuid.uuid4().hex
    cfg = Webhook(name="dd", format="dingtalk", url=http.url + "?access_token=tok", secret=secret)
    WebhookChannel(cfg).deliver(payload("escalated"))
    (got,) = http.received
    q = parse_qs(urlsplit(got.path).query)
    assert q["access_token"] == ["tok"]
    ts = q["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    )
    assert q["sign"][0] == expected.decode()  # parse_qs undid the URL encoding
    assert got.body["msgtype"] == "markdown"
    assert got.body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    assert "@13800138000" in got.body["markdown"]["text"]  # DingTalk only @s numbers named in the text
    assert "升级" in got.body["markdown"]["title"]


def test_robot_tokens_stay_out_of_the_log(http: HttpReceiver, caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs each request's URL at INFO; a robot's URL is its credential."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # a service may have quietened it (quiet_http)
    hooks = [
        Webhook(name="dd", format="dingtalk", url=http.url + "?access_token=DDTOKEN1", secret="SECsecret2"),
        Webhook(name="wx", format="wecom", url=http.url + "?key=WXKEY3"),
        Webhook(name="gen", url=http.url.replace("/hook", "/services/T0/GENPATH4")),
    ]
    for cfg in hooks:
        ch = WebhookChannel(cfg)
        ch.deliver(payload())
        ch.close()
    assert len(http.received) == 3
    assert "HTTP Request: POST" in caplog.text  # the request line is still logged, without its secret
    for secret in ("DDTOKEN1", "sign=", "WXKEY3", "GENPATH4"):
        assert secret not in caplog.text


def test_webhook_unreachable_and_http_error(http: HttpReceiver) -> None:
    http.fail_next = 1
    with pytest.raises(DeliveryError, match="HTTP 500"):
        WebhookChannel(Webhook(name="ops", url=http.url)).deliver(payload())
    http.stop()
    with pytest.raises(DeliveryError, match="ConnectError"):
        WebhookChannel(Webhook(name="ops", url=http.url, timeout_s=2)).deliver(payload())


def test_trickling_webhook_gives_up_at_its_timeout() -> None:
    """A receiver answering one byte every 0.2 s never trips httpx's per-read timeout: the whole
    exchange is bounded by ``timeout_s``, and the channel works again afterwards."""
    r = TrickleReceiver(trickle_next=1)
    ch = WebhookChannel(Webhook(name="wx", format="wecom", url=r.url, timeout_s=1))
    try:
        t0 = time.monotonic()
        with pytest.raises(DeliveryError, match="no complete answer within 1s"):
            ch.deliver(payload())
        assert time.monotonic() - t0 < 3
        ch.deliver(payload())  # a fresh connection on a fresh client
        assert r.connections == 2
    finally:
        ch.close()
        r.stop()


def test_trickling_smtp_server_gives_up_at_its_timeout() -> None:
    """An SMTP server that keeps sending ``220-`` greeting lines never trips smtplib's per-read
    timeout: the whole conversation is bounded by ``timeout_s``."""
    r = TrickleReceiver(trickle_next=1, smtp=True)
    ch = EmailChannel(Smtp(host="127.0.0.1", port=r.port, sender="eggwatch@example.com", timeout_s=1))
    try:
        t0 = time.monotonic()
        with pytest.raises(DeliveryError, match="no complete answer within 1s"):
            ch.deliver(payload())
        assert time.monotonic() - t0 < 3
    finally:
        r.stop()


def test_email_bilingual_via_aiosmtpd() -> None:
    smtp = SmtpReceiver()
    try:
        ch = EmailChannel(
            Smtp(host="127.0.0.1", port=smtp.port, sender="eggwatch@park.example", security="none")
        )
        ch.deliver(payload())
        wait_for(lambda: len(smtp.messages) == 1, what="the e-mail")
        rcpt, msg = smtp.messages[0]
        assert rcpt == ["li@example.com"]
        assert "产蛋率下降" in msg["Subject"] and "laying-rate drop" in msg["Subject"]
        body = msg.get_content()
        assert body.index("7号鸡舍产蛋率") < body.index("House 07 laying fell")  # Chinese first
        assert msg["X-Eggwatch-Alert"] == "42 opened"
        # Nobody with an address: nothing sent, not an error.
        ch.deliver({**payload(), "recipients": [{"name": "no mail"}]})
    finally:
        smtp.stop()
    with pytest.raises(DeliveryError, match="email via"):
        EmailChannel(
            Smtp(host="127.0.0.1", port=smtp.port, sender="e@park.example", security="none", timeout_s=2)
        ).deliver(payload())


def test_email_over_starttls_with_login(tmp_path: Path) -> None:
    smtp = SmtpReceiver(tls_dir=tmp_path / "tls", user="eggwatch", password="s3cret-pw")
    try:
        base = {
            "host": "127.0.0.1",
            "port": smtp.port,
            "sender": "eggwatch@park.example",
            "username": "eggwatch",
        }
        good = Smtp.model_validate({**base, "password": "s3cret-pw", "ca_file": smtp.ca_file})
        EmailChannel(good).deliver(payload("escalated"))
        wait_for(lambda: len(smtp.messages) == 1, what="the e-mail")
        assert smtp.logins == ["eggwatch"]
        assert "升级" in smtp.messages[0][1]["Subject"]
        # Wrong password, or a certificate we do not trust: a delivery error (retried later).
        with pytest.raises(DeliveryError, match="Authentication"):
            EmailChannel(Smtp.model_validate({**base, "password": "wrong", "ca_file": smtp.ca_file})).deliver(
                payload()
            )
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            EmailChannel(Smtp.model_validate({**base, "password": "s3cret-pw"})).deliver(payload())
    finally:
        smtp.stop()


@pytest.mark.integration
def test_mqtt_retained_alert_topic(mqtt_url: str, site: str) -> None:
    broker = BrokerAddress.parse(mqtt_url)
    ch = MqttChannel(broker, timeout_s=5)
    try:
        ch.deliver(payload(site=site))
        ch.deliver(payload("acknowledged", site=site, status="acknowledged"))
    finally:
        ch.close()
    # A subscriber that connects afterwards gets the newest state at once (retained).
    got: list[Any] = []
    done = threading.Event()
    sub = make_client(broker, f"t-alerts-{uuid.uuid4().hex[:8]}", persistent=False)

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        if not msg.payload:  # our own clean-up below
            return
        got.append((msg.topic, msg.retain, orjson.loads(msg.payload)))
        done.set()

    sub.on_message = on_message
    sub.on_connect = lambda c, *_a: c.subscribe(f"eggwatch/v1/{site}/+/alerts", qos=1)
    sub.connect(broker.host, broker.port)
    sub.loop_start()
    try:
        assert done.wait(10), "no retained alert"
        topic, retained, obj = got[0]
        assert topic == f"eggwatch/v1/{site}/house-07/alerts" and retained
        assert obj["status"] == "acknowledged" and obj["id"] == 42 and obj["kind"] == "laying_drop"
    finally:
        sub.publish(f"eggwatch/v1/{site}/house-07/alerts", b"", retain=True).wait_for_publish(5)  # clear
        sub.loop_stop()
        sub.disconnect()


@pytest.mark.integration
def test_mqtt_broker_down_is_a_delivery_error() -> None:
    from tests.support.servers import free_port

    ch = MqttChannel(BrokerAddress.parse(f"mqtt://127.0.0.1:{free_port()}"), timeout_s=0.5)
    try:
        with pytest.raises(DeliveryError, match="not reachable"):
            ch.deliver(payload())
    finally:
        ch.close()


def test_every_detector_kind_has_its_words() -> None:
    """A notification's title names each kind the detector emits in both languages (none raw)."""
    from analytics.alert import KINDS
    from analytics.alerts.render import KIND_EN, KIND_ZH, title

    assert set(KINDS) <= set(KIND_ZH) and set(KINDS) <= set(KIND_EN)
    heat = title("opened", {"kind": "heat_stress", "unit": "house-07"})
    assert heat == "[eggwatch] 新告警 New alert: house-07 热应激 heat stress", heat


def test_magnitude_is_worded_in_the_detectors_unit(http: HttpReceiver) -> None:
    """Water and feed falls are percent of the expected amount, not hen-day percentage points
    (analytics/alert.py); an alert without a magnitude has no magnitude line."""
    ch = WebhookChannel(Webhook(name="ops", url=http.url))
    ch.deliver(
        payload(kind="water_drop", magnitude_pct=30.0, message="water -30 %", message_zh="饮水量下降30%")
    )
    ch.deliver(payload())
    ch.deliver(payload(kind="sensor_fault", row="03", magnitude_pct=None))
    water, laying, fault = (r.body["text"] for r in http.received)
    assert "幅度：比预期用量低 30.0%" in water and "Magnitude: 30.0 % below the expected amount" in water
    assert "百分点" not in water and "percentage points" not in water
    assert "幅度：6.4 个百分点" in laying and "Magnitude: 6.4 percentage points" in laying
    assert "幅度" not in fault and "Magnitude" not in fault


def test_an_open_alert_is_called_what_the_page_and_the_dashboard_call_it(http: HttpReceiver) -> None:
    """The WeCom text said 状态：未处理 for an alert the page's pill and the alerts dashboard's
    "未确认 Open" stat call 未确认: one state, one word (render.STATUS_ZH)."""
    import json

    from analytics.alerts.render import STATUS_ZH
    from api.web.i18n import table

    WebhookChannel(Webhook(name="ops", url=http.url)).deliver(payload())
    (got,) = http.received
    assert "状态：未确认（编号" in got.body["text"], got.body["text"]
    dashboard = json.loads((Path(__file__).parents[3] / "dashboards/json/eggwatch-alerts.json").read_text())
    titles = {p["title"] for p in dashboard["panels"]}
    for status in ("open", "acknowledged"):
        assert table("zh")[status] == STATUS_ZH[status]
    assert (
        f"{STATUS_ZH['open']} Open" in titles and f"{STATUS_ZH['acknowledged']}未恢复 Acknowledged" in titles
    )
