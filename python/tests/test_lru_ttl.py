# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""LRU eviction order and TTL expiry, as the kernel applies them."""

import math
import time

import kcache
from conftest import wait_until


def test_lru_evicts_the_least_recently_used(name):
    with kcache.LRUCache(max_size=3, name=name) as c:
        c.set("a", 1)
        c.set("b", 2)
        c.set("c", 3)
        assert c.get("a") == 1          # a becomes the most recent
        c.set("d", 4)                   # evicts b, the least recent
        assert "b" not in c
        assert [k for k in "acd" if k in c] == ["a", "c", "d"]
        assert c.get_metrics()["evictions"] == 1


def test_replacing_a_key_makes_it_most_recent(name):
    with kcache.LRUCache(max_size=2, name=name) as c:
        c.set("a", 1)
        c.set("b", 2)
        c.set("a", 10)
        c.set("c", 3)
        assert "b" not in c
        assert c.get("a") == 10


def test_exists_does_not_refresh_the_lru_order(name):
    with kcache.LRUCache(max_size=2, name=name) as c:
        c.set("a", 1)
        c.set("b", 2)
        assert "a" in c
        c.set("c", 3)
        assert "a" not in c
        assert "b" in c


def _expiry(c, key, ttl, expected, bound):
    """Set ``key`` with ``ttl`` (whose length is ``expected`` seconds) and
    probe it until it is gone, ``bound`` seconds after that at most.
    Return the probes as (end time - time before the set, present)
    pairs."""
    before = time.monotonic()
    c.set(key, "v", ttl=ttl)
    probes = []

    def gone():
        present = c.exists(key)
        probes.append((time.monotonic() - before, present))
        return not present
    assert wait_until(gone, timeout=expected + bound, interval=0.005), \
        "the entry outlived its TTL by more than %s s" % bound
    return probes


def test_entry_expires_after_its_ttl_and_never_before(name):
    with kcache.LRUCache(name=name) as c:
        ttl = 0.2
        probes = _expiry(c, "k", ttl, ttl, bound=5.0)
        # The kernel stored it no earlier than `before`: any probe that
        # ended before `before + ttl` must have found it.
        assert all(present for t, present in probes if t < ttl)
        assert probes[-1][1] is False
        assert c.get("k") is None


def test_default_ttl_applies_when_set_has_none(name):
    with kcache.LRUCache(default_ttl=0.2, name=name) as c:
        c.set("forever", 1, ttl=math.inf)
        probes = _expiry(c, "k", None, 0.2, bound=5.0)
        assert all(present for t, present in probes if t < 0.2)
        assert c.get("forever") == 1


def test_cleanup_expired_frees_what_has_expired(name):
    # A reaper interval of a day: only cleanup_expired() frees them.
    with kcache.LRUCache(name=name, cleanup_interval=86400) as c:
        for i in range(3):
            c.set(i, i, ttl=0.05)
        c.set("stays", 1)
        assert wait_until(lambda: not any(i in c for i in range(3)))
        entries = c.get_metrics
        assert entries()["entries"] == 4   # expired, not yet freed
        assert c.cleanup_expired() == 3
        assert entries()["entries"] == 1
        assert c._cleanup_expired() == 0


def test_memory_limit_evicts_least_recent(name):
    with kcache.LRUCache(max_size=10000, max_memory_mb=0.0625,
                         name=name, codec="raw") as c:
        value = b"x" * 1000
        for i in range(200):
            c.set("k%03d" % i, value)
        m = c.get_metrics()
        assert m["max_bytes"] == 65536
        assert m["bytes"] <= m["max_bytes"]
        assert m["evictions"] > 0
        assert "k199" in c and "k000" not in c
