"""An HTTP proxy in front of the test ``influxd`` that answers chosen requests itself.

``FaultProxy(upstream, rule)``: every request is forwarded to ``upstream`` unless ``rule(path,
body)`` returns ``(status, json body)``, which is answered instead (a poison line InfluxDB keeps
failing on with a 500, a 404 for a missing DBRP mapping...).  ``rule`` may be replaced while the
proxy runs; ``requests`` counts the ``/write`` requests that reached the proxy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Rule = Callable[[str, bytes], tuple[int, bytes] | None]


class FaultProxy:
    def __init__(self, upstream: str, rule: Rule | None = None) -> None:
        self.rule: Rule = rule or (lambda _path, _body: None)
        self.writes = 0
        self._up = httpx.Client(base_url=upstream, timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _forward(self, method: str) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if self.path.startswith("/write"):
                    proxy.writes += 1
                answer = proxy.rule(self.path, body)
                if answer is None:
                    headers = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() in ("content-type", "content-encoding")
                    }
                    r = proxy._up.request(method, self.path, content=body, headers=headers)
                    answer = (r.status_code, r.content)
                status, out = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._up.close()
