"""E-mail over SMTP (stdlib): subject and body in zh-CN, then English, UTF-8."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
from contextlib import suppress
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from analytics.alerts import render
from analytics.alerts.channels import DeliveryError, RejectedError
from analytics.alerts.config import Smtp

log = logging.getLogger(__name__)


def build_message(
    payload: dict[str, Any], sender: str, to: list[str], tz: ZoneInfo = render.UTC
) -> EmailMessage:
    event, alert = payload["event"], payload["alert"]
    msg = EmailMessage()
    msg["Subject"] = render.title(event, alert)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1]
    # The outbox message's id: a copy sent again after a crash has the same Message-ID, which mail
    # systems use to drop duplicates.
    delivery = payload.get("delivery_id")
    msg["Message-ID"] = f"<{delivery}@{domain}>" if delivery else make_msgid(domain=domain)
    msg["X-Eggwatch-Alert"] = f"{alert['id']} {event}"
    msg.set_content(render.plain_text(event, alert, tz), charset="utf-8")
    return msg


def _refuses_this_message(exc: BaseException) -> bool:
    """A permanent (5xx) refusal of this message's recipients or content: every address unknown
    (a typo in one supervisor's address), or the data refused (too large).  Retrying cannot help,
    and it would hold every later e-mail alert; a refused login or sender is the server's setup
    and is retried like a 4xx."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(500 <= code < 600 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600


class EmailChannel:
    name = "email"

    def __init__(self, cfg: Smtp, tz: ZoneInfo = render.UTC) -> None:
        self.cfg = cfg
        self.tz = tz

    def deliver(self, payload: dict[str, Any]) -> None:
        to = sorted({p["email"] for p in payload.get("recipients", []) if p.get("email")})
        if not to:
            log.warning(
                "alert %s %s: nobody with an e-mail address to tell", payload["alert"]["id"], payload["event"]
            )
            return
        msg = build_message(payload, self.cfg.sender, to, self.tz)
        try:
            self._send(msg)
        except (smtplib.SMTPException, OSError) as exc:
            error = RejectedError if _refuses_this_message(exc) else DeliveryError
            raise error(f"email via {self.cfg.host}:{self.cfg.port}: {type(exc).__name__}: {exc}") from exc

    def _send(self, msg: EmailMessage) -> None:
        c = self.cfg
        smtp_cls = smtplib.SMTP_SSL if c.security == "ssl" else smtplib.SMTP
        tls = ssl.create_default_context(cafile=str(c.ca_file) if c.ca_file else None)
        kwargs: dict[str, Any] = {"context": tls} if c.security == "ssl" else {}
        # Not connected yet, so the deadline covers the greeting too; ``_host`` is what
        # SMTP(host) would set: STARTTLS and SMTP_SSL check the certificate against it.
        smtp = smtp_cls(timeout=c.timeout_s, **kwargs)
        smtp._host = c.host  # type: ignore[attr-defined]
        deadline = _Deadline(smtp, c.timeout_s)
        try:
            with deadline, smtp:
                smtp.connect(c.host, c.port)
                if c.security == "starttls":
                    smtp.starttls(context=tls)
                if c.username and c.password:
                    smtp.login(c.username, c.password.get_secret_value())
                refused = smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            if deadline.expired.is_set():
                raise DeliveryError(
                    f"email via {c.host}:{c.port}: no complete answer within {c.timeout_s:g}s"
                ) from exc
            raise
        if refused:  # some addresses refused, others accepted: a retry would spam the others
            log.warning("SMTP refused some recipients: %s", refused)

    def close(self) -> None:
        pass


class _Deadline:
    """``timeout_s`` for the whole conversation.  smtplib's timeout is per socket read, so a
    server that trickles its replies (``220-`` lines, a byte at a time) would hold the channel
    (and ``--once``) forever; at the deadline the socket is shut down, which ends every read."""

    def __init__(self, smtp: smtplib.SMTP, seconds: float) -> None:
        self.smtp, self.seconds = smtp, seconds
        self.expired, self._done = threading.Event(), threading.Event()

    def __enter__(self) -> _Deadline:
        threading.Thread(target=self._watch, name="smtp-deadline", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired.set()
        while not self._done.wait(0.05):  # again until the conversation ends: connect may be mid-way
            sock = self.smtp.sock
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
