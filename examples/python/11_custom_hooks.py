#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Custom Hooks", unchanged but for the import
line. It claims: a CacheHook's on_hit(key, value, entry), on_miss(key)
and on_evict(key, entry) are called, and entry.age is the evicted
entry's age. (on_hit and on_miss run during the lookup; on_evict comes
from the kernel's event stream when the program dispatches.)"""

import collections
import time

from readme_check import claim

from kcache import LRUCache


class MetricsClient:
    """A statsd-like client: counters and histograms."""

    def __init__(self):
        self.counts = collections.Counter()
        self.histograms = collections.defaultdict(list)

    def increment(self, name):
        self.counts[name] += 1

    def histogram(self, name, value):
        self.histograms[name].append(value)


metrics_client = MetricsClient()
cache = LRUCache(max_size=2)

# --- the README's block, unchanged except the import line ---
from kcache import CacheHook
class MetricsHook(CacheHook):
    def __init__(self, metrics_client):
        self.metrics = metrics_client
    def on_hit(self, key, value, entry):
        self.metrics.increment('cache.hit')
    def on_miss(self, key):
        self.metrics.increment('cache.miss')
    def on_evict(self, key, entry):
        self.metrics.increment('cache.evict')
        self.metrics.histogram('cache.entry_age', entry.age)
cache.add_hook(MetricsHook(metrics_client))
# --- end of the block ---

cache.set("a", 1)
cache.set("b", 2)
cache.get("a")              # a hit
cache.get("nope")           # a miss
cache.set("c", 3)           # evicts b, the least recently used
claim((metrics_client.counts["cache.hit"],
       metrics_client.counts["cache.miss"]) == (1, 1),
      "on_hit and on_miss are called during the lookups")
deadline = time.monotonic() + 30
while not metrics_client.counts["cache.evict"] and \
        time.monotonic() < deadline:
    cache.dispatch_events(0.1)
ages = metrics_client.histograms["cache.entry_age"]
claim(metrics_client.counts["cache.evict"] == 1 and len(ages) == 1 and
      0 <= ages[0] < 60, "on_evict reports the eviction with entry.age")
cache.close()
print("ok: custom hooks")
