# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Hooks: the kernel's events, delivered by dispatch_events() or by the
event thread."""

import asyncio
import logging
import math
import select
import socket
import threading
import time

import pytest

import kcache
from conftest import run_python, wait_until


class Recorder(kcache.CacheHook):
    """Records every kernel event it receives (on_event, the event form)."""

    def __init__(self):
        self.seen = []
        self.events = []

    def on_event(self, event):
        self.seen.append((event.type, event.key))
        self.events.append(event)


class Original(kcache.CacheHook):
    """A hook written as the original library's README writes them."""

    def __init__(self):
        self.calls = []

    def on_hit(self, key, value, entry):
        self.calls.append(("hit", key, value, entry,
                           threading.current_thread()))

    def on_miss(self, key):
        self.calls.append(("miss", key))

    def on_set(self, key, value):           # the README's two arguments
        self.calls.append(("set", key, value))

    def on_delete(self, key, entry):
        self.calls.append(("delete", key))


def dispatch_until(cache, predicate, timeout=10.0):
    """Dispatch events until ``predicate`` holds; bounded."""
    return wait_until(lambda: cache.dispatch_events(0.05) >= 0 and
                      predicate(), timeout=timeout, interval=0)


def test_the_originals_methods_are_called_during_the_operations(cache):
    hook = Original()
    cache.add_hook(hook)
    cache.set("a", {"x": 1})
    assert hook.calls == [("set", "a", {"x": 1})]   # before set() returned
    assert cache.get("a") == {"x": 1}
    assert cache.get("b") is None
    assert "c" not in hook.calls
    cache["c"] = (1, 2)
    assert cache.delete("c") is True
    assert cache.delete("c") is False               # nothing deleted
    hit = hook.calls[1]
    assert hit[:3] == ("hit", "a", {"x": 1})
    assert hit[4] is threading.current_thread()
    assert hit[3].value == {"x": 1} and hit[3].size == len(b'{"x":1}')
    assert hook.calls[2:] == [("miss", "b"), ("set", "c", (1, 2)),
                              ("delete", "c")]
    # Nothing of it goes through the kernel's event stream.
    assert cache.dispatch_events(0) == 0


def test_on_set_gets_the_entry_with_its_ttl(name):
    entries = []

    class Sets(kcache.CacheHook):
        def on_set(self, key, value, entry):
            entries.append(entry)

    with kcache.LRUCache(name=name, default_ttl=300) as c:
        c.add_hook(Sets())
        before = time.time()
        c.set("a", "xyz")
        c.set("b", 1, ttl=2.5)
        c.set("c", 1, ttl=math.inf)
        after = time.time()
    a, b, forever = entries
    assert (a.key, a.value, a.size, a.age, a.ttl) == ("a", "xyz", 5, 0.0, 300)
    assert before + 300 <= a.expires_at <= after + 300
    assert not a.is_expired
    assert b.ttl == 2.5 and before + 2.5 <= b.expires_at <= after + 2.5
    assert forever.ttl is None and forever.expires_at is None
    assert not forever.is_expired


def test_batches_and_many_call_the_originals_methods(cache):
    hook = Original()
    cache.add_hook(hook)
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "x"]) == {"a": 1}
    with cache.batch_operations():
        cache.set("c", 3)
        cache.delete("a")
        cache.delete("never")
        assert [c[0] for c in hook.calls] == ["set", "set", "hit", "miss"]
    assert [c[:3] for c in hook.calls[4:]] == [("set", "c", 3),
                                               ("delete", "a")]


def test_a_raising_hook_is_logged_and_the_operation_goes_on(cache, caplog):
    class Failing(kcache.CacheHook):
        def on_set(self, key, value, entry):
            raise RuntimeError("hook failed on %s" % key)

    other = Original()
    cache.add_hook(Failing())
    cache.add_hook(other)
    with caplog.at_level(logging.ERROR, logger="kcache"):
        cache.set("a", 1)
    assert cache.get("a") == 1
    assert other.calls[0] == ("set", "a", 1)
    assert "hook failed on a" in caplog.text


def test_evictions_come_from_the_kernel_with_their_age(name):
    class MetricsHook(kcache.CacheHook):
        def __init__(self):
            self.evicted = []

        def on_evict(self, key, entry):
            self.evicted.append((key, entry.age, entry.size,
                                 entry.is_expired, entry.event.type))

    hook = MetricsHook()
    assert hook.subscribed_events() == {"evict"}
    with kcache.LRUCache(max_size=2, name=name) as c, \
            kcache.LRUCache(name=name, create=False) as other:
        c.add_hook(hook)
        # Another handle (or process) fills the cache: the evictions are
        # the cache's, reported to every hook.
        for i in range(5):
            other.set(i, "v%d" % i)
        assert dispatch_until(c, lambda: len(hook.evicted) >= 3)
        assert [e[0] for e in hook.evicted] == [0, 1, 2]
        for _key, age, size, expired, kind in hook.evicted:
            assert 0 <= age <= 60 and size == 4
            assert not expired and kind == "evict"


def test_expirations_come_from_the_kernel(name):
    expired = []

    class Expiry(kcache.CacheHook):
        def on_expire(self, key, entry):
            expired.append((key, entry.is_expired))

    with kcache.LRUCache(name=name, cleanup_interval=0.05) as c:
        c.add_hook(Expiry())
        c.set("short", 1, ttl=0.05)
        assert dispatch_until(c, lambda: expired)
        assert expired == [("short", True)]


def test_a_hook_receives_the_events_of_another_process(cache, name):
    hook = Recorder()
    cache.add_hook(hook)
    run_python("import sys, kcache\n"
               "c = kcache.LRUCache(name=sys.argv[1], create=False)\n"
               "c.set('a', 1)\n"
               "c.set(('t', 2), 'x')\n"
               "c.delete('a')\n", name)
    expected = [("set", "a"), ("set", ("t", 2)), ("delete", "a")]
    assert dispatch_until(cache, lambda: len(hook.seen) >= 3)
    assert hook.seen == expected


def test_an_event_describes_its_entry(cache):
    hook = Recorder()
    cache.add_hook(hook)
    cache.set("k", "xyz")
    cache.get("k")
    cache.get("absent")
    assert dispatch_until(cache, lambda: len(hook.events) >= 3)
    set_ev, hit, miss = hook.events
    assert (set_ev.type, hit.type, miss.type) == ("set", "hit", "miss")
    assert set_ev.cache == cache.name
    assert hit.raw_key == b"k" and hit.key_len == 1
    assert hit.value_len == len(b'"xyz"')
    assert hit.key_hash == set_ev.key_hash != miss.key_hash
    assert hit.age is not None and 0 <= hit.age <= 60
    assert miss.age is None and miss.value_len == 0
    assert hit.seq == set_ev.seq + 1
    assert hit.text.startswith('%s hit key="k" key_len=1 value_len=5 '
                               % cache.name)


def test_a_long_key_comes_as_its_hash_only(cache):
    hook = Recorder()
    cache.add_hook(hook)
    cache.set("k" * 100, 1)
    assert dispatch_until(cache, lambda: hook.events)
    ev = hook.events[0]
    assert ev.key is None and ev.raw_key is None and ev.key_len == 100
    assert "key_hash=" in ev.text


def test_a_hook_subscribes_only_to_the_events_it_overrides(name):
    class Evictions(kcache.CacheHook):
        def __init__(self):
            self.keys = []

        def on_evict(self, key, entry):
            self.keys.append(key)

    hook = Evictions()
    assert hook.subscribed_events() == {"evict"}
    assert Original().subscribed_events() == frozenset()
    assert Recorder().subscribed_events() == frozenset(
        ["hit", "miss", "set", "delete", "evict", "expire", "reclaim"])
    with kcache.LRUCache(max_size=2, name=name) as c:
        c.add_hook(hook)
        for i in range(5):
            c.set(i, i)
            c.get(i)
        # 5 sets, 5 hits, 3 evictions: the kernel sends only the 3.
        read = []
        assert wait_until(lambda: read.append(c.dispatch_events(0.05))
                          or len(hook.keys) >= 3, timeout=10, interval=0)
        assert hook.keys == [0, 1, 2]
        assert sum(read) + c.dispatch_events(0) == 3


def test_logginghook_logs_each_event(cache, caplog):
    caplog.set_level(logging.INFO, logger="kcache")
    cache.add_hook(kcache.LoggingHook(log_level=logging.INFO))
    cache.set("user:1", {"a": 1})
    cache.delete("user:1")
    assert dispatch_until(cache, lambda: len(caplog.records) >= 2)
    texts = [r.getMessage() for r in caplog.records]
    assert texts[0].startswith('%s set key="user:1" key_len=6 value_len=7'
                               % cache.name)
    assert texts[1].startswith('%s delete key="user:1"' % cache.name)
    assert all(r.levelno == logging.INFO for r in caplog.records)


def test_logginghook_can_be_limited_to_some_events(cache, caplog):
    caplog.set_level(logging.DEBUG, logger="kcache")
    hook = kcache.LoggingHook(log_level=logging.DEBUG, events=["delete"])
    assert hook.subscribed_events() == {"delete"}
    cache.add_hook(hook)
    cache.set("a", 1)
    cache.delete("a")
    assert dispatch_until(cache, lambda: caplog.records)
    assert len(caplog.records) == 1
    assert " delete " in caplog.records[0].getMessage()
    with pytest.raises(ValueError):
        kcache.LoggingHook(events=["sets"])


def test_a_hook_that_raises_is_reported_after_the_others_ran(cache):
    class Failing(kcache.CacheHook):
        def on_event(self, event):
            if event.key == "a":
                raise RuntimeError("hook failed on %s" % event.key)

    good = Recorder()
    cache.add_hook(Failing())
    cache.add_hook(good)
    cache.set("a", 1)
    cache.set("b", 2)
    with pytest.raises(RuntimeError, match="hook failed on a"):
        assert wait_until(lambda: cache.dispatch_events(0.05) and False,
                          timeout=10, interval=0)
    assert dispatch_until(cache, lambda: len(good.seen) >= 2)
    assert good.seen == [("set", "a"), ("set", "b")]


def test_the_event_thread_calls_hooks_as_events_arrive(cache):
    got = threading.Event()
    where = []

    class Signal(kcache.CacheHook):
        def on_event(self, event):
            where.append((event.key, threading.current_thread().name))
            got.set()

    cache.add_hook(Signal())
    cache.start_event_thread(poll_interval=0.2)
    with pytest.raises(RuntimeError):
        cache.start_event_thread()
    cache.set("a", 1)
    assert got.wait(10)
    assert where == [("a", "kcache-events-" + cache.name)]
    cache.stop_event_thread()
    cache.start_event_thread()
    cache.close()                 # stops it too


def test_events_fd_becomes_readable_when_events_wait(cache):
    cache.add_hook(Recorder())
    fd = cache.events_fd()
    cache.set("a", 1)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    assert poller.poll(10000)
    assert cache.dispatch_events() == 1


def test_hook_misuse_is_refused(cache):
    hook = Recorder()
    with pytest.raises(ValueError):
        cache.dispatch_events()                  # no hook yet
    with pytest.raises(ValueError):
        cache.add_hook(kcache.CacheHook())       # overrides nothing
    with pytest.raises(ValueError):
        cache.start_event_thread()               # no hook yet
    cache.add_hook(Original())
    with pytest.raises(ValueError):
        cache.start_event_thread()               # none of the stream
    cache.add_hook(hook)
    with pytest.raises(ValueError):
        cache.add_hook(hook)
    cache.remove_hook(hook)
    with pytest.raises(ValueError):
        cache.remove_hook(hook)


def test_lost_events_are_counted_exactly(cache):
    class Counter(kcache.CacheHook):
        def __init__(self):
            self.sets = 0
            self.lost = 0

        def subscribed_events(self):
            return {"set"}

        def on_event(self, event):
            self.sets += 1

        def on_lost(self, count):
            self.lost += count

    hook = Counter()
    cache.add_hook(hook)
    # Shrink the socket's receive buffer so that undispatched events are
    # dropped (the kernel numbers them, libkcache counts the gaps).
    dup = socket.fromfd(cache.events_fd(), socket.AF_NETLINK,
                        socket.SOCK_RAW)
    dup.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    dup.close()
    for i in range(300):
        cache.set(i, i)
    # Losses show at the next event that arrives. The kernel sends events
    # from a work item, so the socket may still be full when one more set
    # happens and that event be lost too: set and dispatch until every
    # event is either received or counted lost (never more than made).
    made = 300
    deadline = time.monotonic() + 30
    while hook.sets + hook.lost < made and time.monotonic() < deadline:
        cache.set("last-%d" % made, 1)
        made += 1
        while cache.dispatch_events(0.05):
            pass
    assert hook.lost > 0
    assert hook.sets + hook.lost == made


def test_asyncio_dispatches_from_the_events_fd(cache):
    hook = Recorder()
    cache.add_hook(hook)

    async def main():
        loop = asyncio.get_running_loop()
        arrived = asyncio.Event()

        def readable():
            cache.dispatch_events()
            if hook.seen:
                arrived.set()
        loop.add_reader(cache.events_fd(), readable)
        try:
            cache.set("a", 1)
            await asyncio.wait_for(arrived.wait(), 30)
        finally:
            loop.remove_reader(cache.events_fd())

    asyncio.run(main())
    assert hook.seen == [("set", "a")]
