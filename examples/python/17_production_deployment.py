#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Production Deployment" block, unchanged but for
the import line. It claims: LRUCache(max_size=100, ttl=60) works, with
set/get, the batch operations, a hook whose on_set(key, value) prints each
set with its value (called during set()), and a health check."""

import sys
import time

from readme_check import Tee, claim


printed = sys.stdout = Tee(sys.stdout)
before = time.time()

# --- the README's block, unchanged except the import line ---
from kcache import LRUCache, CacheHook

# Basic usage
cache = LRUCache(max_size=100, ttl=60)
cache.set('key', 'value')
value = cache.get('key')

# Batch operations
cache.set_many({'a': 1, 'b': 2})
values = cache.get_many(['a', 'b'])
with cache.batch_operations():
    cache.set('c', 3)
    cache.set('d', 4)

# Hooks
class MyHook(CacheHook):
    def on_set(self, key, value):
        print(f"Set: {key} -> {value}")
cache.add_hook(MyHook())

# Health check
health = cache.health_check()
print(health)
# --- end of the block ---

cache.set("e", {"n": 5})
cache["f"] = (6, 7)
sys.stdout = printed.out
lines = printed.getvalue().splitlines()
claim(value == "value" and values == {"a": 1, "b": 2}, "set, get, get_many")
claim(cache.get_many(["c", "d"]) == {"c": 3, "d": 4}, "the batch's sets")
info = cache.get_info()
entry = cache.entry("key")
claim(info["max_size"] == 100 and info["default_ttl"] == 60 and
      before + 60 - 1 <= entry.expires_at <= time.time() + 60 + 1,
      "ttl=60")
claim(health["status"] == "healthy" and lines[0].startswith(
    "{'status': 'healthy'"), "the health check")
claim(lines[1:] == ["Set: e -> {'n': 5}", "Set: f -> (6, 7)"],
      "MyHook prints each set with its value (printed %r)" % lines[1:])
cache.close()
print("ok: production deployment")
