"""``eggwatch demo``: the composition root.

    broker (embedded amqtt, or EGGWATCH_MQTT_URL)
    ingest (IngestService) → telemetry store (embedded SQLite, or EGGWATCH_INFLUX_URL)
    SQL database (migrated; EGGWATCH_DATABASE_URL or SQLite in the data dir) + seeded workforce
    API + web page (uvicorn, --port)
    alert engine (detector passes: per backfilled chunk at simulated time, then its live loop)
    1. backfill  --history-days of simulated readings → gateway publisher → broker (fast)
    2. fast-forward (--speed K > 1) the last stretch before now, paced at K×
    3. live: firmware stubs driven by the simulator, polled by the real serial gateway (Modbus RTU
       on ptys) and translated by the real MQTT gateway (Homie scale nodes)

Ctrl-C (or the end of --duration) stops everything in reverse order; the next run continues
the same simulated park from where this one stopped (``<data dir>/demo/state.json``).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from eggwatch.clikit import check_port
from eggwatch.demo import feed, services, world
from eggwatch.demo.options import DemoOptions
from eggwatch.demo.progress import Progress
from eggwatch.settings import ConfigError, Settings, load_settings
from eggwatch.spool import SpoolLocked

log = logging.getLogger("eggwatch.demo")
DIRECT_EVERY_S = 60.0  # live: how often the stub-less devices are published


def _detector_needs_days() -> float:
    """Days of history the detector needs before it judges a house (its baseline), with a margin."""
    try:
        from analytics.detector.config import DetectorConfig

        return float(DetectorConfig().min_baseline_days + 3)
    except ImportError:  # the detector is not installed: assume 8 days
        return 8.0


def _utc(t_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t_s, dt.UTC)


def _say(msg: str) -> None:
    print(msg, flush=True)


class Demo:
    def __init__(self, opts: DemoOptions) -> None:
        self.opts = opts
        self.stop = threading.Event()
        self.stack = services.Stack()
        self.settings: Settings = load_settings()
        self.embedded_broker = not self.settings.mqtt_url
        self.live_since = time.monotonic()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting
        _say("stopping … (Ctrl-C again to abort)")
        self.stop.set()

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            check_port(self.opts.host, self.opts.port)
            self._run()
        except (ConnectionError, OSError) as exc:  # a server in the settings that cannot be reached
            raise ConfigError(f"demo: {exc}") from None
        except SpoolLocked:  # the spools (and state.json) of one data dir serve one demo at a time
            raise ConfigError(
                f"another eggwatch demo is running with the data dir {self.settings.data_dir}: stop it, "
                "or give this one its own EGGWATCH_DATA_DIR"
            ) from None
        finally:
            self.stack.close()
            _say("eggwatch demo stopped")

    def _run(self) -> None:
        opts = self.opts
        settings = services.broker_settings(self.settings, self.stack)
        now = time.time()
        history_end = now - opts.fast_forward_s
        state_path = settings.path("demo", "state.json")
        # The baseline must be there before the incident, which falls within the history's last days.
        needs = _detector_needs_days() + world.INCIDENT_WITHIN_DAYS
        warmup = max(0.0, needs - opts.history_days) if opts.history_days else 0.0
        state, sim, warm_s, start_s = world.prepare(state_path, opts.seed, opts.houses, opts.history_days,
                                                    history_end, settings.site, warmup)  # fmt: skip
        sim.park.dump(settings.path("park.yaml"))
        store = services.open_telemetry(settings, self.stack)
        services.migrate(settings)
        ingest = services.start_ingest(settings, store, self.stack, embedded_broker=self.embedded_broker)
        base = services.ingested(ingest)

        def stored(n: int) -> bool:  # ingest made the first n readings we published durable
            return services.ingested(ingest) - base >= n

        alerts = services.start_alerts(settings, store, sim.park, self.stack)
        url = f"http://{opts.host}:{opts.port}/"
        _say(f"eggwatch demo: loading the park's history; the web page and API open on {url} when the "
             "logins are seeded, after it")  # fmt: skip
        pub = services.make_publisher(settings, "feed", self.stack)

        for label in sim.labels:
            _say(f"injected incident: {label.house} {label.kind}, water falls {label.onset:%Y-%m-%d %H:%M}Z, "
                 f"eggs fall {label.egg_onset:%Y-%m-%d %H:%M}Z ({label.magnitude_pct} points)")  # fmt: skip

        def detect(t_s: float) -> None:
            self._detect(alerts, t_s)

        if warm_s < start_s:
            _say(f"warm-up: {(start_s - warm_s) / 86400:.1f} days of 10-minute readings first, so the detector "
                 "has the baseline it needs to judge each house")  # fmt: skip
            # Not hourly: an hourly reading at hh:00 would put each hour's counter increase into the
            # next hour's bucket, shifting the daily rhythm by an hour where the backfill takes over.
            self._backfill(sim, pub, stored, warm_s, start_s, None, step_s=600.0, what="warm-up")
            base = services.ingested(ingest)
        if start_s < history_end - 60:
            self._backfill(sim, pub, stored, start_s, history_end, detect)
        if self.stop.is_set():  # Ctrl-C cut the history short: the next run must load it again
            return
        state.fed_until_s = history_end
        state.save(state_path)
        today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
        _say(services.seed_workforce(settings, sim.park, store, today - dt.timedelta(days=40), today + dt.timedelta(days=1),
                                     opts.password))  # fmt: skip
        # Served only now: before the logins exist, every login would read "wrong user name or password".
        services.start_api(settings, store, sim.park, opts.host, opts.port, self.stack)
        _say(f"eggwatch demo: web page and API on {url} (logins admin / manager / payroll / poverty / "
             f"sup-house-01 …, password {opts.password!r})")  # fmt: skip
        self.live_since = time.monotonic()  # --duration counts from here (fast-forward included)
        if opts.fast_forward_s and not self.stop.is_set():
            self._fast_forward(sim, pub, history_end, detect)
        if self.stop.is_set():
            return
        self._live(settings, sim, pub, alerts, state, state_path)

    # -- phases ----------------------------------------------------------------------------------

    def _detect(self, alerts: Any, t_s: float) -> None:
        try:
            report = alerts.run_pass(_utc(t_s))
            for name in alerts.channels:
                alerts.dispatcher.deliver_due(name)
            opened = getattr(getattr(report, "result", None), "opened", None) or []
            for a in opened:
                what = f"{getattr(a, 'unit', '?')} {getattr(a, 'kind', '?')}"
                _say(f"alert raised at simulated {_utc(t_s):%Y-%m-%d %H:%M}Z: {what}")
        except Exception:
            log.exception("detector pass at %s failed", _utc(t_s))

    def _backfill(
        self, sim: Any, pub: Any, stored: Any, start_s: float, end_s: float, detect: Any,
        step_s: float | None = None, what: str = "backfill",
    ) -> None:  # fmt: skip
        bar = Progress(what, start_s, end_s)
        step = step_s or self.opts.backfill_step_s
        n = feed.backfill(sim, pub, stored, start_s, end_s, step, chunk_s=max(6 * 3600.0, 24 * step),
                          on_chunk=detect, progress=bar.update, stop=self.stop)  # fmt: skip
        bar.done(f"{n:,} readings")

    def _fast_forward(self, sim: Any, pub: Any, start_s: float, detect: Any) -> None:
        """Simulated time runs ``speed`` × faster than the wall clock until it reaches it."""
        opts = self.opts
        _say(
            f"fast-forward: {opts.fast_forward_s / 3600:.1f} simulated hours at {opts.speed:g}× until the clock catches up"
        )
        wall0 = time.time()
        sim_t = start_s
        next_detect = start_s + 3600.0
        while not self.stop.is_set():
            target = min(start_s + opts.speed * (time.time() - wall0), time.time())
            steps = int((target - sim_t) // 60.0)
            if steps > 0:
                feed.publish(pub, sim.channels(sim_t, sim_t + steps * 60.0, 60.0))
                sim_t += steps * 60.0
            if sim_t >= next_detect:
                detect(sim_t)
                next_detect += 3600.0
            if sim_t >= time.time() - 60.0:
                return
            self.stop.wait(1.0)

    def _live(self, settings: Settings, sim: Any, pub: Any, alerts: Any, state: Any, state_path: Any) -> None:
        opts = self.opts
        alerts.start()
        self.stack.push("alert loop", alerts.stop)
        if opts.modbus:
            from eggwatch.demo.devices import LiveDevices

            live = LiveDevices(sim, services.make_publisher(settings, "serial", None), settings)
            live.start()
            self.stack.push("live devices and serial gateway", live.stop)
        _say(f"eggwatch demo live ({'Modbus + Homie stubs via the gateways' if opts.modbus else 'direct feed'}); "
             f"{'until Ctrl-C' if opts.duration_s is None else f'for {opts.duration_s:.0f} s'}")  # fmt: skip
        devices = feed.DIRECT_DEVICES if opts.modbus else None
        fed = state.fed_until_s
        until = self.live_since + opts.duration_s if opts.duration_s else float("inf")
        while not self.stop.is_set() and time.monotonic() < until:
            now = time.time()
            steps = int((now - fed) // 60.0)
            if steps > 0:
                feed.publish(pub, sim.channels(fed, fed + steps * 60.0, 60.0), devices)
                fed += steps * 60.0
                state.fed_until_s = fed
                state.save(state_path)
            self.stop.wait(min(DIRECT_EVERY_S / 4, max(0.1, until - time.monotonic())))


def run(opts: DemoOptions) -> None:
    if sys.platform == "win32":  # ptys
        raise SystemExit("eggwatch demo needs a POSIX system (the Modbus stubs run on ptys)")
    Demo(opts).run()
