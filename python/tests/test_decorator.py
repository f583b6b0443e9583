# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""lru_cache(): memoization in a kernel cache, held to functools'
contract (CPython's own tests run in functools_lru.py; these cover the
rest: the kernel side, single-flight, processes)."""

import builtins
import concurrent.futures
import copy
import multiprocessing
import os
import pickle
import sys
import threading
import time
import traceback

import pytest

import kcache
from kcache import _native as n
from kcache._decorator import LOCK_PREFIX, memo_key
from conftest import wait_until


@kcache.lru_cache(maxsize=10)
def module_level(x):
    return x + 1


def raw_exists(memoized, key):
    """Whether the memo cache holds ``key``, bytes as the kernel has them."""
    return n.check(memoized.cache._call(n.lib.kcache_exists, key,
                                        len(key))) == 1


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
    assert square.cache_parameters() == {"maxsize": 10, "typed": False}
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
    assert fibonacci.cache_info() == (49, 51, 128, 51)     # as functools
    fibonacci.cache.close()


def test_exceptions_propagate_and_are_not_cached():
    calls = []

    @kcache.lru_cache(maxsize=10)
    def fails(x):
        calls.append(x)
        raise LookupError("no %s" % x)

    for _ in range(2):
        with pytest.raises(LookupError, match="no 1") as raised:
            fails(1)
        assert raised.value.__context__ is None
    assert calls == [1, 1]
    assert fails.cache_info().currsize == 0
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


def test_keyword_arguments_are_part_of_the_key_in_their_order():
    calls = []

    @kcache.lru_cache(maxsize=10)
    def f(x=0, y=0):
        calls.append((x, y))
        return [x, y]

    assert f(1) == [1, 0]
    assert f(x=1) == [1, 0]            # another key, as in functools
    assert f(x=1, y=2) == f(y=2, x=1)  # two keys too (PEP 468)
    assert len(calls) == 4
    assert memo_key((1,), {}) == b"\x00[1]"
    f.cache.close()


def test_maxsize_results_remain_after_misses():
    @kcache.lru_cache(maxsize=3)
    def ident(x):
        return x

    for i in range(10):
        ident(i)
    assert ident.cache_info() == (0, 10, 3, 3)
    assert ident.cache.get_metrics()["evictions"] == 7
    ident.cache.close()


def test_a_named_cache_keeps_maxsize_results_too(name):
    @kcache.lru_cache(maxsize=2, name=name)
    def ident(x):
        return x

    for i in (7, 9, 7, 9, 8):
        ident(i)
    assert ident.cache_info() == (2, 3, 2, 2)
    assert raw_exists(ident, memo_key((9,), {}))   # 7 went, as functools
    ident.cache.close()


def test_maxsize_none_is_reported_as_none_and_zero_caches_nothing():
    unbounded = kcache.lru_cache(maxsize=None)(abs)
    assert unbounded.cache_info().maxsize is None
    assert unbounded.cache_parameters() == {"maxsize": None, "typed": False}
    assert unbounded.cache.get_info()["max_size"] == n.MAX_SIZE_MAX
    unbounded.cache.close()
    calls = []
    for maxsize in (0, -5):
        @kcache.lru_cache(maxsize=maxsize)
        def f(x):
            calls.append(x)
            return x

        assert [f(1), f(1)] == [1, 1]
        assert f.cache is None
        assert f.cache_info() == (0, 2, 0, 0)
        f.cache_clear()
        assert f.cache_info() == (0, 0, 0, 0)
    assert calls == [1, 1, 1, 1]
    with pytest.raises(ValueError):
        kcache.lru_cache(maxsize=n.MAX_SIZE_MAX + 1)
    with pytest.raises(TypeError):
        kcache.lru_cache(maxsize="10")


def test_the_wrapper_pickles_and_copies_as_itself():
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(module_level, proto)) is module_level
    assert copy.copy(module_level) is module_level
    assert copy.deepcopy(module_level) is module_level
    # So it goes to other processes, as functools' does.
    ctx = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as ex:
        assert list(ex.map(module_level, [1, 2, 1])) == [2, 3, 2]


def test_a_methods_cache_info_is_reached_through_the_instance():
    class Point(int):
        @kcache.lru_cache(maxsize=4)
        def scaled(self, k):
            return self * k

    p = Point(3)
    assert p.scaled(2) == 6 and p.scaled(2) == 6
    assert p.scaled.cache_info() == Point.scaled.cache_info() == (1, 1, 4, 1)
    Point.scaled.cache.close()


def test_a_recursion_costs_two_python_frames_per_level_and_no_c_callback():
    stacks = []

    @kcache.lru_cache(maxsize=10)
    def down(n):
        if n == 0:
            stacks.append(traceback.extract_stack())
            return 0
        return down(n - 1) + 1

    assert down(3) == 3
    names = [f.name for f in stacks[0]]
    first = names.index("down")
    # wrapper, down, wrapper, down, ...: nothing between the levels.
    assert names[first - 1:] == ["wrapper", "down"] * 4
    down.cache.close()


def _deepest(lru, most):
    """The deepest recursion through a function memoized by ``lru`` that
    does not raise RecursionError (bisection, up to ``most``)."""
    @lru(maxsize=None)
    def down(n):
        return 0 if n == 0 else down(n - 1) + 1

    lo, hi = 0, most
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            down.cache_clear()
            down(mid)
            lo = mid
        except RecursionError:
            hi = mid - 1
    return lo, down


def test_recursion_goes_as_deep_as_with_functools_then_raises():
    # At the same recursion limit, a recursion reaches about the depth
    # that functools' pure-Python lru_cache allows (two frames per level,
    # as kcache's wrapper), and deeper raises RecursionError (a crash
    # would end the whole test run).
    try:
        from test.support.import_helper import import_fresh_module
    except ImportError:
        pytest.skip("CPython's test.support is not installed "
                    "(libpython3.11-testsuite)")
    pure = import_fresh_module("functools", blocked=["_functools"])
    limit = sys.getrecursionlimit()
    frame, here = sys._getframe(), 0
    while frame is not None:
        frame, here = frame.f_back, here + 1
    sys.setrecursionlimit(here + 200)
    try:
        deepest, _ = _deepest(pure.lru_cache, 200)
        down = kcache.lru_cache(maxsize=None)(lambda n: 0 if n == 0
                                              else down(n - 1) + 1)
        # kcache's own code runs a few frames deeper than functools' (the
        # codec's) on top of the deepest level.
        assert down(deepest - 5) == deepest - 5
        down.cache_clear()
        with pytest.raises(RecursionError):
            down(deepest + 1)
    finally:
        sys.setrecursionlimit(limit)
    assert deepest > 50
    assert down(10) == 10               # nothing left behind
    down.cache.close()


def test_caching_the_builtin_len_works():
    old = builtins.len
    builtins.len = kcache.lru_cache(4)(len)
    try:
        got = [len("abcdefghijklmn"[:i]) for i in [0, 0, 1, 2, 3, 3, 4]]
        info = builtins.len.cache_info()
    finally:
        cached, builtins.len = builtins.len, old
    assert got == [0, 0, 1, 2, 3, 3, 4]
    assert info == (2, 5, 4, 4)
    cached.cache.close()


def test_a_call_with_its_own_arguments_does_not_wait_for_itself():
    calls = []

    @kcache.lru_cache(maxsize=10, wait=600)
    def again(x):
        calls.append(x)
        if len(calls) == 1:
            return again(x) + 1      # the same arguments, while computing
        return x

    start = time.monotonic()
    assert again(5) == 6
    # Waiting for itself would take the whole 600 s bound.
    assert time.monotonic() - start < 60
    assert calls == [5, 5]
    assert again(5) == 6             # the outer result is the one kept
    again.cache.close()


def test_arguments_that_are_not_keys_raise_typeerror():
    @kcache.lru_cache(maxsize=3)
    def f(x):
        return 1

    with pytest.raises(TypeError):
        f([1, 2])
    assert f.cache_info().currsize == 0
    f.cache.close()


def test_results_come_back_as_the_codec_gives_them():
    import datetime
    import decimal

    @kcache.lru_cache(maxsize=3)
    def f(day):
        return {"day": day, "pair": (1, 2), "price": decimal.Decimal("9.90")}

    day = datetime.date(2024, 2, 29)
    assert f(day) == f(day) == {"day": day, "pair": (1, 2),
                                "price": decimal.Decimal("9.90")}
    assert f.cache_info().hits == 1
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


def test_concurrent_misses_compute_once_without_a_slot_of_the_cache():
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
    # The claim lives in this process: nothing in the kernel cache.
    assert slow.cache_info().currsize == 0
    assert not raw_exists(slow, LOCK_PREFIX + memo_key((1,), {}))
    second = threading.Thread(target=lambda: results.append(slow(1)))
    second.start()
    assert wait_until(lambda: slow.cache_info().misses == 2)
    release.set()
    first.join(30)
    second.join(30)
    assert results == [2, 2]
    assert calls == [1]
    assert slow.cache_info() == (0, 2, 10, 1)
    slow.cache.close()


def test_without_single_flight_every_concurrent_miss_computes():
    inside = threading.Barrier(3)

    @kcache.lru_cache(maxsize=10, single_flight=False)
    def meet(x):
        inside.wait(30)      # all three callers in the function at once
        return x

    threads = [threading.Thread(target=meet, args=(1,)) for _ in range(2)]
    for t in threads:
        t.start()
    assert meet(1) == 1
    for t in threads:
        t.join(30)
    assert meet.cache_info() == (0, 3, 10, 1)
    meet.cache.close()


def in_child(fn):
    """Run ``fn`` in a fork()ed child (cheaper than a new interpreter);
    return its pid. The child exits 0 if ``fn`` returned."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fn()
            code = 0
        finally:
            os._exit(code)
    return pid


def child_status(pid):
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_named_memo_cache_is_shared_between_processes(name):
    computed = []

    @kcache.lru_cache(maxsize=10, name=name)
    def f(x):
        computed.append(os.getpid())
        return {"x": x}

    def child():
        assert f(7) == {"x": 7}
        assert computed == [os.getpid()]      # computed there

    assert child_status(in_child(child)) == 0
    assert f(7) == {"x": 7}
    assert computed == []                     # not here: a hit
    assert f.cache_info() == (1, 1, 10, 1)
    f.cache.close()


def raw_call(memoized, fn, *args):
    return memoized.cache._call(fn, *args)


def test_a_claim_of_the_protocol_before_leases_is_waited_for(name):
    # A caller of libkcache 1.8 (or kcache 1.8) claims a key with a lock
    # entry and polls; this one, granted the kernel's lease, waits for that
    # claim to store its value, as kcache_memo() does, and computes nothing.
    calls = []

    @kcache.lru_cache(maxsize=10, name=name, wait=60)
    def f(x):
        calls.append(x)
        return "here"

    key = memo_key((7,), {})
    lock = LOCK_PREFIX + key
    assert raw_call(f, n.lib.kcache_add, lock, len(lock), b"pid0", 4,
                    n.TTL_NONE) == 0
    results = []
    waiter = threading.Thread(target=lambda: results.append(f(7)))
    waiter.start()
    # Its miss is counted and its lease granted: it polls the lock entry.
    assert wait_until(lambda: f.cache._metrics().leases == 1, timeout=60)
    value = f.cache.codec.encode("old")
    # The claim's holder stores its value, then gives its claim back: at
    # no instant is the claim gone without the value there, so the waiter
    # must take the value whenever it looks.
    assert raw_call(f, n.lib.kcache_set, key, len(key), value, len(value),
                    n.TTL_NONE) == 0
    assert raw_call(f, n.lib.kcache_delete, lock, len(lock)) == 0
    waiter.join(60)
    assert results == ["old"] and calls == []
    assert f.cache._metrics().leases == 0
    f.cache.close()


def test_another_process_waits_for_a_computation_in_progress(name):
    # A child claims f(7) and computes until told to finish; this process
    # misses f(7) meanwhile and gets the child's result without computing.
    go_r, go_w = os.pipe()
    out_r, out_w = os.pipe()

    # The child's lease must outlast every bounded wait below (60 s each):
    # with the default lease (10 s) a slow guest (the 7.2 KASAN kernel)
    # let it run out before the child was told to finish, and the waiter
    # then rightly took the claim over and computed itself.
    @kcache.lru_cache(maxsize=10, name=name, lease=300)
    def in_the_child(x):
        os.read(go_r, 1)
        return "child"

    calls = []

    @kcache.lru_cache(maxsize=10, name=name, wait=60)
    def f(x):
        calls.append(x)
        return "parent"

    pid = in_child(lambda: os.write(out_w, in_the_child(7).encode()))
    try:
        # The child holds the key's kernel lease.
        assert wait_until(lambda: f.cache._metrics().leases == 1,
                          timeout=60)
        results = []
        waiter = threading.Thread(target=lambda: results.append(f(7)))
        waiter.start()
        assert wait_until(lambda: f.cache_info().misses == 2, timeout=60)
        os.write(go_w, b"g")
        waiter.join(60)
        assert child_status(pid) == 0
        pid = None
        assert os.read(out_r, 16) == b"child"
        assert results == ["child"] and calls == []
        # The lease was given back: one entry, the result, no lease.
        assert f.cache_info() == (1, 2, 10, 1)
        assert f.cache._metrics().leases == 0
    finally:
        if pid is not None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        for fd in (go_r, go_w, out_r, out_w):
            os.close(fd)
    f.cache.close()
