"""A private Mosquitto for outage tests: the machine's broker is shared, this one we may kill."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.servers import free_port, port_open, stop_process_group


def _exe() -> str:
    exe = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if exe is None:
        raise RuntimeError("mosquitto is not installed (Debian package mosquitto)")
    return exe


@dataclass
class PrivateBroker:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="eggwatch-mosq-")))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> PrivateBroker:
        conf = self.root / "mosquitto.conf"
        conf.write_text(
            # Persistence keeps the test subscriber's session over a restart, like a production broker.
            # Mosquitto 2 started as root drops to the user "mosquitto", which may not write our
            # private (0700) directory: the session would silently vanish at restart and whatever
            # the gateway replays before the subscriber resubscribes would be dropped.  Staying the
            # user we are (a no-op for non-root) keeps the database writable.
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
            f"persistence true\npersistence_location {self.root}/\n"
            "max_queued_messages 0\nmax_inflight_messages 0\n"
        )
        with open(self.root / "mosquitto.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [_exe(), "-c", str(conf)], stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log_text()[-1000:]}")
            if port_open("127.0.0.1", self.port, timeout=0.2):
                return self
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        """Take the broker down (SIGTERM: it saves its sessions, as a restarted service would)."""
        if self.proc and self.proc.poll() is None:
            stop_process_group(self.proc)
            self.proc = None
            # A broker that lost its sessions would turn the outage tests into races: fail loudly.
            log = self.log_text()
            if "Error saving" in log:
                raise RuntimeError(f"mosquitto could not save its sessions: {log[-600:]}")
        self.proc = None

    def log_text(self) -> str:
        path = self.root / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
