# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""The four use cases of the original library's description, written as
its README writes them, with ``from kcache import`` for the import."""

import datetime
import sqlite3

from kcache import LRUCache, lru_cache
from conftest import run_python


def test_api_response_caching_is_shared_with_other_processes(name):
    cache = LRUCache[str, dict](max_size=1000, default_ttl=300, name=name)
    cache.set("user:123", {"name": "John", "email": "john@example.com"})
    user_data = cache.get("user:123")
    assert user_data == {"name": "John", "email": "john@example.com"}
    # Another worker process of the same service sees the response.
    out = run_python("import sys, kcache\n"
                     "c = kcache.LRUCache(name=sys.argv[1], create=False)\n"
                     "print(c.get('user:123')['email'])\n", name)
    assert out.strip() == "john@example.com"
    info = cache.get_info()
    assert info["default_ttl"] == 300 and info["max_size"] == 1000
    cache.close()


def test_database_query_memoization_queries_once():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    db.executemany("INSERT INTO users VALUES (?, ?)",
                   [(123, "John"), (124, "Jane")])
    queries = []
    db.set_trace_callback(queries.append)

    @lru_cache(maxsize=500, ttl=600)
    def get_user_by_id(user_id: int):
        row = db.execute("SELECT id, name FROM users WHERE id = ?",
                         (user_id,)).fetchone()
        return {"id": row[0], "name": row[1]}

    user = get_user_by_id(123)  # First call: hits database
    user = get_user_by_id(123)  # Second call: hits cache
    assert user == {"id": 123, "name": "John"}
    assert len(queries) == 1
    assert get_user_by_id(124)["name"] == "Jane"
    assert len(queries) == 2
    assert get_user_by_id.cache_info().hits == 1
    get_user_by_id.cache.close()


def test_session_storage_stays_within_max_memory(name):
    # datetime and the set of permissions go through the default codec.
    session_cache = LRUCache[str, dict](max_size=10000, default_ttl=1800,
                                        max_memory_mb=0.25, name=name)
    started = datetime.datetime.now()
    for i in range(2000):
        session_cache.set("session:%d" % i, {
            "user_id": i, "permissions": {"read", "write"},
            "last_activity": started})
    m = session_cache.get_metrics()
    assert m["max_bytes"] == 256 * 1024
    assert m["bytes"] <= m["max_bytes"]
    assert m["evictions"] > 0 and m["entries"] < 2000
    newest = session_cache.get("session:1999")
    assert newest["last_activity"] == started
    assert newest["permissions"] == {"read", "write"}
    assert session_cache.get("session:0") is None   # the oldest went
    session_cache.close()


def test_computed_results_with_tuple_keys(name):
    computation_cache = LRUCache[tuple, float](max_size=1000, name=name)
    computed = []

    def complex_math_operation(x, y, z):
        computed.append((x, y, z))
        return (x * y) / z

    def expensive_calculation(x, y, z):
        cache_key = (x, y, z)
        result = computation_cache.get(cache_key)
        if result is None:
            result = complex_math_operation(x, y, z)
            computation_cache.set(cache_key, result)
        return result

    assert expensive_calculation(2, 3, 4) == 1.5
    assert expensive_calculation(2, 3, 4) == 1.5
    assert expensive_calculation(2.0, 3, 4) == 1.5
    assert computed == [(2, 3, 4), (2.0, 3, 4)]   # 2 and 2.0: two keys
    assert (2, 3, 4) in computation_cache
    computation_cache.close()
