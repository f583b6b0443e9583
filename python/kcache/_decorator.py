# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""lru_cache: memoize a function in a kernel cache.

The function runs in Python, in the caller's frame: a call looks its key
up with kcache_get(), and on a miss calls the function and stores the
result with kcache_set(), all through plain ctypes calls. No C code ever
calls back into Python here (a recursion through C callbacks grows the C
stack at every level and crashes the interpreter long before Python's
recursion limit).

Single-flight, in two parts:
  - in this process (_Memo.begin()): one computation per key at a time;
    other threads that miss the same key wait for its result, which they
    get without another lookup. A call made by the computing thread itself
    (a function calling itself with the same arguments) computes at once.
    Nothing of this is kept in the kernel cache.
  - across processes (_Memo._claim()), for named caches only: the
    kernel's leases, as libkcache's kcache_memo() uses them, so that C
    callers and Python callers of one cache coordinate. The lookup is
    kcache_get_lease(): a miss takes the key's lease when nobody holds
    it; the others sleep in kcache_lease_wait() until its holder stores
    the value (kcache_add() then kcache_lease_release()) or gives up.
    Callers of the protocol before leases (libkcache 1.8, kcache 1.8)
    claim a key with a lock entry, LOCK_PREFIX + key: a lease holder
    waits for such a claim as kcache_memo() does.
"""

import _thread
import ctypes
import errno
import hashlib
import logging
import os
import threading
import time
import weakref
from collections import namedtuple
from functools import update_wrapper

from . import _native as n
from ._cache import LRUCache, _read, ttl_ms
from ._codec import _DUMP, _TAG, encode_key, make_codec

CacheInfo = namedtuple("CacheInfo", "hits misses maxsize currsize")

_log = logging.getLogger("kcache")

# Encoded argument keys longer than this are replaced by their SHA-256,
# which keeps every key short enough for the cross-process claim's key.
_KEY_HASH_OVER = 128
# The lock entries of the protocol before leases (KCACHE_MEMO_LOCK_PREFIX,
# kcache.h), kcache_memo()'s defaults (KCACHE_MEMO_LEASE_MS,
# KCACHE_MEMO_WAIT_MS) and its polling of lock entries.
LOCK_PREFIX = b"\x00KCMEMO\x00"
_LEASE = 10.0
_WAIT = 5.0
_BACKOFF_MIN = 0.001
_BACKOFF_MAX = 0.05
_SCALARS = frozenset((str, int, float, bool, type(None)))


class _PerThread(threading.local):
    # True while this thread runs kcache's own code for a memoized call:
    # a memoized function called from there (a cached builtin such as len,
    # which the machinery uses) runs uncached instead of recursing.
    busy = False


_tls = _PerThread()


def memo_key(args, kwargs):
    """The kernel key of a call: the encoded tuple of the positional
    arguments, followed by the keyword arguments in the order given (as
    functools does: f(a=1, b=2) and f(b=2, a=1) are two keys) if there are
    any; the same in every process (no hash()). f(1) and f(x=1) are two
    keys, as in functools.lru_cache."""
    if kwargs:
        key = encode_key((tuple(args), tuple(kwargs.items())))
    else:
        for arg in args:
            if type(arg) not in _SCALARS:
                key = encode_key(tuple(args))
                break
        else:
            # The usual case, written at once: what encode_key() writes
            # for a tuple of these.
            key = _TAG + _DUMP(args).encode("utf-8")
    if len(key) > _KEY_HASH_OVER:
        key = b"\x00#" + hashlib.sha256(key).hexdigest().encode("ascii")
    return key


class _Flight:
    """One computation of a key in this process. ``lock`` is held until
    it ends; ``data`` is then its encoded result (None if it failed)."""

    __slots__ = ("owner", "lock", "data")

    def __init__(self, owner):
        self.owner = owner
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.data = None


# Every _Memo, so that a fork()ed child can forget its parent's flights.
_MEMOS = weakref.WeakSet()


def _after_fork():
    for memo in list(_MEMOS):
        memo._lock = _thread.allocate_lock()
        memo._flights = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class _Memo:
    """The state of one memoized function."""

    def __init__(self, maxsize, typed, ttl, name, codec, single_flight,
                 lease, wait, mapped=False):
        self.requested = maxsize        # None, 0, or the limit asked for
        self.typed = typed
        self.single_flight = single_flight
        self.wait = _WAIT if wait is None else wait
        # A kernel lease lasts an hour at most.
        self.lease_ms = min(ttl_ms(_LEASE if lease is None else lease),
                            n.LEASE_MAX_MS)
        self.ttl_ms = ttl_ms(ttl)
        self._lock = _thread.allocate_lock()
        self._flights = {}              # key -> _Flight
        self._ended = 0                 # flights ended, under _lock
        self.misses = 0                 # maxsize 0: nothing is cached
        if maxsize == 0:
            self.cache = None
            self.codec = make_codec(codec)
        else:
            self.cache = LRUCache(
                max_size=n.MAX_SIZE_MAX if maxsize is None else maxsize,
                default_ttl=ttl, name=name, codec=codec, mapped=mapped)
            self.codec = self.cache.codec
        _MEMOS.add(self)

    # The calls of one memoized call ------------------------------------------

    def begin(self, args, kwargs):
        """Before the function runs: (True, value) when the result is
        known (cached, or computed meanwhile by another caller), else
        (False, call), ``call`` being what finish() or abandon() need."""
        if self.cache is None:
            with self._lock:
                self.misses += 1
            return False, None
        key = memo_key(args, kwargs)
        shared = self.single_flight and not self.cache._h.anonymous
        # A flight of this process that ends after the lookup below may
        # have stored the value the lookup missed: see "stale" below.
        ended = self._ended
        if shared:
            data, lease = self._get_lease(key)
        else:
            data, lease = self._get(key), None
        if data is not None:
            return True, self.codec.decode(data)
        if not self.single_flight:
            return False, (key, None, None)
        me = _thread.get_ident()
        while True:
            with self._lock:
                flight = self._flights.get(key)
                if flight is None:
                    flight = self._flights[key] = _Flight(me)
                    stale = self._ended != ended
                    break
            # Another computation of this process settles it: a lease
            # granted meanwhile is not needed.
            self._release(key, lease)
            lease = None
            if flight.owner == me:
                # Called from its own computation: waiting would wait for
                # itself. Compute (and store) at once.
                return False, (key, None, None)
            if not flight.lock.acquire(timeout=self.wait):
                return False, (key, None, None)     # the bound passed
            flight.lock.release()
            if flight.data is not None:
                return True, self.codec.decode(flight.data)
            # It failed: the next one to come computes.
            if shared:
                data, lease = self._get_lease(key)
                if data is not None:
                    return True, self.codec.decode(data)
        if stale and not shared:
            # A computation of this key by another thread may have ended
            # between this caller's miss and its flight: look again, with
            # no miss counted if it is not there (a flight of another key
            # may be what ended).
            data = self._value_if_there(key)
            if data is not None:
                self._end(key, flight, data)
                return True, self.codec.decode(data)
        try:
            token, data = self._claim(key, lease)
        except BaseException:
            self._end(key, flight, None)
            raise
        if data is not None:
            self._end(key, flight, data)
            return True, self.codec.decode(data)
        return False, (key, flight, token)

    def finish(self, call, result):
        """The function returned ``result``: store it, hand it to the
        callers waiting for it, return it as the codec gives it back."""
        if call is None:
            return result
        key, flight, token = call
        try:
            data = self.codec.encode(result)
        except BaseException:
            self.abandon(call)
            raise
        try:
            self._store(key, data, token)
        finally:
            # Even if storing raised (a closed cache): the waiters go on.
            if flight is not None:
                self._end(key, flight, data)
        return self.codec.decode(data)

    def abandon(self, call):
        """The function raised: release what begin() took. Never raises
        (the function's exception goes on as it is)."""
        if call is None:
            return
        key, flight, token = call
        try:
            if flight is not None:
                self._end(key, flight, None)
            if token is not None:
                self.cache._call(n.lib.kcache_lease_release, key, len(key),
                                 token)
        except Exception:  # noqa: B902 (must not hide the function's)
            try:
                _log.exception("kcache: releasing a failed computation")
            except Exception:  # noqa: B902
                pass

    def _end(self, key, flight, data):
        flight.data = data
        with self._lock:
            self._ended += 1
            if self._flights.get(key) is flight:
                del self._flights[key]
        flight.lock.release()

    # The kernel ----------------------------------------------------------------

    def _get(self, key):
        h = self.cache._h
        ptr = h.acquire()
        try:
            # _read() itself, not _get_bytes(): one frame fewer on top of
            # the deepest level of a memoized recursion, as before it.
            return _read(ptr, n.lib.kcache_get, key)
        finally:
            h.release()

    def _get_lease(self, key):
        """kcache_get_lease(): (value, None) on a hit, (None, lease) on a
        miss (lease: an n.Lease, see its status), (value or None, None)
        with a kernel module that has no leases (a plain get)."""
        h = self.cache._h
        ptr = h.acquire()
        try:
            lease = n.Lease()
            try:
                data = _read(ptr, n.lib.kcache_get_lease, key,
                             self.lease_ms, 0, ctypes.byref(lease))
            except n.KCacheError as e:
                if e.errno != errno.EINVAL:
                    raise
                # A module before leases: no single-flight across
                # processes, as kcache_memo() then.
                return _read(ptr, n.lib.kcache_get, key), None
            return (data, None) if data is not None else (None, lease)
        finally:
            h.release()

    def _release(self, key, lease):
        if lease is not None and lease.status & n.LEASE_GRANTED:
            self.cache._call(n.lib.kcache_lease_release, key, len(key),
                             lease.token)

    def _store(self, key, data, token):
        """Store a result; best effort, as kcache_memo(): a value the cache
        refuses (too large, the memory limit of all caches) is returned
        all the same and computed again next time. Through a lease, as
        kcache_memo() after a miss: the value is added before the lease
        ends, so that a waiter it wakes finds it (a value stored meanwhile
        by another stays, a key cleared meanwhile gets this one)."""
        c = self.cache
        if token is None:
            ret = c._call(n.lib.kcache_set, key, len(key), data, len(data),
                          self.ttl_ms)
        else:
            try:
                ret = c._call(n.lib.kcache_add, key, len(key), data,
                              len(data), self.ttl_ms)
                if ret == -errno.EEXIST:
                    ret = 0
            finally:
                c._call(n.lib.kcache_lease_release, key, len(key), token)
        if ret < 0 and ret != -errno.E2BIG:
            _log.debug("kcache: storing a result failed: %s",
                       n.strerror(ret))

    def _claim(self, key, lease):
        """Single-flight across processes for ``key``, which this process
        has just missed (``lease``: what kcache_get_lease() said, None for
        an anonymous cache or a module without leases) and computes in
        this process. Returns (token, None) when this process should
        compute (``token``: the lease to store through, or None), or
        (None, data) when another caller stored the value meanwhile.
        Waits at most ``wait`` seconds in all, then computes."""
        deadline = time.monotonic() + self.wait
        while lease is not None:
            if lease.status & n.LEASE_GRANTED:
                # Ours, unless a caller of the protocol before leases
                # claimed it with a lock entry: wait for that one first.
                try:
                    data = self._wait_old_claim(key, deadline)
                except BaseException:
                    self._release(key, lease)
                    raise
                if data is not None:
                    self._release(key, lease)
                    return None, data
                return lease.token, None
            if not lease.status & n.LEASE_HELD:
                break   # a nested call, or the kernel's bound on leases
            left = deadline - time.monotonic()
            if left <= 0:
                break   # waited long enough: compute
            ret = self.cache._call(n.lib.kcache_lease_wait, key, len(key),
                                   max(1, int(left * 1000)))
            if ret == -errno.ETIMEDOUT:
                break
            if ret != -errno.EINTR:
                n.check(ret)
            # The lease ended: its value is there, or the key is ours.
            data, lease = self._get_lease(key)
            if data is not None:
                return None, data
        return None, None

    def _wait_old_claim(self, key, deadline):
        """While a caller of the protocol before leases holds a lock
        entry for ``key`` and has not stored its value, poll (with
        kcache_exists(): no counter moves) until ``deadline``. Returns the
        value once it is there, or None: no lock entry, gone without a
        value, or the deadline passed."""
        c = self.cache
        lock = LOCK_PREFIX + key
        delay = _BACKOFF_MIN
        while True:
            held = c._call(n.lib.kcache_exists, lock, len(lock))
            if held == -errno.E2BIG:
                return None     # no lock entry can exist for this key
            if not n.check(held):
                # Gone: with its value, stored since the last look, or
                # without (then this caller computes).
                return self._value_if_there(key)
            now = time.monotonic()
            if now >= deadline:
                return None     # the bound passed: compute
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, _BACKOFF_MAX)
            data = self._value_if_there(key)
            if data is not None:
                return data

    def _value_if_there(self, key):
        """The value of ``key`` if it is there (a hit counted), else None
        (kcache_exists() first: a miss here counts nothing)."""
        if n.check(self.cache._call(n.lib.kcache_exists, key, len(key))):
            return self._get(key)
        return None

    # The wrapper's methods -------------------------------------------------------

    def info(self):
        if self.cache is None:
            return CacheInfo(0, self.misses, 0, 0)
        m = self.cache._metrics()
        size = self.cache.__len__()     # live entries, not builtins.len
        maxsize = m.max_entries
        if self.requested is None and maxsize >= n.MAX_SIZE_MAX:
            maxsize = None
        return CacheInfo(m.hits, m.misses, maxsize, size)

    def clear(self):
        if self.cache is None:
            with self._lock:
                self.misses = 0
            return
        n.check(self.cache._call(n.lib.kcache_memo_clear))

    def parameters(self):
        maxsize = self.requested
        if maxsize is not None and self.cache is not None:
            maxsize = self.info().maxsize
        return {"maxsize": maxsize, "typed": self.typed}


def _quiet(method):
    # The wrapper's methods run kcache's code, which must not call a
    # memoized builtin (see _PerThread).
    def call(*args):
        prev = _tls.busy
        _tls.busy = True
        try:
            return method(*args)
        finally:
            _tls.busy = prev
    call.__doc__ = method.__doc__
    return call


def _wrap(user_function, memo):
    tls = _tls
    begin = memo.begin
    finish = memo.finish
    abandon = memo.abandon

    # The function is called from this frame, so that a memoized
    # recursion costs two Python frames per level (this one and the
    # function's), as with functools' pure-Python lru_cache, and no C
    # frames beyond the interpreter's own.
    def wrapper(*args, **kwargs):
        if tls.busy:
            return user_function(*args, **kwargs)
        tls.busy = True
        try:
            found, call = begin(args, kwargs)
        finally:
            tls.busy = False
        if found:
            return call
        try:
            result = user_function(*args, **kwargs)
        except BaseException:
            tls.busy = True
            try:
                abandon(call)
            finally:
                tls.busy = False
            raise
        tls.busy = True
        try:
            return finish(call, result)
        finally:
            tls.busy = False

    wrapper.cache_info = _quiet(memo.info)
    wrapper.cache_clear = _quiet(memo.clear)
    wrapper.cache_parameters = _quiet(memo.parameters)
    wrapper.cache = memo.cache
    return update_wrapper(wrapper, user_function)


def lru_cache(maxsize=128, ttl=None, *, typed=False, name=None, codec="json",
              single_flight=True, lease=None, wait=None, mapped=False):
    """Memoize a function in a kernel cache, like functools.lru_cache.

    ``maxsize``: most results kept, at most 2**24; None: unbounded (the
    kernel's limit, 2**24, reported as None); 0 or less: no caching, as
    functools. ``ttl``: seconds a result stays valid (None: forever).
    ``typed`` is accepted for functools' sake: kcache's keys are always
    typed (1, 1.0 and True are three keys, inside tuples too).
    ``name``: a named cache is shared by every process that decorates
    with the same name (results computed by one are hits for the others,
    and cache_info() counts them all); without one the cache is anonymous,
    private to this process and destroyed with the function or at exit.
    ``codec``: how results are stored (as LRUCache). ``mapped``: True
    creates the cache mapped (as LRUCache), so that hits of an anonymous
    cache, and of a named one with single_flight=False, are read without
    a system call (the single-flight lookup of a named cache asks the
    kernel for a lease on a miss, so it stays an ioctl).

    Arguments must be what kcache keys can be (str, bytes, int, float,
    bool, None, datetime, date, time, Decimal and tuples and frozensets of
    them; keyword arguments likewise): others raise TypeError, as
    unhashable ones do for functools. Results come back through the codec
    on hits and misses alike. Exceptions are not cached.

    Single-flight: when threads of this process miss the same arguments
    at once, one computes and the others wait for its result (at most
    ``wait`` seconds, 5 by default, then they compute). Across processes,
    for a named cache, as libkcache's kcache_memo(): a computation holds
    the key's kernel lease for at most ``lease`` seconds (10 by default;
    a lease takes no entry of the cache), and the others sleep in the
    kernel until it stores its result. single_flight=False lets every
    caller that misses compute.

    The wrapper has cache_info(), cache_clear(), cache_parameters() and
    ``cache`` (its LRUCache; None when maxsize is 0), pickles by
    qualified name and copies as itself, as functools' does.
    """
    if isinstance(maxsize, int) and not isinstance(maxsize, bool):
        maxsize = max(maxsize, 0)
        if maxsize > n.MAX_SIZE_MAX:
            raise ValueError("kcache: maxsize at most %d (None: unbounded)"
                             % n.MAX_SIZE_MAX)
    elif callable(maxsize) and ttl is None and name is None:
        # Used bare, as @lru_cache.
        return lru_cache()(maxsize)
    elif maxsize is not None:
        raise TypeError("kcache: the first argument must be an int, a "
                        "callable or None")
    for value in (lease, wait):
        if value is not None:
            ttl_ms(value)               # refuse a bad one now
    ttl_ms(ttl)

    def decorating_function(user_function):
        memo = _Memo(maxsize, typed, ttl, name, codec, single_flight,
                     lease, wait, mapped)
        return _wrap(user_function, memo)

    return decorating_function


def cache(user_function):
    """lru_cache(maxsize=None)(user_function), as functools.cache."""
    return lru_cache(maxsize=None)(user_function)
