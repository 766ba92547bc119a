"""MQTT sensor nodes in two vendor styles (what the MQTT gateway's shipped mappings translate).

* :class:`FlatJsonNode` — a cheap environment node publishing one flat JSON object per cycle on
  ``farm/h<house>/env`` (``{"t": 21.4, "rh": 63, "nh3": 8, "co2": 1450}``), and its water meter on
  ``farm/h<house>/water`` (``{"meter": {"total_m3": 12.345}, "ts": "...Z"}``).
* :class:`HomieNode` — a Homie v4 device ``h<house>-climate``: retained ``$homie``/``$state``/
  ``$nodes`` attributes and one topic per property with the bare value as text.

Both take a plain state dataclass any driver can update, publish with :meth:`publish_once`, or
on their own with :meth:`start` (every ``every_s``).  ``publish_raw`` sends anything (bad payloads
for the dead-letter tests).
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress


@dataclass
class EnvState:
    temp_c: float = 21.4
    rh_pct: float = 63.0
    nh3_ppm: float = 8.0
    co2_ppm: float = 1450.0
    pressure_pa: float = -18.0
    water_m3: float = 0.0  # cumulative
    bird_weight_kg: float = 1.93


class _Node:
    def __init__(
        self, broker: BrokerAddress, house: str, state: EnvState | None = None, every_s: float = 10.0
    ):
        self.house = house
        self.state = state or EnvState()
        self.every_s = every_s
        self.client = make_client(broker, f"stub-node-{uuid.uuid4().hex[:10]}", persistent=False)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random(house)

    def publish_raw(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def publish_once(self) -> None:
        raise NotImplementedError

    def step(self, dt_s: float) -> None:
        s = self.state
        s.temp_c += self._rng.gauss(0, 0.05)
        s.water_m3 += 0.4 * dt_s / 3600

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.step(self.every_s)
            self.publish_once()

    def start(self) -> _Node:
        self._thread = threading.Thread(target=self._run, name=f"node {self.house}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self.client.disconnect()
        self.client.loop_stop()


class FlatJsonNode(_Node):
    def publish_once(self) -> None:
        s = self.state
        env = {
            "t": round(s.temp_c, 1),
            "rh": round(s.rh_pct),
            "nh3": round(s.nh3_ppm, 1),
            "co2": round(s.co2_ppm),
        }
        self.publish_raw(f"farm/h{self.house}/env", orjson.dumps(env))
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        water = {"meter": {"total_m3": round(s.water_m3, 4)}, "ts": now}
        self.publish_raw(f"farm/h{self.house}/water", orjson.dumps(water))


class HomieNode(_Node):
    def __init__(
        self, broker: BrokerAddress, house: str, state: EnvState | None = None, every_s: float = 10.0
    ):
        super().__init__(broker, house, state, every_s)
        self.base = f"homie/h{house}-climate"
        for attr, value in (
            ("$homie", "4.0"),
            ("$name", f"House {house} climate"),
            ("$nodes", "air"),
            ("$state", "ready"),
        ):
            self.publish_raw(f"{self.base}/{attr}", value, retain=True)

    def publish_once(self) -> None:
        s = self.state
        self.publish_raw(f"{self.base}/air/temperature", f"{s.temp_c:.2f}")
        self.publish_raw(f"{self.base}/air/humidity", f"{s.rh_pct:.1f}")
        self.publish_raw(f"{self.base}/air/ammonia", f"{s.nh3_ppm:.1f}")
        self.publish_raw(f"{self.base}/air/pressure", f"{s.pressure_pa / 100:.3f}")
        self.publish_raw(f"homie/h{self.house}-scale/platform/weight", f"{s.bird_weight_kg:.3f}")

    def stop(self) -> None:
        # A real device would leave $state=disconnected retained; the stub clears its retained
        # attributes so a shared test broker keeps no state behind.
        for attr in ("$homie", "$name", "$nodes", "$state"):
            self.publish_raw(f"{self.base}/{attr}", b"", retain=True)
        super().stop()
