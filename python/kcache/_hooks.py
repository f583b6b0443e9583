# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Event hooks: CacheHook, LoggingHook, CacheEvent, and their C side.

The kernel reports each cache's events on a generic netlink socket;
libkcache subscribes a handle to them (kcache_add_hook()) and calls the
hooks' callbacks from kcache_events_dispatch(), in the thread that calls
it. Here each Python hook becomes one struct kcache_hook_ops whose
callbacks turn the C event into a CacheEvent and call the hook's methods.
"""

import ctypes
import logging

from . import _native as n
from ._codec import decode_key

_METHODS = tuple("on_" + name for name in n.EVENT_NAMES)


class CacheEvent:
    """One event of a cache, as a hook receives it.

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

    def __repr__(self):
        return "<CacheEvent %s>" % self.text


class CacheHook:
    """Base class of the hooks of LRUCache.add_hook().

    Override the methods of the events wanted; the hook subscribes to
    exactly those (the kernel sends nothing else), unless
    subscribed_events() says otherwise. Each event method receives the
    event's key (decoded, or None for a key longer than 64 bytes) and the
    CacheEvent. Hooks are called by LRUCache.dispatch_events() or by the
    thread of LRUCache.start_event_thread(), never behind the program's
    back.
    """

    def on_hit(self, key, event):
        """A lookup found the key."""

    def on_miss(self, key, event):
        """A lookup did not find the key (absent or expired)."""

    def on_set(self, key, event):
        """The key was stored (inserted or replaced)."""

    def on_delete(self, key, event):
        """The key was deleted."""

    def on_evict(self, key, event):
        """The entry was evicted for the cache's entry or byte limit."""

    def on_expire(self, key, event):
        """The entry expired and was freed."""

    def on_reclaim(self, key, event):
        """The kernel freed the entry under memory pressure."""

    def on_lost(self, count):
        """``count`` events were lost (the hook read too slowly); called
        before the event that revealed the gap."""

    def subscribed_events(self):
        """The event types this hook wants: by default those whose
        on_<type>() method the hook's class overrides."""
        cls = type(self)
        return frozenset(name for name, meth in zip(n.EVENT_NAMES, _METHODS)
                         if getattr(cls, meth) is not getattr(CacheHook, meth))


class LoggingHook(CacheHook):
    """A hook that logs events with the logging module.

    Each event is logged at ``log_level`` as the line kcachectl watch
    prints (e.g. "sessions evict key=\\"user:123\\" key_len=8 value_len=15
    age_s=42 seq=7"); lost events at WARNING. ``events`` limits it to some
    event types (default: all seven).
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

    def _log(self, key, event):
        self.logger.log(self.log_level, "%s", event.text)

    on_hit = on_miss = on_set = on_delete = _log
    on_evict = on_expire = on_reclaim = _log

    def on_lost(self, count):
        self.logger.warning("lrucache: %d event(s) lost", count)


class NativeHook:
    """The C side of one Python hook: its struct kcache_hook_ops and the
    ctypes callbacks it points to, which must live as long as libkcache
    may call them (until kcache_remove_hook() or kcache_close())."""

    def __init__(self, hook, report):
        wanted = hook.subscribed_events()
        unknown = frozenset(wanted) - frozenset(n.EVENT_NAMES)
        if unknown:
            raise ValueError("kcache: unknown event types %s"
                             % sorted(unknown))
        if not wanted:
            raise ValueError("kcache: the hook overrides no on_<event>() "
                             "method: it would receive nothing")
        self.hook = hook
        self.ops = n.HookOps()
        self._refs = []
        for name, meth in zip(n.EVENT_NAMES, _METHODS):
            if name in wanted:
                fn = n.EVENT_FN(self._event_cb(getattr(hook, meth), report))
                setattr(self.ops, meth, fn)
                self._refs.append(fn)
        if type(hook).on_lost is not CacheHook.on_lost:
            fn = n.LOST_FN(self._lost_cb(hook.on_lost, report))
            self.ops.on_lost = fn
            self._refs.append(fn)

    @staticmethod
    def _event_cb(method, report):
        def cb(evp, _arg):
            # An exception must not cross into C (ctypes would print and
            # drop it): the dispatcher re-raises it after the C call.
            try:
                event = CacheEvent(evp.contents)
                method(event.key, event)
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
