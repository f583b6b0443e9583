# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""libkcache's -errno values become Python exceptions."""

import errno
import os

import pytest

import kcache
from kcache import _native as n
from conftest import run_python


def test_a_key_too_long_is_entrytoolargeerror(cache):
    with pytest.raises(kcache.EntryTooLargeError) as info:
        cache.set("k" * 300, 1)
    assert info.value.errno == errno.E2BIG
    # The text is libkcache's (kcache_strerror()), not the C library's.
    assert info.value.strerror == n.strerror(errno.E2BIG)
    assert isinstance(info.value, OSError) and \
        isinstance(info.value, ValueError)


def test_a_value_too_large_keeps_the_old_value(cache):
    cache.set("k", "old")
    with pytest.raises(kcache.EntryTooLargeError):
        cache.set("k", "x" * (2 << 20))
    assert cache.get("k") == "old"


def test_an_invalid_name_is_einval():
    with pytest.raises(kcache.KCacheError) as info:
        kcache.LRUCache(name="bad name!")
    assert info.value.errno == errno.EINVAL


def test_bad_options_are_refused_before_the_kernel(name):
    with pytest.raises(ValueError):
        kcache.LRUCache(max_size=0, name=name)
    with pytest.raises(ValueError):
        kcache.LRUCache(cleanup_interval=0.001, name=name)
    with pytest.raises(TypeError):
        kcache.LRUCache(max_size="10", name=name)


def test_attaching_to_a_missing_cache_is_cachenotfounderror(name):
    with pytest.raises(kcache.CacheNotFoundError) as info:
        kcache.LRUCache(name=name, create=False)
    assert info.value.errno == errno.ENOENT
    assert isinstance(info.value, FileNotFoundError)


def test_exclusive_on_an_existing_cache_is_cacheexistserror(cache, name):
    with pytest.raises(kcache.CacheExistsError) as info:
        kcache.LRUCache(name=name, exclusive=True)
    assert isinstance(info.value, FileExistsError)


def test_a_destroyed_cache_is_cachedestroyederror(name):
    c = kcache.LRUCache(name=name)
    other = kcache.LRUCache(name=name, create=False)
    other.destroy()
    with pytest.raises(kcache.CacheDestroyedError) as info:
        c.set("a", 1)
    assert info.value.errno == errno.EIDRM
    with pytest.raises(kcache.CacheNotFoundError):
        kcache.destroy(name)
    c.close()


def test_another_users_private_cache_is_cachepermissionerror(name):
    if os.geteuid() != 0:
        pytest.skip("needs root to create a cache as one user and open "
                    "it as another")
    with kcache.LRUCache(name=name, mode=0o700):
        out = run_python(
            "import os, sys, kcache\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "try:\n"
            "    kcache.LRUCache(name=sys.argv[1], create=False).get('a')\n"
            "except kcache.CachePermissionError as e:\n"
            "    print(type(e).__name__, e.errno)\n", name)
    assert out.split() == ["CachePermissionError", str(errno.EACCES)]
