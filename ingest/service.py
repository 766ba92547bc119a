"""The ingest service: MQTT in, durable store writes, then acknowledgements.

The threads after the network form a pipeline: the *preparer* collects a batch
(``batch_readings`` readings, ``linger_s`` after its first message, or earlier when a committer
is idle and nothing more is waiting), decodes it straight to line protocol and compresses it
(unless InfluxDB is on this host); ``write_concurrency`` *committers* each write one prepared batch to the store and
only then acknowledge its messages.  So CPU work on one batch overlaps the store's work on others.

When the store is down a batch is appended (fsync'd) to the spool instead and acknowledged; while
the spool holds anything, new batches queue behind it and one committer drains it oldest first.
When the spool is full nothing is acknowledged: the broker stops sending once our in-flight
window is used up (back-pressure, nothing dropped).
"""

from __future__ import annotations

import gc
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from eggwatch.clikit import start_metrics_server
from eggwatch.deadletter import DeadLetters
from eggwatch.settings import BrokerAddress, ConfigError, Settings
from eggwatch.spool import Spool, SpoolFull
from eggwatch.store.base import TelemetryStore
from eggwatch.store.errors import StoreServerError, StoreUnavailable
from ingest.batch import Batch, Batcher
from ingest.options import IngestOptions
from ingest.sink import Item, Prepared, Sink
from ingest.source import MqttSource
from ingest.stats import IngestMetrics

log = logging.getLogger("ingest")

IDLE_WAIT_S = 0.2
# paho's network thread makes several blocking calls per message (select, then recv for the
# header, the length and the body), each releasing the GIL; with the preparer thread busy
# decoding, every re-acquisition waits up to the interpreter's switch interval (5 ms by default),
# so paho reads a few hundred messages a second and Mosquitto's queue for us overflows.  A
# shorter interval keeps the network thread fed at a small cost in switching.
GIL_SWITCH_INTERVAL_S = 0.0005
# A batch is closed before ``linger_s`` once the inbox is empty and a committer is idle (holding
# it longer would only add latency), but not before this: a burst in flight still joins it, and
# a quiet park costs InfluxDB at most 20 small writes a second.  Under load the committers are
# busy, so batches still fill up to ``batch_readings``.
EAGER_AFTER_S = 0.05
EAGER_POLL_S = 0.002
# A drain write holds at most ``batch_readings`` readings (at least one spool record), like a
# direct write; records are read from the spool up to this many records and bytes per reading
# (a spooled reading is ~40-70 bytes of JSON, so the cut is almost always by readings).
DRAIN_RECORDS = 500
DRAIN_BYTES_PER_READING = 128
MAX_BACKOFF_S = 10.0
# The spool's head batch failing this many times in a row with HTTP 500 while InfluxDB answers
# /ping: the batch, not the server, is the problem; isolate the lines it fails on.
POISON_AFTER = 3


# The decoder keeps one dict per reading (orjson's output) until its batch is written; with the
# default gen-0 threshold (700 allocations) the cyclic GC runs every few dozen readings and walks
# every batch in flight: measured, 40 % of decoding time.  Nothing on the hot path makes
# reference cycles, so collect far less often.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """For a process that runs ingest (the CLI; not the demo's shared process): GC rarely.

    Objects alive now (modules, settings, caches) are moved out of the collector's way.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@dataclass
class _Outage:
    """When to try the store again after it failed (exponential backoff)."""

    retry_at: float = 0.0
    backoff_s: float = 0.5

    def failed(self) -> None:
        self.retry_at = time.monotonic() + self.backoff_s
        self.backoff_s = min(self.backoff_s * 2, MAX_BACKOFF_S)

    def recovered(self) -> None:
        self.retry_at, self.backoff_s = 0.0, 0.5

    @property
    def due(self) -> bool:
        return time.monotonic() >= self.retry_at


class IngestService:
    """MQTT → store with at-least-once delivery; run it with :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        store: TelemetryStore,
        broker: BrokerAddress,
        options: IngestOptions,
        *,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.metrics = IngestMetrics()
        self.dead_letters = dead_letters or DeadLetters(options.dead_letter_path)
        self.spool = Spool(options.spool_dir, max_bytes=options.spool_max_bytes)
        self.sink = Sink(store, self.dead_letters)
        self.source = MqttSource(
            broker,
            options.client_id,
            options.topic_filter,
            options.protocol,
            options.inflight,
            options.session_expiry_s,
            on_taken_over=self.metrics.taken_over.inc,
            # in the (locked) spool directory: the state of this client id, like its spool
            filter_file=options.spool_dir / "subscription",
        )
        self.batcher = Batcher(self.dead_letters, self.metrics, options.track_seq and options.group is None)
        self._outage = _Outage()
        self._store_is_up = True
        self._down_reason = ""
        self._backpressure = False
        self._stopping = threading.Event()
        self._writers: list[threading.Thread] = []
        self._drain_lock = threading.Lock()
        self._head_failures = (-1, 0)  # (spool head record id, consecutive HTTP 500 failures)
        self._idle_lock = threading.Lock()
        self._idle_committers = 0  # committers waiting for a batch
        self._preparer: threading.Thread | None = None
        self._ready: queue.Queue[tuple[Batch, Prepared]] = queue.Queue(maxsize=1)
        self._http: object = None
        self.failure: BaseException | None = None

    @classmethod
    def from_settings(cls, settings: Settings, options: IngestOptions) -> IngestService:
        """The service on the configured store (InfluxDB or embedded) and broker."""
        from eggwatch.store.open import open_store

        dead = DeadLetters(options.dead_letter_path)
        store = open_store(settings, dead_letters=dead)
        from eggwatch.store.influx import InfluxStore

        if isinstance(store, InfluxStore):
            store.retry_for_s = options.retry_for_s
            if options.gzip_level is not None:
                store.gzip_level = options.gzip_level
        return cls(store, settings.broker, options, dead_letters=dead)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
        try:
            self.store.ensure_ready()
            self.metrics.store_up.set(1)
        except StoreUnavailable as exc:  # start anyway: the spool covers the outage
            log.warning("store not ready (%s): spooling until it is", exc)
            self._outage.failed()
        if self.options.metrics_port is not None:
            try:
                self._http, _ = start_metrics_server(
                    self.options.metrics_port, registry=self.metrics.registry
                )
            except ConfigError:  # busy port, no permission: one clear line, not a traceback
                self._shutdown()
                raise
        self._preparer = threading.Thread(
            target=self._guard, args=(self._prepare_loop,), name="ingest-prepare", daemon=True
        )
        self._writers = [
            threading.Thread(
                target=self._guard, args=(self._commit_loop,), name=f"ingest-commit-{i}", daemon=True
            )
            for i in range(self.options.write_concurrency)
        ]
        self._preparer.start()
        for thread in self._writers:
            thread.start()
        try:
            self.source.start()
        except ConnectionError:
            self._shutdown()
            raise
        log.info(
            "ingest running: %s, batches of %d readings / %.2fs, spool %s (%d records waiting)",
            type(self.store).__name__,
            self.options.batch_readings,
            self.options.linger_s,
            self.options.spool_dir,
            self.spool.depth_records,
        )

    def stop(self) -> None:
        """Finish the batches in hand (write or spool them, then ack), then disconnect."""
        self._shutdown()

    def _shutdown(self) -> None:
        self._stopping.set()
        for thread in (self._preparer, *self._writers):
            if thread is not None:
                thread.join(timeout=60)
        self.source.stop()
        if self._http is not None:
            self._http.shutdown()  # type: ignore[attr-defined]
            self._http.server_close()  # type: ignore[attr-defined]
            self._http = None
        self.dead_letters.close()
        self.spool.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the service fails (``failure`` is set) or is stopped; True when it has."""
        threads = [t for t in (self._preparer, *self._writers) if t is not None]
        if not threads:
            return True
        threads[0].join(timeout)
        return not all(t.is_alive() for t in threads)

    # -- the writer thread -----------------------------------------------------------------------

    def _guard(self, loop: Callable[[], None]) -> None:
        try:
            loop()
        except BaseException as exc:  # a bug: make it loud, never silently stop acknowledging
            self.failure = exc
            log.exception("ingest %s failed", threading.current_thread().name)
            self._stopping.set()
            raise

    def _prepare_loop(self) -> None:
        while not self._stopping.is_set():
            batch = self._collect()
            if not len(batch):
                continue
            self.batcher.count(batch)
            prepared = self.sink.prepare(batch.items)
            while True:
                try:
                    self._ready.put((batch, prepared), timeout=IDLE_WAIT_S)
                    break
                except queue.Full:
                    if self._stopping.is_set():
                        return  # not acked: the broker redelivers it

    def _commit_loop(self) -> None:
        preparer = self._preparer
        while not (
            self._stopping.is_set() and self._ready.empty() and not (preparer and preparer.is_alive())
        ):
            with self._idle_lock:
                self._idle_committers += 1
            try:
                ready: tuple[Batch, Prepared] | None = self._ready.get(timeout=IDLE_WAIT_S)
            except queue.Empty:
                ready = None
            with self._idle_lock:
                self._idle_committers -= 1
            if ready is not None:
                self._persist(*ready)
            if self.spool.depth_records and not self._stopping.is_set():
                self._drain(budget_s=0.5)
            if threading.current_thread() is self._writers[0]:
                self._report()

    def _committer_waiting(self) -> bool:
        """True when a committer would take a batch right now (none is queued for it)."""
        return self._idle_committers > self._ready.qsize()

    def _collect(self) -> Batch:
        batch = Batch()
        inbox = self.source.inbox
        try:
            first = inbox.get(timeout=IDLE_WAIT_S)
        except queue.Empty:
            return batch
        self.batcher.add(batch, first)
        started = time.monotonic()
        deadline = started + self.options.linger_s
        while batch.readings < self.options.batch_readings:
            try:
                msg = inbox.get_nowait()
            except queue.Empty:
                now = time.monotonic()
                if now >= deadline or (now - started >= EAGER_AFTER_S and self._committer_waiting()):
                    break
                try:
                    msg = inbox.get(timeout=min(deadline - now, EAGER_POLL_S))
                except queue.Empty:
                    continue
            self.batcher.add(batch, msg)
        return batch

    def _persist(self, batch: Batch, prepared: Prepared) -> None:
        """Make the batch durable (store or spool), then acknowledge it."""
        if batch.items:
            # While the spool holds older readings, new ones queue behind them (arrival order).
            written = self.spool.depth_records == 0 and self._write_direct(prepared)
            if not written and not self._spool(batch.items):
                return  # stopping while the spool is full: unacked messages will be redelivered
        self.dead_letters.flush()
        acked = self.source.ack(batch.messages)
        with self.metrics.lock:
            self.metrics.totals.acked += acked
        self.metrics.acked.inc(acked)

    def _write_direct(self, prepared: Prepared) -> bool:
        if not self._outage.due:
            return False
        n = prepared.readings
        t0 = time.perf_counter()
        try:
            refused = self.sink.commit(prepared)
        except StoreUnavailable as exc:
            self._write_failed(exc)
            return False
        self.metrics.write_seconds.observe(time.perf_counter() - t0)
        self._store_up()
        with self.metrics.lock:
            self.metrics.totals.written += n - refused
        self.metrics.written.inc(n - refused)
        if refused:
            self.metrics.reject("store_rejected", refused)
        return True

    def _spool(self, items: list[Item]) -> bool:
        records = [it.to_record() for it in items]
        n = sum(len(it) for it in items)
        while True:
            try:
                self.spool.append(records)
                break
            except SpoolFull:
                if self._stopping.is_set():
                    return False
                if not self._backpressure:
                    log.warning("spool full: holding acknowledgements until the store drains it")
                    self._backpressure = True
                    self.metrics.backpressure.set(1)
                # Another committer may be draining: wait for it rather than spin on its lock.
                self._drain(budget_s=1.0, wait_s=0.5)
                if not self._outage.due:
                    time.sleep(min(0.5, max(0.0, self._outage.retry_at - time.monotonic())))
        if self._backpressure:
            log.info("spool accepts again: acknowledging")
            self._backpressure = False
            self.metrics.backpressure.set(0)
        with self.metrics.lock:
            self.metrics.totals.spooled += n
        self.metrics.spooled.inc(n)
        return True

    def _drain(self, budget_s: float, wait_s: float = 0.0) -> bool:
        """Write the oldest spooled records to the store, in order, for up to ``budget_s``.

        Returns False when another committer is draining (after waiting up to ``wait_s`` for it).
        """
        if not self._drain_lock.acquire(timeout=wait_s if wait_s > 0 else -1, blocking=wait_s > 0):
            return False  # another committer is draining
        try:
            self._drain_locked(budget_s)
        finally:
            self._drain_lock.release()
        return True

    def _drain_locked(self, budget_s: float) -> None:
        deadline = time.monotonic() + budget_s
        limit = self.options.batch_readings
        while self._outage.due and time.monotonic() < deadline:
            peeked = self.spool.peek(DRAIN_RECORDS, max_bytes=max(1 << 20, limit * DRAIN_BYTES_PER_READING))
            if not peeked:
                return
            records: list[tuple[int, bytes]] = []
            items: list[Item] = []
            readings = 0
            for rid, rec in peeked:
                if records and readings >= limit:
                    break
                records.append((rid, rec))
                try:
                    item = Item.from_record(rec)
                except Exception as exc:  # a record we cannot read must not block the spool forever
                    self.dead_letters.put("spool_unreadable", str(exc), None, rec, record_id=rid)
                    self.metrics.reject("spool_unreadable")
                    continue
                if len(records) > 1 and readings + len(item) > limit:
                    records.pop()  # next time: this write is full
                    break
                items.append(item)
                readings += len(item)
            failed = 0
            try:
                refused = self.sink.write(items)
            except StoreServerError as exc:
                isolated = self._isolate(records[0][0], items, exc)
                if isolated is None:
                    return
                refused, failed = isolated
            except StoreUnavailable as exc:
                self._store_down(exc)
                return
            self._head_failures = (-1, 0)
            self._store_up()
            self.dead_letters.flush()
            self.spool.commit(records[-1][0])
            if refused:
                self.metrics.reject("store_rejected", refused)
            n = sum(len(it) for it in items) - refused - failed
            with self.metrics.lock:
                self.metrics.totals.drained += n
            self.metrics.drained.inc(n)
            if not self.spool.depth_records:
                log.info("spool drained: the store has caught up")

    def _isolate(self, head: int, items: list[Item], exc: StoreServerError) -> tuple[int, int] | None:
        """The spool's head batch failed with HTTP 500: after ``POISON_AFTER`` times in a row,
        with InfluxDB healthy, write what it accepts and dead-letter the lines it keeps failing on
        (``store_error``).  Returns ``(refused, failed)``, or ``None`` (store down: keep the batch).
        """
        last, count = self._head_failures
        count = count + 1 if last == head else 1
        self._head_failures = (head, count)
        if count < POISON_AFTER:
            self._write_failed(exc)
            return None
        try:
            refused, failed = self.sink.isolate(items)
        except StoreUnavailable as down:
            self._store_down(down)
            return None
        if failed:
            log.error(
                "InfluxDB is up but fails (HTTP 500) on %d line(s) of the spooled batch on their own: "
                "dead-lettered as store_error, the rest written (server: %s)",
                failed,
                exc.message,
            )
            self.metrics.reject("store_error", failed)
        return refused, failed

    def _write_failed(self, exc: StoreUnavailable) -> None:
        """Back off, unless InfluxDB failed with HTTP 500 while answering /ping: no outage to wait
        out then (each try already retried for ``retry_for_s``), the batch goes on to the spool's
        isolation at once.  The backoff (0.5, 1, 2 s) made one bad reading hold the rest up 4 s."""
        if not (isinstance(exc, StoreServerError) and self.sink.store_answers()):
            self._store_down(exc)

    def _store_down(self, exc: Exception) -> None:
        why = str(exc)
        if self._store_is_up or why != self._down_reason:  # once per change, not per retry
            log.warning("store unavailable (%s): spooling", why)
            self._store_is_up = False
            self._down_reason = why
        self.metrics.store_up.set(0)
        self._outage.failed()

    def _store_up(self) -> None:
        if not self._store_is_up:
            log.info("store is back")
            self._store_is_up = True
            self._down_reason = ""
        self.metrics.store_up.set(1)
        self._outage.recovered()

    def _report(self) -> None:
        m = self.metrics
        depth = self.spool.depth_records
        age = self.spool.oldest_age_s()
        m.spool_records.set(depth)
        m.spool_bytes.set(self.spool.depth_bytes)
        m.spool_age.set(age or 0.0)
        m.maybe_log(self.options.log_interval_s, depth, age)
