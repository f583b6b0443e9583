# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""kcache: LRU caches in kernel memory (lrucache.ko), from Python.

A drop-in for the LRUcache_system library's API, over libkcache (C,
through ctypes): change ``from LRUcache_system import ...`` to
``from kcache import ...``. The entries live in the kernel, so a cache
with a name is shared by every process that opens it and outlives them.
See python/README.md for what differs from the original.
"""

from ._cache import LRUCache, destroy
from ._codec import JSONCodec, PickleCodec, RawCodec, decode_key, encode_key
from ._decorator import CacheInfo, cache, lru_cache
from ._hooks import CacheEntry, CacheEvent, CacheHook, LoggingHook
from ._native import (BatchError, CacheDestroyedError, CacheExistsError,
                      CacheFullError, CacheNotFoundError,
                      CachePermissionError, DumpFormatError,
                      CounterOverflowError, EntryTooLargeError,
                      KCacheError, ModuleNotLoadedError, NotACounterError)


def _version():
    """The project's one version (VERSION at the top of the tree): read
    from the checkout when run from one, else the installed package's."""
    import os
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.exists(os.path.join(here, "pyproject.toml")):
        try:
            with open(os.path.join(here, "VERSION")) as f:
                return f.read().strip()
        except OSError:
            pass
    try:
        from importlib import metadata
        return metadata.version("kcache")
    except Exception:
        return "unknown"


__version__ = _version()

__all__ = [
    "LRUCache", "destroy", "lru_cache", "cache", "CacheInfo",
    "CacheHook", "LoggingHook", "CacheEntry", "CacheEvent",
    "JSONCodec", "PickleCodec", "RawCodec", "encode_key", "decode_key",
    "KCacheError", "CacheNotFoundError", "CacheExistsError",
    "CacheDestroyedError", "ModuleNotLoadedError", "CachePermissionError",
    "EntryTooLargeError", "CacheFullError", "DumpFormatError", "BatchError",
    "NotACounterError", "CounterOverflowError",
]
