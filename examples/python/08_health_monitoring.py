#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Health Monitoring", unchanged but for the import
line (it has none). It claims: health_check() is a dict with the status
and the size, as in its example output for a cache of 175 entries."""

import sys

from readme_check import Tee, claim

from kcache import LRUCache


cache = LRUCache(max_size=1000)
for i in range(175):
    cache.set("k%d" % i, i)
printed = sys.stdout = Tee(sys.stdout)

# --- the README's block, unchanged ---
health = cache.health_check()
print(health)
# Example output: {'status': 'healthy', 'size': 175, ...}
# --- end of the block ---

sys.stdout = printed.out
claim(printed.getvalue().startswith("{'status': 'healthy', "),
      "the dict printed starts with the status")
claim(health["status"] == "healthy" and health["size"] == 175,
      "a cache of 175 entries is healthy")
cache.close()
print("ok: health monitoring")
