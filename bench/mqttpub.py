"""The benchmark's load generator: a minimal MQTT 3.1.1 QoS 1 publisher.

paho spends ~40-70 µs of Python per QoS 1 message (``publish`` plus handling its PUBACK): at 20
readings per message, 20,000 messages cost the publisher ~1.4 s of CPU, as much as ingest itself
spends on them, on the same 2 cores — the benchmark would measure its own load generator. Here
PUBLISH packets are encoded up front, written in bulk with ``sendall`` and PUBACKs are counted by
a reader thread (every PUBACK is 4 bytes: ``0x40 0x02 <packet id>``). In production the
publishers (gateways) run on other hosts.
"""

from __future__ import annotations

import socket
import struct
import threading

_PUBACK = 0x40


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(s: bytes) -> bytes:
    return struct.pack("!H", len(s)) + s


def publish_packet(topic: str, payload: bytes, packet_id: int) -> bytes:
    """A QoS 1 PUBLISH (MQTT 3.1.1 §3.3)."""
    body = _string(topic.encode()) + struct.pack("!H", packet_id) + payload
    return b"\x32" + _remaining_length(len(body)) + body


class RawPublisher:
    """Connects (clean session, no keep-alive), publishes pre-encoded packets, counts PUBACKs."""

    def __init__(self, host: str, port: int, client_id: str) -> None:
        self._sock = socket.create_connection((host, port), timeout=10)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        variable = _string(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0)
        body = variable + _string(client_id.encode())
        self._sock.sendall(b"\x10" + _remaining_length(len(body)) + body)
        connack = self._recv_exactly(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"broker refused the publisher: CONNACK {connack.hex()}")
        self._sock.settimeout(None)
        self.acked = 0
        self.error: str | None = None
        self._next_id = 0
        self._reader = threading.Thread(target=self._read_acks, daemon=True)
        self._reader.start()

    def _recv_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _read_acks(self) -> None:
        pending = b""
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            whole = len(pending) // 4 * 4
            for i in range(0, whole, 4):
                if pending[i] != _PUBACK or pending[i + 1] != 2:
                    self.error = f"unexpected packet from the broker: {pending[i : i + 4].hex()}"
                    return
            self.acked += whole // 4
            pending = pending[whole:]

    def encode(self, topic: str, payload: bytes) -> bytes:
        """The next PUBLISH packet (packet ids 1..65535, reused once acknowledged)."""
        self._next_id = self._next_id % 65535 + 1
        return publish_packet(topic, payload, self._next_id)

    def send(self, packets: list[bytes]) -> None:
        self._sock.sendall(b"".join(packets))

    def close(self) -> None:
        try:
            self._sock.sendall(b"\xe0\x00")  # DISCONNECT
        finally:
            self._sock.close()
