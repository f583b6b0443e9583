#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Cache Information", unchanged but for the
import line (it has none). It claims: get_info() is a dict with the size
and the max_size, as in its example output."""

import sys

from readme_check import Tee, claim

from kcache import LRUCache


cache = LRUCache(max_size=1000)
for i in range(175):
    cache.set("k%d" % i, i)
printed = sys.stdout = Tee(sys.stdout)

# --- the README's block, unchanged ---
info = cache.get_info()
print(info)
# Example output: {'size': 175, 'max_size': 1000, ...}
# --- end of the block ---

sys.stdout = printed.out
claim(printed.getvalue().startswith("{'name': ") and
      "'size': 175, 'max_size': 1000, " in printed.getvalue(),
      "the dict printed has the size and max_size")
claim((info["size"], info["max_size"]) == (175, 1000), "size and max_size")
cache.close()
print("ok: cache information")
