"""Freed memory given back to the operating system between the engine's big stages.

The C allocator keeps the memory of freed Python objects and small arrays for
reuse; after a stage that made and dropped millions of them the process would
hold it until exit. :func:`give_back` asks Arrow's pool and glibc to return it.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["give_back"]


def give_back() -> None:
    """Return the allocators' free memory to the operating system: Arrow's pool, and
    glibc's (on Linux)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)
