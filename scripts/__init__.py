"""Open Up: Swedish public bodies' supplier ledgers, loaded into one SQLite database."""

import os

# Polars allocates through jemalloc, which as Polars sets it up keeps freed pages for 0.5-1 s
# (some 50 MiB more at the peak of a load). A background thread handing them back after 0.2 s
# keeps the load within its memory bound; handing them back at once made folding twice as
# slow. One arena rather than one per thread: Polars' threads free what others allocated, and
# the 10M-row load peaked at 306 MiB with an arena each, 285 MiB with one, no slower. Read when
# Polars loads (so here, before any module imports it).
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:200,muzzy_decay_ms:0,narenas:1")
