#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Performance Metrics", unchanged but for the
import line. It claims: get_metrics() is a dict with the hits and misses
(and more), printed as such."""

import sys

from readme_check import Tee, claim


printed = sys.stdout = Tee(sys.stdout)

# --- the README's block, unchanged except the import line ---
from kcache import LRUCache
cache = LRUCache(max_size=100)
metrics = cache.get_metrics()
print(metrics)
# Example output: {'hits': 850, 'misses': 150, ...}
# --- end of the block ---

sys.stdout = printed.out
claim(printed.getvalue().startswith("{'hits': 0, 'misses': 0, "),
      "the dict printed starts with hits and misses")
for i in range(10):
    cache.set(i, i)
for i in range(15):
    cache.get(i)
m = cache.get_metrics()
claim((m["hits"], m["misses"], m["hit_rate"]) == (10, 5, 10 / 15),
      "hits, misses and hit_rate count the lookups")
cache.close()
print("ok: performance metrics")
