"""Bulk work in Python: millions of short-lived rows and dicts."""

from __future__ import annotations

import functools
import gc


def gc_paused(use_case):
    """Run a bulk use case with Python's cyclic garbage collector paused: it creates many
    short-lived objects (rows, dicts, explanation lines) without reference cycles, and the
    collector's repeated scans of them cost up to a sixth of the run. Reference counting still
    frees them; the collector resumes (and catches up) afterwards. The pause is process-wide:
    another thread's work goes without cyclic collection meanwhile, which only delays it."""
    @functools.wraps(use_case)
    def paused(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return use_case(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
    return paused
