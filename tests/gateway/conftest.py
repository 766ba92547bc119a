"""Fixtures of the gateway tests: a private Mosquitto we may stop, stub buses on ptys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.broker import PrivateBroker


@pytest.fixture
def private_broker() -> Iterator[PrivateBroker]:
    broker = PrivateBroker().start()
    try:
        yield broker
    finally:
        broker.destroy()
