"""The demo's services: what the user sees when one of them cannot start."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import time
from pathlib import Path

import pytest
from fastapi import FastAPI

from eggwatch.demo import services, world
from eggwatch.settings import ConfigError, load_settings
from tests.support.servers import free_port


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn's own
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


def test_a_database_seeded_with_another_secret_key_is_refused(tmp_path: Path) -> None:
    # A second demo with another data dir (another generated secret.key) against the same database:
    # its workers' sealed fields cannot be opened, and every worker or payroll call would fail.
    db = f"sqlite:///{tmp_path / 'workforce.db'}"
    first = load_settings(data_dir=tmp_path / "first", database_url=db)
    _state, sim, _, _ = world.prepare(tmp_path / "state.json", 1, 6, 1.0, time.time(), first.site)
    stack = services.Stack()
    try:
        store = services.open_telemetry(first, stack)
        today = dt.date.today()
        services.migrate(first)
        assert "seeded" in services.seed_workforce(first, sim.park, store, today, today, "a-long-password")
        again = services.seed_workforce(first, sim.park, store, today, today, "a-long-password")
        assert again == "workforce: already seeded (a previous run)"
        other = load_settings(data_dir=tmp_path / "other", database_url=db)
        with pytest.raises(ConfigError, match="another secret key"):
            services.seed_workforce(other, sim.park, store, today, today, "a-long-password")
    finally:
        stack.close()


def test_a_second_demo_on_the_same_data_dir_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eggwatch.demo.options import DemoOptions
    from eggwatch.demo.runner import Demo
    from eggwatch.spool import Spool

    for name in ("EGGWATCH_MQTT_URL", "EGGWATCH_INFLUX_URL", "EGGWATCH_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EGGWATCH_DATA_DIR", str(tmp_path))
    running = Spool(tmp_path / "demo" / "ingest-spool", 1 << 20)  # what the first demo's ingest holds
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(ConfigError, match="another eggwatch demo"):
            Demo(DemoOptions(history_days=0, port=free_port())).run()
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
        running.close()
