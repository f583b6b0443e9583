#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Efficient Bulk Operations", unchanged but for
the import line (it has none). It claims: set_many() stores several items
with one TTL, get_many() reads several, and batch_operations() groups
writes (kcache sends them in one ioctl when the block ends)."""

import time

from readme_check import claim

from kcache import LRUCache


cache = LRUCache(max_size=100)
before = time.time()

# --- the README's block, unchanged ---
cache.set_many({"user:1": {"name": "John"}, "user:2": {"name": "Jane"}}, ttl=300)
users = cache.get_many(["user:1", "user:2"])
with cache.batch_operations():
    cache.set("key1", "value1")
    cache.set("key2", "value2")
# --- end of the block ---

claim(users == {"user:1": {"name": "John"}, "user:2": {"name": "Jane"}},
      "get_many() returns both users")
for key in ("user:1", "user:2"):
    entry = cache.entry(key)
    claim(before + 300 - 1 <= entry.expires_at <= time.time() + 300 + 1,
          "set_many() gives each item ttl=300")
claim(cache.get_many(["key1", "key2"]) == {"key1": "value1",
                                           "key2": "value2"},
      "the batch's writes are stored when it ends")
with cache.batch_operations():
    cache.set("key3", "value3")
    queued = "key3" not in LRUCache(name=cache.name, create=False)
claim(queued, "inside the block, writes wait to be sent together")
claim(cache.get("key3") == "value3", "and are sent at its end")
cache.close()
print("ok: batch operations")
