"""A committer that finds another one draining waits for it instead of spinning (no servers)."""

from __future__ import annotations

import time
from pathlib import Path

from eggwatch.settings import BrokerAddress
from eggwatch.store.embedded import EmbeddedStore
from ingest.service import IngestService
from tests.ingest.helpers import options


def test_drain_waits_for_the_other_drainer(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "t.sqlite")
    svc = IngestService(store, BrokerAddress.parse("mqtt://127.0.0.1:1"), options(tmp_path, "s1"))
    try:
        with svc._drain_lock:  # another committer is draining
            t = time.monotonic()
            assert svc._drain(budget_s=0.1) is False  # the committers' loop: no wait
            assert time.monotonic() - t < 0.1  # not the 0.1 s budget spent spinning
            t = time.monotonic()
            assert svc._drain(budget_s=0.1, wait_s=0.3) is False  # spool full: wait, do not spin
            assert time.monotonic() - t >= 0.25
        assert svc._drain(budget_s=0.1, wait_s=0.3) is True
    finally:
        svc.spool.close()
        svc.dead_letters.close()
        store.close()
