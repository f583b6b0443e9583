#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Time-To-Live Configuration", unchanged but for
the import line (it has none). It claims: set() takes a TTL per entry,
and a cache's default_ttl applies to entries set without one."""

import time

from readme_check import claim

from kcache import LRUCache


cache = first = LRUCache(max_size=100)
session_data = {"user_id": 42, "cart": ["book"]}
before = time.time()

# --- the README's block, unchanged ---
cache.set("session:123", session_data, ttl=1800)
cache = LRUCache(default_ttl=300)
cache.set("key", "value")
# --- end of the block ---

session = first.entry("session:123")
entry = cache.entry("key")
now = time.time()
# Each was set between before and now (a second of slack).
claim(session.value == session_data and
      before + 1800 - 1 <= session.expires_at <= now + 1800 + 1,
      "ttl=1800 per entry")
claim(before + 300 - 1 <= entry.expires_at <= now + 300 + 1,
      "default_ttl=300 when set() has no ttl")
first.close()
cache.close()
print("ok: ttl configuration")
