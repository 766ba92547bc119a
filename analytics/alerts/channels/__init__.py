"""Delivery channels: the retained MQTT alert topic, webhooks (generic, WeCom, DingTalk), e-mail.

Each channel delivers one outbox payload (``{"event", "alert", "recipients"}``) or raises
:class:`DeliveryError`; retries and ordering are the dispatcher's job."""

from __future__ import annotations

from typing import Any, Protocol


class DeliveryError(Exception):
    """The receiver did not take the message; the dispatcher retries later."""


class RejectedError(DeliveryError):
    """The receiver refused this very message (HTTP 400, 413, 422): sending the same bytes again
    cannot succeed, so the dispatcher sets it aside at once instead of letting it hold every
    later message of its channel until ``give_up_hours``."""


class Channel(Protocol):
    name: str

    def deliver(self, payload: dict[str, Any]) -> None: ...

    def close(self) -> None: ...
