"""Webhooks: a generic JSON body, the WeCom (企业微信) group robot and the DingTalk (钉钉) group
robot.  Both robots answer HTTP 200 with ``{"errcode": 0}`` on success and a non-zero errcode
(e.g. rate limits) otherwise, which is treated as a failure and retried."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import httpx
import orjson

from analytics.alerts import render
from analytics.alerts.channels import DeliveryError, RejectedError
from analytics.alerts.config import Webhook

SIGNATURE_HEADER = "X-Eggwatch-Signature"
# One id per outbox message, resent unchanged with every retry (as GitHub's X-GitHub-Delivery):
# a receiver that has seen it can drop the copy sent again after a crash.
DELIVERY_HEADER = "X-Eggwatch-Delivery"
# WeCom's documented limits: text.content 2048 bytes, markdown.content 4096 bytes (UTF-8).
WECOM_LIMITS = {"text": 2048, "markdown": 4096}
DINGTALK_LIMIT = 20000
REJECTS_BODY = frozenset({400, 413, 422})


class _RedactUrls(logging.Filter):
    """httpx logs every request's full URL at INFO, and a robot's URL *is* its credential
    (``access_token=``, ``key=``, DingTalk's ``sign=``; some generic hooks carry it in the path):
    keep only the scheme, host and port in those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(_origin(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}/…"


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _RedactUrls) for f in _httpx_log.filters):
    _httpx_log.addFilter(_RedactUrls())


def _clip(text: str, max_bytes: int) -> str:
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    return raw[: max_bytes - 3].decode(errors="ignore") + "…"


def _phones(payload: dict[str, Any]) -> list[str]:
    return [p["phone"] for p in payload.get("recipients", []) if p.get("phone")]


def generic_body(payload: dict[str, Any], tz: ZoneInfo = render.UTC) -> dict[str, Any]:
    event, alert = payload["event"], payload["alert"]
    return {
        "source": "eggwatch",
        "event": event,
        "title": render.title(event, alert),
        "text": render.plain_text(event, alert, tz),
        "alert": alert,
        "recipients": payload.get("recipients", []),
    }


def wecom_body(payload: dict[str, Any], msgtype: str, tz: ZoneInfo = render.UTC) -> dict[str, Any]:
    event, alert = payload["event"], payload["alert"]
    if msgtype == "text":
        text: dict[str, Any] = {"content": _clip(render.plain_text(event, alert, tz), WECOM_LIMITS["text"])}
        if phones := _phones(payload):
            text["mentioned_mobile_list"] = phones
        return {"msgtype": "text", "text": text}
    # WeCom markdown cannot @-mention by phone number; the text form can.
    return {
        "msgtype": "markdown",
        "markdown": {"content": _clip(render.markdown(event, alert, tz), WECOM_LIMITS["markdown"])},
    }


def dingtalk_body(payload: dict[str, Any], msgtype: str, tz: ZoneInfo = render.UTC) -> dict[str, Any]:
    event, alert = payload["event"], payload["alert"]
    phones = _phones(payload)
    at = {"atMobiles": phones, "isAtAll": False}
    if msgtype == "text":
        return {
            "msgtype": "text",
            "text": {"content": _clip(render.plain_text(event, alert, tz), DINGTALK_LIMIT)},
            "at": at,
        }
    # DingTalk only notifies an @-mentioned phone that also appears in the markdown text.
    mention = " ".join(f"@{p}" for p in phones)
    text = render.markdown(event, alert, tz) + (f"\n{mention}\n" if mention else "")
    return {
        "msgtype": "markdown",
        "markdown": {"title": render.title(event, alert), "text": _clip(text, DINGTALK_LIMIT)},
        "at": at,
    }


def generic_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the exact body>``, as GitHub-style receivers verify it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk "加签": HMAC-SHA256 over ``"<timestamp>\\n<secret>"`` keyed by the secret, base64,
    URL-encoded, appended as ``timestamp`` and ``sign`` (timestamp within 1 h of DingTalk's clock)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={sign}"


class WebhookChannel:
    def __init__(self, cfg: Webhook, client: httpx.Client | None = None, tz: ZoneInfo = render.UTC) -> None:
        self.cfg = cfg
        self.tz = tz
        self.name = cfg.name
        self._client = client or self._new_client()

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=self.cfg.timeout_s, headers={"User-Agent": "eggwatch-alerts"})

    def body(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.cfg.format == "wecom":
            return wecom_body(payload, self.cfg.msgtype, self.tz)
        if self.cfg.format == "dingtalk":
            return dingtalk_body(payload, self.cfg.msgtype, self.tz)
        return generic_body(payload, self.tz)

    def url(self) -> str:
        if self.cfg.format == "dingtalk" and self.cfg.secret is not None:
            return dingtalk_signed_url(
                self.cfg.url, self.cfg.secret.get_secret_value(), int(time.time() * 1000)
            )
        return self.cfg.url

    def deliver(self, payload: dict[str, Any]) -> None:
        body = orjson.dumps(self.body(payload))
        headers = {"Content-Type": "application/json", **self.cfg.headers}
        if payload.get("delivery_id"):
            headers[DELIVERY_HEADER] = str(payload["delivery_id"])  # the same on every retry
        if self.cfg.format == "generic" and self.cfg.secret is not None:
            headers[SIGNATURE_HEADER] = generic_signature(self.cfg.secret.get_secret_value(), body)
        try:
            resp = self._post(self.url(), body, headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.name}: {type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 300:
            # 400/413/422 refuse this body; others (401/404: the hook's setup, 429/5xx: its state)
            # would refuse any message alike, so those are retried and keep the order.
            error = RejectedError if resp.status_code in REJECTS_BODY else DeliveryError
            raise error(f"webhook {self.name}: HTTP {resp.status_code}: {resp.text[:200]}")
        if self.cfg.format in ("wecom", "dingtalk"):
            try:
                answer = resp.json()
            except ValueError as exc:
                raise DeliveryError(
                    f"webhook {self.name}: robot answered non-JSON {resp.text[:200]!r}"
                ) from exc
            if not isinstance(answer, dict):  # a relay's or error page's JSON, not the robot's
                raise DeliveryError(f"webhook {self.name}: robot answered {resp.text[:200]!r}")
            if answer.get("errcode", 0) != 0:
                raise DeliveryError(
                    f"webhook {self.name}: errcode {answer.get('errcode')}: {answer.get('errmsg')}"
                )

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST with ``timeout_s`` for the whole exchange.  httpx's timeout is per socket read, so
        a receiver that trickles its answer a byte at a time would hold the channel (and
        ``--once``) forever; a timer closes the client at the deadline, which ends the request."""
        client, expired = self._client, threading.Event()

        def expire() -> None:
            expired.set()
            client.close()

        timer = threading.Timer(self.cfg.timeout_s, expire)
        timer.daemon = True
        timer.start()
        try:
            return client.post(url, content=body, headers=headers)
        except Exception as exc:
            if expired.is_set():  # whatever the closed socket made httpx raise
                raise DeliveryError(
                    f"webhook {self.name}: no complete answer within {self.cfg.timeout_s:g}s"
                ) from exc
            raise
        finally:
            timer.cancel()
            if expired.is_set():
                self._client = self._new_client()

    def close(self) -> None:
        self._client.close()
