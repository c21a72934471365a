"""Two malloc arenas for an API process. glibc gives each thread that contends for the allocator an
arena of its own, up to eight per core, and memory freed in one arena is not reused by another: with
the pool of threads the reads run on, a serving process's RSS crept 23 MiB in a 10-minute soak with
the kept answers at their budget all along, and 10 MiB with two arenas (`bench.load`)."""

from __future__ import annotations

import ctypes
import os
import platform

ARENAS = "2"
_M_ARENA_MAX = -8
"""mallopt's parameter, from glibc's malloc.h."""


def limit_arenas() -> bool:
    """For this process (mallopt) and the worker processes it starts (the variable glibc reads at
    their start); a MALLOC_ARENA_MAX already set is left as it is, glibc having applied it. True when
    this call set the limit."""
    if "MALLOC_ARENA_MAX" in os.environ or platform.libc_ver()[0] != "glibc":
        return False
    os.environ["MALLOC_ARENA_MAX"] = ARENAS
    return ctypes.CDLL(None).mallopt(_M_ARENA_MAX, int(ARENAS)) == 1
