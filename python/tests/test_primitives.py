# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Versions (gets/cas), counters (incr/decr), touch, ttl, get_and_touch,
pop and delete_prefix: the kernel's atomic primitives of libkcache 1.10."""

import json
import math
import os
import pickle
import subprocess
import sys
import threading

import pytest

import kcache
from kcache import _cache
from conftest import PKG_DIR, wait_until

INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)


# Versions: gets() and cas() ------------------------------------------------

def test_gets_returns_the_value_and_a_version_every_write_changes(cache):
    cache.set("k", {"n": 1})
    value, first = cache.gets("k")
    assert value == {"n": 1}
    assert isinstance(first, int) and first > 0
    assert cache.gets("k") == ({"n": 1}, first)     # a read keeps it
    cache.set("k", {"n": 1})                         # same value, new write
    _, second = cache.gets("k")
    assert second > first
    cache.set("other", 0)                            # a later write of any key
    assert cache.gets("other")[1] > second


def test_gets_of_a_missing_key_is_none_and_counts_a_miss(cache):
    before = cache.get_metrics()["misses"]
    assert cache.gets("nope") is None
    assert cache.get_metrics()["misses"] == before + 1


def test_cas_stores_while_the_version_holds(cache):
    cache.set("k", [1])
    value, version = cache.gets("k")
    assert cache.cas("k", value + [2], version) is True
    new_value, new_version = cache.gets("k")
    assert new_value == [1, 2]
    assert new_version > version


def test_cas_with_a_stale_version_changes_nothing(cache):
    cache.set("k", "first")
    _, version = cache.gets("k")
    cache.set("k", "second")                    # another writer meanwhile
    _, current = cache.gets("k")
    assert cache.cas("k", "mine", version) is False
    assert cache.gets("k") == ("second", current)


def test_cas_of_a_missing_key_raises_keyerror(cache):
    cache.set("k", 1)
    _, version = cache.gets("k")
    cache.delete("k")
    with pytest.raises(KeyError):
        cache.cas("k", 2, version)
    assert "k" not in cache                     # cas never creates


def test_cas_gives_the_entry_its_ttl(cache):
    cache.set("k", 1, ttl=5)
    _, version = cache.gets("k")
    assert cache.cas("k", 2, version, ttl=math.inf) is True
    assert cache.ttl("k") == math.inf


def test_cas_refuses_what_is_not_a_version(cache):
    cache.set("k", 1)
    for bad in (0, -1, 1 << 64):
        with pytest.raises(ValueError):
            cache.cas("k", 2, bad)
    for bad in ("1", 1.0, True, None):
        with pytest.raises(TypeError):
            cache.cas("k", 2, bad)
    assert cache.get("k") == 1


def test_touch_and_get_and_touch_keep_the_version(cache):
    cache.set("k", "v", ttl=60)
    _, version = cache.gets("k")
    assert cache.touch("k", 120) is True
    assert cache.get_and_touch("k", 180) == "v"
    assert cache.gets("k") == ("v", version)


def _start_children(code, count, *args):
    """``count`` Python processes running ``code``; each prints "ready",
    then waits for a line on stdin before its real work, so that they all
    start it at once."""
    env = dict(os.environ, PYTHONPATH=PKG_DIR, PYTHONDONTWRITEBYTECODE="1")
    procs = [subprocess.Popen([sys.executable, "-c", code, *args],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env)
             for _ in range(count)]
    for p in procs:
        assert p.stdout.readline() == b"ready\n", p.stderr.read()
    for p in procs:
        p.stdin.write(b"go\n")
        p.stdin.flush()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode(errors="replace")
        outs.append(out.decode())
    return outs


CAS_ONCE = """
import os, sys, kcache
c = kcache.LRUCache(name=sys.argv[1], create=False)
version = int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
print(c.cas("k", "from %d" % os.getpid(), version), os.getpid())
"""


def test_cas_from_two_processes_exactly_one_wins(cache, name):
    cache.set("k", "start")
    _, version = cache.gets("k")
    outs = _start_children(CAS_ONCE, 2, name, str(version))
    results = [out.split() for out in outs]
    winners = [pid for won, pid in results if won == "True"]
    losers = [pid for won, pid in results if won == "False"]
    assert len(winners) == 1 and len(losers) == 1
    assert cache.get("k") == "from " + winners[0]


CAS_LOOP = """
import sys, kcache
c = kcache.LRUCache(name=sys.argv[1], create=False)
rounds = int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
for _ in range(rounds):
    while True:
        doc, version = c.gets("doc")
        doc["n"] += 1
        if c.cas("doc", doc, version):
            break
"""


def test_optimistic_updates_from_two_processes_lose_none(cache, name):
    rounds = 300
    cache.set("doc", {"n": 0})
    _start_children(CAS_LOOP, 2, name, str(rounds))
    # Every cas() that lost was retried: no update lost, none doubled.
    assert cache.get("doc") == {"n": 2 * rounds}


# Counters: incr() and decr() -----------------------------------------------

def test_incr_creates_a_counter_from_initial(cache):
    assert cache.incr("hits") == 1
    assert cache.incr("hits") == 2
    assert cache.incr("hits", 10) == 12
    assert cache.incr("from100", 5, initial=100) == 105
    assert cache.incr("from100", 5, initial=100) == 110   # initial: once
    assert cache.get("hits") == 12


def test_decr_subtracts_below_zero(cache):
    assert cache.decr("stock", initial=2) == 1
    assert cache.decr("stock", 3) == -2
    assert cache.incr("stock", -1) == -3
    assert cache.get("stock") == -3


def test_a_counter_is_decimal_ascii_read_back_as_an_int(cache, name):
    assert cache.incr("c", -12) == -12
    value = cache.get("c")
    assert value == -12 and type(value) is int     # the json codec
    with kcache.LRUCache(name=name, codec="raw", create=False) as raw:
        assert raw.get("c") == b"-12"               # as kcachectl shows it
        assert raw.incr("c", 12) == 0
        assert raw.get("c") == b"0"
    assert cache.get("c") == 0
    dump = json.loads(cache.serialize())
    assert [e["value"] for e in dump["entries"] if e["key"] == "c"] == ["0"]


def test_a_json_int_set_is_a_counter(cache):
    cache.set("n", 41)
    assert cache.incr("n") == 42
    cache.set("big", INT64_MAX - 1)
    assert cache.incr("big") == INT64_MAX


def test_incr_of_what_is_not_a_counter_raises_and_changes_nothing(cache):
    cases = {"str": "41", "float": 41.5, "bool": True, "none": None,
             "list": [41], "huge": INT64_MAX + 1}
    for key, value in cases.items():
        cache.set(key, value)
        _, version = cache.gets(key)
        with pytest.raises(kcache.NotACounterError) as info:
            cache.incr(key)
        assert isinstance(info.value, ValueError)
        assert info.value.errno == 22                   # EINVAL
        assert cache.gets(key) == (value, version), key


def test_a_counter_never_overflows(cache):
    assert cache.incr("max", 0, initial=INT64_MAX) == INT64_MAX
    with pytest.raises(kcache.CounterOverflowError) as info:
        cache.incr("max")
    assert isinstance(info.value, OverflowError)
    assert cache.get("max") == INT64_MAX
    assert cache.decr("min", 0, initial=INT64_MIN) == INT64_MIN
    with pytest.raises(OverflowError):
        cache.decr("min")
    assert cache.get("min") == INT64_MIN
    # A counter that cannot be created is not.
    with pytest.raises(kcache.CounterOverflowError):
        cache.decr("new", 1, initial=INT64_MIN)
    assert "new" not in cache
    # Subtracting INT64_MIN is adding 2**63: no counter can.
    with pytest.raises(kcache.CounterOverflowError):
        cache.decr("max", INT64_MIN)
    assert cache.get("max") == INT64_MAX


def test_incr_checks_its_numbers_before_the_kernel(cache):
    for bad in (1 << 63, INT64_MIN - 1):
        with pytest.raises(OverflowError):
            cache.incr("c", bad)
        with pytest.raises(OverflowError):
            cache.incr("c", 1, initial=bad)
    for bad in (1.0, "1", True, None):
        with pytest.raises(TypeError):
            cache.incr("c", bad)
    with pytest.raises(ValueError):
        cache.incr("c", ttl=0)
    assert "c" not in cache


def test_incr_ttl_is_the_new_counters_window_only(cache):
    assert cache.incr("window", ttl=100) == 1
    first = cache.ttl("window")
    assert 50 < first <= 100
    assert cache.incr("window", ttl=1) == 2         # keeps its expiry
    assert 50 < cache.ttl("window") <= first
    assert cache.incr("forever", ttl=math.inf) == 1
    assert cache.ttl("forever") == math.inf


def test_an_expired_counter_starts_again(cache):
    cache.incr("w", 5, ttl=0.05)
    assert wait_until(lambda: "w" not in cache)
    assert cache.incr("w", 1, initial=100) == 101


def test_two_threads_incr_n_times_each_count_2n(cache):
    rounds = 1000
    seen = [[], []]
    errors = []
    start = threading.Barrier(2)

    def work(i):
        try:
            start.wait(30)
            for _ in range(rounds):
                seen[i].append(cache.incr("counter"))
        except Exception as e:          # reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert cache.get("counter") == 2 * rounds
    # Each increment returned its own value: none lost, none seen twice.
    assert sorted(seen[0] + seen[1]) == list(range(1, 2 * rounds + 1))


def test_counters_under_the_raw_and_pickle_codecs(name):
    with kcache.LRUCache(name=name, codec="raw") as raw:
        assert raw.incr("c", 3) == 3
        assert raw.get("c") == b"3"
        raw.set("d", b"-7")
        assert raw.decr("d") == -8
    with kcache.LRUCache(name=name, codec="pickle", create=False) as pick:
        assert pick.incr("c") == 4                   # incr itself works
        with pytest.raises(pickle.UnpicklingError):  # a pickle it is not
            pick.get("c")


# TTLs: touch(), ttl(), get_and_touch() ---------------------------------------

def test_touch_sets_a_new_ttl_without_a_write(cache):
    cache.set("k", {"v": 1}, ttl=1000)
    before = cache.get_metrics()
    assert cache.touch("k", 10) is True
    after = cache.get_metrics()
    assert 0 < cache.ttl("k") <= 10
    for counter in ("sets", "hits", "misses"):
        assert after[counter] == before[counter], counter
    assert cache.get("k") == {"v": 1}


def test_touch_of_a_missing_key_is_false(cache):
    assert cache.touch("nope", 10) is False
    assert "nope" not in cache


def test_touch_with_inf_or_none(name):
    with kcache.LRUCache(name=name, default_ttl=300) as c:
        c.set("k", 1, ttl=5)
        assert c.touch("k", math.inf) is True
        assert c.ttl("k") == math.inf
        assert c.touch("k", None) is True            # the cache's default
        assert 200 < c.ttl("k") <= 300
        with pytest.raises(ValueError):
            c.touch("k", 0)
        with pytest.raises(TypeError):
            c.touch("k", "10")


def test_a_touched_entry_expires_at_its_new_ttl(cache):
    cache.set("k", 1)                                # never expires
    assert cache.touch("k", 0.05) is True
    assert wait_until(lambda: cache.ttl("k") is None)
    assert cache.get("k") is None


def test_ttl_says_remaining_seconds_inf_or_none(cache):
    cache.set("forever", 1)
    cache.set("soon", 1, ttl=30)
    assert cache.ttl("forever") == math.inf
    left = cache.ttl("soon")
    assert isinstance(left, float) and 0 < left <= 30
    assert cache.ttl("nope") is None
    before = cache.get_metrics()
    cache.ttl("soon")
    after = cache.get_metrics()
    assert (after["hits"], after["misses"]) == (before["hits"],
                                                before["misses"])


def test_get_and_touch_reads_and_extends_in_one_call(cache):
    cache.set("session", {"user": 7}, ttl=1)
    before = cache.get_metrics()
    assert cache.get_and_touch("session", 600) == {"user": 7}
    assert 300 < cache.ttl("session") <= 600
    assert cache.get_and_touch("gone", 600) is None
    assert cache.get_and_touch("gone", 600, default="d") == "d"
    after = cache.get_metrics()
    assert after["hits"] == before["hits"] + 1
    assert after["misses"] == before["misses"] + 2
    assert "gone" not in cache


# pop() ---------------------------------------------------------------------

def test_pop_returns_the_value_and_removes_it(cache):
    cache.set("job", {"id": 1})
    before = cache.get_metrics()
    assert cache.pop("job") == {"id": 1}
    after = cache.get_metrics()
    assert "job" not in cache
    assert after["hits"] == before["hits"] + 1
    assert after["deletes"] == before["deletes"] + 1
    with pytest.raises(KeyError):
        cache.pop("job")
    assert cache.pop("job", None) is None
    assert cache.pop("job", 0) == 0


def test_pop_of_a_value_longer_than_the_buffer(cache, monkeypatch):
    # A fresh thread buffer (64 KiB) is too short: the first call must
    # neither copy nor delete, the second gets it.
    monkeypatch.setattr(_cache._tls, "buf", None)
    big = "x" * (200 * 1024)
    cache.set("big", big)
    assert cache.pop("big") == big
    assert "big" not in cache


def test_one_of_many_threads_pops_each_key(cache):
    rounds, workers = 30, 4
    for r in range(rounds):
        cache.set("job%d" % r, r)
    got = [[] for _ in range(workers)]
    start = threading.Barrier(workers)

    def work(i):
        start.wait(30)
        for r in range(rounds):
            value = cache.pop("job%d" % r, None)
            if value is not None:
                got[i].append(value)
    threads = [threading.Thread(target=work, args=(i,))
               for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert sorted(sum(got, [])) == list(range(rounds))


# delete_prefix() -------------------------------------------------------------

def test_delete_prefix_of_a_str_deletes_the_keys_starting_with_it(cache):
    for key in ("user:1:name", "user:1:mail", "user:10:name", "user:2:name",
                "user:1", b"user:1:raw", ("user:1:", "t"), 1):
        cache.set(key, 0)
    assert cache.delete_prefix("user:1:") == 3
    assert cache.get_many(["user:1:name", "user:1:mail", b"user:1:raw"]) \
        == {}
    for key in ("user:10:name", "user:2:name", "user:1", ("user:1:", "t"),
                1):
        assert key in cache, key
    assert cache.delete_prefix("user:1:") == 0


def test_delete_prefix_of_a_non_ascii_str(cache):
    for key in ("café:1", "café:2", "cafe:3", "caf"):
        cache.set(key, 0)
    assert cache.delete_prefix("café") == 2
    assert "cafe:3" in cache and "caf" in cache
    assert "café:1" not in cache


def test_delete_prefix_of_a_tuple_matches_leading_elements(cache):
    keys = [("user", 42), ("user", 42, "name"), ("user", 42, ("a", 1)),
            ("user", 420), ("user", 4), ("users", 42), ("user",), "user",
            '\u00e9']
    for key in keys:
        cache.set(key, 0)
    assert cache.delete_prefix(("user", 42)) == 3
    assert [k for k in keys if k in cache] == [
        ("user", 420), ("user", 4), ("users", 42), ("user",), "user",
        '\u00e9']
    assert cache.delete_prefix(("user",)) == 3
    assert cache.delete_prefix(()) == 1             # every tuple key
    assert [k for k in keys if k in cache] == ["user", '\u00e9']


def test_delete_prefix_refuses_what_it_cannot_match(cache):
    cache.set("k", 0)
    with pytest.raises(ValueError):
        cache.delete_prefix("")
    with pytest.raises(ValueError):
        cache.delete_prefix(b"")
    with pytest.raises(ValueError):
        cache.delete_prefix("\0k")
    for bad in (42, None, ["k"], frozenset(["k"])):
        with pytest.raises(TypeError):
            cache.delete_prefix(bad)
    with pytest.raises(kcache.EntryTooLargeError):
        cache.delete_prefix("k" * 10000)
    assert "k" in cache


def test_delete_prefix_counts_deletes(cache):
    for i in range(20):
        cache.set("ns:%d" % i, i)
    before = cache.get_metrics()["deletes"]
    assert cache.delete_prefix("ns:") == 20
    assert cache.get_metrics()["deletes"] == before + 20
    assert len(cache) == 0


# Hooks and batches -------------------------------------------------------------

class SyncRecorder(kcache.CacheHook):
    def __init__(self):
        self.calls = []

    def on_hit(self, key, value, entry):
        self.calls.append(("hit", key, value))

    def on_miss(self, key):
        self.calls.append(("miss", key))

    def on_set(self, key, value, entry):
        self.calls.append(("set", key, value, entry.ttl))

    def on_delete(self, key, entry):
        self.calls.append(("delete", key))


def test_the_new_operations_call_the_synchronous_hooks(cache):
    hook = SyncRecorder()
    cache.add_hook(hook)
    cache.set("k", "a", ttl=math.inf)
    _, version = cache.gets("k")
    assert cache.cas("k", "b", version, ttl=60) is True
    assert cache.cas("k", "c", version) is False
    cache.incr("n", 5)
    cache.touch("k", 30)
    cache.ttl("k")
    cache.get_and_touch("k", 30)
    cache.get_and_touch("nope", 30)
    cache.pop("k")
    cache.pop("k", None)
    assert hook.calls == [
        ("set", "k", "a", None),
        ("hit", "k", "a"),
        ("set", "k", "b", 60),
        ("set", "n", 5, None),              # a counter's TTL is not known
        ("hit", "k", "b"),
        ("miss", "nope"),
        ("hit", "k", "b"),
        ("delete", "k"),
        ("miss", "k"),
    ]


def test_delete_prefix_reaches_hooks_as_kernel_delete_events(cache):
    class Both(SyncRecorder):
        def __init__(self):
            super().__init__()
            self.events = []

        def subscribed_events(self):
            return {"delete"}

        def on_event(self, event):
            self.events.append((event.type, event.key))
    hook = Both()
    cache.add_hook(hook)
    cache.set("p:1", 1)
    cache.set("p:2", 2)
    cache.set("q", 3)
    hook.calls.clear()
    assert cache.delete_prefix("p:") == 2
    assert wait_until(lambda: cache.dispatch_events(0.1) is not None
                      and len(hook.events) >= 2)
    assert sorted(hook.events) == [("delete", "p:1"), ("delete", "p:2")]
    assert hook.calls == []                 # no synchronous on_delete
    cache.remove_hook(hook)


def test_the_primitives_inside_a_batch_see_what_is_queued(cache):
    with cache.batch_operations():
        cache.set("n", 5)
        cache.set("p:1", 1)
        assert cache.incr("n") == 6
        assert cache.delete_prefix("p:") == 1
        cache.set("s", "v")
        assert cache.pop("s") == "v"
    assert cache.get("n") == 6
    assert "p:1" not in cache and "s" not in cache
