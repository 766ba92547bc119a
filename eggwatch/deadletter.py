"""The dead-letter file: input we refused, kept verbatim with the reason, one JSON object per line.

Each line holds ``ts`` (ISO 8601 UTC, when it was refused), ``reason``, ``detail``, ``topic``,
``payload`` and ``payload_encoding`` (``utf-8`` for text, ``base64`` for bytes that are not UTF-8,
``json`` for an object such as one rejected reading), plus any extra keyword fields.

Lines are buffered and written with one fsync per batch: a flood of bad messages must not cost
one disk flush each (see ``ingest/README.md`` for the numbers).  A batch is flushed when it holds
``max_batch`` lines, when its oldest line is ``max_delay_s`` old (a background thread sees to
it), and on :meth:`DeadLetters.flush` / :meth:`DeadLetters.close`.  Callers that acknowledge the
input afterwards (ingest) call :meth:`flush` first.  When the file grows past ``max_file_bytes``
it is renamed to ``<name>.<UTC time>`` (e.g. ``deadletters.jsonl.20261202T154200.123Z``, a
``-N`` suffix if that exists already) and a new file is started: rotated files are never
overwritten or deleted here (archive or remove them yourself).  ``put`` never raises because of
the payload it is given.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson

log = logging.getLogger(__name__)


def _payload_fields(payload: object) -> tuple[str, str]:
    """``(text, encoding)`` for any payload: text as is, other bytes base64, objects as JSON."""
    if isinstance(payload, bytes | bytearray | memoryview):
        raw = bytes(payload)
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return base64.b64encode(raw).decode("ascii"), "base64"
    if isinstance(payload, str):
        return payload, "utf-8"
    try:
        return orjson.dumps(payload, default=repr, option=orjson.OPT_NON_STR_KEYS).decode(), "json"
    except (TypeError, orjson.JSONEncodeError):
        return repr(payload), "repr"


class DeadLetters:
    """Append-only JSON-lines file of refused input, with counts per reason."""

    def __init__(
        self,
        path: Path,
        *,
        max_batch: int = 256,
        max_delay_s: float = 0.5,
        max_file_bytes: int = 256 << 20,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_batch = max_batch
        self.max_delay_s = max_delay_s
        self.max_file_bytes = max_file_bytes
        self.counts: Counter[str] = Counter()
        self._buffer: list[bytes] = []
        self._oldest = 0.0  # time.monotonic() of the first line in the buffer
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._flusher: threading.Thread | None = None

    def put(
        self, reason: str, detail: str, topic: str | None, payload: bytes | str | object, **extra: object
    ) -> None:
        """Record one refused item (buffered; durable after the next flush)."""
        try:
            text, encoding = _payload_fields(payload)
            doc: dict[str, object] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "reason": str(reason),
                "detail": str(detail),
                "topic": topic if topic is None else str(topic),
                "payload": text,
                "payload_encoding": encoding,
            }
            for key, value in extra.items():
                doc.setdefault(key, value)
            line = orjson.dumps(doc, default=repr, option=orjson.OPT_NON_STR_KEYS) + b"\n"
        except Exception as exc:  # an odd payload must never break the caller
            line = orjson.dumps({"reason": str(reason), "detail": f"unserialisable dead letter: {exc!r}"})
            line += b"\n"
        with self._lock:
            if self._closed:
                raise RuntimeError("the dead-letter file is closed")
            self.counts[str(reason)] += 1
            self._buffer.append(line)
            if len(self._buffer) >= self.max_batch:
                self._write_locked()
            elif len(self._buffer) == 1:
                self._oldest = time.monotonic()
                self._ensure_flusher()
                self._wake.notify()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def flush(self) -> None:
        """Write and fsync everything buffered (raises ``OSError`` if the disk refuses)."""
        with self._lock:
            self._write_locked()

    def _write_locked(self) -> None:
        if not self._buffer:
            return
        blob = b"".join(self._buffer)
        with open(self.path, "ab") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
            size = fh.tell()
        self._buffer.clear()
        if size > self.max_file_bytes:
            self._rotate()

    def _rotate(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
        target = self.path.with_name(f"{self.path.name}.{stamp}")
        n = 0
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.{stamp}-{n}")
        os.rename(self.path, target)
        log.info("dead letters: %s rotated to %s (kept; nothing is deleted)", self.path, target.name)

    def _ensure_flusher(self) -> None:
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, name="deadletter-flush", daemon=True)
            self._flusher.start()

    def _flush_loop(self) -> None:
        with self._lock:
            while not self._closed:
                if not self._buffer:
                    self._wake.wait()
                    continue
                # Woken early (a new batch's first line, a spurious wake-up): wait out the rest of
                # the oldest line's delay rather than writing a batch that is still filling.
                remaining = self._oldest + self.max_delay_s - time.monotonic()
                if remaining > 0:
                    self._wake.wait(remaining)
                    continue
                try:
                    self._write_locked()
                except OSError:
                    log.exception("cannot write dead letters to %s (will retry)", self.path)
                    self._oldest = time.monotonic()  # retry after another max_delay_s

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._write_locked()
            self._closed = True
            self._wake.notify_all()
        if self._flusher is not None:
            self._flusher.join(timeout=5)

    def __enter__(self) -> DeadLetters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
