"""A paho client that reads the socket in large chunks and acknowledges in bulk.

paho 2.x reads each packet with at least three ``recv`` calls (command byte, every byte of the
remaining length, then the body) and handles one packet per pass of its network loop, each pass
starting with ``select``.  Every one of those calls releases the GIL; while another thread is
decoding, each re-acquisition can wait a whole switch interval, so the network thread falls far
behind (measured: ~900 messages/s), Mosquitto's outgoing queue for us overflows and it drops
QoS 1 messages (``Outgoing messages are being dropped``).

Here ``recv`` is served from a 256 KiB user-space buffer (one system call fills it) and the
loop keeps handling packets while the buffer holds data, so a burst of messages costs one
``select`` and one ``recv``.  paho already skips ``select`` when the socket reports ``pending()``
bytes (meant for TLS), which is what the buffer reports.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

CHUNK = 256 * 1024
MAX_PACKETS_PER_READ = 10_000
_PUBACK = struct.Struct("!BBH")  # fixed header, remaining length 2, packet id (MQTT 3.1.1 and 5)


class BufferedSocket:
    """A socket whose ``recv`` reads ahead; everything else goes to the real socket."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buf = b""
        self._pos = 0

    def recv(self, n: int) -> bytes:
        if self._pos >= len(self._buf):
            data = self._sock.recv(max(n, CHUNK))  # may raise BlockingIOError: paho handles it
            if not data:
                return b""
            self._buf, self._pos = data, 0
        chunk = self._buf[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk

    def pending(self) -> int:
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return len(self._buf) - self._pos + inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


# (topic as received, packet id, QoS, payload)
PublishHandler = Callable[[bytes, int, int, bytes], None]


class BufferedClient(paho.Client):
    # When set, QoS 0 and manually acked QoS 1 PUBLISHes go straight here (see _handle_publish).
    on_publish_received: PublishHandler | None = None

    def _handle_publish(self) -> MQTTErrorCode:
        """Hand a PUBLISH's topic, id and payload over without paho's per-message objects.

        paho builds an ``MQTTMessage`` and, for MQTT 5, a ``Properties`` object per message, then
        matches the topic against per-topic callbacks: together about a quarter of ingest's CPU at
        20 readings per message.  We use no per-topic callbacks nor PUBLISH properties, so the
        packet is split here (MQTT 3.1.1 / 5 §3.3.2) and anything unusual goes to paho.
        """
        handler = self.on_publish_received
        qos = (self._in_packet["command"] & 0x06) >> 1
        if handler is None or qos == 2 or (qos == 1 and not self._manual_ack):
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            end = 2 + ((packet[0] << 8) | packet[1])
            topic = bytes(packet[2:end])
            mid = 0
            if qos:
                mid = (packet[end] << 8) | packet[end + 1]
                end += 2
            if self._protocol == paho.MQTTv5:  # skip the properties: a variable byte integer length
                length, shift = 0, 0
                while True:
                    byte = packet[end]
                    end += 1
                    length |= (byte & 0x7F) << shift
                    shift += 7
                    if not byte & 0x80 or shift > 21:
                        break
                end += length
        except IndexError:
            return super()._handle_publish()  # malformed: paho reports it
        if not topic or end > len(packet):  # a topic alias (we allow none) or malformed: paho decides
            return super()._handle_publish()
        with self._in_callback_mutex:
            handler(topic, mid, qos, bytes(packet[end:]))
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: Sequence[int]) -> None:
        """PUBACK many QoS 1 messages in one queued write.

        ``ack()`` queues one 4-byte packet per message, and each wakes the network thread through
        its socket pair and costs one ``send``: at 20 readings per message that was a large part of
        ingest's per-message cost.  The PUBACKs are the same bytes, concatenated (MQTT 5 allows
        omitting the reason code when it is 0, as paho itself does).
        """
        if mids:
            blob = b"".join([_PUBACK.pack(paho.PUBACK, 2, mid) for mid in mids])
            self._packet_queue(paho.PUBACK, blob, 0, 1)

    def _create_socket(self) -> Any:
        sock = super()._create_socket()
        return sock if self._transport == "websockets" else BufferedSocket(sock)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        for _ in range(MAX_PACKETS_PER_READ):
            sock = self._sock
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or sock is None or not sock.pending():  # type: ignore[union-attr,attr-defined]
                break
            rc = super().loop_read(max_packets)
        return rc
