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
                      EntryTooLargeError, KCacheError, ModuleNotLoadedError)

__version__ = "1.0.0"

__all__ = [
    "LRUCache", "destroy", "lru_cache", "cache", "CacheInfo",
    "CacheHook", "LoggingHook", "CacheEntry", "CacheEvent",
    "JSONCodec", "PickleCodec", "RawCodec", "encode_key", "decode_key",
    "KCacheError", "CacheNotFoundError", "CacheExistsError",
    "CacheDestroyedError", "ModuleNotLoadedError", "CachePermissionError",
    "EntryTooLargeError", "CacheFullError", "DumpFormatError", "BatchError",
]
