"""Real receivers for the channel tests: a threaded HTTP server on a free port that records what
it is sent and can be told to fail or hang, and an aiosmtpd SMTP server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.support.servers import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes = b""


@dataclass
class HttpReceiver:
    """``fail_next`` requests answer 500; ``hang_s`` delays every answer; ``refuse(body)`` may
    name a status to refuse one body with; ``answer`` is the JSON body returned on success (the
    WeCom/DingTalk robots answer {"errcode": 0, ...})."""

    answer: Any = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    fail_next: int = 0
    hang_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    refuse: Callable[[Any], int | None] = lambda _body: None  # a status to refuse a body with

    def __post_init__(self) -> None:
        receiver = self
        self.port = free_port()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.attempts += 1
                if receiver.hang_s:
                    time.sleep(receiver.hang_s)
                refused = receiver.refuse(json.loads(raw))
                if refused is not None:  # e.g. a proxy's 413 for this one body
                    self.send_response(refused)
                    self.end_headers()
                    return
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"boom")
                    return
                receiver.received.append(Received(self.path, dict(self.headers), json.loads(raw), raw))
                out = json.dumps(receiver.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.unknown: set[str] = set()  # addresses answered "550 no such user"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.unknown:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """aiosmtpd; with ``tls_dir`` it demands STARTTLS (self-signed certificate for 127.0.0.1,
    ``ca_file`` to trust it) and a login ``user``/``password``."""

    def __init__(
        self, tls_dir: Path | None = None, user: str = "eggwatch", password: str = "s3cret-pw"
    ) -> None:
        self.port = free_port()
        self.handler = _Collect()
        self.logins: list[str] = []
        kwargs: dict[str, Any] = {}
        if tls_dir is not None:
            self.ca_file = self_signed(tls_dir)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.ca_file, tls_dir / "key.pem")

            def check(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = data.login.decode() == user and data.password.decode() == password
                if ok:
                    self.logins.append(data.login.decode())
                return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 535

            kwargs = {
                "tls_context": ctx,
                "require_starttls": True,
                "authenticator": check,
                "auth_require_tls": True,
            }
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        return self.handler.messages

    def stop(self) -> None:
        self.controller.stop()


def self_signed(d: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (cert.pem, key.pem in ``d``); returns cert.pem."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eggwatch test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d.mkdir(parents=True, exist_ok=True)
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return d / "cert.pem"


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class TrickleReceiver:
    """A raw TCP server whose first ``trickle_next`` connections get their answer one byte every
    0.2 s, forever (after ``greeting``): no single read ever times out.  Later connections get
    ``answer`` at once.  HTTP by default; ``smtp=True`` trickles SMTP ``220-`` greeting lines."""

    def __init__(self, trickle_next: int = 1, smtp: bool = False) -> None:
        self.trickle_next = trickle_next
        self.smtp = smtp
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by stop()
                return
            self.connections += 1
            trickle = self.trickle_next > 0
            self.trickle_next -= 1
            threading.Thread(target=self._serve, args=(conn, trickle), daemon=True).start()

    def _serve(self, conn: socket.socket, trickle: bool) -> None:
        with conn:
            try:
                if not self.smtp:
                    conn.recv(65536)
                if not trickle:
                    ok = b'{"errcode": 0, "errmsg": "ok"}'
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ok), ok))
                    return
                conn.sendall(b"220-" if self.smtp else b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not self._stop.wait(0.2):
                    conn.sendall(b"x\r\n220-" if self.smtp else b" ")
            except OSError:
                return

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
