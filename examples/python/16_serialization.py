#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Persistence Support", unchanged but for the
import line (it has none). It claims: serialize() gives a JSON document
that, written to a file and read back, restores the entries into another
cache."""

import json
import os
import tempfile
import time

from readme_check import claim

from kcache import LRUCache


here = os.getcwd()
workdir = tempfile.TemporaryDirectory()
os.chdir(workdir.name)          # the block writes cache_backup.json here
cache = LRUCache[str, dict](max_size=1000)
for i in range(5):
    cache.set("user:%d" % i, {"id": i, "tags": ("a", "b")})
cache.set("session", {"user": 1}, ttl=600)

# --- the README's block, unchanged ---
serialized_data = cache.serialize()
with open('cache_backup.json', 'w') as f:
    f.write(serialized_data)
new_cache = LRUCache[str, dict](max_size=1000)
with open('cache_backup.json', 'r') as f:
    new_cache.deserialize(f.read())
# --- end of the block ---

claim(json.loads(serialized_data)["format"] == "lrucache-dump",
      "serialize() gives a JSON document")
claim(new_cache.get_many("user:%d" % i for i in range(5)) ==
      {"user:%d" % i: {"id": i, "tags": ("a", "b")} for i in range(5)},
      "the entries are restored")
session = new_cache.entry("session")
claim(session.value == {"user": 1} and
      time.time() < session.expires_at <= time.time() + 600 + 1,
      "with what was left of their TTL")
claim(len(new_cache) == 6, "and nothing else")
os.chdir(here)
workdir.cleanup()
cache.close()
new_cache.close()
print("ok: serialization")
