# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Event hooks: CacheHook, LoggingHook, CacheEntry, CacheEvent.

A hook has the original library's methods, delivered two ways (see "Hooks"
in python/README.md):

  - what the LRUCache object itself does (on_hit, on_miss, on_set,
    on_delete) is reported synchronously, in the thread that called get(),
    set(), delete(), ..., right after the kernel answered: the value and
    what is known of the entry are at hand then;
  - what the kernel does to the entries on its own (on_evict, on_expire,
    on_reclaim), and every event of every process (on_event, the addition),
    come through the kernel's event stream: libkcache subscribes the handle
    (kcache_add_hook()) and calls the C callbacks from
    kcache_events_dispatch(), in the thread that dispatches. Here each
    Python hook becomes one struct kcache_hook_ops whose callbacks turn the
    C event into a CacheEvent (and a CacheEntry) and call the methods.
"""

import ctypes
import inspect
import logging
import time

from . import _native as n
from ._codec import decode_key

_log = logging.getLogger("kcache")

# Methods called by the LRUCache object's own operations, and the
# arguments each takes in full (a method may take fewer: the README's
# on_set(self, key, value) takes two).
SYNC_ARGS = {"hit": ("key", "value", "entry"), "miss": ("key",),
             "set": ("key", "value", "entry"), "delete": ("key", "entry")}
# Methods called from the kernel's event stream, with (key, entry).
STREAM_TYPES = ("evict", "expire", "reclaim")


class CacheEntry:
    """What a hook is told about an entry (the original's CacheEntry).

    Attributes (None where the kernel does not say: see python/README.md,
    "Hooks", for which are known in which method):
      key         the key.
      value       the value (on_hit and on_set), else None.
      size        bytes of the value as the kernel holds it (the codec's
                  output).
      age         seconds since the entry was set: 0.0 in on_set; the
                  kernel's whole seconds for stream events.
      ttl         seconds the entry was given to live (on_set), None if it
                  never expires or is not known.
      expires_at  Unix time at which it expires, None likewise.
      is_expired  whether it has expired: True in on_expire, else
                  computed from expires_at (False if that is not known).
      event       the CacheEvent for stream events, else None.
    """

    __slots__ = ("key", "value", "size", "age", "ttl", "expires_at",
                 "event", "_expired")

    def __init__(self, key, value=None, size=None, age=None, ttl=None,
                 expires_at=None, event=None, expired=None):
        self.key = key
        self.value = value
        self.size = size
        self.age = age
        self.ttl = ttl
        self.expires_at = expires_at
        self.event = event
        self._expired = expired

    @property
    def is_expired(self):
        if self._expired is not None:
            return self._expired
        return self.expires_at is not None and time.time() >= self.expires_at

    def __repr__(self):
        return ("<CacheEntry key=%r size=%r age=%r ttl=%r expires_at=%r>"
                % (self.key, self.size, self.age, self.ttl, self.expires_at))


class CacheEvent:
    """One event of a cache, as the kernel reports it (on_event, and
    CacheEntry.event of stream methods).

    Attributes:
      cache      the cache's name.
      type       "hit", "miss", "set", "delete", "evict", "expire" or
                 "reclaim".
      key        the key, decoded as kcache's keys are (see kcache._codec),
                 or None when the key is longer than 64 bytes: the kernel
                 then sends only its length and hash.
      raw_key    the key's bytes, or None (as for key).
      key_len    the key's length in bytes.
      key_hash   the kernel's jhash of the key (seed 0): the same for
                 every event of one key.
      value_len  the value's length in bytes (0 for a miss). The value
                 itself is not part of an event.
      age        seconds since the entry was set (whole seconds), None for
                 a miss.
      seq        the kernel's number of the event for this subscription.
      lost       events this subscription had lost when it was queued.
      text       the event on one line, as kcachectl watch writes it
                 (kcache_event_format()).
    """

    __slots__ = ("cache", "type", "key", "raw_key", "key_len", "key_hash",
                 "value_len", "age", "seq", "lost", "text")

    def __init__(self, ev):
        self.cache = ev.cache.decode("utf-8", "replace")
        self.type = (n.EVENT_NAMES[ev.type - 1]
                     if 1 <= ev.type <= len(n.EVENT_NAMES) else "unknown")
        if ev.key:
            self.raw_key = ctypes.string_at(ev.key, ev.key_len)
            self.key = decode_key(self.raw_key)
        else:
            self.raw_key = None
            self.key = None
        self.key_len = ev.key_len
        self.key_hash = ev.key_hash
        self.value_len = ev.value_len
        self.age = None if ev.age_s < 0 else ev.age_s
        self.seq = ev.seq
        self.lost = ev.lost
        buf = ctypes.create_string_buffer(256)
        size = n.lib.kcache_event_format(ctypes.byref(ev), buf, len(buf))
        if size >= len(buf):
            buf = ctypes.create_string_buffer(size + 1)
            n.lib.kcache_event_format(ctypes.byref(ev), buf, len(buf))
        self.text = buf.value.decode("utf-8", "replace")

    def entry(self):
        """The CacheEntry a stream method receives for this event."""
        return CacheEntry(self.key, size=self.value_len, age=self.age,
                          event=self,
                          expired=True if self.type == "expire" else None)

    def __repr__(self):
        return "<CacheEvent %s>" % self.text


class CacheHook:
    """Base class of the hooks of LRUCache.add_hook(), with the original
    library's methods; override those wanted.

    Called synchronously, in the thread of the operation, for what this
    LRUCache object does:
      on_hit(key, value, entry)   get(), [], get_many() found the key
      on_miss(key)                they did not
      on_set(key, value, entry)   set(), []=, set_many(), a batch stored it
                                  (a method may take only (key, value))
      on_delete(key, entry)       delete(), del removed it
    Called from the kernel's event stream, when the program dispatches
    (dispatch_events(), events_fd(), start_event_thread()), for the
    cache's entries whichever process caused it:
      on_evict(key, entry)        evicted for the entry or byte limit
      on_expire(key, entry)       expired and freed
      on_reclaim(key, entry)      freed under memory pressure
      on_event(event)             every event (a CacheEvent) of the types
                                  subscribed_events() names, of every
                                  process: the kernel's own view
      on_lost(count)              events lost because the program read too
                                  slowly
    A method may take fewer trailing arguments than listed.
    """

    def on_hit(self, key, value, entry):
        """This object's lookup found the key."""

    def on_miss(self, key):
        """This object's lookup did not find the key."""

    def on_set(self, key, value, entry):
        """This object stored the key."""

    def on_delete(self, key, entry):
        """This object deleted the key."""

    def on_evict(self, key, entry):
        """The kernel evicted the entry for the cache's entry or byte
        limit."""

    def on_expire(self, key, entry):
        """The entry expired and the kernel freed it."""

    def on_reclaim(self, key, entry):
        """The kernel freed the entry under memory pressure."""

    def on_event(self, event):
        """Any event of the cache, of any process, as the kernel reports
        it (a CacheEvent)."""

    def on_lost(self, count):
        """``count`` events were lost (the program read too slowly);
        called before the event that revealed the gap."""

    def subscribed_events(self):
        """The event types this hook wants from the kernel's stream: by
        default the types of the stream methods (on_evict, on_expire,
        on_reclaim) its class overrides, and all seven if it overrides
        on_event()."""
        if _overrides(self, "on_event"):
            return frozenset(n.EVENT_NAMES)
        return frozenset(t for t in STREAM_TYPES
                         if _overrides(self, "on_" + t))


def _overrides(hook, method):
    return getattr(type(hook), method, None) is not getattr(CacheHook,
                                                            method)


def _arity(method, full):
    """How many of the ``full`` leading arguments ``method`` takes."""
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return full
    count = 0
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            return full
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return min(count, full)


class LoggingHook(CacheHook):
    """A hook that logs the kernel's events with the logging module.

    Each event, of every process, is logged at ``log_level`` as the line
    kcachectl watch prints (e.g. "sessions evict key=\\"user:123\\"
    key_len=8 value_len=15 age_s=42 seq=7"), when the program dispatches
    events; lost events at WARNING. ``events`` limits it to some event
    types (default: all seven).
    """

    def __init__(self, log_level=logging.INFO, logger=None, events=None):
        self.log_level = log_level
        self.logger = logger or logging.getLogger("kcache")
        names = frozenset(n.EVENT_NAMES if events is None else events)
        unknown = names - frozenset(n.EVENT_NAMES)
        if unknown or not names:
            raise ValueError("kcache: LoggingHook events must be some of %s"
                             % ", ".join(n.EVENT_NAMES))
        self._events = names

    def subscribed_events(self):
        return self._events

    def on_event(self, event):
        self.logger.log(self.log_level, "%s", event.text)

    def on_lost(self, count):
        self.logger.warning("lrucache: %d event(s) lost", count)


class SyncHook:
    """The synchronous side of one hook: its overridden on_hit, on_miss,
    on_set and on_delete, each with the number of arguments it takes."""

    def __init__(self, hook):
        self.hook = hook
        self.calls = {}
        for kind, args in SYNC_ARGS.items():
            name = "on_" + kind
            if _overrides(hook, name):
                method = getattr(hook, name)
                self.calls[kind] = (method, _arity(method, len(args)))


def fire(sync_hooks, kind, *args):
    """Call the ``kind`` method of every synchronous hook; a hook that
    raises is logged (logger "kcache") and does not stop the operation or
    the other hooks, as in the original library."""
    for sync in sync_hooks:
        call = sync.calls.get(kind)
        if call is None:
            continue
        method, nargs = call
        try:
            method(*args[:nargs])
        except Exception:  # noqa: B902 (reported, as the original did)
            _log.exception("kcache: hook %r raised in on_%s", sync.hook,
                           kind)


class NativeHook:
    """The stream side of one Python hook: its struct kcache_hook_ops and
    the ctypes callbacks it points to, which must live as long as
    libkcache may call them (until kcache_remove_hook() or
    kcache_close())."""

    def __init__(self, hook, wanted, report):
        unknown = frozenset(wanted) - frozenset(n.EVENT_NAMES)
        if unknown:
            raise ValueError("kcache: unknown event types %s"
                             % sorted(unknown))
        self.hook = hook
        self.ops = n.HookOps()
        self._refs = []
        on_event = hook.on_event if _overrides(hook, "on_event") else None
        for name in n.EVENT_NAMES:
            if name not in wanted:
                continue
            method = None
            if name in STREAM_TYPES and _overrides(hook, "on_" + name):
                method = getattr(hook, "on_" + name)
                method = (method, _arity(method, 2))
            fn = n.EVENT_FN(self._event_cb(method, on_event, report))
            setattr(self.ops, "on_" + name, fn)
            self._refs.append(fn)
        if _overrides(hook, "on_lost"):
            fn = n.LOST_FN(self._lost_cb(hook.on_lost, report))
            self.ops.on_lost = fn
            self._refs.append(fn)

    @staticmethod
    def _event_cb(method, on_event, report):
        def cb(evp, _arg):
            # An exception must not cross into C (ctypes would print and
            # drop it): the dispatcher re-raises it after the C call.
            try:
                event = CacheEvent(evp.contents)
                if method is not None:
                    call, nargs = method
                    call(*(event.key, event.entry())[:nargs])
                if on_event is not None:
                    on_event(event)
            except BaseException as e:  # noqa: B902 (re-raised later)
                report(e)
        return cb

    @staticmethod
    def _lost_cb(method, report):
        def cb(count, _arg):
            try:
                method(count)
            except BaseException as e:  # noqa: B902
                report(e)
        return cb
