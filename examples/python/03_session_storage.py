#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "3. Session Storage", unchanged but for the
import line. It claims: a session (with a datetime in it) is stored for
1800 seconds, in a cache of 10000 sessions and at most 100 MB."""

import time
from datetime import datetime

from readme_check import claim


# What the block takes for granted.
session_id = "session:8f14e45f"
user_id = 42
permissions = {"read", "write"}
before = time.time()

# --- the README's block, unchanged except the import line ---
from kcache import LRUCache
session_cache = LRUCache[str, dict](max_size=10000, default_ttl=1800, max_memory_mb=100)
session_cache.set(session_id, {"user_id": user_id, "permissions": permissions, "last_activity": datetime.now()})
# --- end of the block ---

session = session_cache.get(session_id)
claim(session["user_id"] == 42 and session["permissions"] == permissions,
      "the session reads back")
claim(isinstance(session["last_activity"], datetime) and
      0 <= (datetime.now() - session["last_activity"]).total_seconds() < 60,
      "last_activity comes back as the datetime stored")
entry = session_cache.entry(session_id)
claim(before + 1800 - 1 <= entry.expires_at <= time.time() + 1800 + 1,
      "the session lives default_ttl=1800 seconds")
info = session_cache.get_info()
claim(info["max_size"] == 10000 and info["max_bytes"] == 100 * 1024 * 1024,
      "max_size=10000, max_memory_mb=100")
session_cache.close()
print("ok: session storage")
