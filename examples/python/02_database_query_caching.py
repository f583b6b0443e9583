#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The original README's "2. Database Query Caching", unchanged but for
the import line. It claims: the first call queries the database, the
second is answered by the cache."""

import sqlite3

from readme_check import claim


class Database:
    """The ``database`` the block uses: SQLite in memory, counting
    queries."""

    def __init__(self):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, "
                        "name TEXT, email TEXT)")
        self.db.execute("INSERT INTO users VALUES "
                        "(123, 'John', 'john@example.com')")
        self.queries = 0

    def query(self, sql, *params):
        self.queries += 1
        cur = self.db.execute(sql, params)
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone()))


database = Database()

# --- the README's block, unchanged except the import line ---
from kcache import lru_cache

@lru_cache(maxsize=500, ttl=600)
def get_user_by_id(user_id: int):
    return database.query("SELECT * FROM users WHERE id = ?", user_id)

user = get_user_by_id(123)  # First call: hits database
user = get_user_by_id(123)  # Second call: hits cache
# --- end of the block ---

claim(user == {"id": 123, "name": "John", "email": "john@example.com"},
      "the second call returns the user")
claim(database.queries == 1, "the database is queried once")
info = get_user_by_id.cache_info()
claim((info.hits, info.misses, info.maxsize) == (1, 1, 500),
      "one miss, then one hit, in a cache of 500")
get_user_by_id.cache.close()
print("ok: database query caching")
