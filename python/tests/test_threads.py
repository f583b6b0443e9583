# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Threads sharing one LRUCache object, and closing it under them."""

import threading

import pytest

import kcache


def test_threads_share_one_object(name):
    with kcache.LRUCache(max_size=1000, name=name) as c:
        errors = []

        def work(t):
            try:
                for i in range(100):
                    c.set((t, i), [t, i])
                for i in range(100):
                    assert c.get((t, i)) == [t, i]
            except Exception as e:      # reported below
                errors.append(e)
        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert len(c) == 400
        assert c.get_metrics()["hits"] == 400


def test_closing_under_another_thread_never_frees_its_handle(name):
    c = kcache.LRUCache(name=name)
    c.set("a", 1)
    running = threading.Event()
    outcome = []

    def reader():
        calls = 0
        try:
            while calls < 1000000:
                assert c.get("a") == 1
                calls += 1
                if calls == 50:
                    running.set()
        except ValueError as e:        # closed: the expected end
            outcome.append(str(e))
        except Exception as e:         # anything else is a failure
            outcome.append(e)
    t = threading.Thread(target=reader)
    t.start()
    assert running.wait(60)
    c.close()
    t.join(60)
    assert outcome == ["kcache: operation on a closed cache"]


def test_a_hook_may_use_its_cache_from_the_event_thread(cache):
    done = threading.Event()
    seen = []

    class Copier(kcache.CacheHook):
        def subscribed_events(self):
            return {"set"}

        def on_event(self, event):
            key = event.key
            if key == "src":
                cache.set("copy", cache.get("src"))
            else:
                seen.append(key)
                done.set()

    cache.add_hook(Copier())
    cache.start_event_thread(poll_interval=0.2)
    cache.set("src", {"v": 1})
    assert done.wait(30)
    assert seen == ["copy"] and cache["copy"] == {"v": 1}
    cache.stop_event_thread()


def test_the_event_thread_ends_with_the_last_hook(cache):
    hook = kcache.LoggingHook()
    cache.add_hook(hook)
    cache.start_event_thread(poll_interval=0.05)
    thread = cache._h.thread
    cache.remove_hook(hook)
    thread.join(30)
    assert not thread.is_alive()
    cache.add_hook(hook)
    cache.start_event_thread(poll_interval=0.05)   # may start again
    cache.stop_event_thread()
    with pytest.raises(ValueError):
        cache.remove_hook(kcache.LoggingHook())
