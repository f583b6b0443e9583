#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Advanced Configuration", unchanged but for the
import line. It claims: the cache gets these limits, TTL, metrics and
cleanup interval, and a LoggingHook logs its events (kcache logs the
kernel's events when the program dispatches them)."""

import logging
import time

from readme_check import claim


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append((record.levelno, record.getMessage()))


records = Records()
logger = logging.getLogger("kcache")
logger.addHandler(records)
logger.setLevel(logging.INFO)

from kcache import LRUCache

# --- the README's block, unchanged except the import line ---
cache = LRUCache(
    max_size=1000,
    default_ttl=300,
    enable_metrics=True,
    cleanup_interval=60,
    max_memory_mb=50
)
from kcache import LoggingHook
cache.add_hook(LoggingHook())
# --- end of the block ---

info = cache.get_info()
claim((info["max_size"], info["default_ttl"], info["metrics_enabled"],
       info["cleanup_interval"], info["max_bytes"]) ==
      (1000, 300, True, 60, 50 * 1024 * 1024), "the configuration")
cache.set("k", "v")
cache.get("k")
deadline = time.monotonic() + 30
while len(records.lines) < 2 and time.monotonic() < deadline:
    cache.dispatch_events(0.1)
texts = [text for _level, text in records.lines]
claim(len(texts) == 2 and ' set key="k"' in texts[0] and
      ' hit key="k"' in texts[1] and
      all(level == logging.INFO for level, _t in records.lines),
      "LoggingHook logs the set and the hit at INFO")
logger.removeHandler(records)
cache.close()
print("ok: advanced configuration")
