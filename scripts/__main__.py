"""`python -m openup`: the same command as `openup`, its memory bounded by OPENUP_MAX_MEMORY_BYTES
when that is set (the instance's validator sets it for the uploads it reads).

The bound is on resident memory, watched by a thread that ends the process when it is passed:
an address-space limit (RLIMIT_AS) would count what Polars' allocator reserves but never uses
(2-3 GiB for a file of a few MB)."""

import os
import threading
import time

from .cli import MEMORY_LIMIT, main

_PAGE = os.sysconf("SC_PAGE_SIZE")
_OVER_LIMIT = 3  # the exit status of a process ended for its memory


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _watch(limit: int) -> None:
    while True:
        if _resident_bytes() > limit:
            os._exit(_OVER_LIMIT)
        time.sleep(0.02)


if os.environ.get(MEMORY_LIMIT):
    threading.Thread(target=_watch, args=(int(os.environ[MEMORY_LIMIT]),), daemon=True).start()
main()
