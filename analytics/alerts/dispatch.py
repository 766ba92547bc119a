"""Delivering the outbox: one worker thread per channel, so a dead receiver only delays its
own channel.  Within a channel messages go out in order (the retained MQTT topic must end on the
newest state); a failure (:class:`DeliveryError`) backs off exponentially (``Retry``) and keeps
the message pending in the database, so nothing is lost across restarts.  After ``give_up_hours``
a message is marked ``dead`` (logged, counted, still visible in the table); so is, at once, a
message that fails for any other reason (a bug, a malformed payload), which would otherwise block
its channel for good."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import threading
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import Counter
from sqlalchemy import delete, func, select

from analytics.alerts.channels import Channel, DeliveryError, RejectedError
from analytics.alerts.config import Retry
from analytics.alerts.headline import more_urgent
from analytics.alerts.models import Alert, OutboxMessage
from analytics.alerts.payload import alert_object

log = logging.getLogger(__name__)

NOTIFICATIONS = Counter(
    "eggwatch_alert_notifications", "Alert notification attempts by channel and result", ["channel", "result"]
)
BATCH = 50


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def backoff(retry: Retry, attempts: int) -> dt.timedelta:
    """initial·2^(n-1) capped at max, with ±20 % jitter so channels do not retry in lock-step."""
    # The exponent is capped: 2**1024 no longer fits a float, and a channel retrying every
    # minute reaches its 1,025th attempt after about 17 hours.
    base = min(retry.max_s, retry.initial_s * 2.0 ** min(max(0, attempts - 1), 64))
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


def _channel_lock(session: Any, channel: str) -> bool:
    """On PostgreSQL, a transaction-scoped advisory lock per channel (SQLite: one writer anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    digest = hashlib.sha256(f"eggwatch.alert_outbox/{channel}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(key))))


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
        """Deliver up to ``BATCH`` of the channel's due messages in order; stop at the first
        failure.  Returns the number delivered.  One transaction per message, holding the channel's lock on PostgreSQL,
        so two service instances never send the same message twice or out of order."""
        return self._deliver(name, now)[0]

    def drain(self, name: str) -> int:
        """Deliver everything of the channel that is due, batch after batch (``--once``, which
        otherwise left all but the first ``BATCH`` messages for the next run).  Stops at a
        failure or when another instance holds the channel, like ``deliver_due``."""
        total = 0
        while True:
            sent, handled = self._deliver(name, None)
            total += sent
            if handled < BATCH:
                return total

    def _deliver(self, name: str, now: dt.datetime | None) -> tuple[int, int]:
        """(messages sent, messages sent or set aside as dead) in one batch."""
        channel = self.channels[name]
        sent = handled = 0
        for _ in range(BATCH):
            if self._stop.is_set():
                break
            with self._sessions() as s:
                if not _channel_lock(s, name):
                    break  # another instance is delivering this channel right now
                row = s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.channel == name, OutboxMessage.status == "pending")
                    .order_by(OutboxMessage.id)
                    .limit(1)
                ).first()
                t = now or self.clock()
                if row is None or row.next_attempt_at > t:
                    break  # nothing due; a head backing off holds the rest back to keep the order
                outcome = self._attempt(s, channel, row, t)
                if outcome == "retry":
                    break
                sent += outcome == "sent"
                handled += 1
        return sent, handled

    def _attempt(self, s: Any, channel: Channel, row: OutboxMessage, now: dt.datetime) -> str:
        """Try one message and record the outcome: ``sent``, ``dead`` or ``retry`` (pause)."""
        name = channel.name
        row.attempts += 1
        try:
            channel.deliver(row.payload)
            if name == "mqtt":
                self._settle_headline(s, channel, row)
        except Exception as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            retryable = isinstance(exc, DeliveryError) and not isinstance(exc, RejectedError)
            if not isinstance(exc, DeliveryError):
                # Not the receiver's fault: this message can never go out (a bug or a malformed
                # payload).  Set it aside so it cannot block the channel.
                log.exception("outbox message %s to %s cannot be delivered", row.id, name)
            if not retryable or now - row.created_at >= dt.timedelta(hours=self.retry.give_up_hours):
                row.status = "dead"
                NOTIFICATIONS.labels(name, "dead").inc()
                log.error("giving up on outbox message %s to %s: %s", row.id, name, row.last_error)
                s.commit()
                return "dead"
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
            return "retry"
        row.status, row.sent_at, row.last_error = "sent", now, None
        NOTIFICATIONS.labels(name, "sent").inc()
        log.info("delivered %s of alert %s to %s (attempt %d)", row.event, row.alert_id, name, row.attempts)
        s.commit()
        return "sent"

    @staticmethod
    def _settle_headline(s: Any, channel: Channel, row: OutboxMessage) -> None:
        """After the unit's last pending message, make sure its retained topic ends on its most
        urgent alert, judged on what is committed now.  The lifecycle queues that republish when it
        changes an alert, but cannot see an alert another transaction is opening at the same
        moment (an acknowledgement in the API racing a detector pass): the topic then ended on
        "acknowledged" while the house had a new open alert.  A message queued later for the unit
        does this check itself, so only the last one publishes: no duplicate in the usual case."""
        alert = row.payload.get("alert") or {}
        site, unit, status, alert_id = (alert.get(k) for k in ("site", "unit", "status", "id"))
        if status == "open" or not (site and unit and status) or not isinstance(alert_id, int):
            return
        later = s.scalar(
            select(OutboxMessage.id)
            .join(Alert, Alert.id == OutboxMessage.alert_id)
            .where(
                OutboxMessage.channel == "mqtt",
                OutboxMessage.status == "pending",
                OutboxMessage.id > row.id,
                Alert.site == site,
                Alert.unit == unit,
            )
            .limit(1)
        )
        if later is not None:
            return
        head = more_urgent(s, site, unit, status, alert_id)
        if head is not None:
            channel.deliver({"event": "republished", "alert": alert_object(head), "recipients": []})
            NOTIFICATIONS.labels(channel.name, "republished").inc()

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete delivered messages older than ``keep_sent_days`` and dead ones created more than
        ``keep_dead_days`` ago (pending ones stay)."""
        now = now or self.clock()
        sent_cutoff = now - dt.timedelta(days=self.retry.keep_sent_days)
        dead_cutoff = now - dt.timedelta(days=self.retry.keep_dead_days)
        with self._sessions() as s:
            n = s.execute(
                delete(OutboxMessage).where(
                    ((OutboxMessage.status == "sent") & (OutboxMessage.sent_at < sent_cutoff))
                    | ((OutboxMessage.status == "dead") & (OutboxMessage.created_at < dead_cutoff))
                )
            ).rowcount
            s.commit()
        return int(n or 0)

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
            handled = 0
            try:
                handled = self._deliver(name, None)[1]
            except Exception:  # a database hiccup must not kill the worker
                log.exception("alert channel %s worker pass failed", name)
            if handled >= BATCH:
                continue  # a full batch: more may be due (a burst), so no pause between batches
            wake.wait(self.poll_s)
            wake.clear()
