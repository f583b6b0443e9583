#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "1. API Response Caching", unchanged but for the
import line. It claims: the response is cached under its key and read
back; the cache holds 1000 entries and keeps each for 300 seconds."""

import time

from readme_check import claim


before = time.time()

# --- the README's block, unchanged except the import line ---
from kcache import LRUCache
cache = LRUCache[str, dict](max_size=1000, default_ttl=300)
cache.set("user:123", {"name": "John", "email": "john@example.com"})
user_data = cache.get("user:123")
# --- end of the block ---

claim(user_data == {"name": "John", "email": "john@example.com"},
      "get() returns the response set")
claim(cache.get_info()["max_size"] == 1000, "max_size=1000")
entry = cache.entry("user:123")
# Set between before and now (a second of slack for the clocks).
claim(before + 300 - 1 <= entry.expires_at <= time.time() + 300 + 1,
      "the entry expires after default_ttl=300 seconds")
cache.close()
print("ok: api response caching")
