# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Two processes, one cache: the point of keeping it in the kernel."""

import multiprocessing

import kcache
from conftest import run_python


def _writer(name, start, count):
    with kcache.LRUCache(name=name, create=False) as c:
        for i in range(start, start + count):
            c.set(("n", i), i * i)


def test_two_processes_write_one_cache(name):
    with kcache.LRUCache(max_size=1000, name=name) as c:
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_writer, args=(name, s, 50))
                 for s in (0, 50)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            assert p.exitcode == 0
        assert len(c) == 100
        assert c.get_many(("n", i) for i in range(100)) == {
            ("n", i): i * i for i in range(100)}


def test_a_value_set_here_is_read_there_and_back(name):
    with kcache.LRUCache(name=name) as c:
        c.set("ping", {"from": "parent"})
        out = run_python(
            "import sys, kcache\n"
            "c = kcache.LRUCache(name=sys.argv[1], create=False)\n"
            "c.set('pong', {'from': 'child', 'saw': c['ping']})\n", name)
        assert out == ""
        assert c["pong"] == {"from": "child", "saw": {"from": "parent"}}
        assert c.get_metrics()["hits"] == 2


def test_a_forked_child_does_not_destroy_an_anonymous_cache():
    with kcache.LRUCache(max_size=10) as c:
        c.set("a", 1)
        ctx = multiprocessing.get_context("fork")
        p = ctx.Process(target=lambda: c.close())
        p.start()
        p.join(60)
        assert p.exitcode == 0
        assert c.get("a") == 1
