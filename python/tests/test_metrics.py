# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""get_metrics(), health_check() and get_info(): the kernel's figures."""

import os
import time

import kcache


def _kmalloc_class(n):
    """kmalloc's size class for n bytes on x86-64, up to 8 KiB."""
    for c in (8, 16, 32, 64, 96, 128, 192):
        if n <= c:
            return c
    c = 256
    while c < n:
        c *= 2
    return c


def test_metrics_count_every_kind_of_event(name):
    with kcache.LRUCache(max_size=2, name=name) as c:
        c.set("a", 1)
        c.set("b", 2)
        c.get("a")
        c.get("a")
        c.get("zz")
        c.delete("b")
        c.set("c", 3)
        c.set("d", 4)            # evicts a
        m = c.get_metrics()
        assert (m["hits"], m["misses"], m["sets"], m["deletes"],
                m["evictions"]) == (2, 1, 4, 1, 1)
        assert m["hit_rate"] == 2 / 3
        assert m["entries"] == m["size"] == 2
        assert m["max_entries"] == 2
        # An entry is charged what kmalloc() allocates for its header,
        # key and value: the size class above, 96 bytes for these;
        # data_bytes counts the bytes themselves.
        held = ((b"c", b"3"), (b"d", b"4"))
        assert m["data_bytes"] == sum(len(k) + len(v) + m["entry_overhead"]
                                      for k, v in held)
        assert m["bytes"] == sum(_kmalloc_class(len(k) + len(v) +
                                                m["entry_overhead"])
                                 for k, v in held)


def test_reset_metrics_zeroes_the_counters_only(cache):
    cache.set("a", 1)
    cache.get("a")
    cache.reset_metrics()
    m = cache.get_metrics()
    assert (m["hits"], m["sets"], m["entries"]) == (0, 0, 1)


def test_metrics_disabled_stay_zero(name):
    with kcache.LRUCache(name=name, enable_metrics=False) as c:
        c.set("a", 1)
        c.get("a")
        c.get("b")
        m = c.get_metrics()
        assert (m["hits"], m["misses"], m["sets"]) == (0, 0, 0)
        assert m["entries"] == 1
        assert c.get_info()["metrics_enabled"] is False


def test_a_new_cache_is_healthy(cache):
    health = cache.health_check()
    assert health["status"] == "healthy"
    assert health["reasons"] == []
    assert health["size"] == 0 and health["max_size"] == 100


def test_a_low_hit_rate_degrades_health(cache):
    cache.set("a", 1)
    for i in range(30):
        cache.get("a")
    for i in range(70):
        cache.get("missing")
    health = cache.health_check()
    assert health["status"] == "degraded"
    assert health["reasons"] == ["hit_rate_low"]
    assert health["hit_rate_pct"] == 30


def test_info_reports_the_options_of_creation(name):
    before = time.time()
    with kcache.LRUCache(max_size=123, default_ttl=300, max_memory_mb=2,
                         cleanup_interval=5, name=name, mode=0o740) as c:
        c.set("a", 1)
        info = c.get_info()
    assert info["name"] == name
    assert info["size"] == 1
    assert info["max_size"] == 123
    assert info["default_ttl"] == 300
    assert info["max_bytes"] == 2 << 20 and info["max_memory_mb"] == 2
    assert info["cleanup_interval"] == 5
    assert info["mode"] == 0o740
    assert info["owner_uid"] == os.geteuid()
    assert info["metrics_enabled"] is True
    assert info["anonymous"] is False and info["codec"] == "json"
    assert before - 1 <= info["created"] <= time.time() + 1
