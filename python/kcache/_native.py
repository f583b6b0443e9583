# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""libkcache through ctypes: loading, structures, prototypes, errors.

Everything here mirrors libuser/kcache.h (library 1.9 and later). The
structures are laid out field by field as the header declares them, with
ctypes' native alignment, which is the C compiler's on the same machine;
tests/test_layout.py compiles a C program against kcache.h and compares
every size and offset.

The library is looked up once, when this module is imported:
  1. the path in the environment variable KCACHE_LIBRARY, if set;
  2. the SONAME "libkcache.so.1" (dlopen(3): LD_LIBRARY_PATH, the ld.so
     cache, the system directories);
  3. whatever ctypes.util.find_library("kcache") finds.
"""

import ctypes
import ctypes.util
import errno as _errno
import os

from ctypes import (CFUNCTYPE, POINTER, c_char, c_char_p, c_int,
                    c_size_t, c_ssize_t, c_uint, c_uint32, c_uint64, c_int64,
                    c_void_p)

SONAME = "libkcache.so.1"


def _load():
    path = os.environ.get("KCACHE_LIBRARY")
    if path:
        try:
            return ctypes.CDLL(path, use_errno=False)
        except OSError as e:
            raise ImportError("kcache: cannot load KCACHE_LIBRARY=%s: %s"
                              % (path, e)) from e
    try:
        return ctypes.CDLL(SONAME)
    except OSError as first:
        found = ctypes.util.find_library("kcache")
        if found:
            try:
                return ctypes.CDLL(found)
            except OSError:
                pass
        raise ImportError(
            "kcache: %s not found (%s); build it with `make lib` and set "
            "LD_LIBRARY_PATH to build/lib, install it, or name it in "
            "KCACHE_LIBRARY" % (SONAME, first)) from first


lib = _load()

# Constants of kcache.h and <linux/lrucache.h>.
NAME_MAX = 63
TTL_DEFAULT = (1 << 64) - 1
TTL_NONE = (1 << 64) - 2
TTL_MAX_MS = 1 << 42
CLEANUP_INTERVAL_MIN_MS = 10
CLEANUP_INTERVAL_MAX_MS = 86400000
MAX_SIZE_MAX = 1 << 24
BATCH_MAX = 1024
# The uapi's LRUCACHE_OPEN_* values (libkcache 1.9; kcache_open@KCACHE_1.9).
OPEN_EXCL = 1 << 1
OPEN_NO_METRICS = 1 << 2
# libkcache 1.11: a mapped cache, read without a system call on hits.
OPEN_MAPPED = 1 << 3
INFO_METRICS = 1 << 0
INFO_MAPPED = 1 << 1
RESTORE_REPLACE = 1 << 0
MEMO_NO_SINGLE_FLIGHT = 1 << 0
# struct kcache_lease.status bits and lease durations (libkcache 1.10).
LEASE_HIT = 1 << 0
LEASE_STALE = 1 << 1
LEASE_GRANTED = 1 << 2
LEASE_HELD = 1 << 3
LEASE_OWN = 1 << 4
LEASE_MAX_MS = 3600000
EVENT_KEY_MAX = 64

EVENT_HIT = 1
EVENT_MISS = 2
EVENT_SET = 3
EVENT_DELETE = 4
EVENT_EVICT = 5
EVENT_EXPIRE = 6
EVENT_RECLAIM = 7
EVENT_NAMES = ("hit", "miss", "set", "delete", "evict", "expire", "reclaim")

HEALTH_MEMORY_HIGH = 1 << 0
HEALTH_HIT_RATE_LOW = 1 << 1
HEALTH_REAPER_BEHIND = 1 << 2


class Options(ctypes.Structure):
    """struct kcache_options"""
    _fields_ = [
        ("sz", c_size_t),
        ("max_size", c_uint64),
        ("max_memory_bytes", c_uint64),
        ("default_ttl_ms", c_uint64),
        ("flags", c_uint32),
        ("reserved", c_uint32),
        ("cleanup_interval_ms", c_uint64),
        ("mode", c_uint32),
        ("reserved2", c_uint32),
    ]


class Metrics(ctypes.Structure):
    """struct kcache_metrics"""
    _fields_ = [
        ("hits", c_uint64),
        ("misses", c_uint64),
        ("hit_rate", ctypes.c_double),
        ("sets", c_uint64),
        ("deletes", c_uint64),
        ("evictions", c_uint64),
        ("expirations", c_uint64),
        ("entries", c_uint64),
        ("bytes", c_uint64),
        ("max_entries", c_uint64),
        ("max_bytes", c_uint64),
        ("default_ttl_ms", c_uint64),
        ("entry_overhead", c_uint64),
        ("reaped", c_uint64),
        ("reclaimed", c_uint64),
        ("reaper_runs", c_uint64),
        ("reaper_ns", c_uint64),
        ("expiring", c_uint64),
        ("data_bytes", c_uint64),
        ("leases", c_uint64),
        ("lease_grants", c_uint64),
        ("stale_fills", c_uint64),
        ("reserved", c_uint64 * 10),
    ]


class Health(ctypes.Structure):
    """struct kcache_health"""
    _fields_ = [
        ("status", c_int),
        ("reasons", c_uint32),
        ("memory_pct", c_uint32),
        ("hit_rate_pct", c_uint32),
        ("reaper_late_ms", c_uint64),
        ("reserved", c_uint64 * 3),
    ]


class Info(ctypes.Structure):
    """struct kcache_info"""
    _fields_ = [
        ("name", c_char * (NAME_MAX + 1)),
        ("max_entries", c_uint64),
        ("max_bytes", c_uint64),
        ("default_ttl_ms", c_uint64),
        ("entry_overhead", c_uint64),
        ("created_ns", c_uint64),
        ("owner_uid", c_uint32),
        ("owner_gid", c_uint32),
        ("flags", c_uint32),
        ("mode", c_uint32),
        ("cleanup_interval_ms", c_uint64),
        ("metrics_enabled", c_uint32),
        ("reserved_pad", c_uint32),
        ("reserved", c_uint64 * 6),
    ]


class Item(ctypes.Structure):
    """struct kcache_item"""
    _fields_ = [
        ("key", c_void_p),
        ("key_len", c_size_t),
        ("value", c_void_p),
        ("value_len", c_size_t),
        ("status", c_int),
    ]


class Lease(ctypes.Structure):
    _fields_ = [
        ("status", c_uint32),
        ("reserved", c_uint32),
        ("token", c_uint64),
        ("version", c_uint64),
    ]


class MemoOpts(ctypes.Structure):
    """struct kcache_memo_opts"""
    _fields_ = [
        ("sz", c_size_t),
        ("ttl_ms", c_uint64),
        ("lease_ms", c_uint64),
        ("wait_ms", c_uint64),
        ("flags", c_uint32),
        ("reserved", c_uint32),
        ("refresh_ms", c_uint64),
    ]


class MemoInfo(ctypes.Structure):
    """struct kcache_memo_info"""
    _fields_ = [
        ("hits", c_uint64),
        ("misses", c_uint64),
        ("maxsize", c_uint64),
        ("currsize", c_uint64),
        ("reserved", c_uint64 * 4),
    ]


class JsonError(ctypes.Structure):
    """struct kcache_json_error"""
    _fields_ = [
        ("line", c_int),
        ("column", c_int),
        ("position", c_int),
        ("text", c_char * 160),
    ]


class Event(ctypes.Structure):
    """struct kcache_event"""
    _fields_ = [
        ("cache", c_char_p),
        ("type", c_int),
        ("key", c_void_p),
        ("key_len", c_size_t),
        ("key_hash", c_uint32),
        ("value_len", c_size_t),
        ("age_s", c_int64),
        ("seq", c_uint64),
        ("lost", c_uint64),
    ]


EVENT_FN = CFUNCTYPE(None, POINTER(Event), c_void_p)
LOST_FN = CFUNCTYPE(None, c_uint64, c_void_p)
# typedef ssize_t (*kcache_compute_fn)(const void *key, size_t klen,
#                                      void *buf, size_t buflen, void *arg);
COMPUTE_FN = CFUNCTYPE(c_ssize_t, c_void_p, c_size_t, c_void_p, c_size_t,
                       c_void_p)


class HookOps(ctypes.Structure):
    """struct kcache_hook_ops"""
    _fields_ = [
        ("on_hit", EVENT_FN),
        ("on_miss", EVENT_FN),
        ("on_set", EVENT_FN),
        ("on_delete", EVENT_FN),
        ("on_evict", EVENT_FN),
        ("on_expire", EVENT_FN),
        ("on_reclaim", EVENT_FN),
        ("on_lost", LOST_FN),
        ("reserved", c_void_p * 4),
    ]


# struct kcache is opaque: a handle is a void pointer, as is a batch.
Handle = c_void_p
Batch = c_void_p


def _proto(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_proto("kcache_open", c_int, c_char_p, POINTER(Options), POINTER(Handle))
_proto("kcache_close", None, Handle)
_proto("kcache_destroy", c_int, c_char_p)
_proto("kcache_set", c_int, Handle, c_char_p, c_size_t, c_char_p, c_size_t,
       c_uint64)
_proto("kcache_add", c_int, Handle, c_char_p, c_size_t, c_char_p, c_size_t,
       c_uint64)
_proto("kcache_get", c_ssize_t, Handle, c_char_p, c_size_t, c_void_p,
       c_size_t)
_proto("kcache_exists", c_int, Handle, c_char_p, c_size_t)
_proto("kcache_get_lease", c_ssize_t, Handle, c_char_p, c_size_t, c_void_p,
       c_size_t, c_uint64, c_uint64, POINTER(Lease))
_proto("kcache_lease_release", c_int, Handle, c_char_p, c_size_t, c_uint64)
_proto("kcache_lease_wait", c_int, Handle, c_char_p, c_size_t, c_uint64)
_proto("kcache_delete", c_int, Handle, c_char_p, c_size_t)
# Mapped caches (libkcache 1.11).
_proto("kcache_mapped", c_int, Handle)
# Versions, counters and TTLs (libkcache 1.10).
_proto("kcache_gets", c_ssize_t, Handle, c_char_p, c_size_t, c_void_p,
       c_size_t, POINTER(c_uint64))
_proto("kcache_cas", c_int, Handle, c_char_p, c_size_t, c_char_p, c_size_t,
       c_uint64, c_uint64)
_proto("kcache_incr", c_int, Handle, c_char_p, c_size_t, c_int64, c_int64,
       c_uint64, POINTER(c_int64))
_proto("kcache_decr", c_int, Handle, c_char_p, c_size_t, c_int64, c_int64,
       c_uint64, POINTER(c_int64))
_proto("kcache_touch", c_int, Handle, c_char_p, c_size_t, c_uint64)
_proto("kcache_getex", c_ssize_t, Handle, c_char_p, c_size_t, c_void_p,
       c_size_t, c_uint64)
_proto("kcache_ttl", c_int, Handle, c_char_p, c_size_t, POINTER(c_uint64))
_proto("kcache_getdel", c_ssize_t, Handle, c_char_p, c_size_t, c_void_p,
       c_size_t)
_proto("kcache_delete_prefix", c_int, Handle, c_char_p, c_size_t)
_proto("kcache_clear", c_int, Handle)
_proto("kcache_get_metrics", c_int, Handle, POINTER(Metrics))
_proto("kcache_reset_metrics", c_int, Handle)
_proto("kcache_health_check", c_int, Handle, POINTER(Health))
_proto("kcache_health_status_name", c_char_p, c_int)
_proto("kcache_get_info", c_int, Handle, POINTER(Info))
_proto("kcache_cleanup_expired", c_int, Handle)
_proto("kcache_set_many", c_ssize_t, Handle, POINTER(Item), c_size_t,
       c_uint64)
_proto("kcache_get_many", c_ssize_t, Handle, POINTER(Item), c_size_t)
_proto("kcache_batch_begin", c_int, Handle, POINTER(Batch))
_proto("kcache_batch_set", c_int, Batch, c_char_p, c_size_t, c_char_p,
       c_size_t, c_uint64)
_proto("kcache_batch_delete", c_int, Batch, c_char_p, c_size_t)
_proto("kcache_batch_count", c_int, Batch)
_proto("kcache_batch_commit", c_int, Batch)
_proto("kcache_batch_result", c_int, Batch, c_uint, POINTER(c_size_t))
_proto("kcache_batch_abort", None, Batch)
_proto("kcache_batch_free", None, Batch)
_proto("kcache_memo_opts", c_ssize_t, Handle, c_char_p, c_size_t, COMPUTE_FN,
       c_void_p, c_void_p, c_size_t, POINTER(MemoOpts))
_proto("kcache_memo_info", c_int, Handle, POINTER(MemoInfo))
_proto("kcache_memo_clear", c_int, Handle)
# kcache_serialize() hands back a malloc()ed string: keep the raw pointer
# (c_void_p, not c_char_p, which would copy it and lose the address) and
# give it back to the C library's free().
_proto("kcache_serialize", c_int, Handle, POINTER(c_void_p), POINTER(c_size_t))
_proto("kcache_deserialize_ex", c_int, Handle, c_char_p, c_size_t, c_uint,
       POINTER(JsonError))
_proto("kcache_add_hook", c_int, Handle, POINTER(HookOps), c_void_p)
_proto("kcache_remove_hook", c_int, Handle, POINTER(HookOps), c_void_p)
_proto("kcache_events_fd", c_int, Handle)
_proto("kcache_events_dispatch", c_int, Handle)
_proto("kcache_event_format", c_int, POINTER(Event), c_char_p, c_size_t)
_proto("kcache_strerror", c_char_p, c_int)
_proto("kcache_name", c_char_p, Handle)

libc = ctypes.CDLL(None)
libc.free.restype = None
libc.free.argtypes = [c_void_p]


# Errors ------------------------------------------------------------------

class KCacheError(OSError):
    """An error reported by libkcache or the kernel.

    ``errno`` is the positive errno value, ``strerror`` libkcache's
    description of it (kcache_strerror()). The subclasses below are raised
    for the codes that have a meaning of their own; every other code is a
    plain KCacheError.
    """


class CacheNotFoundError(KCacheError, FileNotFoundError):
    """ENOENT where a cache was expected: it does not exist (attaching
    with ``create=False``, destroying)."""


class CacheExistsError(KCacheError, FileExistsError):
    """EEXIST: ``exclusive=True`` and the cache exists already."""


class CacheDestroyedError(KCacheError):
    """EIDRM: the cache was destroyed while this object was attached."""


class ModuleNotLoadedError(KCacheError):
    """ENODEV: /dev/lrucache is missing, the lrucache module is not
    loaded."""


class CachePermissionError(KCacheError, PermissionError):
    """EACCES or EPERM: the cache's mode does not let this user do it."""


class EntryTooLargeError(KCacheError, ValueError):
    """E2BIG: a key or value longer than the module allows, or an entry
    larger than the cache's byte limit."""


class CacheFullError(KCacheError):
    """ENOSPC (the memory limit of all caches together is reached) or
    EDQUOT (the user's quota of caches or bytes is reached)."""


class DumpFormatError(KCacheError, ValueError):
    """deserialize(): the document is not a dump this library can restore
    (EBADMSG, EPROTONOSUPPORT). ``line``, ``column`` and ``position`` say
    where, when the problem is in the JSON syntax (-1/-1/0 otherwise)."""

    line = -1
    column = -1
    position = 0


class NotACounterError(KCacheError, ValueError):
    """EINVAL from incr()/decr(): the key holds a value that is not a
    counter (the decimal ASCII of a signed 64-bit integer); nothing
    changed."""


class CounterOverflowError(KCacheError, OverflowError):
    """EOVERFLOW from incr()/decr(): the result would leave the signed
    64-bit range; the counter keeps its value."""


class BatchError(KCacheError):
    """Some operations of a batch (set_many(), batch_operations()) failed.

    The others ran: batches are not atomic. ``failures`` lists
    ``(key, exception)`` pairs, in the order the operations were queued;
    ``errno`` and ``strerror`` are those of the first failure.
    """

    def __init__(self, failures):
        first = failures[0][1]
        super().__init__(first.errno, "%d operation(s) of the batch failed, "
                         "first %r: %s" % (len(failures), failures[0][0],
                                           first.strerror))
        self.failures = failures


_BY_ERRNO = {
    _errno.EIDRM: CacheDestroyedError,
    _errno.ENODEV: ModuleNotLoadedError,
    _errno.EACCES: CachePermissionError,
    _errno.EPERM: CachePermissionError,
    _errno.E2BIG: EntryTooLargeError,
    _errno.ENOSPC: CacheFullError,
    _errno.EDQUOT: CacheFullError,
    _errno.EBADMSG: DumpFormatError,
    _errno.EPROTONOSUPPORT: DumpFormatError,
}


def strerror(err):
    """kcache_strerror() of a negative or positive errno, as a str."""
    text = lib.kcache_strerror(-abs(err))
    return text.decode("utf-8", "replace") if text else os.strerror(abs(err))


def error(err, cls=None):
    """The exception for libkcache's return value ``err`` (a -errno)."""
    code = abs(err)
    if cls is None:
        cls = _BY_ERRNO.get(code, KCacheError)
    return cls(code, strerror(code))


def check(ret, cls=None):
    """Return ``ret`` if it is not negative, else raise its exception."""
    if ret < 0:
        raise error(ret, cls)
    return ret
