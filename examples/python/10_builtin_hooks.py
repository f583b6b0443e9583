#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Built-in Hooks", unchanged but for the import
line. It claims: LoggingHook logs the cache's events at the level given
(when the program dispatches the kernel's events)."""

import logging
import time

from readme_check import claim

from kcache import LRUCache


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
cache = LRUCache(max_size=1)

# --- the README's block, unchanged except the import line ---
from kcache import LoggingHook
cache.add_hook(LoggingHook(log_level=logging.INFO))
# --- end of the block ---

cache.set("a", 1)
cache.set("b", 2)           # evicts a
cache.get("a")
cache.delete("b")
deadline = time.monotonic() + 30
while len(records.lines) < 5 and time.monotonic() < deadline:
    cache.dispatch_events(0.1)
kinds = sorted(text.split()[1] for _level, text in records.lines)
claim(kinds == ["delete", "evict", "miss", "set", "set"],
      "every event is logged (got %s)" % kinds)
claim(all(level == logging.INFO for level, _t in records.lines),
      "at the level given")
logger.removeHandler(records)
cache.close()
print("ok: builtin hooks")
