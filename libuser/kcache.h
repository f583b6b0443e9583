/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkcache: a thin C library over the lrucache kernel module.
 *
 * The module keeps named LRU key-value caches in kernel memory and exposes
 * them through the misc device /dev/lrucache. This library opens the device,
 * binds a descriptor to one cache and turns each operation into one ioctl.
 * The kernel is the single source of truth: the library checks only what the
 * kernel cannot see (NULL handles, lengths that do not fit the ABI's 32-bit
 * fields, names longer than the ABI's name field) and passes everything else
 * through, so the error codes below are the kernel's.
 *
 * Conventions
 *  - Every function returning int or ssize_t returns 0 or a non-negative
 *    result on success and a negative errno value on failure. errno is not
 *    part of the interface (the C library may still change it).
 *  - Keys and values are arbitrary bytes (embedded NULs are fine). Keys are
 *    1 to max_key_len bytes, values 0 to max_value_len bytes; both limits are
 *    module parameters (250 bytes and 1 MiB by default, see
 *    /sys/module/lrucache/parameters/).
 *  - TTLs are in milliseconds. An expired entry reads as absent at once.
 *    The kernel frees expired entries when they are accessed, and in the
 *    background: each cache's reaper runs every cleanup_interval_ms (see
 *    struct kcache_options) while the cache holds entries with a TTL;
 *    kcache_cleanup_expired() runs it at once.
 *  - Memory: besides each cache's own limits, the module bounds the bytes
 *    of all caches together (module parameter max_total_bytes). A set that
 *    would cross that limit first evicts the same cache's least recently
 *    used entries, and fails with -ENOSPC if even that cannot make room.
 *    Under memory pressure the kernel may also free least recently used
 *    entries of any cache (kcache_metrics.reclaimed).
 *  - Caches live in the kernel until kcache_destroy(); closing a handle only
 *    drops the handle.
 *
 * Thread safety
 *  - The library has no global state but the table of the optional
 *    libraries' functions (see "Optional libraries" below), which any
 *    thread may fill.
 *  - A struct kcache may be used by several threads at once: every operation
 *    is a single ioctl on the handle's descriptor and the kernel serialises
 *    them per cache. Only kcache_close() must not run concurrently with (or
 *    be followed by) any other use of the same handle.
 *  - Several handles, in one process or in many, may be attached to the same
 *    cache; they all see the same entries.
 *  - A handle's descriptor is opened with O_CLOEXEC. After fork() the child
 *    shares the parent's descriptor and therefore the same binding.
 *  - The event hooks of a handle are the exception: see "Events".
 *
 * Environment
 *  - KCACHE_DEVICE: path of the device to open instead of /dev/lrucache
 *    (ignored in set-user-ID and set-group-ID programs, see secure_getenv(3)).
 *
 * The kernel's values
 *  - This header includes the module's uapi header as <kcache/lrucache.h>
 *    (the same file as the kernel's <linux/lrucache.h>, installed under
 *    the library's own directory). The library's flag and status values
 *    are the uapi's (KCACHE_OPEN_EXCL is LRUCACHE_OPEN_EXCL, ...) and are
 *    passed through: a flag or a reason bit a newer module defines works,
 *    or is reported, without a newer library, and one the module does not
 *    know is refused by the module (-EINVAL), not by the library.
 *
 * Words (Documentation/lrucache/library.rst): what a program passes to
 * create a cache, and the calls that came from the original Python
 * library (the "seed"), keep the seed's words; what the kernel reports
 * keeps the kernel's.
 *
 *  kernel (uapi, sysfs)      libkcache                        seed
 *  max_entries               kcache_options.max_size (in)     max_size
 *                            kcache_metrics/info.max_entries
 *                            kcache_memo_info.maxsize         maxsize
 *  max_bytes                 kcache_options.max_memory_bytes  max_memory_mb
 *                            kcache_metrics/info.max_bytes
 *  STATS, stats              kcache_get_metrics(),            get_metrics()
 *                            kcache_reset_metrics()
 *  LRUCACHE_OPEN_NO_METRICS  KCACHE_OPEN_NO_METRICS           enable_metrics
 *  LRUCACHE_INFO_METRICS     kcache_info.flags, .metrics_enabled
 *  REAP, reap                kcache_cleanup_expired(),        cleanup_expired()
 *                            kcache_reap()
 *  HEALTH, health            kcache_health_check()            health_check()
 *
 * Optional libraries and the only global state
 *  - JSON dump and restore use jansson, and the event hooks libnl-genl-3,
 *    but libkcache is not linked to them: the first call that needs one
 *    loads it (dlopen(3)) and keeps a table of its functions for the life
 *    of the process; that table is the library's only global state. A
 *    program that uses neither runs where they are not installed; without
 *    them, kcache_serialize(), kcache_deserialize*() and kcache_add_hook()
 *    fail with -ELIBACC.
 *
 * ABI: the soname is libkcache.so.1 for good. Every symbol has a version
 * (libkcache.map); a function whose meaning of a value changed keeps its
 * old meaning for the binaries linked before (kcache_open() and
 * kcache_get_info() in 1.9). Structures only grow into their reserved
 * fields, or at their end when they start with their size (sz).
 */
#ifndef KCACHE_H
#define KCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <kcache/lrucache.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KCACHE_API
#define KCACHE_API __attribute__((visibility("default")))
#endif

#define KCACHE_VERSION_MAJOR	1
/*
 * 1: kcache_*_many(), kcache_batch_*()
 * 2: kcache_reset_metrics(), kcache_health_check(), kcache_get_info(),
 *    KCACHE_OPEN_NO_METRICS
 * 3: kcache_memo(), kcache_memo_opts(), kcache_memo_info(),
 *    kcache_memo_clear()
 * 4: kcache_cleanup_expired(), kcache_reap(),
 *    kcache_options.cleanup_interval_ms, kcache_info.cleanup_interval_ms,
 *    the reaper and reclaim counters of struct kcache_metrics,
 *    KCACHE_HEALTH_REAPER_BEHIND
 * 5: kcache_serialize(), kcache_deserialize(), kcache_deserialize_ex(),
 *    KCACHE_RESTORE_REPLACE (JSON dump and restore; libkcache then needs
 *    jansson)
 * 6: kcache_add_hook(), kcache_remove_hook(), kcache_events_fd(),
 *    kcache_events_dispatch(), kcache_watch_all(), kcache_logging_hook,
 *    kcache_event_type_name(), kcache_event_format() (the event stream;
 *    libkcache then needs libnl-3 and libnl-genl-3)
 * 8: kcache_list(), kcache_get_totals() (reading
 *    /sys/kernel/lrucache/ rather than the device)
 * 9: the uapi's values for KCACHE_OPEN_* (passed through, as are the
 *    flags of kcache_reap() and the health status and reasons),
 *    kcache_info.flags and KCACHE_INFO_METRICS, kcache_health.reaper_late_ms;
 *    the uapi header installed as <kcache/lrucache.h>; jansson and libnl
 *    loaded on first use, -ELIBACC without them
 * 10: versions, counters, TTLs and leases: kcache_gets(), kcache_cas(),
 *    kcache_incr(), kcache_decr(), kcache_touch(), kcache_getex(),
 *    kcache_ttl(), kcache_getdel(), kcache_delete_prefix(),
 *    kcache_get_lease(), kcache_set_leased(), kcache_lease_release(),
 *    kcache_lease_wait(); kcache_metrics.data_bytes (the charge as the
 *    kernel counts it) and the lease counters of struct kcache_metrics;
 *    kcache_memo_opts.refresh_ms, and kcache_memo() on leases
 */
#define KCACHE_VERSION_MINOR	10

/* Device opened when KCACHE_DEVICE is not set. */
#define KCACHE_DEVICE_PATH	LRUCACHE_DEVICE_PATH
/* Longest cache name, in bytes, without the terminating NUL. */
#define KCACHE_NAME_MAX		(LRUCACHE_NAME_MAX - 1)

/* Special TTLs for kcache_set(), kcache_add() and kcache_replace(). */
#define KCACHE_TTL_DEFAULT	((uint64_t)LRUCACHE_TTL_DEFAULT) /* cache's default */
#define KCACHE_TTL_NONE		((uint64_t)LRUCACHE_TTL_NONE)	 /* never expires */
/* Largest explicit TTL in milliseconds (about 139 years). */
#define KCACHE_TTL_MAX_MS	((uint64_t)LRUCACHE_TTL_MAX_MS)

/*
 * Interval of a cache's reaper (struct kcache_options.cleanup_interval_ms),
 * in milliseconds: the default (one minute) and the accepted range (10 ms
 * to one day).
 */
#define KCACHE_CLEANUP_INTERVAL_DEFAULT_MS \
	((uint64_t)LRUCACHE_CLEANUP_INTERVAL_DEFAULT_MS)
#define KCACHE_CLEANUP_INTERVAL_MIN_MS \
	((uint64_t)LRUCACHE_CLEANUP_INTERVAL_MIN_MS)
#define KCACHE_CLEANUP_INTERVAL_MAX_MS \
	((uint64_t)LRUCACHE_CLEANUP_INTERVAL_MAX_MS)

/* Opaque handle: one open descriptor bound to one cache. */
struct kcache;

/*
 * struct kcache_options.flags: the kernel's LRUCACHE_OPEN_* (since 1.9; up
 * to 1.8 the library numbered them itself, EXCL 1 and NO_METRICS 2, which
 * programs built then still use). LRUCACHE_OPEN_CREATE is implied by
 * options.
 */
#define KCACHE_OPEN_EXCL	LRUCACHE_OPEN_EXCL	/* -EEXIST if there */
#define KCACHE_OPEN_NO_METRICS	LRUCACHE_OPEN_NO_METRICS /* no counters (1.2) */
#define KCACHE_OPEN_MAPPED	LRUCACHE_OPEN_MAPPED	/* mapped reads (1.11) */

/**
 * struct kcache_options - how to create a cache in kcache_open()
 * @sz: sizeof(struct kcache_options) as the caller was compiled with. Set it
 *	with KCACHE_OPTS(), which also zeroes every field not named.
 * @max_size: most entries; 0 selects the module default
 *	(/sys/module/lrucache/parameters/default_max_entries, 1000 unless
 *	changed). At most 1 << 24.
 * @max_memory_bytes: most bytes charged to the cache (what its entries'
 *	allocations take, see kcache_metrics.bytes); 0 selects the module
 *	default (default_max_bytes, 64 MiB unless changed).
 * @default_ttl_ms: TTL of entries set with KCACHE_TTL_DEFAULT; 0 means such
 *	entries never expire. At most KCACHE_TTL_MAX_MS.
 * @flags: KCACHE_OPEN_*, the kernel's LRUCACHE_OPEN_* values, passed to
 *	the kernel with LRUCACHE_OPEN_CREATE added (any other flag of a
 *	newer module's uapi header can be given too; the module refuses
 *	those it does not know with -EINVAL):
 *	KCACHE_OPEN_EXCL: fail with -EEXIST if the cache exists.
 *	KCACHE_OPEN_NO_METRICS (since 1.2): create the cache with its event
 *	counters (hits, misses, sets, deletes, evictions, expirations) turned
 *	off: they stay 0 whatever happens and the kernel's hot path does no
 *	counting work. entries and bytes stay exact, and the health check
 *	then only has its memory rule to go on. Like the limits, it applies
 *	only when kcache_open() creates the cache: kcache_get_info() tells
 *	whether an existing cache keeps metrics. A kernel module older than
 *	the flag refuses it with -EINVAL.
 *	KCACHE_OPEN_MAPPED (since 1.11): create a mapped cache, whose entries
 *	the kernel also keeps in memory that handles with read permission map
 *	read-only: kcache_get() on them then reads hits without a system call
 *	(see kcache_mapped() and Documentation/lrucache/mapped.rst). Applies
 *	when kcache_open() creates the cache (KCACHE_INFO_MAPPED tells);
 *	every handle opened on a mapped cache maps it, with or without the
 *	flag.
 * @reserved: must be zero (the kernel checks it).
 * @cleanup_interval_ms (since 1.4): how often the kernel's reaper frees
 *	the cache's expired entries, in milliseconds:
 *	KCACHE_CLEANUP_INTERVAL_MIN_MS (10) to KCACHE_CLEANUP_INTERVAL_MAX_MS
 *	(86400000, a day), or 0 for KCACHE_CLEANUP_INTERVAL_DEFAULT_MS
 *	(60000, a minute). When kcache_open() would create the cache, any
 *	other value makes it fail with -EINVAL. The reaper only runs while
 *	the cache holds entries with a TTL. Like the limits, it applies only
 *	when kcache_open() creates the cache (kcache_get_info() reports it;
 *	root can change it later through
 *	/sys/kernel/lrucache/caches/<name>/cleanup_interval_ms). A kernel
 *	module older than the field refuses a nonzero value with -EINVAL.
 * @mode (since 1.7): permissions of a cache kcache_open() creates, like a
 *	file's mode: KCACHE_PERM_READ, KCACHE_PERM_WRITE and KCACHE_PERM_ADMIN
 *	bits for the owner (<< 6), the owner's group (<< 3) and others; the
 *	owner's bits must not all be zero. 0 selects KCACHE_MODE_DEFAULT
 *	(0700, the owner only). The owner is the caller's effective uid and
 *	gid. Every later operation by anyone is checked against it (-EACCES);
 *	CAP_SYS_ADMIN may do everything.
 * @reserved2: must be zero (the kernel checks it).
 *
 * The structure only grows at its end; the library accepts a caller's
 * structure that is smaller (it must still hold @flags) or larger (the bytes
 * the library does not know must be zero), like libbpf's option structures.
 * The limits apply only when kcache_open() creates the cache.
 */
struct kcache_options {
	size_t sz;
	uint64_t max_size;
	uint64_t max_memory_bytes;
	uint64_t default_ttl_ms;
	uint32_t flags;
	uint32_t reserved;
	uint64_t cleanup_interval_ms;
	uint32_t mode;
	uint32_t reserved2;
};

/*
 * Cache permissions (struct kcache_options.mode, struct kcache_info.mode):
 * READ for get, exists, dump, metrics, health, info and events; WRITE for
 * set, delete, clear and cleanup; ADMIN for destroy and resetting metrics.
 */
#define KCACHE_PERM_READ	LRUCACHE_PERM_READ	/* 04 */
#define KCACHE_PERM_WRITE	LRUCACHE_PERM_WRITE	/* 02 */
#define KCACHE_PERM_ADMIN	LRUCACHE_PERM_ADMIN	/* 01 */
#define KCACHE_MODE_DEFAULT	LRUCACHE_MODE_DEFAULT	/* 0700 */

/*
 * KCACHE_OPTS(NAME, ...) - declare a struct kcache_options called NAME with
 * .sz set and the given designated initialisers, every other field zero:
 *
 *	KCACHE_OPTS(opts, .max_size = 10000, .default_ttl_ms = 300000);
 *	err = kcache_open("sessions", &opts, &cache);
 *
 * (C++ callers: value-initialise the structure, "struct kcache_options
 * opts{};", then set opts.sz = sizeof(opts) and the fields they need.)
 */
#define KCACHE_OPTS(NAME, ...)						\
	struct kcache_options NAME = {					\
		.sz = sizeof(struct kcache_options),			\
		__VA_ARGS__						\
	}

/**
 * struct kcache_metrics - counters and limits of a cache
 * @hits: lookups (kcache_get()) that found a live entry.
 * @misses: lookups that found nothing or an expired entry.
 * @hit_rate: hits / (hits + misses), 0.0 before the first lookup.
 * @sets: entries stored (inserted or replaced).
 * @deletes: entries removed by kcache_delete().
 * @evictions: entries removed to respect max_entries or max_bytes.
 * @expirations: expired entries removed, whoever found them (a lookup, a
 *	set, an eviction or the reaper).
 * @entries: entries held now.
 * @bytes: bytes charged now: what the entries' allocations take, header,
 *	key and value of each as the kernel's allocator rounds them up (a
 *	66-byte entry takes 96). Before 1.10 (and its module) the sum of
 *	@data_bytes' formula; see Documentation/lrucache/design.rst.
 * @max_entries: the cache's entry limit.
 * @max_bytes: the cache's byte limit.
 * @default_ttl_ms: the cache's default TTL, 0 for none.
 * @entry_overhead: the size of an entry's header, allocated with its key
 *	and value.
 * @reaped: (since 1.4) of @expirations, the entries the kernel's reaper
 *	freed (its timer, kcache_cleanup_expired() or kcache_reap()) rather
 *	than a lookup or a set.
 * @reclaimed: (since 1.4) entries the kernel freed because it ran short of
 *	memory (its shrinker); not counted in @evictions.
 * @reaper_runs: (since 1.4) times the reaper ran.
 * @reaper_ns: (since 1.4) time the reaper spent, in nanoseconds.
 * @expiring: (since 1.4) entries held now that have an expiry time (set
 *	with a TTL, or with KCACHE_TTL_DEFAULT in a cache with a default
 *	TTL), expired ones not yet freed included.
 * @data_bytes: (since 1.10) sum of @entry_overhead + key length + value
 *	length over the entries: @bytes without the allocator's rounding. A
 *	module older than 1.10 reports 0.
 * @leases: (since 1.10) leases held now (see "Leases").
 * @lease_grants: (since 1.10) leases granted.
 * @stale_fills: (since 1.10) kcache_set_leased() calls refused with
 *	-ESTALE: the key was written since the lease was granted, or the
 *	lease had ended.
 * @reserved: set to zero; later versions of the library may fill it in.
 *
 * The counters are the kernel's; they cover every user of the cache since
 * it was created. A cache created with KCACHE_OPEN_NO_METRICS keeps every
 * event counter (@hits to @expirations, @reaped to @reaper_ns,
 * @lease_grants, @stale_fills) at 0; @entries, @bytes, @expiring,
 * @data_bytes and @leases stay exact. A kernel module older than
 * the 1.4 fields reports them as 0. The structure has a fixed size; new
 * fields take the place of @reserved.
 */
struct kcache_metrics {
	uint64_t hits;
	uint64_t misses;
	double hit_rate;
	uint64_t sets;
	uint64_t deletes;
	uint64_t evictions;
	uint64_t expirations;
	uint64_t entries;
	uint64_t bytes;
	uint64_t max_entries;
	uint64_t max_bytes;
	uint64_t default_ttl_ms;
	uint64_t entry_overhead;
	uint64_t reaped;
	uint64_t reclaimed;
	uint64_t reaper_runs;
	uint64_t reaper_ns;
	uint64_t expiring;
	uint64_t data_bytes;
	uint64_t leases;
	uint64_t lease_grants;
	uint64_t stale_fills;
	uint64_t reserved[10];
};

/**
 * kcache_open() - attach to a cache, creating it if asked
 * @name: cache name, 1 to KCACHE_NAME_MAX bytes of [A-Za-z0-9_.-], not
 *	starting with '.'.
 * @opts: NULL to attach to an existing cache only. Otherwise the cache is
 *	created with these limits if it does not exist; if it exists, the
 *	handle attaches to it (its limits are left alone) unless @opts->flags
 *	has KCACHE_OPEN_EXCL.
 * @out: on success, the new handle; untouched on failure.
 *
 * Return: 0 on success, or
 *  -EINVAL  NULL @name or @out, @name longer than KCACHE_NAME_MAX or not a
 *           valid name, bad @opts (sz too small, or nonzero bytes beyond
 *           the structure this library knows), or options the module
 *           refuses (flags it does not know, nonzero reserved fields,
 *           limits or a cleanup interval out of range);
 *  -ENOENT  @opts is NULL and the cache does not exist;
 *  -EEXIST  KCACHE_OPEN_EXCL and the cache exists;
 *  -ENODEV  the device is missing: the lrucache module is not loaded;
 *  -ENOMEM  out of memory (library or kernel);
 *  -EACCES  no permission to open the device;
 *  other negative errnos from open(2) or the kernel.
 *
 * Symbol versions: kcache_open@KCACHE_1.9 takes the uapi's flag values;
 * programs linked against 1.8 or older call kcache_open@KCACHE_1.0, which
 * takes the old values (EXCL 1, NO_METRICS 2) and refuses any other bit
 * and nonzero reserved fields itself, as those versions did.
 */
KCACHE_API int kcache_open(const char *name, const struct kcache_options *opts,
			   struct kcache **out);

/**
 * kcache_close() - release a handle
 * @c: handle from kcache_open(), or NULL (nothing happens).
 *
 * The cache and its entries stay in the kernel. No other thread may use @c
 * during or after this call.
 */
KCACHE_API void kcache_close(struct kcache *c);

/**
 * kcache_destroy() - remove a cache and all its entries
 * @name: cache name.
 *
 * Handles still attached to the cache stay valid as objects (close them),
 * but every operation on them fails with -EIDRM from then on. A new cache
 * with the same name can be created at once.
 *
 * Return: 0, or -EINVAL (NULL, too long or invalid @name), -ENOENT (no such
 * cache), -ENODEV (module not loaded), or another negative errno.
 */
KCACHE_API int kcache_destroy(const char *name);

/**
 * kcache_set() - store a value, inserting or replacing
 * @c: handle.
 * @key: key bytes.
 * @klen: key length, 1 to max_key_len.
 * @val: value bytes (may be NULL when @vlen is 0).
 * @vlen: value length, 0 to max_value_len.
 * @ttl_ms: time to live in milliseconds (1 to KCACHE_TTL_MAX_MS),
 *	KCACHE_TTL_DEFAULT (the cache's default TTL) or KCACHE_TTL_NONE. 0 is
 *	not a valid TTL.
 *
 * The entry becomes the most recently used. If the cache then exceeds its
 * entry or byte limit, least recently used entries are evicted. If the
 * bytes of all caches together would cross the module's global limit
 * (max_total_bytes), least recently used entries of this same cache are
 * evicted first to make room.
 *
 * Every failure leaves the cache as it was: in particular a key that was
 * present keeps its old value (and TTL).
 *
 * Return: 0, or
 *  -EINVAL  NULL @c, @klen 0, or a bad @ttl_ms;
 *  -E2BIG   key or value longer than the module allows (@klen or @vlen
 *           beyond 4 GiB included), or an entry larger than the cache's
 *           max_bytes (the entry's charge, see kcache_metrics.bytes);
 *           the old value, if any, stays;
 *  -ENOSPC  the global memory limit of all caches (max_total_bytes) is
 *           reached and this cache cannot make room: even evicting all
 *           its other entries would not bring the total under the limit
 *           (nothing is evicted and the old value, if any, stays);
 *  -EFAULT  @key or @val is not readable (nothing changes);
 *  -EIDRM   the cache was destroyed;
 *  -ENOMEM  the kernel is out of memory (the old value, if any, stays).
 */
KCACHE_API int kcache_set(struct kcache *c, const void *key, size_t klen,
			  const void *val, size_t vlen, uint64_t ttl_ms);

/**
 * kcache_add() - store a value only if the key is absent
 *
 * As kcache_set(), but fails with -EEXIST, changing nothing, if the key is
 * present (an expired entry counts as absent).
 */
KCACHE_API int kcache_add(struct kcache *c, const void *key, size_t klen,
			  const void *val, size_t vlen, uint64_t ttl_ms);

/**
 * kcache_replace() - store a value only if the key is present
 *
 * As kcache_set(), but fails with -ENOENT, changing nothing, if the key is
 * absent (or expired).
 */
KCACHE_API int kcache_replace(struct kcache *c, const void *key, size_t klen,
			      const void *val, size_t vlen, uint64_t ttl_ms);

/**
 * kcache_get() - look a key up and copy its value
 * @c: handle.
 * @key: key bytes.
 * @klen: key length.
 * @buf: buffer for the value (may be NULL when @buflen is 0).
 * @buflen: size of @buf.
 *
 * A hit makes the entry the most recently used and counts as a hit; a miss,
 * or an expired entry (which is then removed, counted in expirations),
 * counts as a miss.
 *
 * *** The value is copied only if it fits. *** If the value is longer than
 * @buflen, NOTHING is written to @buf and the return value is the full
 * length, which is then greater than @buflen: always compare the result with
 * @buflen before using @buf. kcache_get(c, key, klen, NULL, 0) is therefore
 * a size probe (it still counts as a hit and refreshes the entry).
 *
 * On a handle that reads through a mapping (kcache_mapped()), a hit found
 * there is copied without a system call; the kernel counts it as a hit,
 * and ages the entry by it, the next time it reports counters or evicts
 * (mapped.rst, "Recency"). Misses, and any lookup the mapping cannot
 * answer safely, go to the kernel as on other handles, so the result is
 * the same. Two differences: @key and @buf are read and written as by
 * memcpy() (an inaccessible one faults instead of failing with -EFAULT),
 * and @buf may have been written to when the call fails.
 *
 * Return: the full length of the value (0 for an empty value), or
 *  -ENOENT  the key is absent or expired;
 *  -EINVAL  NULL @c or @klen 0;
 *  -E2BIG   @klen too long;
 *  -EFAULT  @key or @buf is not accessible;
 *  -EIDRM   the cache was destroyed.
 */
KCACHE_API ssize_t kcache_get(struct kcache *c, const void *key, size_t klen,
			      void *buf, size_t buflen);

/**
 * kcache_mapped() - tell whether a handle reads through a mapping
 * @c: handle.
 *
 * kcache_open() maps a cache created with KCACHE_OPEN_MAPPED if the caller
 * has read permission on it; kcache_get() (and what is built on it) then
 * reads hits without a system call. The mapping stays with the handle
 * until kcache_close(), which must not run while another thread reads
 * through the handle (as for every other call).
 *
 * Return: 1 if @c reads through a mapping, 0 if not (or @c is NULL).
 *
 * Since 1.11.
 */
KCACHE_API int kcache_mapped(const struct kcache *c);

/**
 * kcache_exists() - tell whether a key is present
 *
 * Neither the LRU order nor the hit and miss counters change, and an
 * expired entry is reported absent but not removed (the reaper, a lookup
 * or a set frees it).
 *
 * Return: 1 if present, 0 if absent or expired, or a negative errno as for
 * kcache_get().
 */
KCACHE_API int kcache_exists(struct kcache *c, const void *key, size_t klen);

/**
 * kcache_delete() - remove a key
 *
 * Return: 0 if the key was removed, -ENOENT if it was absent, or a negative
 * errno as for kcache_get().
 */
KCACHE_API int kcache_delete(struct kcache *c, const void *key, size_t klen);

/*
 * Versions, counters and TTLs (since 1.10)
 *
 * Each of these is one atomic operation of the kernel, one ioctl, and
 * linearizable with every other operation on the same key, whoever makes
 * it (other processes, batches, kernel modules).
 *
 * Versions. Every write of an entry (kcache_set(), kcache_add(),
 * kcache_replace(), kcache_cas(), kcache_incr(), ...) gives it a new
 * version: a 64-bit number, never 0, that the cache never gives twice in
 * its life and that grows with every write (a later write of any key has
 * a larger version). kcache_touch() and kcache_getex() change an entry's
 * TTL, not its version. kcache_gets() reads the version with the value,
 * and kcache_cas() stores only if the entry still has it: the optimistic
 * update (read, compute, store if nobody wrote meanwhile, else read
 * again).
 */

/**
 * kcache_gets() - kcache_get() that also returns the entry's version
 * @version: if not NULL, set to the version of the entry read, or to 0 on
 *	a miss or an error (and with a kernel module that predates versions).
 *
 * Return: as kcache_get().
 */
KCACHE_API ssize_t kcache_gets(struct kcache *c, const void *key, size_t klen,
			       void *buf, size_t buflen, uint64_t *version);

/**
 * kcache_cas() - store a value only if the entry still has a version
 * @version: the version the entry must have (from kcache_gets()).
 *
 * As kcache_set() (@ttl_ms included: the entry gets the new TTL), but
 * changes nothing unless the key's live entry has exactly @version.
 *
 * Return: 0, or as kcache_set(), or
 *  -ESTALE  the entry was written since (it has another version);
 *  -ENOENT  the key is absent or expired;
 *  -EINVAL  with a kernel module that predates versions.
 */
KCACHE_API int kcache_cas(struct kcache *c, const void *key, size_t klen,
			  const void *val, size_t vlen, uint64_t ttl_ms,
			  uint64_t version);

/**
 * kcache_incr() - add to a counter, creating it if absent
 * @c: handle.
 * @key: key bytes.
 * @klen: key length.
 * @delta: what is added; negative to subtract.
 * @initial: the value an absent (or expired) counter starts from, before
 *	@delta is added.
 * @ttl_ms: the TTL of a counter this call creates, as for kcache_set();
 *	an existing counter keeps its expiry time (the fixed window of a
 *	rate limiter: the first kcache_incr() of a window sets its length).
 * @value: if not NULL, set to the counter's new value on success.
 *
 * A counter is a value holding the decimal ASCII of a signed 64-bit
 * integer, exactly as printf("%" PRId64) writes it (an optional '-', no
 * '+', no leading zeros, no spaces), so kcache_get() and kcachectl get
 * show it as text, and kcache_set() of such text makes a counter. The new
 * value replaces the entry: a new version, the most recently used entry,
 * counted as a set. The whole read-add-store is atomic: concurrent
 * kcache_incr() calls never lose an increment.
 *
 * Return: 0, or
 *  -EINVAL     the value present is not a counter (nothing changes), a
 *              bad @ttl_ms, @klen 0 or NULL @c;
 *  -EOVERFLOW  the result would leave [INT64_MIN, INT64_MAX]: the
 *              counter keeps its value;
 *  -E2BIG, -ENOSPC, -EDQUOT, -ENOMEM, -EIDRM, -EFAULT: as kcache_set();
 *  -ENOTTY     a kernel module that predates counters.
 */
KCACHE_API int kcache_incr(struct kcache *c, const void *key, size_t klen,
			   int64_t delta, int64_t initial, uint64_t ttl_ms,
			   int64_t *value);

/**
 * kcache_decr() - subtract from a counter: kcache_incr() with -@delta
 *
 * Return: as kcache_incr(); -EOVERFLOW also for @delta INT64_MIN, whose
 * negation no int64_t holds.
 */
KCACHE_API int kcache_decr(struct kcache *c, const void *key, size_t klen,
			   int64_t delta, int64_t initial, uint64_t ttl_ms,
			   int64_t *value);

/**
 * kcache_touch() - give an entry a new TTL without rewriting it
 * @ttl_ms: the new TTL, counted from now: 1 to KCACHE_TTL_MAX_MS,
 *	KCACHE_TTL_DEFAULT (the cache's default) or KCACHE_TTL_NONE (the
 *	entry never expires any more).
 *
 * The entry keeps its value and version and becomes the most recently
 * used; no hit, miss or set is counted.
 *
 * Return: 0; -ENOENT if the key is absent or expired; -EINVAL (a bad
 * @ttl_ms, @klen 0 or NULL @c); -E2BIG, -EFAULT, -EIDRM as kcache_get();
 * -ENOTTY with a kernel module that predates it.
 */
KCACHE_API int kcache_touch(struct kcache *c, const void *key, size_t klen,
			    uint64_t ttl_ms);

/**
 * kcache_getex() - kcache_get() and kcache_touch() in one atomic call
 * @ttl_ms: the entry's new TTL, as for kcache_touch().
 *
 * The sliding session: every read extends the entry's life. On a hit the
 * value is copied (only if it fits, as with kcache_get()), the entry gets
 * the new TTL and becomes the most recently used, and a hit is counted.
 * If the copy faults nothing changes.
 *
 * Return: as kcache_get(); -EINVAL also for a bad @ttl_ms.
 */
KCACHE_API ssize_t kcache_getex(struct kcache *c, const void *key, size_t klen,
				void *buf, size_t buflen, uint64_t ttl_ms);

/**
 * kcache_ttl() - how long a key has left to live
 * @ttl_ms: set to the remaining time in milliseconds, rounded up (so at
 *	least 1), or KCACHE_TTL_NONE if the entry never expires; 0 on error.
 *
 * Changes nothing: neither the LRU order nor a counter.
 *
 * Return: 0; -ENOENT if the key is absent or expired; -EINVAL (NULL @c or
 * @ttl_ms, @klen 0); -E2BIG, -EFAULT, -EIDRM as kcache_get(); -ENOTTY with
 * a kernel module that predates it.
 */
KCACHE_API int kcache_ttl(struct kcache *c, const void *key, size_t klen,
			  uint64_t *ttl_ms);

/**
 * kcache_getdel() - kcache_get() and kcache_delete() in one atomic call
 *
 * On a hit whose value fits in @buflen, the value is copied and the entry
 * deleted (a hit and a delete are counted): exactly one of several
 * concurrent callers gets it. A value longer than @buflen is neither
 * copied nor deleted: the call returns its length (greater than @buflen),
 * as kcache_get() does; call again with a buffer that large. If the copy
 * faults nothing is deleted.
 *
 * Return: as kcache_get().
 */
KCACHE_API ssize_t kcache_getdel(struct kcache *c, const void *key,
				 size_t klen, void *buf, size_t buflen);

/**
 * kcache_delete_prefix() - delete every entry whose key starts with a prefix
 * @prefix: the prefix, 1 to max_key_len bytes.
 * @plen: its length.
 *
 * The namespace flush ("user:42:" drops every entry of user 42). When it
 * returns, no entry with the prefix that was stored before the call began
 * is left; an entry stored (set, replaced, incremented) while it runs is
 * left in place, whether its key existed before or not. The kernel walks
 * the whole cache, holding the cache's lock for at most 32 removals at a
 * time, so other operations go on meanwhile; its cost grows with the size
 * of the cache, not with the number of matches. The entries removed count
 * as deletes (kcache_metrics.deletes) and are reported as delete events.
 * Leases on keys with the prefix are invalidated (see "Leases").
 *
 * Return: the number of entries deleted (0 or more), or -EINVAL (NULL @c,
 * @plen 0), -E2BIG (@plen over max_key_len), -EFAULT, -EIDRM, -EACCES, or
 * -ENOTTY with a kernel module that predates it.
 */
KCACHE_API int kcache_delete_prefix(struct kcache *c, const void *prefix,
				    size_t plen);

/*
 * Leases (since 1.10)
 *
 * A lease settles who fills a missing (or stale) key, as memcached's
 * leases do. kcache_get_lease() is a kcache_get() that, on a miss, also
 * tells the caller at the same instant whether to fill the key:
 *  - KCACHE_LEASE_GRANTED: nobody was filling it; the caller holds the
 *    lease (struct kcache_lease.token), computes or fetches the value and
 *    stores it with kcache_set_leased(), or gives up with
 *    kcache_lease_release();
 *  - KCACHE_LEASE_HELD: another caller holds it: wait for its value with
 *    kcache_lease_wait(), then look again;
 *  - KCACHE_LEASE_OWN: this thread of this handle holds it already (a
 *    nested call for the same key): fill it without waiting for oneself;
 *  - none of the three: the kernel's bound on leases is reached (per
 *    cache, max_leases, and per handle, max_owner_leases: module
 *    parameters); fill without one.
 * kcache_set_leased() stores only if the key was not written (set,
 * incremented, deleted, even when absent, cleared, or deleted by prefix)
 * since the lease was granted, so a value read from a source before a
 * write of that source can never land in the cache after the write's
 * invalidation (-ESTALE then, nothing stored). It ends the lease either
 * way, and the waiters wake.
 *
 * Stale-while-revalidate: with @refresh_ms, a hit on an entry that has
 * less than @refresh_ms left to live is stale (KCACHE_LEASE_STALE): its
 * value is returned as usual, and the first such caller also gets the
 * lease to refresh it, while the others go on reading the stale value
 * until the new one is stored. An expiring hot key then never makes
 * every reader recompute at once.
 *
 * Leases are kernel objects outside the cache's entries: they take no
 * entry, are never evicted, and a clear or an eviction of entries does
 * not end them. A lease ends when stored through, released, when its
 * @lease_ms pass, and when the handle it was taken through is closed (or
 * its process dies): a crashed holder never blocks the others for long.
 */

/* struct kcache_lease.status */
#define KCACHE_LEASE_HIT	LRUCACHE_STATUS_HIT	/* a live entry */
#define KCACHE_LEASE_STALE	LRUCACHE_STATUS_STALE	/* ... to refresh */
#define KCACHE_LEASE_GRANTED	LRUCACHE_STATUS_LEASE	/* fill it: .token */
#define KCACHE_LEASE_HELD	LRUCACHE_STATUS_HELD	/* another fills it */
#define KCACHE_LEASE_OWN	LRUCACHE_STATUS_OWN	/* this thread does */

/* Lease durations, in milliseconds: the default and the longest. */
#define KCACHE_LEASE_DEFAULT_MS	((uint64_t)LRUCACHE_LEASE_DEFAULT_MS)
#define KCACHE_LEASE_MAX_MS	((uint64_t)LRUCACHE_LEASE_MAX_MS)

/**
 * struct kcache_lease - what kcache_get_lease() found out
 * @status: KCACHE_LEASE_* bits: HIT (and STALE) on a hit; on a miss or a
 *	stale hit, at most one of GRANTED, HELD and OWN.
 * @reserved: set to zero.
 * @token: with KCACHE_LEASE_GRANTED, the lease's token (never 0); else 0.
 * @version: on a hit, the entry's version (as kcache_gets()); else 0.
 */
struct kcache_lease {
	uint32_t status;
	uint32_t reserved;
	uint64_t token;
	uint64_t version;
};

/**
 * kcache_get_lease() - look a key up, taking a lease if it must be filled
 * @c, @key, @klen, @buf, @buflen: as for kcache_get().
 * @lease_ms: how long a lease granted lasts, 1 to KCACHE_LEASE_MAX_MS, or
 *	0 for KCACHE_LEASE_DEFAULT_MS (10 s). Make it longer than filling
 *	takes: once it passes, another caller may be granted the key.
 * @refresh_ms: 0, or the window before expiry in which a hit is stale
 *	(see "Leases" above), at most KCACHE_TTL_MAX_MS.
 * @lease: filled in on a hit and on a miss (zeroed otherwise).
 *
 * Needs read and write permission on the cache.
 *
 * Return: as kcache_get(): the value's length on a hit (stale or not),
 * -ENOENT on a miss (then see @lease->status), or
 *  -EINVAL  NULL @c or @lease, a bad @lease_ms or @refresh_ms;
 *  -ENOMEM  the kernel could not allocate the lease;
 *  -EACCES  no read or no write permission;
 *  -EINVAL  also with a kernel module that predates leases.
 */
KCACHE_API ssize_t kcache_get_lease(struct kcache *c, const void *key,
				    size_t klen, void *buf, size_t buflen,
				    uint64_t lease_ms, uint64_t refresh_ms,
				    struct kcache_lease *lease);

/**
 * kcache_set_leased() - store the value a lease was granted for
 * @token: the lease's token (struct kcache_lease.token).
 *
 * As kcache_set(), but only if the lease still holds: the key was not
 * written, deleted or cleared since it was granted, and the lease did not
 * end (released, timed out, its handle closed). The lease ends whatever
 * the outcome, and the callers waiting in kcache_lease_wait() wake. Any
 * handle may store with the token, not only the one that took it.
 *
 * Return: 0, or as kcache_set(), or -ESTALE if the lease did not hold
 * (nothing stored).
 */
KCACHE_API int kcache_set_leased(struct kcache *c, const void *key,
				 size_t klen, const void *val, size_t vlen,
				 uint64_t ttl_ms, uint64_t token);

/**
 * kcache_lease_release() - give a lease up without storing
 *
 * The waiters wake; one of them may be granted the next lease.
 *
 * Return: 0; -ENOENT if the key holds no lease with @token (it ended);
 * -EINVAL, -E2BIG, -EFAULT, -EIDRM, -EACCES as kcache_delete().
 */
KCACHE_API int kcache_lease_release(struct kcache *c, const void *key,
				    size_t klen, uint64_t token);

/**
 * kcache_lease_wait() - sleep until another caller's lease on a key ends
 * @timeout_ms: the longest wait, 0 (only look) to KCACHE_LEASE_MAX_MS.
 *
 * Sleeps in the kernel, without polling, until the key holds no lease of
 * another caller: its holder stored the value, gave up, ran out of time
 * or went away. Then look again with kcache_get_lease() (another caller
 * may have been granted the next lease meanwhile).
 *
 * Return: 0; -ETIMEDOUT if the lease still holds after @timeout_ms;
 * -EDEADLK if this thread of this handle holds it; -EINTR if a signal
 * came; -EINVAL (NULL @c, @klen 0, @timeout_ms too long), -E2BIG,
 * -EFAULT, -EIDRM, -EACCES as kcache_get().
 */
KCACHE_API int kcache_lease_wait(struct kcache *c, const void *key,
				 size_t klen, uint64_t timeout_ms);

/**
 * kcache_clear() - remove every entry of the cache
 *
 * The removed entries count neither as deletes nor as evictions.
 *
 * Return: 0, -EINVAL (NULL @c) or -EIDRM (the cache was destroyed).
 */
KCACHE_API int kcache_clear(struct kcache *c);

/**
 * kcache_get_metrics() - read the cache's counters and limits
 * @c: handle.
 * @m: filled in on success (reserved fields zeroed).
 *
 * Return: 0, -EINVAL (NULL argument) or -EIDRM (the cache was destroyed).
 */
KCACHE_API int kcache_get_metrics(struct kcache *c, struct kcache_metrics *m);

/**
 * kcache_reset_metrics() - zero the cache's event counters
 * @c: handle.
 *
 * Zeroes hits, misses, sets, deletes, evictions and expirations (and with
 * them the hit rate and the hit-rate rule of kcache_health_check()), for
 * every user of the cache, in one ioctl. Entries, bytes and limits are not
 * touched. The sysfs stats and health files of the cache change with it.
 *
 * Return: 0, -EINVAL (NULL @c), -EIDRM (the cache was destroyed) or
 * -ENOTTY (the kernel module predates this call).
 */
KCACHE_API int kcache_reset_metrics(struct kcache *c);

/* struct kcache_health.status, from best to worst (the kernel's values) */
#define KCACHE_HEALTHY		LRUCACHE_HEALTHY	/* 0 */
#define KCACHE_DEGRADED		LRUCACHE_DEGRADED	/* 1 */
#define KCACHE_UNHEALTHY	LRUCACHE_UNHEALTHY	/* 2 */

/* struct kcache_health.reasons: the rules the cache breaks (the kernel's) */
#define KCACHE_HEALTH_MEMORY_HIGH	LRUCACHE_HEALTH_MEMORY_HIGH
#define KCACHE_HEALTH_HIT_RATE_LOW	LRUCACHE_HEALTH_HIT_RATE_LOW
#define KCACHE_HEALTH_REAPER_BEHIND	LRUCACHE_HEALTH_REAPER_BEHIND /* 1.4 */

/**
 * struct kcache_health - result of kcache_health_check()
 * @status: KCACHE_HEALTHY, KCACHE_DEGRADED or KCACHE_UNHEALTHY: the worst
 *	status the rules below give (healthy when none applies). The
 *	kernel's value as it is: a newer module may report another.
 * @reasons: KCACHE_HEALTH_* bits, one per rule the cache breaks:
 *	KCACHE_HEALTH_MEMORY_HIGH: bytes charged are at or above 95% of
 *	max_bytes (degraded);
 *	KCACHE_HEALTH_HIT_RATE_LOW: after at least 100 lookups the hit rate
 *	is under 50% (degraded), or after at least 1000 lookups under 10%
 *	(unhealthy);
 *	KCACHE_HEALTH_REAPER_BEHIND (since 1.4): the reaper's timer is armed
 *	and more than one full cleanup interval past the time it was due
 *	(degraded): expired entries are not being freed in time (the
 *	kernel's work queue is starved, or the reaper cannot keep up).
 *	The kernel's bits as they are: a newer module may set others.
 * @memory_pct: bytes charged, in percent of max_bytes (rounded down).
 * @hit_rate_pct: hits, in percent of lookups (rounded down); 100 before
 *	the first lookup (and always for a cache without metrics).
 * @reaper_late_ms: (since 1.9) with KCACHE_HEALTH_REAPER_BEHIND, how late
 *	the reaper is, in milliseconds; 0 otherwise, and from a module that
 *	predates the figure.
 * @reserved: set to zero; later versions of the library may fill it in.
 *
 * The same figures as the cache's sysfs file
 * /sys/kernel/lrucache/caches/<name>/health: its first line is
 * "status <kcache_health_status_name(status)>", followed by
 * "memory_high <memory_pct>" if KCACHE_HEALTH_MEMORY_HIGH is set,
 * "hit_rate_low <hit_rate_pct>" if KCACHE_HEALTH_HIT_RATE_LOW is set and
 * "reaper_behind <ms>" if KCACHE_HEALTH_REAPER_BEHIND is set (@reaper_late_ms).
 * The structure has a fixed size; new fields take the place of @reserved.
 */
struct kcache_health {
	int status;
	uint32_t reasons;
	uint32_t memory_pct;
	uint32_t hit_rate_pct;
	uint64_t reaper_late_ms;
	uint64_t reserved[3];
};

/**
 * kcache_health_check() - evaluate the cache's health
 * @c: handle.
 * @h: filled in on success (reserved fields zeroed).
 *
 * One ioctl; the kernel computes the status from one consistent snapshot
 * of the cache's counters, with the rules of its sysfs health file.
 *
 * Return: 0, -EINVAL (NULL argument), -EIDRM (the cache was destroyed) or
 * -ENOTTY (the kernel module predates this call).
 */
KCACHE_API int kcache_health_check(struct kcache *c, struct kcache_health *h);

/**
 * kcache_health_status_name() - name of a health status
 * @status: KCACHE_HEALTHY, KCACHE_DEGRADED or KCACHE_UNHEALTHY.
 *
 * Return: "healthy", "degraded" or "unhealthy" (the words of the sysfs
 * health files), or "unknown" for any other value. The string is static.
 */
KCACHE_API const char *kcache_health_status_name(int status);

/* struct kcache_info.flags: the kernel's LRUCACHE_INFO_* */
#define KCACHE_INFO_METRICS	LRUCACHE_INFO_METRICS	/* counters kept */
#define KCACHE_INFO_MAPPED	LRUCACHE_INFO_MAPPED	/* mapped (1.11) */

/**
 * struct kcache_info - description of a cache, from kcache_get_info()
 * @name: the cache name, NUL-terminated (the bytes after the NUL are zero).
 * @max_entries: the cache's entry limit.
 * @max_bytes: the cache's byte limit.
 * @default_ttl_ms: the cache's default TTL, 0 for none.
 * @entry_overhead: the size of an entry's header (the same as
 *	kcache_metrics.entry_overhead).
 * @created_ns: when the cache was created, in CLOCK_REALTIME nanoseconds.
 * @owner_uid: effective uid of the process that created the cache.
 * @owner_gid: effective gid of the process that created the cache.
 * @flags: (since 1.9) the kernel's LRUCACHE_INFO_* flags of the cache, as
 *	they are: KCACHE_INFO_METRICS if it keeps event counters (it was not
 *	created with KCACHE_OPEN_NO_METRICS). A newer module may set others.
 * @mode: (since 1.7) the cache's permissions (see struct kcache_options);
 *	0 with a kernel module that predates them.
 * @cleanup_interval_ms: (since 1.4) how often the cache's reaper frees
 *	expired entries, in milliseconds (KCACHE_CLEANUP_INTERVAL_MIN_MS to
 *	KCACHE_CLEANUP_INTERVAL_MAX_MS): the interval given at creation,
 *	KCACHE_CLEANUP_INTERVAL_DEFAULT_MS if none was, or the one last
 *	written to the cache's sysfs file cleanup_interval_ms. 0 with a
 *	kernel module that predates the reaper.
 * @metrics_enabled: 1 if @flags has KCACHE_INFO_METRICS, else 0 (the
 *	event counters of a cache created with KCACHE_OPEN_NO_METRICS stay
 *	0); kept for the programs written before @flags.
 * @reserved_pad: zero.
 * @reserved: set to zero; later versions of the library may fill it in.
 *
 * The structure has a fixed size, the same on every ABI, and no padding;
 * new fields take the place of @reserved. Its layout changed in 1.9 (up
 * to 1.8, metrics_enabled was a bool after owner_gid, followed by padding
 * and then cleanup_interval_ms, mode and reserved_pad); programs built
 * against 1.8 or older keep that layout (see kcache_get_info()).
 */
struct kcache_info {
	char name[KCACHE_NAME_MAX + 1];
	uint64_t max_entries;
	uint64_t max_bytes;
	uint64_t default_ttl_ms;
	uint64_t entry_overhead;
	uint64_t created_ns;
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t flags;
	uint32_t mode;
	uint64_t cleanup_interval_ms;
	uint32_t metrics_enabled;
	uint32_t reserved_pad;
	uint64_t reserved[6];
};

/**
 * kcache_get_info() - read the cache's name, limits, creation time and owner
 * @c: handle.
 * @info: filled in on success (every byte written: reserved fields
 *	zeroed).
 *
 * One ioctl. The limits are those of kcache_get_metrics() and of the
 * cache's sysfs stats file.
 *
 * Symbol versions: kcache_get_info@KCACHE_1.9 fills the structure above;
 * programs linked against 1.8 or older call kcache_get_info@KCACHE_1.2,
 * which fills the layout they were built with.
 *
 * Return: 0, -EINVAL (NULL argument), -EIDRM (the cache was destroyed) or
 * -ENOTTY (the kernel module predates this call).
 */
KCACHE_API int kcache_get_info(struct kcache *c, struct kcache_info *info);

/*
 * The reaper (since 1.4)
 *
 * Each cache has a reaper in the kernel that frees its expired entries
 * without waiting for them to be looked up. Its timer fires every
 * cleanup_interval_ms (see struct kcache_options) while the cache holds
 * entries that have an expiry time (kcache_metrics.expiring > 0). Entries
 * are filed by expiry time in buckets of about a second (2^30 ns of
 * CLOCK_BOOTTIME); a normal run examines only the buckets of the seconds
 * since the previous run, the current one included, so its cost follows
 * the number of entries due rather than the size of the cache, and it
 * frees every entry that has expired by the time it runs. Runs are
 * serialised per cache, whoever starts them (the timer, the functions
 * below, or a write to /sys/kernel/lrucache/caches/<name>/reap). Every
 * entry a run frees counts in kcache_metrics.expirations and .reaped.
 */

/**
 * kcache_cleanup_expired() - free the cache's expired entries now
 * @c: handle.
 *
 * Runs the cache's reaper at once, synchronously, as its timer would (a
 * bucket walk: see "The reaper" above), and returns when it is done. The
 * timer's schedule is not changed. Every entry that has expired by then
 * is freed (an entry kcache_exists() has reported absent because it
 * expired, in particular). Expired entries already read as absent whether
 * or not they have been freed, so this only matters for memory
 * (kcache_metrics.entries, .bytes and .expiring) and for tests.
 *
 * Return: the number of expired entries this run freed (0 or more), or
 *  -EINVAL  NULL @c;
 *  -EIDRM   the cache was destroyed;
 *  -ENOTTY  the kernel module predates the reaper.
 */
KCACHE_API int kcache_cleanup_expired(struct kcache *c);

/* kcache_reap() flags: the kernel's LRUCACHE_REAP_*, passed through */
#define KCACHE_REAP_FULL_SCAN	LRUCACHE_REAP_FULL_SCAN	/* every entry */

/**
 * struct kcache_reap_result - what one run of the reaper did
 * @freed: expired entries the run freed.
 * @visited: entries the run examined: those of the buckets it walked, or
 *	with KCACHE_REAP_FULL_SCAN every entry the cache held when it started.
 * @elapsed_ns: how long the run took, in nanoseconds.
 * @reserved: set to zero; later versions of the library may fill it in.
 *
 * The structure has a fixed size; new fields take the place of @reserved.
 */
struct kcache_reap_result {
	uint64_t freed;
	uint64_t visited;
	uint64_t elapsed_ns;
	uint64_t reserved[5];
};

/**
 * kcache_reap() - run the cache's reaper now, and tell what it did
 * @c: handle.
 * @flags: 0 for the bucket walk of kcache_cleanup_expired(), or
 *	KCACHE_REAP_FULL_SCAN to examine every entry of the cache instead of
 *	the buckets that are due: the same entries are freed, at a cost that
 *	follows the size of the cache (a consistency check of the bucket
 *	walk, and the baseline it is measured against).
 * @res: if not NULL, filled in on success (reserved fields zeroed).
 *
 * As kcache_cleanup_expired(), with a choice of walk and the run's figures.
 *
 * Return: 0, or
 *  -EINVAL  NULL @c, or @flags the module does not know;
 *  -EIDRM   the cache was destroyed;
 *  -ENOTTY  the kernel module predates the reaper.
 */
KCACHE_API int kcache_reap(struct kcache *c, unsigned int flags,
			   struct kcache_reap_result *res);

/**
 * kcache_batch_raw() - run several operations with one system call
 * @c: handle.
 * @ops: @n operations (struct lrucache_op from <linux/lrucache.h>) with
 *	their pointers and lengths filled in and @reserved zero.
 * @n: number of operations, 0 to LRUCACHE_BATCH_MAX.
 *
 * The operations run in order, each atomic on its own (the batch as a whole
 * is not). Each op's result receives what the single operation would have
 * returned (GET: the value length, with value_len written back, EXISTS: 1
 * or 0, others 0) or its own negative errno.
 *
 * Return: the number of operations run (@n), or -EINVAL (NULL @c),
 * -E2BIG (@n > LRUCACHE_BATCH_MAX) or -EFAULT (@ops unreadable). A
 * destroyed cache makes each operation's result -EIDRM.
 */
KCACHE_API int kcache_batch_raw(struct kcache *c, struct lrucache_op *ops,
				unsigned int n);

/*
 * Batches
 *
 * kcache_set_many(), kcache_get_many() and the batch context below send
 * several operations to the kernel in one LRUCACHE_IOC_BATCH ioctl.
 *
 * *** A batch is NOT atomic. *** Its operations run in order, one by one,
 * exactly as if they had been issued as single calls in that order: each
 * operation is atomic on its own and sees the effect of the ones before it
 * (a GET after a SET of the same key in the same batch finds the new value;
 * duplicate keys are fine and simply behave as the repeated operations
 * would). Other threads and processes may run their own operations between
 * two operations of a batch and may see the first operations' effects
 * before the last ones run. Nothing is rolled back: an operation that fails
 * leaves the effects of the earlier ones in place and does not stop the
 * later ones. Each operation gets its own result, the value the single
 * call would have returned; a failing operation is never an error for the
 * batch as a whole.
 *
 * The caller's keys, values and buffers are only read or written during
 * the call that sends them to the kernel (kcache_set_many(),
 * kcache_get_many(), kcache_batch_commit()): they must stay valid until that
 * call returns, and no longer.
 */

/**
 * struct kcache_item - one key of kcache_set_many() or kcache_get_many()
 * @key: key bytes.
 * @key_len: key length, 1 to max_key_len.
 * @value: kcache_set_many(): the value to store (only read; may be NULL
 *	when @value_len is 0). kcache_get_many(): the buffer the value is
 *	copied into (may be NULL when @value_len is 0).
 * @value_len: kcache_set_many(): the value length. kcache_get_many(): the
 *	size of @value. Only read, never written: the full length of a value
 *	is reported in @status, so that the same items can be used again
 *	without their buffer sizes changing.
 * @status: written by the call, as kcache_set() or kcache_get() would have
 *	returned for this item alone. Set: 0 or a negative errno. Get: the
 *	full length of the value (0 for an empty value), or -ENOENT for a key
 *	that is absent or expired, or another negative errno. *** As with
 *	kcache_get(), a value longer than @value_len is NOT copied: @value is
 *	left untouched and @status is the full length, greater than
 *	@value_len. *** Always compare @status with @value_len before using
 *	@value.
 */
struct kcache_item {
	const void *key;
	size_t key_len;
	void *value;
	size_t value_len;
	int status;
};

/**
 * kcache_set_many() - store several values with as few system calls as
 *	possible
 * @c: handle.
 * @items: @n items; @key, @key_len, @value and @value_len are read,
 *	@status is written.
 * @n: number of items, any count (0 does nothing and returns 0).
 * @ttl_ms: time to live of every stored entry, as for kcache_set().
 *
 * The items are stored in array order, one by one (see "Batches" above: the
 * call is not atomic), with one ioctl per LRUCACHE_BATCH_MAX items: one
 * ioctl for any @n up to LRUCACHE_BATCH_MAX, and larger arrays are split
 * into consecutive chunks transparently. A key present several times ends
 * with the value of its last item. Each item's @status is what kcache_set()
 * would have returned for it; an item that fails (-E2BIG, -ENOSPC, -EINVAL
 * for a bad @ttl_ms or a zero key length, -EFAULT, ...) does not stop the
 * others and is not an error of the call.
 *
 * The library allocates one array of at most LRUCACHE_BATCH_MAX operations
 * per call, nothing per item.
 *
 * Return: @n once every item has run and has its @status, or a negative
 * errno if the call itself failed:
 *  -EINVAL  NULL @c, NULL @items with @n > 0, or @n > SSIZE_MAX (no
 *           @status written);
 *  -ENOMEM  the operation array could not be allocated;
 *  -EFAULT  the kernel could not read or write the operation array;
 *  other negative errnos from the kernel.
 * On such a failure (except -EINVAL) every item still has a @status: the
 * items that ran (always a prefix of @items, possibly empty) hold their own
 * result, and every item that did not run holds the returned error.
 * A destroyed cache is not a failure of the call: every item's @status is
 * then -EIDRM, as kcache_set() would have returned.
 */
KCACHE_API ssize_t kcache_set_many(struct kcache *c, struct kcache_item *items,
				   size_t n, uint64_t ttl_ms);

/**
 * kcache_get_many() - look several keys up with as few system calls as
 *	possible
 * @c: handle.
 * @items: @n items; @key, @key_len, @value (the buffer) and @value_len (its
 *	size) are read, @status is written, and the value is copied into
 *	@value when it fits.
 * @n: number of items, any count (0 does nothing and returns 0).
 *
 * As kcache_set_many() for the batching, the ordering and the return value.
 * Each item's @status is what kcache_get() would have returned for it: the
 * full length of the value, copied only if it is not longer than
 * @value_len, or -ENOENT for a missing (or expired) key. A missing key is
 * not an error of the call: it is marked in its item and the other items
 * are looked up as usual. Every hit and miss counts in the cache's metrics
 * as for kcache_get(). A key present several times is looked up as many
 * times.
 *
 * On a handle that reads through a mapping (kcache_mapped(), since 1.11)
 * the items the mapping can answer are answered there, as kcache_get()
 * would answer them, still in array order: the items before the first
 * one the mapping cannot answer, then (after the ioctl that takes that
 * item and the following ones, up to the last item of the chunk the
 * mapping would not answer) those after it. A chunk of hits makes no
 * system call, and no call makes more than it would without the mapping
 * unless an entry changes under it. kcache_get()'s two differences apply
 * to the items answered there: a @key or @value that is not accessible
 * (other than NULL, which the kernel refuses with -EFAULT as usual)
 * faults, and @value may have been written to when the item's @status is
 * not a length that fits.
 */
KCACHE_API ssize_t kcache_get_many(struct kcache *c, struct kcache_item *items,
				   size_t n);

/* Opaque batch context: up to LRUCACHE_BATCH_MAX queued operations. */
struct kcache_batch;

/**
 * kcache_batch_begin() - start a batch of operations on a cache
 * @c: handle; it must stay open until kcache_batch_free().
 * @out: on success, a new empty batch; untouched on failure.
 *
 * A batch holds at most LRUCACHE_BATCH_MAX operations and is committed in
 * exactly one ioctl. Its lifecycle:
 *  - kcache_batch_set(), _get(), _delete() and _exists() queue operations
 *    and return their index (0, 1, 2, ... in the order queued);
 *  - kcache_batch_commit() runs them, in that order (not atomically, see
 *    "Batches" above), and records each result, which
 *    kcache_batch_result() then returns; no operation can be queued after
 *    a successful commit;
 *  - kcache_batch_abort() drops every queued operation (or every result)
 *    without running anything and leaves the batch empty and ready to be
 *    filled again, as if it had just been begun;
 *  - kcache_batch_free() releases the batch. Freeing a batch that was not
 *    committed runs nothing.
 * A batch is not thread-safe: use it from one thread at a time (several
 * batches on the same handle may be used by different threads at once).
 * The library copies no key or value: the memory passed to the queueing
 * functions must stay valid until kcache_batch_commit() returns (or until
 * the batch is aborted or freed).
 *
 * Return: 0, -EINVAL (NULL @c or @out) or -ENOMEM.
 */
KCACHE_API int kcache_batch_begin(struct kcache *c, struct kcache_batch **out);

/**
 * kcache_batch_set() - queue a kcache_set()
 * @b: batch.
 * @key, @klen, @val, @vlen, @ttl_ms: as for kcache_set(); they are checked
 *	by the kernel when the batch is committed, and a bad one only makes
 *	this operation's result a negative errno.
 *
 * Return: the index of the operation (>= 0), or
 *  -EINVAL  NULL @b, or the batch was already committed;
 *  -E2BIG   the batch already holds LRUCACHE_BATCH_MAX operations (nothing
 *           is queued; the batch can still be committed);
 *  -ENOMEM  out of memory.
 * A key or value longer than 4 GiB is not refused here: the operation's
 * result will be -E2BIG, as from kcache_set().
 */
KCACHE_API int kcache_batch_set(struct kcache_batch *b, const void *key,
				size_t klen, const void *val, size_t vlen,
				uint64_t ttl_ms);

/**
 * kcache_batch_get() - queue a kcache_get()
 * @b: batch.
 * @key, @klen: the key.
 * @buf, @buflen: the buffer the value is copied into, at commit, if it fits
 *	(a longer value is not copied at all, as with kcache_get()).
 *
 * Return: the operation's index, or a negative errno as for
 * kcache_batch_set().
 */
KCACHE_API int kcache_batch_get(struct kcache_batch *b, const void *key,
				size_t klen, void *buf, size_t buflen);

/**
 * kcache_batch_delete() - queue a kcache_delete()
 *
 * Return: the operation's index, or a negative errno as for
 * kcache_batch_set().
 */
KCACHE_API int kcache_batch_delete(struct kcache_batch *b, const void *key,
				   size_t klen);

/**
 * kcache_batch_exists() - queue a kcache_exists()
 *
 * Return: the operation's index, or a negative errno as for
 * kcache_batch_set().
 */
KCACHE_API int kcache_batch_exists(struct kcache_batch *b, const void *key,
				   size_t klen);

/**
 * kcache_batch_count() - the number of operations queued in a batch
 *
 * Return: 0 to LRUCACHE_BATCH_MAX, or -EINVAL if @b is NULL.
 */
KCACHE_API int kcache_batch_count(const struct kcache_batch *b);

/**
 * kcache_batch_commit() - run the queued operations in one ioctl
 * @b: batch.
 *
 * The operations run in the order they were queued, one by one (see
 * "Batches" above); each records its own result. An empty batch is valid
 * (it runs nothing and returns 0).
 *
 * Return: the number of operations run, which is kcache_batch_count(b)
 * unless the kernel stopped part way (the ops not run then have the result
 * -ECANCELED); the batch is then committed. A destroyed cache is reported
 * in each operation's result (-EIDRM), not here. Or a negative errno, in
 * which case nothing ran and the batch stays as it was (commit again, abort
 * or free it):
 *  -EINVAL  NULL @b, or the batch was already committed;
 *  -EFAULT  the kernel could not read the operations;
 *  other negative errnos from the kernel.
 */
KCACHE_API int kcache_batch_commit(struct kcache_batch *b);

/**
 * kcache_batch_result() - the result of one committed operation
 * @b: committed batch.
 * @idx: index returned when the operation was queued.
 * @value_len: if not NULL, receives for a GET that found its key the full
 *	length of the value (as the result does), and 0 otherwise.
 *
 * Return: what the single call would have returned: GET the full length of
 * the value (copied only if not longer than the buffer) or -ENOENT; EXISTS
 * 1 or 0; SET and DELETE 0; or the operation's negative errno. Misuse is
 * reported with codes no operation returns:
 *  -EINPROGRESS  the batch has not been committed;
 *  -ECANCELED    the operation did not run (the kernel stopped part way);
 * and with -EINVAL for a NULL @b or an @idx that is not an operation index.
 */
KCACHE_API int kcache_batch_result(const struct kcache_batch *b,
				   unsigned int idx, size_t *value_len);

/**
 * kcache_batch_abort() - drop every queued operation, running none
 * @b: batch, committed or not, or NULL (nothing happens).
 *
 * The batch becomes empty and uncommitted, as after kcache_batch_begin(),
 * and can be filled and committed again; results of an earlier commit are
 * dropped. The batch stays allocated: free it with kcache_batch_free().
 */
KCACHE_API void kcache_batch_abort(struct kcache_batch *b);

/**
 * kcache_batch_free() - release a batch
 * @b: batch, or NULL (nothing happens).
 *
 * Operations queued and not committed are dropped without running.
 */
KCACHE_API void kcache_batch_free(struct kcache_batch *b);

/*
 * Memoization (since 1.3)
 *
 * kcache_memo() turns a cache into the memo table of one function, like
 * Python's functools.lru_cache: it returns the cached value of a key or
 * calls the function once, stores its result and returns it.
 *
 * One cache per memoized function. The hit and miss counters, the entry
 * limit and the entry count that kcache_memo_info() reports are those of the
 * whole cache, so they describe one function only if the cache holds only
 * that function's results (and kcache_memo_clear() clears the whole cache).
 *
 * Single-flight. When several callers (threads or processes, through any
 * handles on the same cache) ask for the same missing key at the same time,
 * only one of them computes the value; the others wait for it, within a
 * bound, and then read it from the cache. Since 1.10 the coordination is
 * the kernel's leases (see "Leases"), not entries of the cache:
 *  - the caller that misses is granted the key's lease by the same
 *    kcache_get_lease() that found it missing, computes the value and
 *    stores it with kcache_set_leased(), which ends the lease; if the
 *    function fails (or its value does not fit the buffer) it releases the
 *    lease;
 *  - a caller that finds the lease held by another sleeps in the kernel
 *    (kcache_lease_wait()) until it ends, then looks again: it reads the
 *    value, or, if the holder gave up, may be granted the lease itself. If
 *    the wait bound (kcache_memo_opts.wait_ms, 5 s by default) passes
 *    first, the waiter calls the function itself and stores its result;
 *  - a nested call of the thread that holds the lease, for the same key
 *    (the function calling itself with the same arguments), does not wait
 *    for itself: it computes and stores, as an unmemoized call would;
 *  - the lease (kcache_memo_opts.lease_ms, 10 s by default, at most
 *    KCACHE_LEASE_MAX_MS) bounds how long a caller that hangs while
 *    computing blocks the others; one that dies (crash, kill) releases it
 *    at once, with its descriptor. A computation longer than the lease
 *    may therefore run twice, and so may one longer than the waiters'
 *    bound;
 *  - if the key is written, deleted or the cache cleared while the value
 *    is computed, the lease no longer stores (-ESTALE): the computed value
 *    is then stored only if the key is absent (kcache_add()), so a value
 *    someone else stored meanwhile stays.
 * Leases are not entries: a computation in progress takes no slot of the
 * cache (maxsize 2 keeps two results, as functools does), and no eviction
 * or clear of the cache makes the others start computing.
 * Callers of libkcache 1.3 to 1.8 (and of the Python decorator before
 * 1.10, which now takes leases as this does) claim a key with a lock
 * entry (KCACHE_MEMO_LOCK_PREFIX + key, for lease_ms): a caller granted
 * the lease while such an entry exists polls for the value as they do
 * (sleeps of 1 to 50 ms, within wait_ms) and computes
 * only once the entry is gone without a value or the bound passed. They
 * do not see leases: one of them that misses while a 1.10 caller
 * computes computes too. When the
 * kernel's bound on leases is reached, a caller computes without one.
 * Single-flight is thus a best effort that never blocks a caller for
 * longer than its bound (plus the function's own time): the function must
 * stay correct if it happens to run concurrently for the same key. With
 * a kernel module older than leases, every caller that misses computes.
 *
 * Stale-while-revalidate (since 1.10): with kcache_memo_opts.refresh_ms,
 * a value with less than refresh_ms left to live is still returned to
 * every caller, and the first of them (alone) recomputes and stores it
 * before returning the new value; the key never goes missing while it is
 * read (for that, store with a TTL longer than refresh_ms).
 */

/*
 * Prefix of the lock entries' keys of libkcache 1.3 to 1.8, which kept the
 * single-flight claims in the cache itself. No longer planted; honoured
 * when found (see "Single-flight" above).
 */
#define KCACHE_MEMO_LOCK_PREFIX		"\0KCMEMO\0"
#define KCACHE_MEMO_LOCK_PREFIX_LEN	8

/* Defaults of struct kcache_memo_opts, in milliseconds. */
#define KCACHE_MEMO_LEASE_MS		10000
#define KCACHE_MEMO_WAIT_MS		5000

/* struct kcache_memo_opts.flags */
#define KCACHE_MEMO_NO_SINGLE_FLIGHT	(1U << 0) /* every missing caller computes */

/**
 * typedef kcache_compute_fn - the function kcache_memo() memoizes
 * @key: the key, as passed to kcache_memo().
 * @klen: its length.
 * @buf: where to write the value.
 * @buflen: size of @buf.
 * @arg: the caller's argument, as passed to kcache_memo().
 *
 * Return: the length of the value written to @buf (0 to @buflen); or a
 * length greater than @buflen if the value does not fit (then nothing is
 * stored and kcache_memo() returns that length, see there); or a negative
 * errno, which kcache_memo() returns as is, storing nothing.
 */
typedef ssize_t (*kcache_compute_fn)(const void *key, size_t klen, void *buf,
				     size_t buflen, void *arg);

/**
 * struct kcache_memo_opts - options of kcache_memo_opts()
 * @sz: sizeof(struct kcache_memo_opts) as the caller was compiled with. Set
 *	it with KCACHE_MEMO_OPTS(), which also zeroes every field not named.
 * @ttl_ms: TTL of the stored values, as for kcache_set(); 0 selects
 *	KCACHE_TTL_DEFAULT (the cache's default TTL).
 * @lease_ms: how long the claim of a computing caller lasts (its kernel
 *	lease), 1 to KCACHE_TTL_MAX_MS (taken as KCACHE_LEASE_MAX_MS, an
 *	hour, beyond that); 0 selects KCACHE_MEMO_LEASE_MS (10 s). Make it
 *	longer than the function takes.
 * @wait_ms: longest wait for another caller's computation, at most
 *	KCACHE_TTL_MAX_MS; 0 selects KCACHE_MEMO_WAIT_MS (5 s).
 * @flags: KCACHE_MEMO_*:
 *	KCACHE_MEMO_NO_SINGLE_FLIGHT: no lease and no waiting: every
 *	caller that misses computes and stores.
 * @reserved: must be zero.
 * @refresh_ms: (since 1.10) 0, or stale-while-revalidate: a cached value
 *	with less than this left to live is returned to every caller while
 *	the first of them recomputes it (see "Stale-while-revalidate"); at
 *	most KCACHE_TTL_MAX_MS.
 *
 * As struct kcache_options, the structure only grows at its end; the
 * library accepts a smaller one (holding at least every field above) or a
 * larger one whose unknown bytes are zero.
 */
struct kcache_memo_opts {
	size_t sz;
	uint64_t ttl_ms;
	uint64_t lease_ms;
	uint64_t wait_ms;
	uint32_t flags;
	uint32_t reserved;
	uint64_t refresh_ms;
};

/* As KCACHE_OPTS(), for struct kcache_memo_opts. */
#define KCACHE_MEMO_OPTS(NAME, ...)					\
	struct kcache_memo_opts NAME = {				\
		.sz = sizeof(struct kcache_memo_opts),			\
		__VA_ARGS__						\
	}

/**
 * kcache_memo_opts() - return a key's cached value, computing it once if
 *	missing
 * @c: handle.
 * @key: key bytes.
 * @klen: key length, 1 to max_key_len.
 * @fn: the function computing the value of a missing key.
 * @arg: passed to @fn as is.
 * @buf: buffer for the value (may be NULL when @buflen is 0).
 * @buflen: size of @buf.
 * @opts: NULL for every default, or options (see struct kcache_memo_opts).
 *
 * Looks @key up with kcache_get_lease(). On a hit, returns the value (not
 * calling @fn). On a miss, calls @fn (once, in this caller, or not at all
 * if another caller computes the value meanwhile: see "Single-flight"
 * above), stores the value it wrote with @opts->ttl_ms, and returns it.
 *
 * Buffer too small: as with kcache_get(), a result greater than @buflen
 * means that the value did not fit. For a cached value nothing is written to
 * @buf. If @fn itself returns a length greater than @buflen, nothing is
 * stored, @buf holds whatever @fn left there, and the next call computes
 * again: call again with a buffer of the returned length.
 *
 * Storing is best effort: if the store fails (a value longer than the
 * module or the cache allows, the global memory limit of all caches
 * reached, no memory, a destroyed cache), the computed
 * value is still returned, and the next call computes again.
 *
 * Counters: every call looks @key up first, so it counts one hit or one
 * miss; a caller that waited for another's computation then counts a hit
 * for reading its result (or a miss, and computes, if the other gave up).
 * Each value stored counts one set. Leases are counted apart
 * (kcache_metrics.lease_grants).
 *
 * Return: the length of the value (0 to @buflen, or greater than @buflen,
 * see above), or
 *  -EINVAL  NULL @c or @fn, @klen 0, a bad @opts->ttl_ms, @opts->lease_ms,
 *           @opts->wait_ms or @opts->refresh_ms, or bad @opts (sz too
 *           small, unknown flags or nonzero unknown bytes);
 *  the negative errno @fn returned (nothing is stored);
 *  -E2BIG, -EFAULT, -EIDRM, -ENOMEM: as kcache_get() and kcache_set().
 */
KCACHE_API ssize_t kcache_memo_opts(struct kcache *c, const void *key,
				    size_t klen, kcache_compute_fn fn,
				    void *arg, void *buf, size_t buflen,
				    const struct kcache_memo_opts *opts);

/**
 * kcache_memo() - kcache_memo_opts() with a TTL and default single-flight
 * @ttl_ms: TTL of the stored value, as for kcache_set() (0 is invalid:
 *	-EINVAL).
 *
 * The same as kcache_memo_opts() with options holding only @ttl_ms: lease
 * KCACHE_MEMO_LEASE_MS and wait bound KCACHE_MEMO_WAIT_MS.
 */
KCACHE_API ssize_t kcache_memo(struct kcache *c, const void *key, size_t klen,
			       kcache_compute_fn fn, void *arg, uint64_t ttl_ms,
			       void *buf, size_t buflen);

/**
 * struct kcache_memo_info - statistics of a memo cache, as Python's
 *	cache_info()
 * @hits: the cache's hits (kcache_metrics.hits).
 * @misses: the cache's misses (kcache_metrics.misses).
 * @maxsize: the cache's entry limit (kcache_metrics.max_entries).
 * @currsize: entries held now (kcache_metrics.entries): the memoized
 *	values (computations in progress take none).
 * @reserved: set to zero; later versions of the library may fill it in.
 *
 * The figures are the whole cache's, for every user (see "Memoization"
 * above). A cache created with KCACHE_OPEN_NO_METRICS reports 0 hits and
 * misses. The structure has a fixed size; new fields take the place of
 * @reserved.
 */
struct kcache_memo_info {
	uint64_t hits;
	uint64_t misses;
	uint64_t maxsize;
	uint64_t currsize;
	uint64_t reserved[4];
};

/**
 * kcache_memo_info() - read a memo cache's statistics
 * @c: handle.
 * @info: filled in on success (reserved fields zeroed).
 *
 * One kcache_get_metrics().
 *
 * Return: 0, -EINVAL (NULL argument) or -EIDRM (the cache was destroyed).
 */
KCACHE_API int kcache_memo_info(struct kcache *c, struct kcache_memo_info *info);

/**
 * kcache_memo_clear() - forget every memoized value and the statistics, as
 *	Python's cache_clear()
 * @c: handle.
 *
 * kcache_clear() then kcache_reset_metrics(): every entry of the cache goes
 * and every event counter is zeroed, for every user. Computations in
 * progress keep their claims (the others go on waiting for them) and
 * still store their values, if the keys are still absent. The two steps
 * are not atomic together.
 *
 * Return: 0, -EINVAL (NULL @c), -EIDRM (the cache was destroyed) or
 * -ENOTTY (the kernel module cannot reset counters; the entries are then
 * cleared all the same).
 */
KCACHE_API int kcache_memo_clear(struct kcache *c);

/*
 * Dump and restore (since 1.5)
 *
 * kcache_serialize() writes the live entries of a cache as a JSON document
 * and kcache_deserialize() stores the entries of such a document into a
 * cache: to save a cache across a reboot or a module reload, to copy it to
 * another cache or machine, or to inspect it. The format is described in
 * Documentation/lrucache/dump.rst; version 1 is
 *
 *	{"format": "lrucache-dump", "version": 1, "cache": "<name>",
 *	 "dumped_at_ns": <CLOCK_REALTIME ns>,
 *	 "entries": [{"key": K, "value": V, "ttl_ms": N}, ...]}
 *
 * with the entries least recently used first. K and V are JSON strings
 * when the bytes are valid UTF-8 (embedded NUL bytes included, written
 * as \u0000) and objects {"base64": "<standard base64, padded>"}
 * otherwise, so any bytes survive the round trip. "ttl_ms" is the time the
 * entry had left to live when the dump was taken (at least 1), absent for
 * an entry that never expires.
 *
 * The dump is an exact snapshot of one instant (LRUCACHE_IOC_DUMP): every
 * entry live at that instant appears once, with the value, remaining TTL
 * and LRU position it had then, and no other entry; sets, deletes and
 * evictions that happen while the document is being built do not change
 * it. Expired entries not yet freed are left out. Taking it does not touch
 * the cache: no counter changes and no entry moves in the LRU order.
 *
 * Cost: the kernel takes the snapshot by holding the cache's lock for one
 * walk of its LRU list (sets and lookups that need the lock wait for that
 * walk; lookups of the most recent entry and kcache_exists() do not) and
 * allocates 16 bytes per entry beforehand. Until the library has read the
 * snapshot (before kcache_serialize() returns) it also holds a reference
 * on each entry, so entries replaced or removed meanwhile stay in memory,
 * charged as before, until then. In user space the document and jansson's
 * tree of it are built in memory: expect a few times the cache's bytes
 * while kcache_serialize() runs.
 *
 * The JSON text is handled by the jansson library, which libkcache loads
 * the first time it is needed (see "Optional libraries" at the top):
 * callers need not link to it, and without it installed these functions
 * fail with -ELIBACC, changing nothing.
 */

/* The document's "format" and the "version" this library writes and reads. */
#define KCACHE_DUMP_FORMAT	"lrucache-dump"
#define KCACHE_DUMP_VERSION	1

/**
 * kcache_serialize() - dump a cache's live entries as a JSON document
 * @c: handle.
 * @json: on success, a newly allocated NUL-terminated string holding the
 *	document (UTF-8, no trailing newline); the caller frees it with
 *	free(). Untouched on failure.
 * @len: on success, the length of the document, without the NUL.
 *	Untouched on failure.
 *
 * Takes a snapshot of the cache with LRUCACHE_IOC_DUMP (see "Dump and
 * restore" above for what it guarantees and costs), reads it 64 KiB at a
 * time and writes the document: "format" KCACHE_DUMP_FORMAT, "version"
 * KCACHE_DUMP_VERSION, "cache" the cache's name, "dumped_at_ns" the
 * CLOCK_REALTIME time read just before the snapshot was taken, and
 * "entries" least recently used first, so that kcache_deserialize(), which
 * stores them in order, rebuilds the same LRU order.
 *
 * Return: 0, or
 *  -EINVAL  NULL @c, @json or @len;
 *  -ELIBACC  jansson (libjansson.so.4) is not installed;
 *  -EIDRM   the cache was destroyed;
 *  -ENOMEM  out of memory (library, jansson or kernel);
 *  -EAGAIN  the cache kept growing faster than the kernel could size the
 *           snapshot; try again;
 *  -EMFILE, -ENFILE  no descriptor left for the snapshot;
 *  -ENOTTY  the kernel module predates LRUCACHE_IOC_DUMP;
 *  -EIO     the snapshot's stream did not match what the kernel announced
 *           (a kernel bug);
 *  other negative errnos from the kernel or read(2).
 */
KCACHE_API int kcache_serialize(struct kcache *c, char **json, size_t *len);

/* kcache_deserialize() flags */
#define KCACHE_RESTORE_REPLACE	(1U << 0)	/* clear the cache first */

/**
 * struct kcache_json_error - why kcache_deserialize_ex() refused a document
 * @line: for an error in the JSON syntax (truncated input included), the
 *	line where it was found, from 1; -1 for an error in the content of
 *	a well-formed document, or for a failure that is not the document's.
 * @column: likewise, the column on that line, in characters, from 1; or -1.
 * @position: for a syntax error, the byte offset from the start of the
 *	input where it was found; 0 otherwise.
 * @text: a NUL-terminated description. For a content error it names the
 *	member, e.g. "entries[12].ttl_ms: not an integer from 1 to
 *	4398046511104"; for a kernel error while storing entries, the entry
 *	and the error, e.g. "entries[5]: key or value too large for this
 *	cache". Empty on success.
 */
struct kcache_json_error {
	int line;
	int column;
	int position;
	char text[160];
};

/**
 * kcache_deserialize() - store the entries of a dump into a cache
 * @c: handle: the cache to fill, which need not be the one dumped (nor
 *	have the same name or limits).
 * @json: the document, as kcache_serialize() wrote it; it need not be
 *	NUL-terminated.
 * @len: its length in bytes (without any terminating NUL; whitespace
 *	after the document is fine, anything else is not).
 * @flags: 0 or KCACHE_RESTORE_REPLACE.
 *
 * First parses and checks the WHOLE document, without touching the cache:
 *  - it must be one JSON object, in UTF-8; no object may repeat a member;
 *  - "format" must be the string KCACHE_DUMP_FORMAT and "version" the
 *    integer KCACHE_DUMP_VERSION (else -EPROTONOSUPPORT: a later version
 *    may mean something this library cannot restore faithfully);
 *  - "entries" must be an array of objects with a "key", a "value" and
 *    optionally a "ttl_ms" member, and no other member (a member this
 *    version does not know could change what the entry means, so it is
 *    refused rather than dropped);
 *  - a key is a non-empty string or a {"base64": "..."} object whose
 *    string decodes to at least one byte; a value is a string or such an
 *    object (it may be empty). Base64 is the standard alphabet with
 *    padding, and must decode cleanly: no other characters, no
 *    whitespace, a length that is a multiple of 4, zero unused bits;
 *  - "ttl_ms", if present, is an integer from 1 to KCACHE_TTL_MAX_MS;
 *  - "cache" and "dumped_at_ns" may be absent; if present they must be a
 *    string and a non-negative integer. They are informative only: the
 *    entries go to @c whatever its name.
 * Other members of the top-level object are ignored (see the versioning
 * rules in Documentation/lrucache/dump.rst). A document that fails any
 * check changes nothing in the cache.
 *
 * Then, with KCACHE_RESTORE_REPLACE, empties the cache (kcache_clear()),
 * and stores the entries in the document's order with kcache_set()'s
 * semantics, LRUCACHE_BATCH_MAX per ioctl (kcache_set_many()'s batches):
 * the last entry ends up the most recently used. Each entry gets the TTL
 * "ttl_ms", counted from the moment it is stored (TTLs restart at the
 * restore: the time between dump and restore is not subtracted), or
 * KCACHE_TTL_NONE without "ttl_ms" (never the cache's default TTL). Keys
 * present in the cache and in the document take the document's value;
 * without KCACHE_RESTORE_REPLACE the cache's other entries stay, less
 * recently used than the restored ones. A cache smaller than the document
 * evicts as kcache_set() does, so what stays is the most recently used
 * part of the dump. The restore is not atomic: other users of the cache
 * may see it half done, and their own changes may interleave with it
 * (and with the clear).
 *
 * A kernel error on an entry (for instance -E2BIG for a key or value
 * longer than this module or cache allows, -ENOSPC when the memory of all
 * caches is exhausted, -EIDRM) stops the restore and is returned: the
 * entries before it have been stored and it has not. The kernel runs a
 * batch to its end, so the entries after it in the same batch of
 * LRUCACHE_BATCH_MAX may have been stored too; no later batch is sent.
 * Store the same document again after fixing the cause: sets are
 * idempotent.
 *
 * Return: the number of entries stored (that of the document), or
 *  -EINVAL  NULL @c or @json, or unknown @flags;
 *  -ELIBACC  jansson (libjansson.so.4) is not installed; nothing
 *            changed;
 *  -EBADMSG  @json is not JSON (empty, malformed or truncated), or is not
 *            a valid dump (see the checks above); nothing changed;
 *  -EPROTONOSUPPORT  a dump of another format or version; nothing changed;
 *  -E2BIG   more than INT_MAX entries; nothing changed;
 *  -ENOMEM  out of memory; nothing changed;
 *  a kernel error from kcache_clear() or from storing an entry (see
 *  above): -E2BIG, -ENOSPC, -EIDRM, -ENOMEM, -EFAULT, ...
 */
KCACHE_API int kcache_deserialize(struct kcache *c, const char *json,
				  size_t len, unsigned int flags);

/**
 * kcache_deserialize_ex() - kcache_deserialize() that explains its errors
 * @err: NULL, or filled in: on failure with the place and reason (see
 *	struct kcache_json_error; for a failure that is not the document's,
 *	such as -ENOMEM or -EINVAL, @text holds kcache_strerror()'s words);
 *	on success with line and column -1, position 0 and an empty text.
 *
 * Otherwise the same as kcache_deserialize().
 */
KCACHE_API int kcache_deserialize_ex(struct kcache *c, const char *json,
				     size_t len, unsigned int flags,
				     struct kcache_json_error *err);

/*
 * Events (since 1.6)
 *
 * The module reports what happens in a cache (Documentation/lrucache/
 * events.rst): a lookup that hits or misses, an entry set, deleted,
 * evicted for the cache's limits, expired, or reclaimed under memory
 * pressure. A program sees these events by adding hooks to a handle:
 *
 *	static void on_evict(const struct kcache_event *ev, void *arg)
 *	{
 *		(*(unsigned long *)arg)++;
 *	}
 *	static const struct kcache_hook_ops ops = { .on_evict = on_evict };
 *
 *	err = kcache_add_hook(c, &ops, &evictions);
 *	fd = kcache_events_fd(c);	// poll(2) it for POLLIN
 *	...
 *	n = kcache_events_dispatch(c);	// calls on_evict() per eviction
 *
 * How it works. The kernel sends events over its generic netlink family
 * LRUCACHE_GENL_NAME ("lrucache"). The first kcache_add_hook() on a
 * handle opens one netlink socket for it (with libnl-3 and libnl-genl-3,
 * which libkcache loads then, see "Optional libraries" at the top) and
 * subscribes it to the handle's cache, for the events its hooks have
 * callbacks for;
 * later hooks widen the subscription when they need more events, removing
 * hooks narrows it, and removing the last one closes the socket. Nothing
 * is read in the background: kcache_events_dispatch() reads what the
 * kernel has sent and calls the hooks, in the caller's thread, so the
 * program decides when (poll(2) or epoll(7) on kcache_events_fd()).
 *
 * What a subscriber sees:
 *  - every event of the cache that happened while it was subscribed, in
 *    the order they happened in the cache, whoever caused them (this
 *    process included: a hook that looks keys up in the cache it watches
 *    feeds itself hit events). Nothing from before the subscription:
 *    without a subscriber the module keeps no events at all.
 *  - Permissions: subscribing to a cache needs read permission on it
 *    (LRUCACHE_PERM_READ of the cache's mode, or CAP_SYS_ADMIN), checked
 *    once, with the caller's credentials of that moment.
 *  - The subscription names the cache: if the cache is destroyed and a
 *    new one is created with the same name, the events of the new one
 *    arrive.
 *  - Losses: a subscriber that reads too slowly loses events rather than
 *    slowing the cache down (its socket's receive buffer fills, or the
 *    kernel holds too many messages for it). The kernel numbers each
 *    socket's events (struct kcache_event.seq), so the library counts
 *    every lost event, exactly, from the gaps, and reports them to each
 *    hook's on_lost() when the next event arrives. An overrun of the
 *    receive buffer (ENOBUFS from the socket) is not an error of
 *    kcache_events_dispatch(): its losses reach on_lost() in the same way.
 *    Losses after the last event received are only known once another
 *    event arrives.
 *  - Cost: an event is one message of about 200 bytes; the socket asks
 *    for a receive buffer of KCACHE_EVENTS_RCVBUF bytes (the kernel caps
 *    it at net.core.rmem_max; setsockopt(2) on kcache_events_fd() may set
 *    another size).
 *
 * Threads: kcache_add_hook(), kcache_remove_hook(), kcache_events_fd()
 * and kcache_events_dispatch() change or read the handle's hooks and
 * socket without locking: the caller must not run them concurrently on
 * one handle, nor with kcache_close(). Every other function of the handle
 * may run in other threads meanwhile, and hooks may call them. A hook must
 * not call the four functions above on its own handle (they fail with
 * -EBUSY), nor kcache_close() it. After fork() the child shares the
 * socket: only one of the two processes should dispatch.
 */

/* Event types (enum lrucache_event_type) and masks of them. */
#define KCACHE_EVENT_HIT	LRUCACHE_EVENT_HIT	/* a lookup found it */
#define KCACHE_EVENT_MISS	LRUCACHE_EVENT_MISS	/* a lookup found nothing */
#define KCACHE_EVENT_SET	LRUCACHE_EVENT_SET	/* stored */
#define KCACHE_EVENT_DELETE	LRUCACHE_EVENT_DELETE	/* kcache_delete() */
#define KCACHE_EVENT_EVICT	LRUCACHE_EVENT_EVICT	/* for the limits */
#define KCACHE_EVENT_EXPIRE	LRUCACHE_EVENT_EXPIRE	/* expired, freed */
#define KCACHE_EVENT_RECLAIM	LRUCACHE_EVENT_RECLAIM	/* memory pressure */
#define KCACHE_EVENT_MAX	LRUCACHE_EVENT_MAX
#define KCACHE_EVENT_BIT(type)	LRUCACHE_EVENT_BIT(type)
#define KCACHE_EVENT_ALL	LRUCACHE_EVENT_ALL

/* Keys up to this long come with their bytes; longer ones by hash only. */
#define KCACHE_EVENT_KEY_MAX	LRUCACHE_EVENT_KEY_MAX
/* Receive buffer the events socket asks for, in bytes. */
#define KCACHE_EVENTS_RCVBUF	(1 << 20)
/* Most messages one kcache_events_dispatch() reads. */
#define KCACHE_EVENTS_DISPATCH_MAX	65536

/**
 * struct kcache_event - one event, as a hook receives it
 * @cache: the cache's name, NUL-terminated.
 * @type: KCACHE_EVENT_HIT to KCACHE_EVENT_RECLAIM.
 * @key: the key's bytes (not NUL-terminated), or NULL when the key is
 *	longer than KCACHE_EVENT_KEY_MAX bytes: the kernel then sends only
 *	its length and hash.
 * @key_len: the key's length in bytes.
 * @key_hash: jhash(key, key_len, 0), the kernel's jhash() with seed 0 (as
 *	in the tracepoints): events about one key carry the same hash.
 * @value_len: the entry's value length; 0 for a miss.
 * @age_s: seconds since the entry was set (rounded down), or -1 for a
 *	miss, which has no entry.
 * @seq: the kernel's number of this event on the handle's socket, from 1.
 *	It restarts at 1 when kcache_add_hook() or kcache_remove_hook()
 *	changes the subscription.
 * @lost: the kernel's count of the events this subscription had lost when
 *	it queued this one. Losses at sending time are counted later, so
 *	this lags; on_lost() is the exact account.
 *
 * The structure and everything it points to are valid during the callback
 * only: copy what is to be kept.
 */
struct kcache_event {
	const char *cache;
	int type;
	const void *key;
	size_t key_len;
	uint32_t key_hash;
	size_t value_len;
	int64_t age_s;
	uint64_t seq;
	uint64_t lost;
};

/**
 * struct kcache_hook_ops - what a hook does with events
 * @on_hit: called for each KCACHE_EVENT_HIT, or NULL.
 * @on_miss: KCACHE_EVENT_MISS, or NULL.
 * @on_set: KCACHE_EVENT_SET, or NULL.
 * @on_delete: KCACHE_EVENT_DELETE, or NULL.
 * @on_evict: KCACHE_EVENT_EVICT, or NULL.
 * @on_expire: KCACHE_EVENT_EXPIRE, or NULL.
 * @on_reclaim: KCACHE_EVENT_RECLAIM, or NULL.
 * @on_lost: called with the number @n (at least 1) of events found lost,
 *	before the event whose sequence number showed the gap; or NULL. The
 *	losses are the subscription's, which covers the events every hook
 *	of the handle wants: some of them may be of types this hook would not
 *	have received.
 * @reserved: must be NULL (room for callbacks of later event types).
 *
 * Every callback gets the hook's @arg of kcache_add_hook(). The event
 * callbacks a hook sets are the events it subscribes to; a hook needs at
 * least one. The library reads the structure during each dispatch: it must
 * stay valid, unchanged, until kcache_remove_hook() (a static const
 * structure is the usual way).
 */
struct kcache_hook_ops {
	void (*on_hit)(const struct kcache_event *ev, void *arg);
	void (*on_miss)(const struct kcache_event *ev, void *arg);
	void (*on_set)(const struct kcache_event *ev, void *arg);
	void (*on_delete)(const struct kcache_event *ev, void *arg);
	void (*on_evict)(const struct kcache_event *ev, void *arg);
	void (*on_expire)(const struct kcache_event *ev, void *arg);
	void (*on_reclaim)(const struct kcache_event *ev, void *arg);
	void (*on_lost)(uint64_t n, void *arg);
	void (*reserved[4])(void);
};

/**
 * kcache_add_hook() - call a hook for the events of the handle's cache
 * @c: handle (of kcache_open(), or of kcache_watch_all() for every cache).
 * @ops: the hook's callbacks (see struct kcache_hook_ops).
 * @arg: passed to every callback as is. The pair (@ops, @arg) names the
 *	hook: a handle may have many hooks, but not the same pair twice.
 *
 * The first hook of a handle opens its events socket and resolves the
 * kernel's family; each hook that needs events the handle is not yet
 * subscribed to renews the subscription, and waits for the kernel's
 * answer. Events already received for the other hooks meanwhile are
 * dispatched to them during this call (as kcache_events_dispatch() would).
 * The new hook receives the events that happen after this call returns
 * (and possibly some that happened during it). If a subscription is
 * renewed, the kernel numbers the events from 1 again (struct
 * kcache_event.seq).
 *
 * Return: 0, or
 *  -EINVAL  NULL @c or @ops, @ops without any event callback, or a
 *           reserved callback set; for kcache_logging_hook, bad options;
 *  -ELIBACC  libnl-genl-3 (libnl-genl-3.so.200) is not installed;
 *  -EEXIST  this (@ops, @arg) is a hook of @c already;
 *  -EACCES  the caller may not read the cache (-EPERM from modules before
 *           cache permissions);
 *  -ENOENT  the cache no longer exists (it was destroyed);
 *  -ENODEV  kcache_watch_all() handle: the lrucache module is not loaded,
 *           or was unloaded since the handle subscribed;
 *  -EOPNOTSUPP  the module has no event stream (a module older than
 *           events);
 *  -EBUSY   called from one of the handle's hooks;
 *  -ENOMEM  out of memory;
 *  -ENOBUFS  the kernel's answer was lost four times, the receive buffer
 *           being full each time: events arrive faster than they can be
 *           read;
 *  -ETIMEDOUT  no answer from the kernel within 5 seconds;
 *  other negative errnos from socket(2), bind(2), sendmsg(2) or the
 *  kernel. On failure the handle's other hooks go on as before.
 */
KCACHE_API int kcache_add_hook(struct kcache *c,
			       const struct kcache_hook_ops *ops, void *arg);

/**
 * kcache_remove_hook() - stop calling a hook
 * @c: handle.
 * @ops: as given to kcache_add_hook().
 * @arg: as given to kcache_add_hook().
 *
 * When it returns, the hook is not called again. Without it, the handle
 * subscribes to fewer events if it can (events received meanwhile are
 * dispatched to the other hooks); removing the last hook closes the
 * events socket, which ends the subscription in the kernel. Narrowing the
 * subscription cannot fail the call: if the kernel cannot be told, the
 * events no hook wants keep arriving and are dropped unseen.
 *
 * Return: 0, -EINVAL (NULL @c or @ops), -ENOENT (no such hook on @c) or
 * -EBUSY (called from one of the handle's hooks).
 */
KCACHE_API int kcache_remove_hook(struct kcache *c,
				  const struct kcache_hook_ops *ops,
				  void *arg);

/**
 * kcache_events_fd() - the descriptor to wait on for events
 * @c: handle.
 *
 * The events socket: readable (POLLIN) when kcache_events_dispatch() has
 * something to read. It is non-blocking and close-on-exec, and belongs to
 * the handle: do not close it or read from it. It exists from the first
 * kcache_add_hook() until the removal of the last hook (a later first
 * hook opens another socket, whose number may differ).
 *
 * Return: the descriptor, or -EINVAL (NULL @c), -ENOENT (the handle has
 * no hook, and so no socket) or -EBUSY (called from one of the handle's
 * hooks).
 */
KCACHE_API int kcache_events_fd(struct kcache *c);

/**
 * kcache_events_dispatch() - read the events that have arrived and call
 *	the hooks
 * @c: handle.
 *
 * Non-blocking: reads every message waiting on the socket (at most
 * KCACHE_EVENTS_DISPATCH_MAX, so that a stream that never pauses cannot
 * keep the caller here: the descriptor then stays readable) and returns
 * when there is none left. For each event it first calls the on_lost()
 * of every hook if the event's sequence number shows a gap, then the
 * event's callback of every hook that has one, in the order the hooks
 * were added, in the caller's thread.
 *
 * Return: the number of events read (0 when nothing was waiting; capped at
 * INT_MAX), or
 *  -EINVAL  NULL @c;
 *  -ENOENT  the handle has no hook;
 *  -EBUSY   called from one of the handle's hooks;
 *  -ENODEV  the lrucache module was unloaded (possible for a handle of
 *           kcache_watch_all() only: a handle of kcache_open() keeps the
 *           module loaded): no event will come again. The events read
 *           before were dispatched. Remove the hooks; hooks added again
 *           once the module is back subscribe anew;
 *  -ENOMEM  out of memory;
 *  other negative errnos from recvmsg(2).
 */
KCACHE_API int kcache_events_dispatch(struct kcache *c);

/**
 * kcache_watch_all() - a handle for the events of every cache
 * @out: on success, the new handle; untouched on failure.
 *
 * A handle bound to no cache, and holding no descriptor of the device (so
 * it does not keep the module loaded): hooks added to it receive the
 * events of every cache, those created later included, that the caller
 * may read (all caches for CAP_SYS_ADMIN; otherwise those whose mode lets
 * the caller's effective uid, effective gid or supplementary groups read,
 * checked for each event against the credentials of the moment the
 * subscription was made). Its
 * kcache_name() is "" and every cache operation on it fails with -EBADF
 * (kcache_fd() too); release it with kcache_close().
 *
 * Nothing is checked until kcache_add_hook(), which reports a module that
 * is not loaded (-ENODEV).
 *
 * Return: 0, -EINVAL (NULL @out) or -ENOMEM.
 */
KCACHE_API int kcache_watch_all(struct kcache **out);

/**
 * kcache_event_type_name() - the name of an event type
 * @type: KCACHE_EVENT_HIT to KCACHE_EVENT_RECLAIM.
 *
 * Return: "hit", "miss", "set", "delete", "evict", "expire" or "reclaim",
 * or "unknown" for any other value. The string is static.
 */
KCACHE_API const char *kcache_event_type_name(int type);

/**
 * kcache_event_format() - describe an event on one line
 * @ev: the event.
 * @buf: where the text goes (may be NULL when @size is 0).
 * @size: size of @buf; the text is NUL-terminated if @size > 0, and
 *	truncated if it does not fit.
 *
 * Writes "CACHE TYPE key=KEY key_len=N value_len=N age_s=N seq=N", with no
 * newline. KEY is the key in double quotes when every byte is printable
 * ASCII (a '"' or '\' escaped with '\'), else 0x and its bytes in hex;
 * a key the event does not carry is written "key_hash=XXXXXXXX" (8 hex
 * digits) in place of "key=KEY". A miss has no "age_s=N". Example:
 * sessions evict key="user:123" key_len=8 value_len=15 age_s=42 seq=7
 *
 * Return: the length of the whole text, without the NUL (as snprintf(3):
 * the text was truncated if it is @size or more), or -EINVAL (NULL @ev,
 * or NULL @buf with @size > 0).
 */
KCACHE_API int kcache_event_format(const struct kcache_event *ev, char *buf,
				   size_t size);

/**
 * struct kcache_logging_opts - where and what kcache_logging_hook logs
 * @sz: sizeof(struct kcache_logging_opts) as the caller was compiled with;
 *	set it with KCACHE_LOGGING_OPTS(), which zeroes every field not
 *	named.
 * @stream: the stdio stream each event is written to, as one line
 *	"TIME lrucache: TEXT" (TIME in UTC, ISO 8601 with milliseconds,
 *	TEXT from kcache_event_format()), flushed at once; or NULL to send
 *	"lrucache: TEXT" to syslog(3) instead, with the event's level as
 *	its priority (and whatever openlog(3) the program did).
 * @level: the least severe syslog(3) level to log, LOG_EMERG to LOG_DEBUG.
 *	Each event has a level: LOG_DEBUG for hit, miss and set; LOG_INFO
 *	for delete, evict and expire; LOG_NOTICE for reclaim; LOG_WARNING
 *	for lost events. LOG_INFO logs removals, reclaims and losses but not
 *	the busy hit, miss and set traffic. 0 stands for LOG_DEBUG, all of
 *	them (LOG_EMERG itself would log nothing).
 * @events: mask of KCACHE_EVENT_BIT()s to log, or 0 for all; combined
 *	with @level.
 * @flags: must be 0.
 *
 * (On 64-bit ABIs the compiler pads the structure with 4 bytes after
 * @flags, which a caller's copy may leave undefined: the library never
 * reads them, and no field will ever take their place.)
 *
 * The hook subscribes only to the events that @level and @events let
 * through (lost events are always logged when LOG_WARNING is).
 */
struct kcache_logging_opts {
	size_t sz;
	FILE *stream;
	int level;
	uint32_t events;
	uint32_t flags;
};

#define KCACHE_LOGGING_OPTS(NAME, ...)					\
	struct kcache_logging_opts NAME = {				\
		.sz = sizeof(struct kcache_logging_opts),		\
		__VA_ARGS__						\
	}

/*
 * kcache_logging_hook - a ready-made hook that logs events
 *
 * Add it with a struct kcache_logging_opts as the argument, or NULL for
 * every event to stderr:
 *
 *	KCACHE_LOGGING_OPTS(log, .stream = stderr, .level = LOG_INFO);
 *	err = kcache_add_hook(c, &kcache_logging_hook, &log);
 *
 * The options are read at every event: they must stay valid until
 * kcache_remove_hook(c, &kcache_logging_hook, &log), and changing them
 * after kcache_add_hook() does not change the subscription.
 * kcache_add_hook() checks them: -EINVAL for a @sz too small, unknown
 * flags or bytes, a @level out of range, or options that let no event
 * through.
 */
KCACHE_API extern const struct kcache_hook_ops kcache_logging_hook;

/*
 * Every cache (since 1.8)
 *
 * The names of the caches and the totals over all of them come from the
 * module's sysfs directory /sys/kernel/lrucache/, which every user may
 * read: a cache's name and the totals are not covered by its mode (see
 * Documentation/lrucache/security.rst). What one cache holds is, and is
 * read through a handle.
 */

/**
 * kcache_list() - the names of the caches that exist now
 * @names: on success, a newly allocated array of the names, each
 *	NUL-terminated, sorted by strcmp(3) and followed by a NULL pointer.
 *	The array and the strings are a single allocation: free(*@names)
 *	releases all of it.
 *
 * One read of /sys/kernel/lrucache/caches/. Every cache is listed,
 * whatever its mode: kcache_open() of a name may still fail with -EACCES.
 * A cache created or destroyed during the call may or may not be listed.
 *
 * Return: the number of names (0 or more; *@names is allocated even for
 * 0), or -EINVAL (NULL @names), -ENODEV (the lrucache module is not
 * loaded), -ENOMEM, or another negative errno of opendir(3)/readdir(3).
 */
KCACHE_API int kcache_list(char ***names);

/**
 * struct kcache_totals - the sums over every cache, from kcache_get_totals()
 * @caches: caches that exist now.
 * @hits: as in struct kcache_metrics, summed over every cache that exists
 *	now (a destroyed cache's counters leave the sums with it).
 * @misses: likewise.
 * @sets: likewise.
 * @deletes: likewise.
 * @evictions: likewise.
 * @expirations: likewise.
 * @entries: likewise.
 * @bytes: likewise.
 * @reaped: likewise.
 * @reclaimed: likewise.
 * @reaper_runs: likewise.
 * @reaper_ns: likewise.
 * @expiring: likewise.
 * @max_total_bytes: the module's limit on the bytes of all caches
 *	together (module parameter max_total_bytes).
 * @reserved: set to zero; later versions of the library may fill it in.
 *
 * The figures of /sys/kernel/lrucache/stats (Documentation/ABI/testing/
 * sysfs-kernel-lrucache), which cover every cache whatever its mode. A
 * figure the module does not report (an older module) is 0. The
 * structure has a fixed size; new fields take the place of @reserved.
 */
struct kcache_totals {
	uint64_t caches;
	uint64_t hits;
	uint64_t misses;
	uint64_t sets;
	uint64_t deletes;
	uint64_t evictions;
	uint64_t expirations;
	uint64_t entries;
	uint64_t bytes;
	uint64_t reaped;
	uint64_t reclaimed;
	uint64_t reaper_runs;
	uint64_t reaper_ns;
	uint64_t expiring;
	uint64_t max_total_bytes;
	uint64_t reserved[17];
};

/**
 * kcache_get_totals() - the counters of all caches together
 * @t: filled in on success (reserved fields zeroed).
 *
 * One read of /sys/kernel/lrucache/stats; the kernel writes the file in
 * one go, so its figures are of one moment for each cache.
 *
 * Return: 0, or -EINVAL (NULL @t), -ENODEV (the lrucache module is not
 * loaded), -EBADMSG (the file is not in the flat keyed format), or
 * another negative errno of open(2)/read(2).
 */
KCACHE_API int kcache_get_totals(struct kcache_totals *t);

/**
 * kcache_strerror() - describe an error code of this library
 * @err: a negative errno returned by this library, or a positive errno.
 *
 * Codes that have a specific meaning for lrucache (-EIDRM, -EBADFD, -E2BIG,
 * -ENOSPC, -ENOENT, -ENODEV, -EEXIST, -ELIBACC, ...) get a specific
 * description (-ELIBACC names the optional libraries);
 * other codes fall back to strerror(3).
 *
 * Return: a string that must not be modified or freed. It is static except
 * in the strerror(3) fallback, where the C library's rules apply.
 */
KCACHE_API const char *kcache_strerror(int err);

/**
 * kcache_fd() - the handle's file descriptor
 *
 * For poll-free integration or raw ioctls. The descriptor belongs to the
 * handle: do not close it.
 *
 * Return: the descriptor, or -EINVAL if @c is NULL, or -EBADF for a handle
 * of kcache_watch_all(), which has none.
 */
KCACHE_API int kcache_fd(const struct kcache *c);

/**
 * kcache_name() - the name of the handle's cache
 *
 * Return: the name, valid until kcache_close(c), or NULL if @c is NULL.
 */
KCACHE_API const char *kcache_name(const struct kcache *c);

#ifdef __cplusplus
}
#endif

#endif /* KCACHE_H */
