# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Hooks: the kernel's events, delivered by dispatch_events() or by the
event thread."""

import asyncio
import logging
import select
import socket
import threading

import pytest

import kcache
from conftest import run_python, wait_until


class Recorder(kcache.CacheHook):
    """Records (type, key) of the events it overrides."""

    def __init__(self):
        self.seen = []
        self.events = []

    def _record(self, key, event):
        self.seen.append((event.type, key))
        self.events.append(event)

    on_set = on_delete = on_hit = on_miss = on_evict = _record


def dispatch_until(cache, predicate, timeout=10.0):
    """Dispatch events until ``predicate`` holds; bounded."""
    return wait_until(lambda: cache.dispatch_events(0.05) >= 0 and
                      predicate(), timeout=timeout, interval=0)


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

        def on_evict(self, key, event):
            self.keys.append(key)

    hook = Evictions()
    assert hook.subscribed_events() == {"evict"}
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
        def on_set(self, key, event):
            if key == "a":
                raise RuntimeError("hook failed on %s" % key)

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
        def on_set(self, key, event):
            where.append((key, threading.current_thread().name))
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

        def on_set(self, key, event):
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
    for _ in range(1000):
        if cache.dispatch_events(0) == 0:
            break
    # Losses show at the next event that arrives: one more set.
    cache.set("last", 1)
    assert dispatch_until(cache, lambda: hook.sets + hook.lost >= 301)
    assert hook.lost > 0
    assert hook.sets + hook.lost == 301


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
