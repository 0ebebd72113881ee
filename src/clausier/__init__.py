"""Clausier — the back office that bills exactly what the terms of sale say."""

import os

__version__ = "0.1.0"

# Polars allocates with jemalloc, which by default hands large freed blocks back to the system
# at once: rating and importing millions of records then spend a fifth of their time in page
# faults. Keeping freed memory for reuse during 30 s (purged by a background thread) removes
# most of them. One arena for every thread: what the import's threads freed is then what the
# rating's threads reuse, rather than memory kept apart in the arenas of threads gone (an import
# then a rating of 10 M records peaked at 2.4 GiB with the default arenas, 1.9 GiB with one).
# Read when Polars loads, hence here; an operator's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF",
                      "background_thread:true,dirty_decay_ms:30000,muzzy_decay_ms:30000,narenas:1")
