# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""lru_cache(): memoization in a kernel cache, over kcache_memo()."""

import threading

import pytest

import kcache
from kcache import _native as n
from kcache._decorator import memo_key
from conftest import run_python, wait_until


def test_cache_info_counts_hits_and_misses():
    calls = []

    @kcache.lru_cache(maxsize=10)
    def square(x):
        calls.append(x)
        return x * x

    assert [square(1), square(2), square(1), square(1)] == [1, 4, 1, 1]
    assert calls == [1, 2]
    assert square.cache_info() == kcache.CacheInfo(hits=2, misses=2,
                                                   maxsize=10, currsize=2)
    square.cache.close()


def test_cache_clear_forgets_values_and_counts():
    calls = []

    @kcache.lru_cache
    def double(x):
        calls.append(x)
        return 2 * x

    double(3)
    double(3)
    double.cache_clear()
    assert double.cache_info() == (0, 0, 128, 0)
    assert double(3) == 6
    assert calls == [3, 3]
    double.cache.close()


def test_recursive_fibonacci_computes_each_value_once():
    calls = []

    @kcache.lru_cache(maxsize=128, ttl=300)
    def fibonacci(n):
        calls.append(n)
        if n < 2:
            return n
        return fibonacci(n - 1) + fibonacci(n - 2)

    assert fibonacci(50) == 12586269025
    assert fibonacci(50) == 12586269025
    assert sorted(calls) == list(range(51))
    info = fibonacci.cache_info()
    assert info.misses == 51 and info.currsize == 51
    fibonacci.cache.close()


def test_exceptions_propagate_and_are_not_cached():
    calls = []

    @kcache.lru_cache(maxsize=10)
    def fails(x):
        calls.append(x)
        raise LookupError("no %s" % x)

    for _ in range(2):
        with pytest.raises(LookupError, match="no 1"):
            fails(1)
    assert calls == [1, 1]
    assert fails.cache_info().currsize == 0     # no lock entry left
    fails.cache.close()


def test_results_expire_after_the_ttl():
    calls = []

    @kcache.lru_cache(maxsize=10, ttl=0.1)
    def now(x):
        calls.append(x)
        return len(calls)

    assert now("a") == 1
    assert wait_until(lambda: now("a") != 1, timeout=10)
    assert calls == ["a", "a"]
    now.cache.close()


def test_keyword_arguments_are_part_of_the_key():
    calls = []

    @kcache.lru_cache(maxsize=10)
    def f(x=0, y=0):
        calls.append((x, y))
        return [x, y]

    assert f(1) == [1, 0]
    assert f(x=1) == [1, 0]            # another key, as in functools
    assert f(x=1, y=2) == f(y=2, x=1)
    assert len(calls) == 3
    assert memo_key((1,), {}) == b"\x00[1]"
    f.cache.close()


def test_maxsize_bounds_the_entries():
    @kcache.lru_cache(maxsize=3)
    def ident(x):
        return x

    for i in range(10):
        ident(i)
    info = ident.cache_info()
    assert info.maxsize == 3 and info.misses == 10
    # Single-flight: a miss stores its lock entry, then its result, then
    # deletes the lock entry. With 2 results held, the result is the 4th
    # entry and evicts the least recent result: from the third miss on,
    # each miss evicts one, and maxsize - 1 results remain.
    assert info.currsize == 2
    assert ident.cache.get_metrics()["evictions"] == 8
    ident.cache.close()


def test_without_single_flight_maxsize_results_remain():
    @kcache.lru_cache(maxsize=3, single_flight=False)
    def ident(x):
        return x

    for i in range(10):
        ident(i)
    assert ident.cache_info().currsize == 3
    ident.cache.close()


def test_arguments_that_are_not_keys_raise_typeerror():
    @kcache.lru_cache(maxsize=3)
    def f(x):
        return 1

    with pytest.raises(TypeError):
        f([1, 2])
    f.cache.close()


def test_long_arguments_are_hashed_and_large_results_stored_once():
    calls = []

    @kcache.lru_cache(maxsize=3)
    def big(s):
        calls.append(s)
        return s * 100

    arg = "x" * 1000
    assert len(memo_key((arg,), {})) == 66
    assert big(arg) == arg * 100
    assert big(arg) == arg * 100
    assert calls == [arg]
    big.cache.close()


def test_concurrent_misses_compute_once():
    started = threading.Event()
    release = threading.Event()
    calls = []

    @kcache.lru_cache(maxsize=10)
    def slow(x):
        calls.append(x)
        started.set()
        assert release.wait(30)
        return x + 1

    results = []
    first = threading.Thread(target=lambda: results.append(slow(1)))
    first.start()
    assert started.wait(30)
    # The first call holds the key's claim (its lock entry) now.
    key = n.lib.kcache_exists(slow.cache._h.ptr,
                              b"\x00KCMEMO\x00\x00[1]", 12)
    assert key == 1
    second = threading.Thread(target=lambda: results.append(slow(1)))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert results == [2, 2]
    assert calls == [1]
    slow.cache.close()


def test_a_named_memo_cache_is_shared_between_processes(name):
    code = ("import sys, kcache\n"
            "@kcache.lru_cache(maxsize=10, name=sys.argv[1])\n"
            "def f(x):\n"
            "    print('computed', x)\n"
            "    return {'x': x}\n"
            "f(7)\n")
    assert run_python(code, name).split() == ["computed", "7"]
    calls = []

    @kcache.lru_cache(maxsize=10, name=name)
    def f(x):
        calls.append(x)
        return {"x": x}

    assert f(7) == {"x": 7}
    assert calls == []
    assert f.cache_info().hits == 1
    assert run_python(code, name) == ""
    f.cache.close()
