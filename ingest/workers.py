"""``--workers N``: several ingest processes in one shared-subscription group.

One Python process is bound by its GIL (decoding and encoding are pure Python), so on a
multi-core host ingest scales out in processes, the same way several hosts would: every worker
is a full ingest (own client id, session, spool, dead letters and metrics port) subscribed with
``$share/<group>/...``, and the broker splits the messages between them.  The parent runs
worker 0 itself and stops the others when it stops (or when one of them dies).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable

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


PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when this process dies (even by SIGKILL).

    Linux ``prctl(PR_SET_PDEATHSIG)``; libc is looked up here, in the parent, so the child only
    makes two system calls between fork and exec.  If the parent died before the prctl took
    effect, the child terminates itself at once.  ``None`` where prctl does not exist.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class Workers:
    """The extra worker processes (1..N-1) of one ``eggwatch ingest --workers N``.

    They die with the parent, even when it is SIGKILLed (SIGTERM: they finish the batches in hand
    and exit), so a restarted parent never meets orphans holding the workers' sessions, spools
    (locked anyway) and metrics ports.  Started from the main thread, which lives as long as the
    parent process (the death signal follows the thread that forked).
    """

    def __init__(self, commands: list[list[str]]) -> None:
        preexec = die_with_parent()
        self.procs = [subprocess.Popen(cmd, preexec_fn=preexec) for cmd in commands]

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
