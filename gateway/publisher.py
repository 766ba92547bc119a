"""Store and forward, shared by both gateways: readings → on-disk spool → broker (QoS 1).

Every reading goes through the spool (write-ahead), not only during outages: then a gateway
killed with SIGKILL loses at most the readings of the last ``linger_s`` window (read from the
device but not yet fsync'd), and one code path serves steady state and replay alike.  Readings
are grouped per device for ``linger_s`` (or until ``batch_size`` are waiting) and appended with
one fsync per group; the :class:`~gateway.sender.Sender` publishes the spool oldest first.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress, ConfigError
from eggwatch.spool import Spool, SpoolFull
from eggwatch.wire import Reading
from gateway import spoolrecord
from gateway.publish_config import PublishConfig
from gateway.sender import Sender

log = logging.getLogger(__name__)
REFUSAL_LOG_EVERY_S = 60.0  # while the spool keeps refusing, one error line a minute


def check_dir(directory: Path) -> None:
    """`--check`: say whether the spool directory could be used, without creating anything.

    The first existing ancestor must be a directory this process may write into (so the missing
    part can be made at run time); a directory that exists must be writable itself.
    """
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"spool directory {directory}: Not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"spool directory {directory}: Permission denied")


def prepare_dir(directory: Path) -> None:
    """Create the spool directory and prove it writable, or raise one line saying why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConfigError(f"spool directory {directory}: {exc.strerror or exc}") from None


@dataclass
class _Group:
    """One device's spool records of a flush, and the callers' tokens for them."""

    records: list[bytes]
    count: int
    tokens: list[int]


@dataclass
class PublisherStats:
    submitted: int
    spooled: int
    refused: int  # readings refused because the spool was full
    unencodable: int  # readings JSON cannot hold (e.g. a 64-bit overflow), dropped and logged
    published: int
    messages: int
    spool_records: int
    spool_bytes: int
    spool_oldest_age_s: float | None
    replay_rate: float  # readings/s of the last publishing round
    connected: bool


class Publisher:
    def __init__(self, broker: BrokerAddress, site: str, directory: Path, cfg: PublishConfig) -> None:
        self.cfg = cfg
        self.site = site
        prepare_dir(directory)
        self._lock_file = self._single_owner(directory / "lock")
        self.spool = Spool(directory / "spool", max_bytes=int(cfg.spool_max_mb * (1 << 20)))
        client_id = cfg.client_id or f"eggwatch-gw-{uuid.uuid4().hex[:12]}"
        self.client = make_client(
            broker, client_id, persistent=False, protocol=cfg.mqtt_protocol, max_inflight=100
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.broker = broker
        self.sender = Sender(
            self.spool, self.client, site, directory / "seq.json", cfg.batch_size, cfg.window_records
        )
        self._pending: dict[tuple[str, str], list[Reading]] = {}
        # Callers' tokens of the queued readings, and of those the spool then refused (take_refused).
        self._tokens: dict[tuple[str, str], list[int]] = {}
        self._refused_tokens: set[int] = set()
        self._pending_count = 0
        self._oldest_pending = 0.0
        self._cond = threading.Condition()
        self._flush_lock = threading.Lock()
        self._closing = False
        self._writer = threading.Thread(target=self._write_loop, name="spool writer", daemon=True)
        self.submitted = self.spooled = self.refused = self.unencodable = 0
        self._refusing_since: float | None = None  # monotonic time of the first refusal of a spell
        self._refused_at_start = 0
        self._last_refusal_log = 0.0

    @staticmethod
    def _single_owner(path: Path) -> IO[str]:
        fh = open(path, "a")  # noqa: SIM115 - held for the life of the publisher
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise ConfigError(f"another gateway already uses the spool in {path.parent}") from None
        return fh

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        self.sender.start()
        self._writer.start()
        if self.spool.depth_records:
            log.info(
                "replaying %d spooled records (oldest %.0fs old)",
                self.spool.depth_records,
                self.spool.oldest_age_s() or 0,
            )
            self.sender.new_data.set()

    # -- producers -------------------------------------------------------------------------------

    def submit(self, unit: str, device: str, readings: Sequence[Reading], token: int | None = None) -> None:
        """Queue readings of one device (thread-safe); durable within ``linger_s``.

        Whether readings given a ``token`` were refused (spool full) is told by :meth:`take_refused`
        after the next :meth:`flush`: the MQTT gateway does not acknowledge those vendor messages.
        """
        if not readings:
            return
        with self._cond:
            first = not self._pending_count
            if first:
                self._oldest_pending = time.monotonic()
            self._pending.setdefault((unit, device), []).extend(readings)
            if token is not None:
                self._tokens.setdefault((unit, device), []).append(token)
            self._pending_count += len(readings)
            self.submitted += len(readings)
            if first or self._pending_count >= self.cfg.batch_size:
                self._cond.notify()  # the writer starts the linger clock, or flushes a full batch
        if self.cfg.linger_s == 0:
            self.flush()

    def flush(self) -> None:
        """Write everything queued to the spool now (one fsync); on return it is all durable."""
        with self._flush_lock:  # a concurrent flush must finish before ours can report durability
            self._flush_locked()

    def take_refused(self, tokens: Iterable[int]) -> set[int]:
        """Which of ``tokens`` the spool refused (each is reported once)."""
        with self._cond:
            refused = self._refused_tokens.intersection(tokens)
            self._refused_tokens -= refused
        return refused

    def has_room(self) -> bool:
        """At most half full: room again for what was refused (hysteresis, not one record at a time)."""
        return self.spool.disk_bytes <= self.spool.max_bytes // 2

    def _flush_locked(self) -> None:
        with self._cond:
            pending, self._pending, self._pending_count = self._pending, {}, 0
            tokens, self._tokens = self._tokens, {}
        if not pending:
            return
        groups: list[_Group] = []
        for key, readings in pending.items():
            group = _Group([], 0, tokens.get(key, []))
            for i in range(0, len(readings), self.cfg.batch_size):
                # One reading JSON cannot hold must cost only itself, never the flush or the process.
                chunk = readings[i : i + self.cfg.batch_size]
                record, bad = spoolrecord.pack_valid(key[0], key[1], chunk)
                for r, why in bad:
                    log.error("%s/%s: reading %r cannot be encoded (%s); dropped", *key, r, why)
                self.unencodable += len(bad)
                if record is not None:
                    group.records.append(record)
                    group.count += len(chunk) - len(bad)
            groups.append(group)
        self._append(groups)

    def _append(self, groups: list[_Group]) -> None:
        """Append every group with one fsync; what the spool refuses is counted and its tokens kept."""
        try:
            self.spool.append([r for g in groups for r in g.records])
        except ValueError as exc:  # larger than the whole spool: each device on its own may still fit
            if len(groups) > 1:
                for g in groups:
                    self._append([g])
                return
            self._refuse(groups, str(exc))
        except SpoolFull as exc:
            self._refuse(groups, str(exc))
        except OSError as exc:  # disk full or failing
            self._refuse(groups, f"cannot write the spool: {exc}")
        else:
            self.spooled += sum(g.count for g in groups)
            self.sender.new_data.set()
            if self._refusing_since is not None:
                log.warning(
                    "the spool takes readings again, after %d refused in %.0f s",
                    self.refused - self._refused_at_start,
                    time.monotonic() - self._refusing_since,
                )
                self._refusing_since = None

    def _refuse(self, groups: list[_Group], why: str) -> None:
        count = sum(g.count for g in groups)
        self.refused += count
        with self._cond:
            self._refused_tokens.update(t for g in groups for t in g.tokens)
        # A full disk refuses every flush (~5 a second): one line, then one a minute while it lasts.
        now = time.monotonic()
        if self._refusing_since is None:
            self._refusing_since, self._refused_at_start = now, self.refused - count
        elif now - self._last_refusal_log < REFUSAL_LOG_EVERY_S:
            return
        self._last_refusal_log = now
        log.error("%s: %d readings refused (%d since the spool began refusing)", why, count,
                  self.refused - self._refused_at_start)  # fmt: skip

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._closing:
                    if self._pending_count >= self.cfg.batch_size:
                        break
                    if self._pending_count:
                        left = self._oldest_pending + self.cfg.linger_s - time.monotonic()
                        if left <= 0:
                            break
                        self._cond.wait(left)
                    else:
                        self._cond.wait(0.5)
                closing = self._closing
            try:
                self.flush()
            except Exception:  # this thread is the only writer: it must outlive any one batch
                log.exception("spooling a batch failed; its readings are lost")
            if closing:
                return

    # -- status and shutdown ---------------------------------------------------------------------

    def stats(self) -> PublisherStats:
        return PublisherStats(
            submitted=self.submitted,
            spooled=self.spooled,
            refused=self.refused,
            unencodable=self.unencodable,
            published=self.sender.published_readings,
            messages=self.sender.published_messages,
            spool_records=self.spool.depth_records,
            spool_bytes=self.spool.depth_bytes,
            spool_oldest_age_s=self.spool.oldest_age_s(),
            replay_rate=self.sender.last_round_rate,
            connected=self.sender.connected.is_set(),
        )

    def close(self, drain_s: float = 2.0) -> None:
        """Spool what is queued, give the broker ``drain_s`` to take the backlog, then stop."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._writer.is_alive():
            self._writer.join()
        self.sender.drain(drain_s)
        self.sender.stop()  # before disconnecting, so the disconnect is not reported as an outage
        if self.sender.is_alive():
            self.sender.join(5)
        self.client.disconnect()
        self.client.loop_stop()
        self.spool.close()
        self._lock_file.close()
