#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "4. Computed Results Caching", unchanged but for
the import line. It claims: a result is computed once per tuple of
arguments, then read from the cache under that tuple key."""

from readme_check import claim

computed = []


def complex_math_operation(x, y, z):
    computed.append((x, y, z))
    return (x * y) ** 0.5 / z


# --- the README's block, unchanged except the import line ---
from kcache import LRUCache
computation_cache = LRUCache[tuple, float](max_size=1000)

def expensive_calculation(x, y, z):
    cache_key = (x, y, z)
    result = computation_cache.get(cache_key)
    if result is None:
        result = complex_math_operation(x, y, z)
        computation_cache.set(cache_key, result)
    return result
# --- end of the block ---

first = expensive_calculation(2, 8, 3)
claim(expensive_calculation(2, 8, 3) == first == 4 / 3,
      "the cached result is the computed one")
expensive_calculation(3, 3, 1)
claim(computed == [(2, 8, 3), (3, 3, 1)], "each result is computed once")
claim(computation_cache.get((2, 8, 3)) == first and
      (2, 8, 3) in computation_cache, "the key is the tuple itself")
computation_cache.close()
print("ok: computed results caching")
