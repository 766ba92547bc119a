"""Keep the detector's freed arrays in the process for the next pass (glibc only).

A live pass allocates and frees hundreds of MB of arrays.  glibc's malloc serves blocks this large
by ``mmap`` and gives each back to the kernel when it is freed, or trims the heap's free top, so
the next pass faults the same memory in again: ~30,000-60,000 page faults a pass over 1,000
houses, 5-15 % of its time (``python -m bench.detector``).  Raising the two thresholds once, at
the start of the long-running service, keeps that memory with the process instead (up to the trim
size).  It is what the ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` variables do, but
without relying on whoever starts the process to set them.

A pass analyses its blocks of houses on threads, and glibc gives each thread its own arena, whose
heaps are unmapped whole once emptied whatever the trim threshold: the faults came back (~42,000
a pass on two threads).  One arena (``MALLOC_ARENA_MAX=1``) keeps them away; the threads take a
lock per allocation, a few thousand large arrays a pass.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

# mallopt(3) parameter numbers, from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

MMAP_BYTES = 32 * 1024 * 1024  # blocks below this come from the heap (glibc's largest dynamic value)
TRIM_BYTES = 512 * 1024 * 1024  # the heap keeps up to this much free memory at its top
ARENAS = 1  # every thread allocates from the main arena, whose top the trim threshold keeps
ENV_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX")


def keep_freed_memory(mmap_bytes: int = MMAP_BYTES, trim_bytes: int = TRIM_BYTES) -> bool:
    """Set glibc's mmap and trim thresholds and one arena; False (and nothing changed) where the C
    library is not glibc, or where the environment already sets any of them (the operator's choice)."""
    if any(v in os.environ for v in ENV_VARS):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt  # absent on macOS; a do-nothing stub in musl
        if not hasattr(libc, "gnu_get_libc_version"):
            return False  # another libc's parameter numbers may mean something else
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    settings = ((M_MMAP_THRESHOLD, mmap_bytes), (M_TRIM_THRESHOLD, trim_bytes), (M_ARENA_MAX, ARENAS))
    ok = all(mallopt(param, value) for param, value in settings)
    log.debug(
        "malloc: mmap threshold %d, trim threshold %d bytes, %d arena (%s)",
        mmap_bytes, trim_bytes, ARENAS, "set" if ok else "refused",
    )  # fmt: skip
    return ok
