"""The last values of on-change devices, published again while they are silent (gateway/repeat.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from eggwatch.wire import Reading
from gateway.mqtt_config import Repeat
from gateway.repeat import Repeater


def _eggs(value: int, row: str = "01") -> list[Reading]:
    return [Reading(1_000, "eggs_total", value, {"row": row})]


def _values(due: list[tuple[str, str, list[Reading]]]) -> list[tuple[str, int | float, int]]:
    return [(device, r.value, r.ts) for _, device, readings in due for r in readings]


def test_a_silent_value_is_repeated_every_interval_until_the_limit() -> None:
    rep = Repeater()
    rep.seen("house-01", "counter-1", _eggs(5000), every_s=300, for_s=1000, now=0.0)
    assert rep.due(299.0, 1) == []
    assert _values(rep.due(300.0, 2)) == [("counter-1", 5000, 2)]  # stamped with the gateway's clock
    assert rep.due(500.0, 3) == []
    assert _values(rep.due(600.0, 4)) == [("counter-1", 5000, 4)]
    assert _values(rep.due(900.0, 5)) == [("counter-1", 5000, 5)]
    assert rep.due(1200.0, 6) == [] and len(rep) == 0  # silent past for_s: a device that died
    assert rep.repeated == 3


def test_a_new_message_replaces_the_value_and_restarts_the_interval() -> None:
    rep = Repeater()
    rep.seen("house-01", "counter-1", _eggs(5000), every_s=300, for_s=1000, now=0.0)
    rep.seen("house-01", "counter-2", _eggs(4000, "02"), every_s=300, for_s=1000, now=0.0)
    rep.seen("house-01", "counter-1", _eggs(5020), every_s=300, for_s=1000, now=200.0)
    assert _values(rep.due(300.0, 7)) == [("counter-2", 4000, 7)]
    assert _values(rep.due(500.0, 8)) == [("counter-1", 5020, 8)]


def test_no_burst_after_the_loop_was_held_up_and_nothing_after_a_disconnect() -> None:
    rep = Repeater()
    rep.seen("house-01", "counter-1", _eggs(5000), every_s=10, for_s=1000, now=0.0)
    assert len(_values(rep.due(95.0, 1))) == 1  # nine intervals late: one repeat, not nine
    assert rep.due(104.0, 2) == [] and len(_values(rep.due(105.0, 3))) == 1
    rep.clear()  # the vendor broker went away
    assert rep.due(200.0, 4) == [] and len(rep) == 0


def test_repeat_settings_are_checked() -> None:
    assert Repeat(every_s=300).for_s == 86400
    with pytest.raises(ValidationError, match="greater than 0"):
        Repeat(every_s=0)
    with pytest.raises(ValidationError, match="shorter than every_s"):
        Repeat(every_s=600, for_s=300)


def test_a_count_in_an_interval_is_never_repeated() -> None:
    # Before: a mapping with repeat and a mortality field published its last count again every
    # every_s: 3 birds once became 3 more every 5 minutes (mortality is summed downstream).
    rep = Repeater()
    readings = [*_eggs(5000), Reading(1_000, "mortality", 3)]
    rep.seen("house-01", "vendor-1", readings, every_s=300, for_s=1000, now=0.0)
    assert [(r.metric, r.value) for _, _, rs in rep.due(300.0, 2) for r in rs] == [("eggs_total", 5000)]
