# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Entries: set/get/exists/delete/clear, the dict interface, keys, codecs,
names and the life of a cache."""

import datetime
import decimal
import gc
import json
import math
import os
import subprocess

import pytest

import kcache
from kcache import _native as n
from conftest import REPO, run_python, wait_until


def test_set_then_get_returns_the_value(cache):
    cache.set("key1", "value1")
    assert cache.get("key1") == "value1"


def test_get_of_a_missing_key_returns_the_default(cache):
    assert cache.get("nope") is None
    assert cache.get("nope", 42) == 42


def test_a_stored_none_is_found_by_getitem(cache):
    cache.set("k", None)
    assert cache["k"] is None
    assert "k" in cache


def test_exists_counts_no_lookup(cache):
    cache.set("a", 1)
    before = cache.get_metrics()
    assert cache.exists("a") is True
    assert cache.exists("b") is False
    after = cache.get_metrics()
    assert after["hits"] == before["hits"]
    assert after["misses"] == before["misses"]


def test_delete_tells_whether_the_key_was_there(cache):
    cache.set("a", 1)
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    assert cache.get("a") is None


def test_clear_removes_every_entry(cache):
    for i in range(10):
        cache.set("k%d" % i, i)
    cache.clear()
    assert len(cache) == 0
    assert cache.get("k3") is None


def test_dict_interface(cache):
    cache["key2"] = "value2"
    assert cache["key2"] == "value2"
    assert "key2" in cache
    assert len(cache) == 1
    del cache["key2"]
    assert "key2" not in cache
    with pytest.raises(KeyError):
        cache["key2"]
    with pytest.raises(KeyError):
        del cache["key2"]
    with pytest.raises(TypeError):
        iter(cache)


def test_len_is_the_kernels_entry_count_for_every_handle(name):
    with kcache.LRUCache(max_size=50, name=name) as one, \
            kcache.LRUCache(name=name, create=False) as two:
        for i in range(7):
            two.set(i, i)
        assert len(one) == 7
        assert len(one) == one.get_metrics()["entries"]


def test_len_counts_only_what_in_finds(name):
    # The reaper runs once an hour here: expired entries stay in the
    # kernel's count until then, but not in len().
    with kcache.LRUCache(name=name, cleanup_interval=3600) as c:
        c.set("short", 1, ttl=0.05)
        c.set("long", 1)
        assert wait_until(lambda: "short" not in c)
        assert c.get_metrics()["entries"] == 2
        assert len(c) == 1
        assert c.get_metrics()["entries"] == 1


def test_ttl_is_another_name_of_default_ttl(name):
    with kcache.LRUCache(max_size=100, ttl=60, name=name) as c:
        assert c.get_info()["default_ttl"] == 60
    with pytest.raises(TypeError):
        kcache.LRUCache(default_ttl=30, ttl=60, name=name)


def test_entry_reads_an_entry_without_touching_it(cache):
    cache.set("a", {"x": 1}, ttl=100)
    cache.set("b", 2)
    before = cache.get_metrics()
    now = __import__("time").time()
    a = cache.entry("a")
    assert (a.key, a.value, a.size) == ("a", {"x": 1}, len(b'{"x":1}'))
    assert now + 99 <= a.expires_at <= now + 101 and not a.is_expired
    assert cache.entry("b").expires_at is None
    assert cache.entry("nope") is None
    assert cache._cache.get("nope") is None          # the original's name
    assert cache._cache.get("b").value == 2
    after = cache.get_metrics()
    assert (after["hits"], after["misses"]) == (before["hits"],
                                                 before["misses"])
    cache.set("c", 3)                    # "a" stayed the least recent
    assert json.loads(cache.serialize())["entries"][0]["key"] == "a"


def test_generic_subscription_makes_a_cache(name):
    c = kcache.LRUCache[str, dict](max_size=10, name=name)
    c.set("user:123", {"name": "John"})
    assert c.get("user:123") == {"name": "John"}
    c.close()


def test_key_types_are_distinct_keys(cache):
    keys = ["1", 1, 1.5, True, None, (1,), ("1",), (1, (2, "x")), b"\xff",
            datetime.date(2024, 1, 2), decimal.Decimal("1.5"),
            frozenset({"a", "b"}), (b"\x00", datetime.time(1, 2))]
    for i, key in enumerate(keys):
        cache.set(key, i)
    assert len(cache) == len(keys)
    for i, key in enumerate(keys):
        assert cache.get(key) == i


def test_str_and_bytes_keys_are_their_bytes(cache):
    # A str key is its UTF-8 bytes, so C programs and kcachectl use the
    # same key; the same bytes given as bytes are the same key.
    cache.set("user:123", "x")
    assert cache.get(b"user:123") == "x"
    ptr = cache._h.ptr
    assert n.lib.kcache_exists(ptr, b"user:123", 8) == 1
    cache.set("é", 1)
    assert n.lib.kcache_exists(ptr, "é".encode(), 2) == 1


def test_encoded_keys_decode_back():
    for key in ["a", (1, "a", b"\x00", (None, True, 2.5)), 7, -1.25,
                (datetime.datetime(2024, 1, 2, 3, 4), frozenset({(1, 2)}))]:
        assert kcache.decode_key(kcache.encode_key(key)) == key
    assert kcache.encode_key((1, "a")) == b'\x00[1,"a"]'
    assert kcache.encode_key((b"\x00\xff", decimal.Decimal("1.0"))) == \
        b'\x00[{"$bytes":"AP8="},{"$decimal":"1.0"}]'


def test_a_frozenset_key_is_the_same_in_every_process():
    # str hashing is salted per process: the elements are written sorted
    # by their encoding, not in the set's (hash) order.
    assert kcache.encode_key(frozenset("hgfedcba")) == \
        b'\x00{"$frozenset":["a","b","c","d","e","f","g","h"]}'
    assert kcache.encode_key(frozenset([(2, "b"), 10, "a"])) == \
        b'\x00{"$frozenset":["a",10,[2,"b"]]}'


@pytest.mark.parametrize("key,error", [
    ([1, 2], TypeError), ({"a": 1}, TypeError), ("", ValueError),
    (b"", ValueError), ("\x00x", ValueError), (float("nan"), ValueError)])
def test_keys_that_cannot_be_encoded_are_refused(cache, key, error):
    with pytest.raises(error):
        cache.set(key, 1)


# What the original README's examples store, and more.
RICH = {
    "user_id": 42, "name": "Zoë", "ok": True, "none": None, "n": 1.5,
    "permissions": {"read", "write"}, "roles": frozenset({"admin"}),
    "last_activity": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456),
    "utc": datetime.datetime(2024, 5, 6, 7, 8, tzinfo=datetime.timezone.utc),
    "born": datetime.date(1990, 1, 2), "at": datetime.time(12, 30),
    "point": (1, (2.5, "x")), "list": [1, (2, 3)], "blob": b"\x00\xffbin",
    "price": decimal.Decimal("19.90"), "inf": math.inf,
    "by_pair": {(1, 2): "a", 3: "b"}, "$looks_like_a_tag": 1,
    "nested": [{"$set": "not a set"}],
}


def test_json_codec_round_trips_the_readme_types(cache):
    cache.set("v", RICH)
    got = cache.get("v")
    assert got == RICH
    assert type(got["point"]) is tuple and type(got["list"][1]) is tuple
    assert type(got["blob"]) is bytes and got["price"].as_tuple() == \
        decimal.Decimal("19.90").as_tuple()
    assert got["nested"] == [{"$set": "not a set"}]


def test_json_codec_writes_the_documented_encoding(cache):
    examples = [
        ({"a": [1, "x", None]}, b'{"a":[1,"x",null]}'),
        ((1, 2), b'{"$tuple":[1,2]}'),
        ({"b", "a"}, b'{"$set":["a","b"]}'),
        (b"\x00\xff", b'{"$bytes":"AP8="}'),
        (datetime.datetime(2024, 1, 2, 3, 4, 5),
         b'{"$datetime":"2024-01-02T03:04:05"}'),
        (datetime.date(2024, 1, 2), b'{"$date":"2024-01-02"}'),
        (decimal.Decimal("1.10"), b'{"$decimal":"1.10"}'),
        (float("nan"), b'{"$float":"NaN"}'),
        ({1: "a"}, b'{"$map":[[1,"a"]]}'),
        ({"$tuple": 1}, b'{"$map":[["$tuple",1]]}'),
    ]
    for value, data in examples:
        assert cache.codec.encode(value) == data
        cache.set("k", value)
        buf = bytes(64)
        got = n.lib.kcache_get(cache._h.ptr, b"k", 1, buf, len(buf))
        assert buf[:got] == data


def test_json_codec_values_stay_readable_by_kcachectl_and_the_dump(cache):
    cache.set("s", {"when": datetime.date(2024, 1, 2), "t": (1, 2)})
    text = '{"when":{"$date":"2024-01-02"},"t":{"$tuple":[1,2]}}'
    kcachectl = os.path.join(REPO, "build", "tools", "kcachectl")
    if not os.access(kcachectl, os.X_OK):
        pytest.skip("%s not built (make tools)" % kcachectl)
    out = subprocess.run([kcachectl, "get", cache.name, "s", "--json"],
                         stdout=subprocess.PIPE, check=True).stdout
    shown = json.loads(out)
    assert shown["encoding"] == "utf-8" and shown["value"] == text
    dump = json.loads(cache.serialize())
    assert dump["entries"] == [{"key": "s", "value": text}]


def test_json_codec_refuses_other_objects_and_stores_nothing(cache):
    with pytest.raises(TypeError, match="codec=\"pickle\""):
        cache.set("d", object())
    with pytest.raises(ValueError):
        loop = []
        loop.append(loop)
        cache.set("d", loop)
    assert "d" not in cache


def test_plain_json_is_kept_for_plain_values_and_on_request(name):
    with kcache.LRUCache(name=name,
                         codec=kcache.JSONCodec(tagged=False)) as c:
        c.set("t", (1, 2))
        assert c.get("t") == [1, 2]
        with pytest.raises(TypeError):
            c.set("d", datetime.date.today())


def test_json_values_are_plain_json_bytes(cache):
    cache.set("k", {"a": 1})
    buf = bytes(64)
    got = n.lib.kcache_get(cache._h.ptr, b"k", 1, buf, len(buf))
    assert buf[:got] == b'{"a":1}'


def test_pickle_codec_round_trips_any_picklable_object(name):
    now = datetime.datetime.now()
    with kcache.LRUCache(name=name, codec="pickle") as c:
        c.set("s", {"when": now, "perms": {"read", "write"}})
        assert c.get("s") == {"when": now, "perms": {"read", "write"}}


def test_raw_codec_stores_bytes_as_they_are(name):
    with kcache.LRUCache(name=name, codec="raw") as c:
        c.set("b", b"\x00\x01binary")
        assert c.get("b") == b"\x00\x01binary"
        with pytest.raises(TypeError):
            c.set("s", "a str")


def test_a_custom_codec_is_used(name):
    class Upper:
        def encode(self, obj):
            return obj.upper().encode()

        def decode(self, data):
            return "decoded:" + data.decode()
    with kcache.LRUCache(name=name, codec=Upper()) as c:
        c.set("k", "abc")
        assert c.get("k") == "decoded:ABC"
    with pytest.raises(ValueError):
        kcache.LRUCache(name=name, codec="yaml")


def test_ttl_must_be_positive_seconds(cache):
    for bad in (0, -1, -0.5):
        with pytest.raises(ValueError):
            cache.set("k", 1, ttl=bad)
    with pytest.raises(TypeError):
        cache.set("k", 1, ttl=True)
    with pytest.raises(TypeError):
        cache.set("k", 1, ttl="60")
    cache.set("k", 1, ttl=math.inf)
    assert cache.get("k") == 1


def test_anonymous_cache_is_destroyed_on_close():
    c = kcache.LRUCache(max_size=10)
    cname = c.name
    assert cname.startswith("py-")
    c.set("a", 1)
    assert kcache.LRUCache(name=cname, create=False).get("a") == 1
    c.close()
    with pytest.raises(kcache.CacheNotFoundError):
        kcache.LRUCache(name=cname, create=False)


def test_anonymous_cache_is_destroyed_when_collected():
    c = kcache.LRUCache(max_size=10)
    cname = c.name
    del c
    gc.collect()
    with pytest.raises(kcache.CacheNotFoundError):
        kcache.LRUCache(name=cname, create=False)


def test_named_cache_outlives_its_handle(name):
    with kcache.LRUCache(name=name) as c:
        c.set("a", 1)
    with kcache.LRUCache(name=name, create=False) as c:
        assert c.get("a") == 1


def test_closed_cache_refuses_operations(name):
    c = kcache.LRUCache(name=name)
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(ValueError):
        c.get("a")


def test_attaching_keeps_the_existing_limits(name):
    with kcache.LRUCache(max_size=5, name=name) as first, \
            kcache.LRUCache(max_size=500, name=name) as second:
        assert second.get_info()["max_size"] == 5
        assert first.get_info()["max_size"] == 5


def test_anonymous_caches_are_destroyed_at_interpreter_exit():
    out = run_python("import kcache\n"
                     "c = kcache.LRUCache(max_size=10)\n"
                     "@kcache.lru_cache(maxsize=10)\n"
                     "def f(x):\n"
                     "    return x\n"
                     "f(1)\n"
                     "print(c.name, f.cache.name)\n")
    names = out.split()
    assert len(names) == 2
    for cname in names:
        with pytest.raises(kcache.CacheNotFoundError):
            kcache.LRUCache(name=cname, create=False)
