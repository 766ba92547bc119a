"""Live vendor MQTT devices: each house's bird scale is a Homie v4 node (firmware stub) whose
weight the simulator drives, translated by the real MQTT gateway with the shipped Homie mapping.

Only the scale's topic is mapped (the Homie node also publishes climate properties, but each house
already has its Modbus climate controller: one climate device per house keeps the data unambiguous).
Backfilled scale readings use the same device id (``homie-scale``), see ``feed.DEVICE_IDS``.
"""

from __future__ import annotations

import logging
import threading

from eggwatch.deadletter import DeadLetters
from eggwatch.settings import Settings
from firmware_stubs.mqtt_nodes import HomieNode
from gateway.mqtt_config import MqttGatewayConfig
from gateway.mqtt_gateway import MqttGateway
from gateway.publish_config import PublishConfig
from gateway.publisher import Publisher
from simulator.devices import Channel

log = logging.getLogger(__name__)
# The bird-weight mapping of gateway/examples/mqtt-homie.yaml.
SCALE_MAPPING = {
    "name": "homie-bird-weight",
    "topic": "homie/h{house}-scale/platform/weight",
    "unit": "house-{house}",
    "device": "homie-scale",
    "payload": "number",
    "fields": [{"path": "$", "metric": "bird_weight_g", "from_unit": "kg", "tags": {"scale": "1"}}],
}


class VendorScales:
    """One Homie node per house and the MQTT gateway translating their weights."""

    def __init__(self, settings: Settings, units: list[str], every_s: float = 30.0) -> None:
        cfg = MqttGatewayConfig(
            site=settings.site,
            mappings=[SCALE_MAPPING],  # type: ignore[list-item]
            publish=PublishConfig(client_id=f"eggwatch-demo-mqttgw-{settings.site}"),
        )
        publisher = Publisher(
            settings.broker, settings.site, settings.path("demo", "gateway-mqtt"), cfg.publish
        )
        dead = DeadLetters(settings.path("demo", "gateway-mqtt", "deadletters.jsonl"))
        self.gateway = MqttGateway(cfg, settings.broker, publisher, dead)
        self.nodes = {
            unit: HomieNode(settings.broker, unit.rsplit("-", 1)[-1], every_s=every_s) for unit in units
        }
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.gateway.run, args=(self._stop, 300.0), name="mqtt-gateway"
        )

    def apply(self, ch: Channel) -> None:
        node = self.nodes.get(ch.unit)
        if node is not None and ch.metric == "bird_weight_g" and len(ch.values):
            node.state.bird_weight_kg = float(ch.values[-1]) / 1000.0

    def start(self) -> None:
        self._thread.start()
        for node in self.nodes.values():
            node.start()

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()
        self._stop.set()
        self._thread.join(10)
