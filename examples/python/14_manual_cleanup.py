#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Manual Cleanup", unchanged but for the import
line (it has none). It claims: _cleanup_expired() frees the expired
entries at once, after which the entry is gone (so, as in the original,
"Item has expired" is not printed); cache._cache.get() reads an entry
with its is_expired."""

import sys
import time

from readme_check import Tee, claim

from kcache import LRUCache


# A reaper that runs once an hour: only _cleanup_expired() frees "key".
cache = LRUCache(max_size=100, cleanup_interval=3600)
cache.set("key", "value", ttl=0.05)
cache.set("other", "stays")
deadline = time.monotonic() + 30
while "key" in cache and time.monotonic() < deadline:
    time.sleep(0.01)
claim(cache.get_metrics()["entries"] == 2, "expired, not yet freed")
printed = sys.stdout = Tee(sys.stdout)

# --- the README's block, unchanged ---
cache._cleanup_expired()
entry = cache._cache.get("key")
if entry and entry.is_expired:
    print("Item has expired")
# --- end of the block ---

sys.stdout = printed.out
m = cache.get_metrics()
claim(m["entries"] == 1 and m["expirations"] == 1,
      "_cleanup_expired() freed the expired entry")
claim(entry is None and printed.getvalue() == "",
      "the expired entry is gone")
other = cache._cache.get("other")
claim(other.value == "stays" and not other.is_expired,
      "a live entry reads back, not expired")
cache.close()
print("ok: manual cleanup")
