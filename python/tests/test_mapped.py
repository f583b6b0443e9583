# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Mapped caches (LRUCache(mapped=True), libkcache 1.11): get() reads hits
through the cache's mapping, without a system call, and must give exactly
what a plain cache gives."""

import time

import pytest

import kcache


def boottime():
    # The clock of the kernel's expiry times (and of the mapping's).
    return time.clock_gettime(time.CLOCK_BOOTTIME)


@pytest.fixture(params=[False, True], ids=["plain", "mapped"])
def either(request, name):
    """A named cache of 3 entries, plain or mapped."""
    c = kcache.LRUCache(max_size=3, name=name, codec="raw",
                        mapped=request.param)
    yield c
    c.close()


def test_mapped_property_says_whether_the_handle_reads_a_mapping(name):
    with kcache.LRUCache(max_size=10, name=name, mapped=True) as c:
        assert c.mapped is True
        assert c.get_info()["mapped"] is True
        # Every handle on a mapped cache maps it, without asking to.
        with kcache.LRUCache(name=name, create=False) as other:
            assert other.mapped is True
            assert other.get_info()["mapped"] is True


def test_plain_cache_is_not_mapped(name):
    with kcache.LRUCache(max_size=10, name=name) as c:
        assert c.mapped is False
        assert c.get_info()["mapped"] is False
    # mapped= applies only when the call creates the cache.
    with kcache.LRUCache(max_size=10, name=name, mapped=True) as c:
        assert c.mapped is False
        assert c.get_info()["mapped"] is False


def test_mapped_property_of_a_closed_cache_raises(name):
    c = kcache.LRUCache(max_size=10, name=name, mapped=True)
    c.close()
    with pytest.raises(ValueError):
        c.mapped


def test_mapped_and_plain_caches_give_the_same_results(either):
    c = either
    big = bytes(range(256)) * 20            # 5120 bytes: beyond a page slot
    c.set("a", b"1")
    assert c.get("a") == b"1"
    assert c.get("missing") is None
    assert c.get("missing", b"dflt") == b"dflt"
    c.set("e", b"")                         # an empty value is a hit
    assert c.get("e") == b""
    # Replacing a value, with a longer and then a shorter one.
    c.set("a", b"22")
    assert c.get("a") == b"22"
    c.set("a", big)
    assert c.get("a") == big
    c.set("a", b"3")
    assert c.get("a") == b"3"
    # Deleting: gone for every later get.
    assert c.delete("a") is True
    assert c.get("a") is None
    assert c.delete("a") is False
    # Eviction: with e, b, c present a get makes b the most recent, so a
    # fourth key evicts e, then c.
    c.set("b", b"b")
    c.set("c", b"c")
    assert c.get("e") == b""
    assert c.get("b") == b"b"
    c.set("d", b"d")
    assert c.get("c") is None
    assert [c.get(k) for k in "ebd"] == [b"", b"b", b"d"]
    # A batch read sees the same (kcache_get_many() reads the mapping too).
    assert c.get_many(["b", "x", "d", "e"]) == {"b": b"b", "d": b"d",
                                                "e": b""}
    # A second handle sees every write of the first at once.
    with kcache.LRUCache(name=c.name, create=False, codec="raw") as other:
        assert other.mapped is c.mapped
        c.set("b", b"new")
        assert other.get("b") == b"new"
        c.delete("b")
        assert other.get("b") is None
        c.clear()
        assert [other.get(k) for k in "abcde"] == [None] * 5


def test_mapped_and_plain_entries_expire_after_their_ttl(either):
    c = either
    ttl = 0.3
    before = boottime()
    c.set("t", b"v", ttl=ttl)
    after = boottime()
    # The kernel set the expiry between before + ttl and after + ttl. A get
    # that ended before the first must hit; one that began after the last
    # must miss. Polled until a get begins past after + ttl, bounded.
    probes = 0
    seen_hit = False
    while True:
        start = boottime()
        value = c.get("t")
        end = boottime()
        probes += 1
        if end < before + ttl:
            assert value == b"v", "gone %.3f s before its TTL" % (
                before + ttl - end)
            seen_hit = True
        if start >= after + ttl:
            assert value is None, "still there %.3f s after its TTL" % (
                start - after - ttl)
            break
        assert probes < 100000, "the clock did not advance past the TTL"
        time.sleep(0.002)
    assert seen_hit or after - before > ttl / 2
    assert "t" not in c


def test_mapped_hits_count_in_the_metrics(name):
    with kcache.LRUCache(max_size=10, name=name, mapped=True) as c:
        assert c.mapped
        c.set("k", "v")
        c.reset_metrics()
        for _ in range(25):
            assert c.get("k") == "v"
        assert c.get("absent") is None
        m = c.get_metrics()
        assert m["hits"] == 25
        assert m["misses"] == 1
        # And they stay counted (not reported twice).
        assert c.get_metrics()["hits"] == 25


def test_mapped_hits_of_another_process_count_too(name):
    from conftest import run_python
    with kcache.LRUCache(max_size=10, name=name, mapped=True) as c:
        c.set("k", 7)
        c.reset_metrics()
        out = run_python(
            "import sys, kcache\n"
            "c = kcache.LRUCache(name=sys.argv[1], create=False)\n"
            "print(c.mapped, [c.get('k') for _ in range(5)])\n", name)
        assert out.split("\n")[0] == "True [7, 7, 7, 7, 7]"
        assert c.get_metrics()["hits"] == 5


def test_lru_cache_decorator_on_a_mapped_cache():
    calls = []

    @kcache.lru_cache(maxsize=10, mapped=True)
    def square(x):
        calls.append(x)
        return x * x

    assert square.cache.mapped
    assert [square(3), square(3), square(4), square(3)] == [9, 9, 16, 9]
    assert calls == [3, 4]
    info = square.cache_info()
    assert (info.hits, info.misses, info.currsize) == (2, 2, 2)
    square.cache_clear()
    assert square(3) == 9
    assert calls == [3, 4, 3]
    square.cache.close()


def test_named_lru_cache_attaches_to_a_mapped_cache(name):
    with kcache.LRUCache(max_size=10, name=name, mapped=True):
        @kcache.lru_cache(maxsize=10, name=name, single_flight=False)
        def double(x):
            return 2 * x

        assert double.cache.mapped
        assert [double(5), double(5)] == [10, 10]
        assert double.cache_info().hits == 1
        double.cache.close()
