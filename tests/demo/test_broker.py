"""The demo's embedded broker (amqtt) with the paho 2.x MQTT 3.1.1 clients eggwatch uses."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from eggwatch.demo.broker import EmbeddedBroker
from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress


@pytest.fixture
def broker() -> Iterator[BrokerAddress]:
    b = EmbeddedBroker()
    address = b.start()
    yield address
    b.stop()


def _subscriber(address: BrokerAddress, client_id: str, got: list[bytes]):  # type: ignore[no-untyped-def]
    c = make_client(address, client_id, persistent=True)
    subscribed = threading.Event()
    c.on_message = lambda _c, _u, msg: got.append(bytes(msg.payload))
    c.on_subscribe = lambda *_a: subscribed.set()
    c.on_connect = lambda cl, *_a: cl.subscribe("eggwatch/v1/#", qos=1)
    c.connect(address.host, address.port)
    c.loop_start()
    assert subscribed.wait(10)
    return c


def _wait(cond, timeout_s: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(cond())


def test_qos1_persistent_session_keeps_messages_while_the_subscriber_is_away(broker: BrokerAddress) -> None:
    sub_id = f"test-sub-{uuid.uuid4().hex[:8]}"
    got: list[bytes] = []
    sub = _subscriber(broker, sub_id, got)
    pub = make_client(broker, f"test-pub-{uuid.uuid4().hex[:8]}", persistent=False)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    try:
        for i in range(200):
            pub.publish("eggwatch/v1/s/house-01/d", f"live-{i}".encode(), qos=1)
        assert _wait(lambda: len(got) == 200), len(got)

        gone = threading.Event()
        sub.on_disconnect = lambda *_a: gone.set()
        sub.disconnect()
        assert gone.wait(10)
        sub.loop_stop()
        time.sleep(0.2)  # the broker notices the closed socket asynchronously
        infos = [pub.publish("eggwatch/v1/s/house-01/d", f"away-{i}".encode(), qos=1) for i in range(300)]
        for info in infos:
            info.wait_for_publish(10)
        got.clear()
        sub = _subscriber(broker, sub_id, got)  # same client id, clean_session=False
        assert _wait(lambda: len(got) >= 300), len(got)
        assert sorted(got) == sorted(f"away-{i}".encode() for i in range(300))
    finally:
        sub.disconnect()
        sub.loop_stop()
        pub.disconnect()
        pub.loop_stop()


def test_anonymous_clients_are_refused(broker: BrokerAddress) -> None:
    """amqtt queues nothing for anonymous sessions, so the demo broker insists on a user name."""
    anon = BrokerAddress.parse(f"mqtt://{broker.host}:{broker.port}")
    c = make_client(anon, f"test-anon-{uuid.uuid4().hex[:8]}")
    result: list[object] = []
    c.on_connect = lambda _c, _u, _f, rc, _p: result.append(rc)
    c.connect(anon.host, anon.port)
    c.loop_start()
    try:
        assert _wait(lambda: bool(result), 10)
        assert result[0].is_failure  # type: ignore[attr-defined]
    finally:
        c.loop_stop()


def test_a_port_taken_before_the_broker_listens_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import eggwatch.demo.broker as broker_module

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        picks = iter([taken.getsockname()[1]])
        real = broker_module.free_port
        monkeypatch.setattr(broker_module, "free_port", lambda: next(picks, None) or real())
        b = EmbeddedBroker()
        try:
            address = b.start()
            assert address.port != taken.getsockname()[1]
        finally:
            b.stop()
