"""The demo's services: what the user sees when one of them cannot start."""

from __future__ import annotations

import socket

import pytest
from fastapi import FastAPI

from eggwatch.demo import services
from eggwatch.settings import ConfigError


def test_a_port_taken_while_the_history_loads_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # The port is checked before the history loads, the API binds it only after: another program
    # (a second `make demo`) may take it meanwhile.
    monkeypatch.setattr("api.app.create_app", lambda *_a, **_k: FastAPI())
    stack = services.Stack()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            with pytest.raises(ConfigError, match=f"cannot serve on 127.0.0.1:{port}.*--port"):
                services.start_api(None, None, None, "127.0.0.1", port, stack)  # type: ignore[arg-type]
        finally:
            stack.close()
