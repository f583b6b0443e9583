# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""lru_cache: memoize a function in a kernel cache, with kcache_memo()."""

import ctypes
import errno
import functools
import hashlib
import itertools
from collections import namedtuple

from . import _native as n
from ._cache import LRUCache, ttl_ms
from ._codec import encode_key

CacheInfo = namedtuple("CacheInfo", "hits misses maxsize currsize")

# Encoded argument keys longer than this are replaced by their SHA-256,
# which keeps every key short enough for kcache_memo()'s lock entries.
_KEY_HASH_OVER = 128
_FIRST_BUFFER = 4096


def memo_key(args, kwargs):
    """The kernel key of a call: the encoded tuple of the positional
    arguments, followed by the sorted keyword arguments if there are
    any; the same in every process (no hash()). f(1) and f(x=1) are two
    keys, as in functools.lru_cache."""
    if kwargs:
        key = encode_key((tuple(args), tuple(sorted(kwargs.items()))))
    else:
        key = encode_key(tuple(args))
    if len(key) > _KEY_HASH_OVER:
        key = b"\x00#" + hashlib.sha256(key).hexdigest().encode("ascii")
    return key


class _Memoized:
    """The function lru_cache() returns."""

    def __init__(self, fn, cache, ttl, single_flight, lease, wait):
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.cache = cache
        self._opts = n.MemoOpts(sz=ctypes.sizeof(n.MemoOpts))
        if ttl is not None:
            self._opts.ttl_ms = ttl_ms(ttl)
        if lease is not None:
            self._opts.lease_ms = ttl_ms(lease)
        if wait is not None:
            self._opts.wait_ms = ttl_ms(wait)
        if not single_flight:
            self._opts.flags |= n.MEMO_NO_SINGLE_FLIGHT
        # One C callback for every call: each call's state is found by the
        # token passed as kcache_memo()'s argument.
        self._calls = {}
        self._tokens = itertools.count(1)
        self._compute = n.COMPUTE_FN(self._compute_cb)
        self._bufsize = _FIRST_BUFFER

    def _compute_cb(self, _key, _klen, buf, buflen, token):
        call = self._calls[token]
        try:
            if call["value"] is None:
                result = self._fn(*call["args"], **call["kwargs"])
                call["value"] = self.cache.codec.encode(result)
            data = call["value"]
            if len(data) <= buflen:
                ctypes.memmove(buf, data, len(data))
            # Longer than buflen: kcache_memo() stores nothing and returns
            # the length; the caller grows its buffer and comes back, and
            # this call's value is then used without calling again.
            return len(data)
        except BaseException as e:  # noqa: B902 (re-raised by __call__)
            call["error"] = e
            return -errno.ECANCELED

    def __call__(self, *args, **kwargs):
        key = memo_key(args, kwargs)
        token = next(self._tokens)
        call = {"args": args, "kwargs": kwargs, "value": None, "error": None}
        self._calls[token] = call
        h = self.cache._h
        ptr = h.acquire()
        try:
            buf = ctypes.create_string_buffer(self._bufsize)
            for _ in range(8):
                got = n.lib.kcache_memo_opts(ptr, key, len(key),
                                             self._compute, token, buf,
                                             len(buf),
                                             ctypes.byref(self._opts))
                if call["error"] is not None:
                    raise call["error"]
                n.check(got)
                if got <= len(buf):
                    return self.cache.codec.decode(ctypes.string_at(buf, got))
                self._bufsize = max(self._bufsize,
                                    1 << (got - 1).bit_length())
                buf = ctypes.create_string_buffer(self._bufsize)
            raise n.KCacheError(errno.EAGAIN,
                                "value kept changing size while read")
        finally:
            h.release()
            del self._calls[token]

    def cache_info(self):
        """CacheInfo(hits, misses, maxsize, currsize), as functools'; the
        figures are the kernel cache's, for every process sharing it."""
        info = n.MemoInfo()
        n.check(self.cache._call(n.lib.kcache_memo_info, ctypes.byref(info)))
        return CacheInfo(info.hits, info.misses, info.maxsize, info.currsize)

    def cache_clear(self):
        """Forget every value and zero the statistics (for every process
        sharing the cache)."""
        n.check(self.cache._call(n.lib.kcache_memo_clear))

    def __get__(self, obj, objtype=None):
        # Decorating a method: bind like a function would.
        if obj is None:
            return self
        return functools.partial(self, obj)


def lru_cache(maxsize=128, ttl=None, *, name=None, codec="json",
              single_flight=True, lease=None, wait=None):
    """Memoize a function in a kernel cache, like functools.lru_cache.

    ``maxsize``: most results kept (None: 2**24). ``ttl``: seconds a
    result stays valid (None: forever). ``name``: a named cache is shared
    by every process that decorates with the same name (results computed
    by one are hits for the others, and cache_info() counts them all);
    without one the cache is anonymous, private to this process and
    destroyed at exit. ``codec``: how results are stored (as LRUCache).

    Arguments must be what kcache keys can be (str, bytes, int, float,
    bool, None and tuples of them; keyword arguments likewise): others
    raise TypeError, as unhashable ones do for functools. Results come
    back through the codec on hits and misses alike (with JSON a tuple
    result is a list). Exceptions are not cached.

    Single-flight (libkcache's kcache_memo()): when several threads or
    processes miss the same arguments at once, one computes and the
    others wait for its result (at most ``wait`` seconds, 5 by default;
    a computation holds its claim for ``lease`` seconds, 10 by default).
    single_flight=False lets every caller that misses compute.

    The wrapper has cache_info(), cache_clear() and ``cache`` (its
    LRUCache).
    """
    if callable(maxsize) and ttl is None and name is None:
        # Used bare, as @lru_cache.
        return lru_cache()(maxsize)
    if maxsize is None:
        maxsize = n.MAX_SIZE_MAX
    if isinstance(maxsize, bool) or not isinstance(maxsize, int):
        raise TypeError("kcache: maxsize must be an int or None")
    if maxsize < 1:
        raise ValueError("kcache: maxsize must be at least 1")

    def decorate(fn):
        cache = LRUCache(max_size=maxsize, name=name, codec=codec)
        return _Memoized(fn, cache, ttl, single_flight, lease, wait)

    return decorate
