"""A small local HTTP server implementing the few documented Grafana HTTP API endpoints that
``eggwatch dashboards push`` calls (Grafana itself cannot run here).  It keeps what it receives
so tests can inspect it, and answers like Grafana: 401 without the right bearer token, 404 for
an unknown folder or datasource uid, 412 when a dashboard uid exists and ``overwrite`` is false.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class GrafanaState:
    token: str
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)


def _handler(state: GrafanaState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length", "0"))
            return json.loads(self.rfile.read(length) or b"{}")

        def _route(self, method: str) -> None:
            state.requests.append((method, self.path))
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._reply(401, {"message": "Unauthorized"})
                return
            parts = self.path.split("?")[0].strip("/").split("/")
            match (method, parts):
                case ("GET", ["api", "folders", uid]):
                    if uid in state.folders:
                        self._reply(200, state.folders[uid])
                    else:
                        self._reply(404, {"message": "folder not found", "status": "not-found"})
                case ("POST", ["api", "folders"]):
                    body = self._body()
                    folder = {"uid": body["uid"], "title": body["title"], "id": len(state.folders) + 1}
                    state.folders[body["uid"]] = folder
                    self._reply(200, folder)
                case ("POST", ["api", "dashboards", "db"]):
                    body = self._body()
                    dash = body["dashboard"]
                    if body.get("folderUid") not in state.folders:
                        self._reply(400, {"message": "folder not found"})
                    elif dash["uid"] in state.dashboards and not body.get("overwrite"):
                        self._reply(
                            412,
                            {
                                "message": "A dashboard with the same uid already exists",
                                "status": "name-exists",
                            },
                        )
                    else:
                        version = state.dashboards.get(dash["uid"], {}).get("version", 0) + 1
                        state.dashboards[dash["uid"]] = {**body, "version": version}
                        self._reply(
                            200, {"status": "success", "uid": dash["uid"], "version": version, "id": 1}
                        )
                case ("GET", ["api", "datasources", "uid", uid]):
                    if uid in state.datasources:
                        self._reply(200, state.datasources[uid])
                    else:
                        self._reply(404, {"message": "Data source not found"})
                case ("POST", ["api", "datasources"]):
                    body = self._body()
                    state.datasources[body["uid"]] = body
                    self._reply(200, {"message": "Datasource added", "datasource": body})
                case ("PUT", ["api", "datasources", "uid", uid]) if uid in state.datasources:
                    state.datasources[uid] = self._body()
                    self._reply(200, {"message": "Datasource updated"})
                case _:
                    self._reply(404, {"message": "Not found"})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

    return Handler


@contextmanager
def fake_grafana(token: str) -> Iterator[tuple[str, GrafanaState]]:
    state = GrafanaState(token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
