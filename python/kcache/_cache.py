# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""LRUCache: a kernel cache (lrucache.ko) seen through libkcache."""

import base64
import ctypes
import errno
import json
import logging
import math
import os
import secrets
import select
import threading
import time
import weakref
from typing import Generic, TypeVar

from . import _native as n
from ._codec import encode_key, make_codec
from ._hooks import CacheEntry, NativeHook, SyncHook, fire

K = TypeVar("K")
V = TypeVar("V")

_log = logging.getLogger("kcache")
_MISSING = object()
_UNKNOWN = object()


class _PerThread(threading.local):
    # Class attributes are the defaults each thread starts with (a missing
    # attribute would cost an AttributeError on every lookup).
    buf = None          # the read buffer (module-wide, see _buffer())
    batch = None        # the open batch_operations() (per cache)


# Each thread reads values into its own buffer, grown to the largest value
# it has read (a value longer than the buffer costs a second lookup, which
# counts a second hit: once per thread and size).
_tls = _PerThread()
_FIRST_BUFFER = 64 * 1024
# get_many(): bytes of buffer per key in one kcache_get_many() call, and
# keys per call (so at most 1 MiB of buffers at once).
_MANY_SLOT = 4096
_MANY_CHUNK = 256


def _buffer(need=0):
    buf = _tls.buf
    if buf is None or len(buf) < need:
        size = max(_FIRST_BUFFER, 1 << max(need - 1, 1).bit_length())
        buf = _tls.buf = ctypes.create_string_buffer(size)
    return buf


def _read(ptr, fn, key, *args):
    """The value of ``key`` as bytes, or None if absent, read with ``fn``
    (kcache_get() or one that takes the same arguments, then ``args``:
    kcache_gets(), kcache_getex(), kcache_getdel(), kcache_get_lease()).
    Any other negative result raises its KCacheError."""
    buf = _buffer()
    # A value that grows between two tries needs another: a few suffice
    # unless another process keeps doubling it.
    for _ in range(8):
        got = fn(ptr, key, len(key), buf, len(buf), *args)
        if got == -errno.ENOENT:
            return None
        n.check(got)
        if got <= len(buf):
            return ctypes.string_at(buf, got)
        buf = _buffer(got)
    raise n.KCacheError(errno.EAGAIN, "value kept changing size while read")


def _get_bytes(ptr, key):
    """The value of ``key`` as bytes, or None if absent."""
    return _read(ptr, n.lib.kcache_get, key)


_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def _int64(what, number):
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError("kcache: %s must be an int, not %s"
                        % (what, type(number).__name__))
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise OverflowError("kcache: %s %d is outside the signed 64-bit "
                            "range of a counter" % (what, number))
    return number


def ttl_ms(ttl):
    """A TTL in seconds as kcache_set() takes it: None for the cache's
    default, math.inf for never, else rounded up to a millisecond (so an
    entry never expires before its TTL)."""
    if ttl is None:
        return n.TTL_DEFAULT
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise TypeError("kcache: ttl must be a number of seconds, None or "
                        "math.inf")
    if ttl == math.inf:
        return n.TTL_NONE
    if not ttl > 0:
        raise ValueError("kcache: ttl must be positive, not %r" % ttl)
    # Round to the nanosecond first, so that 0.3 s is 300 ms, not 301.
    ms = math.ceil(round(ttl * 1000, 6))
    if ms > n.TTL_MAX_MS:
        raise ValueError("kcache: ttl longer than %d ms" % n.TTL_MAX_MS)
    return ms


def _seconds(ms):
    return None if not ms else ms / 1000


class _Handle:
    """One libkcache handle and everything that must live as long as it.

    Every operation holds the handle (acquire()/release()) while it is in
    C; close() only marks it closed, and whoever releases it last calls
    kcache_close(), so that closing in one thread never frees the handle
    under another thread's call. It is separate from LRUCache so that a
    finalizer can close it when the LRUCache is collected.
    """

    def __init__(self, ptr, name, anonymous):
        self.ptr = ptr
        self.name = name
        self.anonymous = anonymous
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.busy = 0
        self.closed = False
        # Hooks: kcache_add_hook(), _remove_hook(), _events_fd() and
        # _events_dispatch() must not run concurrently on one handle.
        self.hook_lock = threading.RLock()
        self.hooks = {}            # id(hook) -> NativeHook (stream side)
        self.sync = {}             # id(hook) -> SyncHook
        self.sync_hooks = ()       # the SyncHooks, for lock-free reading
        self.hook_errors = []
        self.thread = None
        self.thread_stop = None

    def acquire(self):
        with self.lock:
            if self.closed:
                raise ValueError("kcache: operation on a closed cache")
            self.busy += 1
            return self.ptr

    def release(self):
        with self.lock:
            self.busy -= 1
            last = self.closed and self.busy == 0
        if last:
            self._free()

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
            last = self.busy == 0
        self._stop_thread()
        if last:
            self._free()

    def _stop_thread(self):
        # The thread closes the pipe's read end when it ends; the write
        # end is ours.
        with self.lock:
            thread, wake = self.thread, self.thread_stop
            self.thread = self.thread_stop = None
        if thread is None:
            return
        try:
            os.write(wake, b"x")
        except OSError:
            pass            # the thread has ended and closed its end
        os.close(wake)
        if thread is not threading.current_thread():
            thread.join()

    def _free(self):
        with self.lock:
            ptr, self.ptr = self.ptr, None
        if ptr is None:
            return
        n.lib.kcache_close(ptr)
        # A forked child shares the parent's anonymous cache: only the
        # process that created it destroys it.
        if self.anonymous and self.pid == os.getpid():
            n.lib.kcache_destroy(self.name.encode())
        self.hooks.clear()


class _Batch:
    """The batch of LRUCache.batch_operations(): writes queued by this
    thread, sent to the kernel in one ioctl (kcache_batch_commit())."""

    def __init__(self, cache):
        self._cache = cache
        self._handle = cache._h
        self._ptr = None
        # (kind, key, key bytes, value bytes, value, ttl argument)
        self._queued = []
        self._batch = n.Batch()

    def __enter__(self):
        if self._cache._tls.batch is not None:
            raise RuntimeError("kcache: batch_operations() does not nest")
        self._ptr = self._handle.acquire()
        try:
            n.check(n.lib.kcache_batch_begin(self._ptr,
                                             ctypes.byref(self._batch)))
        except BaseException:
            self._handle.release()
            raise
        self._cache._tls.batch = self
        return self

    def __exit__(self, exc_type, exc, tb):
        self._cache._tls.batch = None
        try:
            if exc_type is None:
                self.commit()
        finally:
            n.lib.kcache_batch_free(self._batch)
            self._batch = None
            self._queued = []
            self._handle.release()
        return False

    def _queue(self, kind, key, k, v=b"", ttl=None, value=None):
        for _ in range(2):
            if kind == "set":
                idx = n.lib.kcache_batch_set(self._batch, k, len(k), v,
                                             len(v), ttl_ms(ttl))
            else:
                idx = n.lib.kcache_batch_delete(self._batch, k, len(k))
            if idx != -errno.E2BIG:
                break
            # Full (LRUCACHE_BATCH_MAX operations): send it, go on.
            self.commit()
        n.check(idx)
        # libkcache keeps pointers to k and v until the commit.
        self._queued.append((kind, key, k, v, value, ttl))

    def set(self, key, value, ttl=None):
        """Queue a set()."""
        ttl_ms(ttl)                     # refuse a bad TTL now
        self._queue("set", key, encode_key(key),
                    self._cache._codec.encode(value), ttl, value)

    def delete(self, key):
        """Queue a delete(); a missing key is not an error."""
        self._queue("delete", key, encode_key(key))

    __setitem__ = set
    __delitem__ = delete

    def commit(self):
        """Send the queued operations now, in one ioctl (the context
        manager does it on exit). Raises BatchError if some failed."""
        if not self._queued:
            return
        n.check(n.lib.kcache_batch_commit(self._batch))
        failures = []
        done = []
        for idx, (kind, key, _k, v, value, ttl) in enumerate(self._queued):
            res = n.lib.kcache_batch_result(self._batch, idx, None)
            if res >= 0:
                done.append((kind, key, v, value, ttl))
            elif not (kind == "delete" and res == -errno.ENOENT):
                failures.append((key, n.error(res)))
        n.lib.kcache_batch_abort(self._batch)
        self._queued = []
        cache = self._cache
        if cache._h.sync_hooks:
            for kind, key, v, value, ttl in done:
                if kind == "set":
                    cache._fire_set(key, value, v, ttl)
                else:
                    cache._fire_delete(key)
        if failures:
            raise n.BatchError(failures)


class LRUCache(Generic[K, V]):
    """An LRU cache kept in kernel memory by the lrucache module.

    Arguments, as in the original library:
      max_size        most entries (1 to 2**24).
      default_ttl     seconds an entry lives when set() gets no ttl; None
                      for never. Also spelled ``ttl`` (the original
                      README's "Production Deployment" does).
      enable_metrics  False creates the cache with the kernel's event
                      counters off (hits, misses, ... stay 0).
      cleanup_interval seconds between runs of the kernel's reaper, which
                      frees expired entries (0.01 to 86400).
      max_memory_mb   most memory in MiB, as the kernel counts it (key +
                      value + a fixed overhead per entry); None for the
                      module's default (64 MiB unless changed).
      name            the cache's name in the kernel (1 to 63 characters
                      of [A-Za-z0-9_.-], not starting with '.'). Caches
                      with a name are shared: every process opening the
                      same name, as the same user (or one the cache's
                      mode lets in), sees the same entries, and the cache
                      stays in the kernel after close() until destroy().
                      Without a name the cache is anonymous: it gets a
                      unique name ("py-<pid>-<random>"), and close(), the
                      object's collection or the interpreter's exit
                      destroys it.
    and these of its own:
      codec           how values are stored: "json" (default), "pickle"
                      (read its security warning in kcache.PickleCodec),
                      "raw" (bytes), or an object with encode() and
                      decode().
      mode            permissions of a cache this call creates, like a
                      file's (0o700 by default: the owner only).
      mapped          True creates a mapped cache: every process that may
                      read it maps its entries read-only, and get() finds
                      hits there without a system call (misses, writes and
                      everything else still ask the kernel, with the same
                      results). The ``mapped`` property tells whether this
                      object reads through a mapping; get_info()'s
                      "mapped" whether the cache is a mapped one.
      create          False: attach to an existing cache only
                      (CacheNotFoundError otherwise).
      exclusive       True: fail with CacheExistsError if the cache exists.

    The limits, the default TTL, metrics, cleanup interval, mode and
    mapped apply when this call creates the cache; attaching to an
    existing cache keeps its own (get_info() tells them).

    Every method may be called from several threads at once; each is one
    or a few system calls, serialised per cache by the kernel.
    """

    def __init__(self, max_size=1000, default_ttl=None, enable_metrics=True,
                 cleanup_interval=60.0, max_memory_mb=None, name=None, *,
                 ttl=None, codec="json", mode=None, create=True,
                 exclusive=False, mapped=False):
        if ttl is not None:
            if default_ttl is not None and default_ttl != ttl:
                raise TypeError("kcache: ttl is another name of default_ttl:"
                                " give one of them")
            default_ttl = ttl
        self._codec = make_codec(codec)
        self._default_ttl = _UNKNOWN
        self._tls = _PerThread()
        anonymous = name is None
        if anonymous:
            name = "py-%d-%s" % (os.getpid(), secrets.token_hex(8))
            exclusive = True
            create = True
        elif not isinstance(name, str):
            raise TypeError("kcache: name must be a str")
        opts = None
        if create:
            opts = self._options(max_size, default_ttl, enable_metrics,
                                 cleanup_interval, max_memory_mb, mode,
                                 exclusive, mapped)
        ptr = n.Handle()
        ret = n.lib.kcache_open(name.encode("utf-8"),
                                ctypes.byref(opts) if opts else None,
                                ctypes.byref(ptr))
        if ret == -errno.ENOENT:
            raise n.error(ret, n.CacheNotFoundError)
        if ret == -errno.EEXIST:
            raise n.error(ret, n.CacheExistsError)
        n.check(ret)
        self._h = _Handle(ptr.value, name, anonymous)
        self._finalizer = weakref.finalize(self, self._h.close)

    @staticmethod
    def _options(max_size, default_ttl, enable_metrics, cleanup_interval,
                 max_memory_mb, mode, exclusive, mapped):
        if isinstance(max_size, bool) or not isinstance(max_size, int):
            raise TypeError("kcache: max_size must be an int")
        if not 1 <= max_size <= n.MAX_SIZE_MAX:
            raise ValueError("kcache: max_size must be 1 to %d"
                             % n.MAX_SIZE_MAX)
        opts = n.Options(sz=ctypes.sizeof(n.Options), max_size=max_size)
        if default_ttl is not None:
            opts.default_ttl_ms = ttl_ms(default_ttl)
            if opts.default_ttl_ms == n.TTL_NONE:
                opts.default_ttl_ms = 0
        if max_memory_mb is not None:
            if not max_memory_mb > 0:
                raise ValueError("kcache: max_memory_mb must be positive")
            opts.max_memory_bytes = int(max_memory_mb * 1024 * 1024)
        if cleanup_interval is not None:
            ms = round(cleanup_interval * 1000)
            if not (n.CLEANUP_INTERVAL_MIN_MS <= ms
                    <= n.CLEANUP_INTERVAL_MAX_MS):
                raise ValueError("kcache: cleanup_interval must be 0.01 to "
                                 "86400 seconds")
            opts.cleanup_interval_ms = ms
        if not enable_metrics:
            opts.flags |= n.OPEN_NO_METRICS
        if exclusive:
            opts.flags |= n.OPEN_EXCL
        if mapped:
            opts.flags |= n.OPEN_MAPPED
        if mode is not None:
            opts.mode = mode
        return opts

    # Life --------------------------------------------------------------------

    @property
    def name(self):
        """The cache's name in the kernel."""
        return self._h.name

    @property
    def codec(self):
        """The value codec."""
        return self._codec

    @property
    def mapped(self) -> bool:
        """True if this object reads hits through the cache's mapping,
        without a system call (kcache_mapped()): the cache was created
        mapped and this user may read it. False for every other cache."""
        return bool(self._call(n.lib.kcache_mapped))

    def close(self):
        """Drop this handle (and stop its event thread). A named cache
        stays in the kernel; an anonymous one is destroyed. Idempotent."""
        self._finalizer()

    def destroy(self):
        """Remove the cache and all its entries from the kernel, for every
        process attached to it (their operations then fail with
        CacheDestroyedError), and close this handle."""
        name = self._h.name
        self.close()
        destroy(name)

    @property
    def closed(self):
        return self._h.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        state = " closed" if self._h.closed else ""
        return "<kcache.LRUCache %r%s>" % (self._h.name, state)

    def _call(self, fn, *args):
        ptr = self._h.acquire()
        try:
            return fn(ptr, *args)
        finally:
            self._h.release()

    def _batch_for_write(self):
        return self._tls.batch

    def _flush_batch(self):
        # A read inside batch_operations() must see the writes queued
        # before it: send them first.
        batch = self._tls.batch
        if batch is not None:
            batch.commit()

    # Entries -----------------------------------------------------------------

    def set(self, key: K, value: V, ttl=None) -> None:
        """Store ``value`` under ``key``, the entry becoming the most
        recently used (evicting the least recently used ones if the cache
        is full). ``ttl``: seconds, None for the cache's default TTL,
        math.inf for never. Inside batch_operations(), queued."""
        batch = self._tls.batch
        if batch is not None:
            batch.set(key, value, ttl)
            return
        k = encode_key(key)
        v = self._codec.encode(value)
        t = ttl_ms(ttl)
        # _call() spelled out: this is the hot path.
        h = self._h
        ptr = h.acquire()
        try:
            ret = n.lib.kcache_set(ptr, k, len(k), v, len(v), t)
        finally:
            h.release()
        if ret < 0:
            raise n.error(ret)
        if h.sync_hooks:
            self._fire_set(key, value, v, ttl)

    def _ttl_seconds(self, ttl):
        """The TTL an entry set with ``ttl`` got, in seconds (None: none)."""
        if ttl is None:
            if self._default_ttl is _UNKNOWN:
                i = n.Info()
                n.check(self._call(n.lib.kcache_get_info, ctypes.byref(i)))
                self._default_ttl = _seconds(i.default_ttl_ms)
            return self._default_ttl
        return None if ttl == math.inf else ttl_ms(ttl) / 1000

    def _fire_set(self, key, value, data, ttl):
        seconds = self._ttl_seconds(ttl)
        now = time.time()
        entry = CacheEntry(key, value, size=len(data), age=0.0, ttl=seconds,
                           expires_at=None if seconds is None
                           else now + seconds)
        fire(self._h.sync_hooks, "set", key, value, entry)

    def _fire_delete(self, key):
        fire(self._h.sync_hooks, "delete", key, CacheEntry(key))

    def _fire_get(self, key, value, data):
        if data is None:
            fire(self._h.sync_hooks, "miss", key)
        else:
            fire(self._h.sync_hooks, "hit", key, value,
                 CacheEntry(key, value, size=len(data)))

    def _get(self, key):
        data, value = self._read_value(n.lib.kcache_get, key)
        return _MISSING if data is None else value

    def get(self, key: K, default=None):
        """The value of ``key`` (making it the most recently used), or
        ``default`` if it is absent or expired."""
        value = self._get(key)
        return default if value is _MISSING else value

    def exists(self, key: K) -> bool:
        """Whether ``key`` is present, without touching the LRU order or
        the hit and miss counters."""
        self._flush_batch()
        k = encode_key(key)
        return bool(n.check(self._call(n.lib.kcache_exists, k, len(k))))

    def delete(self, key: K):
        """Remove ``key``: True if it was there, False if not. Inside
        batch_operations(), queued (and returns None)."""
        batch = self._batch_for_write()
        if batch is not None:
            batch.delete(key)
            return None
        k = encode_key(key)
        ret = self._call(n.lib.kcache_delete, k, len(k))
        if ret == -errno.ENOENT:
            return False
        n.check(ret)
        if self._h.sync_hooks:
            self._fire_delete(key)
        return True

    def entry(self, key: K):
        """The entry of ``key`` as a CacheEntry (key, value, size,
        expires_at, is_expired), or None if it is absent or expired.

        Read from a dump of the cache (kcache_serialize()): it moves
        nothing in the LRU order and counts no hit or miss, but its cost
        follows the size of the cache. ``age`` and ``ttl`` (the TTL the
        entry was set with) are not known then (None); ``expires_at`` is
        the dump's time plus the entry's remaining TTL."""
        k = encode_key(key)
        now = time.time()
        doc = json.loads(self.serialize())
        at = doc.get("dumped_at_ns")
        at = now if at is None else at / 1e9
        for item in doc["entries"]:
            if _dump_bytes(item["key"]) != k:
                continue
            data = _dump_bytes(item["value"])
            left = item.get("ttl_ms")
            return CacheEntry(key, self._codec.decode(data), size=len(data),
                              expires_at=None if left is None
                              else at + left / 1000)
        return None

    # Versions, counters and TTLs (libkcache 1.10) ----------------------------
    #
    # Each is one ioctl, atomic in the kernel against every other operation
    # on the key, whoever makes it. They return a result, so inside
    # batch_operations() they send what is queued first and run at once.

    def _read_value(self, fn, key, *args):
        """The value of ``key`` read by ``fn`` (kcache_get(), _gets(),
        _getex(), _getdel()) as bytes, or None, and decoded; sync hit and
        miss hooks fired."""
        self._flush_batch()
        k = encode_key(key)
        h = self._h
        ptr = h.acquire()
        try:
            data = _read(ptr, fn, k, *args)
        finally:
            h.release()
        value = None if data is None else self._codec.decode(data)
        if h.sync_hooks:
            self._fire_get(key, value, data)
        return data, value

    def gets(self, key: K):
        """``(value, version)`` of ``key`` (making it the most recently
        used, as get()), or None if it is absent or expired.

        The version is an int that changes on every write of the entry
        (set(), cas(), incr(), ... by any process) and is never given
        twice in the cache's life; touch() and get_and_touch() keep it.
        Pass it to cas()."""
        version = ctypes.c_uint64()
        data, value = self._read_value(n.lib.kcache_gets, key,
                                 ctypes.byref(version))
        return None if data is None else (value, version.value)

    def cas(self, key: K, value: V, version: int, ttl=None) -> bool:
        """Store ``value`` under ``key`` only if the entry still has
        ``version`` (from gets()): True if stored, False if the entry was
        written since (it has another version; nothing changed). ``ttl``
        as for set(): the entry gets the new TTL.

        A key that is absent or expired (deleted, evicted or expired since
        gets()) raises KeyError, as kcache_cas()'s -ENOENT: there is no
        entry to compare with (add it with set(), or gets() again)."""
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError("kcache: version must be an int from gets(), "
                            "not %s" % type(version).__name__)
        if not 0 < version < 1 << 64:
            raise ValueError("kcache: version %d is not one gets() returns"
                             % version)
        k = encode_key(key)
        v = self._codec.encode(value)
        t = ttl_ms(ttl)
        self._flush_batch()
        ret = self._call(n.lib.kcache_cas, k, len(k), v, len(v), t, version)
        if ret == -errno.ESTALE:
            return False
        if ret == -errno.ENOENT:
            raise KeyError(key)
        n.check(ret)
        if self._h.sync_hooks:
            self._fire_set(key, value, v, ttl)
        return True

    def _count(self, fn, key, delta, initial, ttl):
        k = encode_key(key)
        _int64("delta", delta)
        _int64("initial", initial)
        t = ttl_ms(ttl)
        self._flush_batch()
        out = ctypes.c_int64()
        ret = self._call(fn, k, len(k), delta, initial, t, ctypes.byref(out))
        if ret == -errno.EINVAL:
            raise n.NotACounterError(
                errno.EINVAL, "the value of %r is not a counter (the "
                "decimal ASCII of a signed 64-bit integer)" % (key,))
        if ret == -errno.EOVERFLOW:
            raise n.error(ret, n.CounterOverflowError)
        n.check(ret)
        number = out.value
        if self._h.sync_hooks:
            # The TTL is the one given only if this call created the
            # counter, which the kernel does not say: not known.
            fire(self._h.sync_hooks, "set", key, number,
                 CacheEntry(key, number, size=len(str(number)), age=0.0))
        return number

    def incr(self, key: K, delta: int = 1, initial: int = 0,
             ttl=None) -> int:
        """Add ``delta`` to the counter ``key`` and return its new value,
        atomically: concurrent incr() calls from any thread or process
        never lose one.

        An absent or expired counter starts from ``initial`` (then gets
        ``delta`` added) with ``ttl`` (seconds as for set(); None for the
        cache's default, math.inf for never); an existing counter keeps
        its expiry time (the fixed window of a rate limiter). The kernel
        stores a counter as the decimal ASCII of a signed 64-bit integer
        (b"-12"), which get() reads back as an int with the json codec
        (and as bytes with the raw codec; the pickle codec cannot read
        it), and set(key, 12) with the json codec makes one.

        Raises NotACounterError (a ValueError) if the value present is
        not a counter, CounterOverflowError (an OverflowError) if the
        result would leave the 64-bit range (the counter keeps its
        value), OverflowError if ``delta`` or ``initial`` is outside it.
        """
        return self._count(n.lib.kcache_incr, key, delta, initial, ttl)

    def decr(self, key: K, delta: int = 1, initial: int = 0,
             ttl=None) -> int:
        """incr() with -``delta``: subtract and return the new value (it
        may go below zero, unlike memcached's decr)."""
        return self._count(n.lib.kcache_decr, key, delta, initial, ttl)

    def touch(self, key: K, ttl) -> bool:
        """Give ``key`` a new TTL, counted from now, without rewriting its
        value (nor its version): ``ttl`` in seconds, None for the cache's
        default, math.inf for never. The entry becomes the most recently
        used; no hit, miss or set is counted. True if touched, False if
        the key is absent or expired."""
        k = encode_key(key)
        t = ttl_ms(ttl)
        self._flush_batch()
        ret = self._call(n.lib.kcache_touch, k, len(k), t)
        if ret == -errno.ENOENT:
            return False
        n.check(ret)
        return True

    def ttl(self, key: K):
        """Seconds ``key`` has left to live (a float, rounded up to the
        millisecond), math.inf if it never expires, None if it is absent
        or expired. Changes nothing (no LRU move, no counter)."""
        k = encode_key(key)
        self._flush_batch()
        left = ctypes.c_uint64()
        ret = self._call(n.lib.kcache_ttl, k, len(k), ctypes.byref(left))
        if ret == -errno.ENOENT:
            return None
        n.check(ret)
        return math.inf if left.value == n.TTL_NONE else left.value / 1000

    def get_and_touch(self, key: K, ttl, default=None):
        """get() and touch() in one atomic call (Redis' GETEX): the value
        of ``key``, whose TTL is set anew to ``ttl`` (as for touch()), or
        ``default`` if it is absent or expired. The sliding session: every
        read extends the entry's life. Counts a hit or a miss."""
        t = ttl_ms(ttl)
        data, value = self._read_value(n.lib.kcache_getex, key, t)
        return default if data is None else value

    def pop(self, key: K, default=_MISSING):
        """Remove ``key`` and return its value, in one atomic call (Redis'
        GETDEL): of several callers popping one key at once, exactly one
        gets the value. An absent or expired key returns ``default``, or
        raises KeyError without one (as dict.pop()). Counts a hit and a
        delete. The entry is gone even if the codec then fails to decode
        its value."""
        data, value = self._read_value(n.lib.kcache_getdel, key)
        if data is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        if self._h.sync_hooks:
            self._fire_delete(key)
        return value

    def delete_prefix(self, prefix) -> int:
        """Delete every entry whose key starts with ``prefix``; return how
        many were deleted (the namespace flush).

        ``prefix`` is matched against the keys as the kernel stores them
        (see "Keys" in python/README.md):
          - a str or bytes prefix deletes the str and bytes keys that
            start with it: "user:42:" deletes "user:42:name" and
            b"user:42:x" (UTF-8 keeps str prefixes byte prefixes), never
            a key of another type;
          - a tuple prefix deletes the tuple keys whose first elements are
            its elements, itself included: ("user", 42) deletes
            ("user", 42), ("user", 42, "name"), not ("user", 420); () every
            tuple key. That is two kernel calls (the longer keys, then the
            key equal to the prefix).
        Other types raise TypeError, an empty str or bytes ValueError (use
        clear()).

        Keys stored before the call are gone when it returns; a key
        stored while it runs may stay. The kernel walks the whole cache
        (its cost follows the cache's size) holding the cache's lock for
        at most 32 removals at a time. The removals count as deletes and
        reach hooks as the kernel's delete events (on_event), not as
        on_delete calls: the caller does not learn which keys they were.
        """
        exact = None
        if isinstance(prefix, tuple):
            whole = encode_key(prefix)          # NUL, then [...]
            if prefix:
                data, exact = whole[:-1] + b",", whole
            else:
                data = whole[:-1]
        elif isinstance(prefix, (str, bytes, bytearray)):
            if not prefix:
                raise ValueError("kcache: an empty prefix would match every "
                                 "key: use clear()")
            data = encode_key(prefix)
        else:
            raise TypeError("kcache: a prefix must be a str, bytes or a "
                            "tuple, not %s" % type(prefix).__name__)
        self._flush_batch()
        count = n.check(self._call(n.lib.kcache_delete_prefix, data,
                                   len(data)))
        if exact is not None:
            ret = self._call(n.lib.kcache_delete, exact, len(exact))
            if ret != -errno.ENOENT:
                n.check(ret)
                count += 1
        return count

    @property
    def _cache(self):
        """The original library's private mapping of entries, read-only,
        for code written against it (its README's "Manual Cleanup"):
        ``cache._cache.get(key)`` is entry(key)."""
        return _Entries(self)

    def clear(self) -> None:
        """Remove every entry (for every process using the cache)."""
        self._flush_batch()
        n.check(self._call(n.lib.kcache_clear))

    def cleanup_expired(self) -> int:
        """Run the kernel's reaper now; return how many expired entries it
        freed. (Expired entries already read as absent: this only frees
        their memory, which len() and the metrics count until then.)"""
        return n.check(self._call(n.lib.kcache_cleanup_expired))

    _cleanup_expired = cleanup_expired  # the original library's name

    # The dict interface ------------------------------------------------------

    def __getitem__(self, key: K) -> V:
        value = self._get(key)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self.set(key, value)

    def __delitem__(self, key: K) -> None:
        if self.delete(key) is False:
            raise KeyError(key)

    def __contains__(self, key) -> bool:
        return self.exists(key)

    def __len__(self) -> int:
        """The number of live entries: those ``in`` finds. Expired entries
        the reaper has not freed yet are freed first (a cleanup_expired(),
        when some entry has a TTL; a user without write permission on the
        cache cannot, and then counts them)."""
        self._flush_batch()
        m = self._metrics()
        if m.expiring:
            ret = self._call(n.lib.kcache_cleanup_expired)
            if ret >= 0:
                m = self._metrics()
            elif ret not in (-errno.EACCES, -errno.EPERM, -errno.ENOTTY):
                n.check(ret)
        return m.entries

    # Not iterable: the kernel lists entries only as a dump (serialize()).
    __iter__ = None

    # Batches -----------------------------------------------------------------

    def set_many(self, mapping, ttl=None) -> None:
        """Store every item of ``mapping`` (a dict or (key, value) pairs)
        with one ioctl per 1024 items. Not atomic: if some items fail,
        the others are stored and BatchError lists the failures."""
        pairs = list(mapping.items() if hasattr(mapping, "items")
                     else mapping)
        batch = self._batch_for_write()
        if batch is not None:
            for key, value in pairs:
                batch.set(key, value, ttl)
            return
        if not pairs:
            return
        t = ttl_ms(ttl)
        keep = []
        items = (n.Item * len(pairs))()
        for item, (key, value) in zip(items, pairs):
            k = encode_key(key)
            v = self._codec.encode(value)
            keep.append((k, v))
            item.key = ctypes.cast(k, ctypes.c_void_p).value
            item.key_len = len(k)
            item.value = ctypes.cast(v, ctypes.c_void_p).value
            item.value_len = len(v)
        n.check(self._call(n.lib.kcache_set_many, items, len(items), t))
        failures = [(key, n.error(item.status))
                    for item, (key, _v) in zip(items, pairs)
                    if item.status < 0]
        if self._h.sync_hooks:
            for item, (key, value), (_k, v) in zip(items, pairs, keep):
                if item.status >= 0:
                    self._fire_set(key, value, v, ttl)
        if failures:
            raise n.BatchError(failures)

    def get_many(self, keys) -> dict:
        """A dict of the values of those ``keys`` that are present, read
        with one ioctl per 256 keys (a value over 4 KiB costs one more
        lookup, and one more hit in the metrics). On a mapped cache, hits
        are read from the mapping: 256 hits need no ioctl at all."""
        self._flush_batch()
        keys = list(keys)
        found = {}
        for start in range(0, len(keys), _MANY_CHUNK):
            self._get_chunk(keys[start:start + _MANY_CHUNK], found)
        return found

    def _get_chunk(self, keys, found):
        encoded = [encode_key(key) for key in keys]
        buf = ctypes.create_string_buffer(_MANY_SLOT * len(keys))
        base = ctypes.addressof(buf)
        items = (n.Item * len(keys))()
        for i, (item, k) in enumerate(zip(items, encoded)):
            item.key = ctypes.cast(k, ctypes.c_void_p).value
            item.key_len = len(k)
            item.value = base + i * _MANY_SLOT
            item.value_len = _MANY_SLOT
        n.check(self._call(n.lib.kcache_get_many, items, len(items)))
        hooks = self._h.sync_hooks
        for i, (item, key, k) in enumerate(zip(items, keys, encoded)):
            if item.status == -errno.ENOENT:
                data = None
            else:
                n.check(item.status)
                if item.status <= _MANY_SLOT:
                    data = ctypes.string_at(base + i * _MANY_SLOT,
                                            item.status)
                else:
                    data = self._call(_get_bytes, k)
            if data is not None:
                found[key] = value = self._codec.decode(data)
            if hooks:
                self._fire_get(key, None if data is None else value, data)

    def batch_operations(self):
        """A context manager that queues this thread's writes to the cache
        (set(), delete(), ``[]=``, ``del``, set_many(), or the same
        methods of the object it returns) and sends them in one ioctl when
        the block ends. If the block raises, nothing queued is sent.

        Not atomic, like every kernel batch: the operations run one by
        one, in order, and other processes may see the first before the
        last. A read of this cache inside the block first sends what is
        queued, so that it sees it. More than 1024 operations are sent in
        several ioctls. Failures raise BatchError at the end (deleting a
        missing key is not one)."""
        return _Batch(self)

    # Metrics, health, info ---------------------------------------------------

    def _metrics(self):
        m = n.Metrics()
        n.check(self._call(n.lib.kcache_get_metrics, ctypes.byref(m)))
        return m

    def get_metrics(self) -> dict:
        """The kernel's counters and limits of the cache (every user's
        since it was created or its metrics were reset)."""
        m = self._metrics()
        out = {name: getattr(m, name) for name, _t in n.Metrics._fields_
               if name != "reserved"}
        out["size"] = m.entries
        out["default_ttl"] = _seconds(m.default_ttl_ms)
        return out

    def reset_metrics(self) -> None:
        """Zero the event counters (for every user of the cache)."""
        n.check(self._call(n.lib.kcache_reset_metrics))

    def health_check(self) -> dict:
        """The kernel's health verdict: ``status`` "healthy", "degraded"
        or "unhealthy", the ``reasons`` ("memory_high", "hit_rate_low",
        "reaper_behind"), and the figures behind them."""
        h = n.Health()
        n.check(self._call(n.lib.kcache_health_check, ctypes.byref(h)))
        m = self._metrics()
        reasons = [name for bit, name in (
            (n.HEALTH_MEMORY_HIGH, "memory_high"),
            (n.HEALTH_HIT_RATE_LOW, "hit_rate_low"),
            (n.HEALTH_REAPER_BEHIND, "reaper_behind")) if h.reasons & bit]
        return {
            "status": n.lib.kcache_health_status_name(h.status).decode(),
            "reasons": reasons,
            "memory_pct": h.memory_pct,
            "hit_rate_pct": h.hit_rate_pct,
            "size": m.entries,
            "max_size": m.max_entries,
            "memory_bytes": m.bytes,
            "max_bytes": m.max_bytes,
        }

    def get_info(self) -> dict:
        """The cache's name, limits, creation time, owner and codec."""
        i = n.Info()
        n.check(self._call(n.lib.kcache_get_info, ctypes.byref(i)))
        m = self._metrics()
        return {
            "name": i.name.decode("utf-8", "replace"),
            "size": m.entries,
            "max_size": i.max_entries,
            "memory_bytes": m.bytes,
            "max_bytes": i.max_bytes,
            "max_memory_mb": i.max_bytes / (1024 * 1024),
            "default_ttl": _seconds(i.default_ttl_ms),
            "entry_overhead": i.entry_overhead,
            "created": i.created_ns / 1e9,
            "owner_uid": i.owner_uid,
            "owner_gid": i.owner_gid,
            "mode": i.mode,
            "metrics_enabled": bool(i.metrics_enabled),
            "mapped": bool(i.flags & n.INFO_MAPPED),
            "cleanup_interval": _seconds(i.cleanup_interval_ms),
            "anonymous": self._h.anonymous,
            "codec": getattr(self._codec, "name", type(self._codec).__name__),
        }

    # Dump and restore --------------------------------------------------------

    def serialize(self) -> str:
        """The cache's live entries as libkcache's JSON dump (format
        "lrucache-dump", version 1; Documentation/lrucache/dump.rst), least
        recently used first. Keys and values appear as the bytes the
        kernel holds (the key encoding and the codec's output)."""
        self._flush_batch()
        out = ctypes.c_void_p()
        size = ctypes.c_size_t()
        n.check(self._call(n.lib.kcache_serialize, ctypes.byref(out),
                           ctypes.byref(size)))
        try:
            return ctypes.string_at(out.value, size.value).decode("utf-8")
        finally:
            n.libc.free(out)

    def deserialize(self, data, replace=False) -> int:
        """Store the entries of a dump (str or bytes) into this cache, in
        the dump's order; return how many. ``replace`` clears the cache
        first. A document that is not a valid dump changes nothing and
        raises DumpFormatError, with the line and column of a syntax
        error."""
        self._flush_batch()
        if isinstance(data, str):
            data = data.encode("utf-8")
        err = n.JsonError()
        flags = n.RESTORE_REPLACE if replace else 0
        ret = self._call(n.lib.kcache_deserialize_ex, bytes(data), len(data),
                         flags, ctypes.byref(err))
        if ret < 0:
            exc = n.error(ret)
            text = err.text.decode("utf-8", "replace")
            if text:
                exc = type(exc)(exc.errno, text)
            if isinstance(exc, n.DumpFormatError):
                exc.line, exc.column = err.line, err.column
                exc.position = err.position
            raise exc
        return ret

    # Events ------------------------------------------------------------------

    def add_hook(self, hook) -> None:
        """Add ``hook`` (a CacheHook). Its on_hit, on_miss, on_set and
        on_delete are called synchronously for this object's operations;
        its on_evict, on_expire, on_reclaim, on_event and on_lost come
        from the kernel's event stream (every process's events), and are
        called only when the program dispatches: dispatch_events(),
        events_fd(), or the thread of start_event_thread()."""
        h = self._h
        with h.hook_lock:
            if id(hook) in h.hooks or id(hook) in h.sync:
                raise ValueError("kcache: this hook is already added")
            sync = SyncHook(hook)
            wanted = frozenset(hook.subscribed_events())
            if not sync.calls and not wanted:
                raise ValueError("kcache: the hook overrides no on_<event>()"
                                 " method: it would receive nothing")
            if wanted:
                native = NativeHook(hook, wanted, h.hook_errors.append)
                ret = self._call(n.lib.kcache_add_hook,
                                 ctypes.byref(native.ops), None)
                n.check(ret)
                h.hooks[id(hook)] = native
            if sync.calls:
                h.sync[id(hook)] = sync
                h.sync_hooks = tuple(h.sync.values())
        self._raise_hook_errors()

    def remove_hook(self, hook) -> None:
        """Stop calling ``hook``; the subscription narrows (the last hook
        ends it)."""
        h = self._h
        with h.hook_lock:
            native = h.hooks.get(id(hook))
            if native is None and id(hook) not in h.sync:
                raise ValueError("kcache: not a hook of this cache")
            if native is not None:
                n.check(self._call(n.lib.kcache_remove_hook,
                                   ctypes.byref(native.ops), None))
                del h.hooks[id(hook)]
            if h.sync.pop(id(hook), None) is not None:
                h.sync_hooks = tuple(h.sync.values())
        self._raise_hook_errors()

    def events_fd(self) -> int:
        """The descriptor that is readable when events wait (for
        select/poll/selectors or asyncio's loop.add_reader(), whose
        callback then calls dispatch_events()). It changes if every hook
        is removed and one added again. Needs a hook that receives the
        kernel's events (ValueError otherwise)."""
        with self._h.hook_lock:
            return n.check(self._call(n.lib.kcache_events_fd))

    def dispatch_events(self, timeout=0.0) -> int:
        """Call the hooks for the kernel events that have arrived, in this
        thread; return how many events were read (0 at once when no hook
        receives the kernel's events: see add_hook()).

        ``timeout``: seconds to wait for the first event when none is
        waiting (0: do not wait; None: wait until one comes). If a hook
        raises, the other events are still delivered and the first
        exception is raised at the end."""
        with self._h.hook_lock:
            if not self._h.hooks:
                if not self._h.sync:
                    raise ValueError("kcache: the cache has no hook")
                return 0
        count = self._h_dispatch(timeout, None)
        self._raise_hook_errors()
        return count

    def _h_dispatch(self, timeout, wake_fd):
        h = self._h
        with h.hook_lock:
            if not h.hooks:
                raise ValueError("kcache: the cache has no hook")
            fd = n.check(self._call(n.lib.kcache_events_fd))
        if timeout is None or timeout > 0:
            # Wait without the lock, so that hooks can be added meanwhile;
            # the socket is only read under it.
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if wake_fd is not None:
                poller.register(wake_fd, select.POLLIN)
            ready = poller.poll(None if timeout is None else timeout * 1000)
            if wake_fd is not None and any(f == wake_fd for f, _ in ready):
                return 0
        with h.hook_lock:
            if not h.hooks:
                return 0
            return n.check(self._call(n.lib.kcache_events_dispatch))

    def _raise_hook_errors(self):
        errors = self._h.hook_errors
        if errors:
            first = errors[0]
            del errors[:]
            raise first

    def start_event_thread(self, poll_interval=1.0) -> None:
        """Start a daemon thread that dispatches events as they arrive:
        hooks are then called in that thread. An exception from a hook is
        logged (logger "kcache") and the thread goes on. It ends with
        stop_event_thread(), close(), or the removal of the last hook;
        ``poll_interval`` bounds how long it takes to notice the last."""
        h = self._h
        if h.thread is not None:
            if h.thread.is_alive():
                raise RuntimeError("kcache: the event thread is running")
            h._stop_thread()        # it ended with the last hook
        if not h.hooks:
            raise ValueError("kcache: add a hook that receives the kernel's"
                             " events first")
        wake_r, wake_w = os.pipe()
        ref = weakref.ref(self)
        thread = threading.Thread(target=_event_loop,
                                  args=(ref, wake_r, poll_interval),
                                  name="kcache-events-" + h.name, daemon=True)
        with h.lock:
            h.thread, h.thread_stop = thread, wake_w
        thread.start()

    def stop_event_thread(self) -> None:
        """Stop the thread of start_event_thread() and wait for it (unless
        called from a hook in that thread)."""
        self._h._stop_thread()


def _dump_bytes(item):
    # A key or value of a dump: a string (its UTF-8 bytes) or
    # {"base64": ...} (Documentation/lrucache/dump.rst).
    if isinstance(item, str):
        return item.encode("utf-8")
    return base64.b64decode(item["base64"])


class _Entries:
    """LRUCache._cache: the original's OrderedDict of entries, as far as
    code outside the class used it (get, in, [], len)."""

    def __init__(self, cache):
        self._c = cache

    def get(self, key, default=None):
        entry = self._c.entry(key)
        return default if entry is None else entry

    def __getitem__(self, key):
        entry = self._c.entry(key)
        if entry is None:
            raise KeyError(key)
        return entry

    def __contains__(self, key):
        return key in self._c

    def __len__(self):
        return len(self._c)


def _event_loop(ref, wake_fd, poll_interval):
    try:
        _event_loop_body(ref, wake_fd, poll_interval)
    finally:
        os.close(wake_fd)


def _event_loop_body(ref, wake_fd, poll_interval):
    # The thread holds the cache only while dispatching, so that the
    # cache can still be collected (which closes it and stops the thread).
    while True:
        cache = ref()
        if (cache is None or cache._h.closed
                or cache._h.thread is not threading.current_thread()):
            return
        try:
            cache._h_dispatch(poll_interval, wake_fd)
        except ValueError:
            return          # closed, or no hook left
        except Exception:   # noqa: B902 (a thread must not die silently)
            _log.exception("kcache: event dispatch failed")
        for exc in cache._h.hook_errors:
            _log.error("kcache: a hook raised", exc_info=exc)
        del cache._h.hook_errors[:]
        del cache
        if _readable(wake_fd):
            return


def _readable(fd):
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def destroy(name) -> None:
    """Remove the named cache and its entries from the kernel."""
    ret = n.lib.kcache_destroy(name.encode("utf-8"))
    if ret == -errno.ENOENT:
        raise n.error(ret, n.CacheNotFoundError)
    n.check(ret)
