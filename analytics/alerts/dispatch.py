"""Delivering the outbox: one worker thread per channel, so a dead receiver only delays its
own channel.  Within a channel messages go out in order (the retained MQTT topic must end on the
newest state); a failure (:class:`DeliveryError`) backs off exponentially (``Retry``) and keeps
the message pending in the database, so nothing is lost across restarts.  After ``give_up_hours``
a message is marked ``dead`` (logged, counted, still visible in the table); so is, at once, a
message that fails for any other reason (a bug, a malformed payload), which would otherwise block
its channel for good."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import Counter
from sqlalchemy import func, select

from analytics.alerts.channels import Channel, DeliveryError
from analytics.alerts.config import Retry
from analytics.alerts.models import OutboxMessage

log = logging.getLogger(__name__)

NOTIFICATIONS = Counter(
    "eggwatch_alert_notifications", "Alert notification attempts by channel and result", ["channel", "result"]
)
BATCH = 50


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def backoff(retry: Retry, attempts: int) -> dt.timedelta:
    """initial·2^(n-1) capped at max, with ±20 % jitter so channels do not retry in lock-step."""
    base = min(retry.max_s, retry.initial_s * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


class Dispatcher:
    def __init__(
        self,
        session_factory: Callable[[], Any],
        channels: Mapping[str, Channel],
        retry: Retry,
        clock: Callable[[], dt.datetime] = utcnow,
        poll_s: float = 2.0,
    ) -> None:
        self._sessions = session_factory
        self.channels = dict(channels)
        self.retry = retry
        self.clock = clock
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._wake = {name: threading.Event() for name in self.channels}
        self._threads: list[threading.Thread] = []

    def deliver_due(self, name: str, now: dt.datetime | None = None) -> int:
        """Deliver the channel's due messages in order; stop at the first failure.  Returns the
        number delivered."""
        channel = self.channels[name]
        fixed_now, sent = now, 0
        with self._sessions() as s:
            rows = s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == name, OutboxMessage.status == "pending")
                .order_by(OutboxMessage.id)
                .limit(BATCH)
            ).all()
            for row in rows:
                if self._stop.is_set():
                    break
                now = fixed_now or self.clock()
                if row.next_attempt_at > now:
                    break  # the head is backing off; later messages wait to keep the order
                row.attempts += 1
                try:
                    channel.deliver(row.payload)
                except Exception as exc:
                    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    retryable = isinstance(exc, DeliveryError)
                    if not retryable:
                        # Not the receiver's fault: this message can never go out (a bug or a
                        # malformed payload).  Set it aside so it cannot block the channel.
                        log.exception("outbox message %s to %s cannot be delivered", row.id, name)
                    if not retryable or now - row.created_at >= dt.timedelta(hours=self.retry.give_up_hours):
                        row.status = "dead"
                        NOTIFICATIONS.labels(name, "dead").inc()
                        log.error("giving up on outbox message %s to %s: %s", row.id, name, row.last_error)
                        s.commit()
                        continue
                    row.next_attempt_at = now + backoff(self.retry, row.attempts)
                    NOTIFICATIONS.labels(name, "retry").inc()
                    log.warning(
                        "channel %s failed (attempt %d, next at %s): %s",
                        name,
                        row.attempts,
                        row.next_attempt_at.isoformat(timespec="seconds"),
                        row.last_error,
                    )
                    s.commit()
                    break
                row.status, row.sent_at, row.last_error = "sent", now, None
                NOTIFICATIONS.labels(name, "sent").inc()
                s.commit()
                sent += 1
        return sent

    def pending(self, name: str | None = None) -> int:
        with self._sessions() as s:
            q = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
            if name:
                q = q.where(OutboxMessage.channel == name)
            return int(s.scalar(q) or 0)

    # -- threads --------------------------------------------------------------------------------

    def start(self) -> None:
        for name in self.channels:
            t = threading.Thread(target=self._work, args=(name,), name=f"alerts-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def wake(self) -> None:
        for ev in self._wake.values():
            ev.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.wake()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()
        for ch in self.channels.values():
            try:
                ch.close()
            except Exception:
                log.exception("closing channel %s", ch.name)

    def _work(self, name: str) -> None:
        wake = self._wake[name]
        while not self._stop.is_set():
            try:
                self.deliver_due(name)
            except Exception:  # a database hiccup must not kill the worker
                log.exception("alert channel %s worker pass failed", name)
            wake.wait(self.poll_s)
            wake.clear()
