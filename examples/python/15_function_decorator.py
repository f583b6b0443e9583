#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "Automatic Function Caching", unchanged but for
the import line. It claims: the memoized fibonacci computes fib(50) once
per argument, cache_info() tells the hits and misses as functools' does,
and cache_clear() empties it."""

import functools
import sys

from readme_check import Tee, claim


printed = sys.stdout = Tee(sys.stdout)

# --- the README's block, unchanged except the import line ---
from kcache import lru_cache
@lru_cache(maxsize=128, ttl=300)
def fibonacci(n):
    if n < 2:
        return n
    return fibonacci(n-1) + fibonacci(n-2)
result1 = fibonacci(50)
result2 = fibonacci(50)
print(fibonacci.cache_info())
fibonacci.cache_clear()
# --- end of the block ---

sys.stdout = printed.out


# The same with functools, the reference.
@functools.lru_cache(maxsize=128)
def reference(n):
    if n < 2:
        return n
    return reference(n - 1) + reference(n - 2)


reference(50)
reference(50)
claim(result1 == result2 == 12586269025, "fibonacci(50)")
claim(printed.getvalue() == str(reference.cache_info()) + "\n"
      == "CacheInfo(hits=49, misses=51, maxsize=128, currsize=51)\n",
      "cache_info() as functools' (printed %r)" % printed.getvalue())
claim(fibonacci.cache_info() == (0, 0, 128, 0), "cache_clear() empties it")
fibonacci.cache.close()
print("ok: function decorator")
