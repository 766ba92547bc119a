"""``--workers N``: several ingest processes in one shared-subscription group.

One Python process is bound by its GIL (decoding and encoding are pure Python), so on a
multi-core host ingest scales out in processes, the same way several hosts would: every worker
is a full ingest (own client id, session, spool, dead letters and metrics port) subscribed with
``$share/<group>/...``, and the broker splits the messages between them.  The parent runs
worker 0 itself and stops the others when it stops (or when one of them dies).
"""

from __future__ import annotations

import logging
import subprocess
import sys

log = logging.getLogger("ingest")


def worker_command(
    index: int, group: str, client_id: str, metrics_port: int | None, flags: dict[str, object]
) -> list[str]:
    cmd = [sys.executable, "-m", "eggwatch.cli", "ingest", "--workers", "1", "--group", group]
    cmd += ["--client-id", f"{client_id}-{index}"]
    if metrics_port is not None:
        cmd += ["--metrics-port", str(metrics_port + index)]
    for flag, value in flags.items():
        if value is True:
            cmd.append(flag)
        elif value is not None and value is not False:
            cmd += [flag, str(value)]
    return cmd


class Workers:
    """The extra worker processes (1..N-1) of one ``eggwatch ingest --workers N``."""

    def __init__(self, commands: list[list[str]]) -> None:
        self.procs = [subprocess.Popen(cmd) for cmd in commands]

    def dead(self) -> list[int]:
        return [p.returncode for p in self.procs if p.poll() is not None]

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
