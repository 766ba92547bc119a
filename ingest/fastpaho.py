"""A paho client that reads the socket in large chunks.

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

from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

CHUNK = 256 * 1024
MAX_PACKETS_PER_READ = 10_000


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


class BufferedClient(paho.Client):
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
