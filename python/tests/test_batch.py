# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""set_many(), get_many() and batch_operations()."""

import pytest

import kcache
from kcache import _native as n


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls of some libkcache functions."""
    counts = {}

    def spy(fname):
        real = getattr(n.lib, fname)

        def wrapper(*args):
            counts[fname] = counts.get(fname, 0) + 1
            return real(*args)
        monkeypatch.setattr(n.lib, fname, wrapper)
    for fname in ("kcache_set", "kcache_delete", "kcache_batch_commit",
                  "kcache_set_many", "kcache_get_many"):
        spy(fname)
    return counts


def test_set_many_then_get_many(cache, calls):
    cache.set_many({"user:1": {"name": "John"}, "user:2": {"name": "Jane"}},
                   ttl=300)
    assert calls == {"kcache_set_many": 1}
    got = cache.get_many(["user:1", "user:2", "user:3"])
    assert got == {"user:1": {"name": "John"}, "user:2": {"name": "Jane"}}
    assert calls["kcache_get_many"] == 1
    m = cache.get_metrics()
    assert (m["hits"], m["misses"], m["sets"]) == (2, 1, 2)


def test_get_many_reads_values_longer_than_its_slots(cache):
    big = "x" * 10000
    cache.set_many([("big", big), ("small", "s")])
    assert cache.get_many(["small", "big"]) == {"small": "s", "big": big}


def test_set_many_reports_failures_and_stores_the_rest(cache):
    huge = "x" * (2 << 20)      # over the module's 1 MiB max_value_len
    with pytest.raises(kcache.BatchError) as info:
        cache.set_many([("a", 1), ("huge", huge), ("b", 2)])
    assert [key for key, _e in info.value.failures] == ["huge"]
    assert isinstance(info.value.failures[0][1], kcache.EntryTooLargeError)
    assert cache.get_many(["a", "b", "huge"]) == {"a": 1, "b": 2}


def test_batch_operations_sends_one_kernel_batch(name, calls):
    with kcache.LRUCache(name=name) as c, \
            kcache.LRUCache(name=name, create=False) as other:
        c.set("gone", 0)
        calls.clear()
        with c.batch_operations() as batch:
            c.set("key1", "value1")
            c["key2"] = "value2"
            batch.set("key3", "value3", ttl=60)
            c.delete("gone")
            # Queued, not sent: another handle sees nothing yet.
            assert "key1" not in other and "gone" in other
        assert calls == {"kcache_batch_commit": 1}
        assert other.get_many(["key1", "key2", "key3"]) == {
            "key1": "value1", "key2": "value2", "key3": "value3"}
        assert "gone" not in other


def test_a_read_in_a_batch_sees_the_queued_writes(cache):
    with cache.batch_operations():
        cache.set("a", 1)
        assert cache.get("a") == 1
        cache.set("b", 2)
    assert cache.get("b") == 2


def test_a_block_that_raises_sends_nothing(cache, calls):
    with pytest.raises(RuntimeError):
        with cache.batch_operations():
            cache.set("a", 1)
            raise RuntimeError("boom")
    assert "a" not in cache
    assert "kcache_batch_commit" not in calls


def test_a_batch_of_more_than_1024_operations_is_sent_in_two(cache, calls):
    with cache.batch_operations():
        cache.set_many(("k%d" % i, i) for i in range(1500))
    assert calls == {"kcache_batch_commit": 2}
    cache_len = len(cache)
    assert cache_len == 100      # the fixture's max_size: the last 100
    assert cache.get("k1499") == 1499


def test_batch_failures_raise_batcherror_at_the_end(cache):
    with pytest.raises(kcache.BatchError) as info:
        with cache.batch_operations():
            cache.set("a", 1)
            cache.set("huge", "x" * (2 << 20))
            cache.delete("never-there")
            cache.set("b", 2)
    assert [key for key, _e in info.value.failures] == ["huge"]
    assert info.value.errno == info.value.failures[0][1].errno
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}


def test_batches_do_not_nest(cache):
    with cache.batch_operations():
        with pytest.raises(RuntimeError):
            with cache.batch_operations():
                pass
