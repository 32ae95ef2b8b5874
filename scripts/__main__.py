"""`python -m openup`: the same command as `openup`, its memory bounded by OPENUP_MAX_MEMORY_BYTES
when that is set (the instance's validator sets it for the uploads it reads)."""

import os
import resource

from .cli import MEMORY_LIMIT, main

if os.environ.get(MEMORY_LIMIT):
    limit = int(os.environ[MEMORY_LIMIT])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
main()
