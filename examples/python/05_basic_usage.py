#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Basic Usage", unchanged but for the import
line. It claims: set/get, exists, and the dict interface ([]=, [], del)."""

from readme_check import claim

# --- the README's block, unchanged except the import line ---
from kcache import LRUCache
cache = LRUCache(max_size=100)
cache.set("key1", "value1")
value = cache.get("key1")
exists = cache.exists("key1")
cache["key2"] = "value2"
value = cache["key2"]
del cache["key2"]
# --- end of the block ---

claim(exists is True and cache.get("key1") == "value1", "set, get, exists")
claim(value == "value2", "cache[key] reads what cache[key] = stored")
claim("key2" not in cache and len(cache) == 1, "del removes the key")
cache.close()
print("ok: basic usage")
