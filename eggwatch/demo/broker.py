"""The demo's embedded MQTT broker: amqtt (pure Python, MQTT 3.1.1) on its own event-loop thread.

Only used when ``EGGWATCH_MQTT_URL`` is not set.  It listens on loopback only, on a free port, and
keeps QoS 1 persistent sessions (clean_session=False) in memory for the life of the demo process;
messages a disconnected persistent subscriber misses are queued for it.  amqtt has no MQTT 5
(ingest is run with ``protocol="3.1.1"`` against it) and no shared subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import threading
from concurrent.futures import Future
from typing import Any

from eggwatch.settings import BrokerAddress

log = logging.getLogger(__name__)
USER = "eggwatch-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedBroker:
    """``start()`` → :attr:`address`; ``stop()`` closes every session and the listener."""

    def __init__(self, port: int | None = None) -> None:
        self._fixed_port = port is not None
        self.port = port or free_port()
        self.password = secrets.token_urlsafe(12)  # not checked by amqtt; a user name is what counts
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mqtt-broker", daemon=True)
        self._broker: Any = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress.parse(f"mqtt://{USER}:{self.password}@127.0.0.1:{self.port}")

    def _config(self) -> dict[str, Any]:
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}", "max_connections": 0}},
            # No $SYS publisher and no per-packet logging: they cost CPU on a 2-core demo machine.
            # Clients must give a user name: amqtt keeps no offline queue for anonymous sessions.
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False}},
        }

    def start(self, timeout_s: float = 10.0) -> BrokerAddress:
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._thread.start()

        async def boot() -> None:
            from amqtt.broker import Broker

            self._broker = Broker(self._config(), loop=self._loop)
            await self._broker.start()

        for attempt in range(3):
            fut: Future[None] = asyncio.run_coroutine_threadsafe(boot(), self._loop)
            try:
                fut.result(timeout_s)
                break
            except Exception as exc:  # amqtt wraps the OSError of a port taken since it was picked
                if attempt == 2 or self._fixed_port or not isinstance(exc.__cause__ or exc, OSError):
                    self.stop()  # no loop thread left behind by a broker that never started
                    raise
                log.warning("embedded broker: port %d: %s; trying another", self.port, exc)
                self.port = free_port()
        log.info("embedded MQTT broker (amqtt) on 127.0.0.1:%d", self.port)
        return self.address

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._broker is not None:
            fut = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                fut.result(timeout_s)
            except Exception as exc:  # a client that hangs up mid-shutdown must not block the exit
                log.warning("broker shutdown: %s", exc)
            self._broker = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)
        if not self._loop.is_running():
            self._loop.close()
