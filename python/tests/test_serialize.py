# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""serialize()/deserialize(): libkcache's JSON dump, not a format of
this package."""

import json

import pytest

import kcache


def test_serialize_writes_libkcache_dump_format(cache):
    cache.set("user:1", {"name": "John"})
    cache.set((1, 2), 3.5, ttl=600)
    doc = json.loads(cache.serialize())
    assert doc["format"] == "lrucache-dump" and doc["version"] == 1
    assert doc["cache"] == cache.name
    entries = doc["entries"]
    # Least recently used first; keys and values as the kernel holds them.
    assert entries[0] == {"key": "user:1", "value": '{"name":"John"}'}
    assert entries[1]["key"] == "\x00[1,2]"
    assert entries[1]["value"] == "3.5"
    assert 0 < entries[1]["ttl_ms"] <= 600000


def test_a_dump_restores_entries_and_lru_order(cache, name):
    for i in range(5):
        cache.set("k%d" % i, {"i": i})
    cache.get("k0")                       # k0 is now the most recent
    dump = cache.serialize()
    with kcache.LRUCache(max_size=5, name=name + "-copy") as copy:
        try:
            assert copy.deserialize(dump) == 5
            assert copy.get_many("k%d" % i for i in range(5)) == {
                "k%d" % i: {"i": i} for i in range(5)}
            # get_many() refreshed them in that order: restore again to
            # test the dump's own order, then push one out.
            copy.deserialize(dump, replace=True)
            copy.set("new", 1)
            assert "k1" not in copy       # the least recent of the dump
            assert "k0" in copy
        finally:
            copy.destroy()


def test_deserialize_replace_clears_the_cache_first(cache):
    cache.set("a", 1)
    dump = cache.serialize()
    cache.set("b", 2)
    assert cache.deserialize(dump, replace=True) == 1
    assert len(cache) == 1 and cache.get("a") == 1
    cache.set("b", 2)
    cache.deserialize(dump)
    assert len(cache) == 2


def test_a_broken_document_changes_nothing_and_says_where(cache):
    cache.set("a", 1)
    with pytest.raises(kcache.DumpFormatError) as info:
        cache.deserialize('{"format": "lrucache-dump",\n "version": 1,\n'
                          ' "entries": [')
    assert info.value.line == 3
    assert info.value.column > 0
    assert isinstance(info.value, ValueError)
    with pytest.raises(kcache.DumpFormatError) as info:
        cache.deserialize(json.dumps({"format": "something-else",
                                      "version": 1, "entries": []}))
    assert len(cache) == 1


def test_a_dump_taken_by_c_tools_reads_back_through_the_codec(cache):
    doc = {"format": "lrucache-dump", "version": 1,
           "entries": [{"key": "user:9", "value": '{"name": "Ann"}'}]}
    assert cache.deserialize(json.dumps(doc).encode()) == 1
    assert cache["user:9"] == {"name": "Ann"}
