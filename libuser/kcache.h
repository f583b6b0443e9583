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
 *  - TTLs are in milliseconds. Expiry is checked when an entry is accessed:
 *    an expired entry reads as absent.
 *  - Caches live in the kernel until kcache_destroy(); closing a handle only
 *    drops the handle.
 *
 * Thread safety
 *  - The library has no global state.
 *  - A struct kcache may be used by several threads at once: every operation
 *    is a single ioctl on the handle's descriptor and the kernel serialises
 *    them per cache. Only kcache_close() must not run concurrently with (or
 *    be followed by) any other use of the same handle.
 *  - Several handles, in one process or in many, may be attached to the same
 *    cache; they all see the same entries.
 *  - A handle's descriptor is opened with O_CLOEXEC. After fork() the child
 *    shares the parent's descriptor and therefore the same binding.
 *
 * Environment
 *  - KCACHE_DEVICE: path of the device to open instead of /dev/lrucache
 *    (ignored in set-user-ID and set-group-ID programs, see secure_getenv(3)).
 */
#ifndef KCACHE_H
#define KCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/lrucache.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KCACHE_API
#define KCACHE_API __attribute__((visibility("default")))
#endif

#define KCACHE_VERSION_MAJOR	1
#define KCACHE_VERSION_MINOR	0

/* Device opened when KCACHE_DEVICE is not set. */
#define KCACHE_DEVICE_PATH	LRUCACHE_DEVICE_PATH
/* Longest cache name, in bytes, without the terminating NUL. */
#define KCACHE_NAME_MAX		(LRUCACHE_NAME_MAX - 1)

/* Special TTLs for kcache_set(), kcache_add() and kcache_replace(). */
#define KCACHE_TTL_DEFAULT	((uint64_t)LRUCACHE_TTL_DEFAULT) /* cache's default */
#define KCACHE_TTL_NONE		((uint64_t)LRUCACHE_TTL_NONE)	 /* never expires */
/* Largest explicit TTL in milliseconds (about 139 years). */
#define KCACHE_TTL_MAX_MS	((uint64_t)LRUCACHE_TTL_MAX_MS)

/* Opaque handle: one open descriptor bound to one cache. */
struct kcache;

/* struct kcache_options.flags */
#define KCACHE_OPEN_EXCL	(1U << 0)	/* fail with -EEXIST if it exists */

/**
 * struct kcache_options - how to create a cache in kcache_open()
 * @sz: sizeof(struct kcache_options) as the caller was compiled with. Set it
 *	with KCACHE_OPTS(), which also zeroes every field not named.
 * @max_size: most entries; 0 selects the module default
 *	(/sys/module/lrucache/parameters/default_max_entries, 1000 unless
 *	changed). At most 1 << 24.
 * @max_memory_bytes: most bytes charged to the cache (keys, values and a
 *	fixed per-entry overhead, see kcache_metrics.entry_overhead); 0 selects
 *	the module default (default_max_bytes, 64 MiB unless changed).
 * @default_ttl_ms: TTL of entries set with KCACHE_TTL_DEFAULT; 0 means such
 *	entries never expire. At most KCACHE_TTL_MAX_MS.
 * @flags: KCACHE_OPEN_*.
 * @reserved: must be zero.
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
};

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
 * @expirations: expired entries removed.
 * @entries: entries held now.
 * @bytes: bytes charged now: sum of key length + value length +
 *	@entry_overhead over the entries.
 * @max_entries: the cache's entry limit.
 * @max_bytes: the cache's byte limit.
 * @default_ttl_ms: the cache's default TTL, 0 for none.
 * @entry_overhead: bytes charged per entry beyond its key and value.
 * @reserved: set to zero; later versions of the library may fill it in.
 *
 * The counters are the kernel's; they cover every user of the cache since
 * it was created. The structure has a fixed size; new fields take the place
 * of @reserved.
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
	uint64_t reserved[19];
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
 *           valid name, bad @opts (sz too small, unknown flags or nonzero
 *           unknown bytes) or limits the module refuses;
 *  -ENOENT  @opts is NULL and the cache does not exist;
 *  -EEXIST  KCACHE_OPEN_EXCL and the cache exists;
 *  -ENODEV  the device is missing: the lrucache module is not loaded;
 *  -ENOMEM  out of memory (library or kernel);
 *  -EACCES  no permission to open the device;
 *  other negative errnos from open(2) or the kernel.
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
 * entry or byte limit, least recently used entries are evicted.
 *
 * Return: 0, or
 *  -EINVAL  NULL @c, @klen 0, or a bad @ttl_ms;
 *  -E2BIG   key or value longer than the module allows (@klen or @vlen
 *           beyond 4 GiB included), or an entry larger than the cache's
 *           max_bytes (the old value, if any, stays);
 *  -EFAULT  @key or @val is not readable (nothing changes);
 *  -EIDRM   the cache was destroyed;
 *  -ENOMEM  the kernel is out of memory.
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
 * or an expired entry (which is then removed), counts as a miss.
 *
 * *** The value is copied only if it fits. *** If the value is longer than
 * @buflen, NOTHING is written to @buf and the return value is the full
 * length, which is then greater than @buflen: always compare the result with
 * @buflen before using @buf. kcache_get(c, key, klen, NULL, 0) is therefore
 * a size probe (it still counts as a hit and refreshes the entry).
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
 * kcache_exists() - tell whether a key is present
 *
 * Neither the LRU order nor the hit and miss counters change.
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
 * -E2BIG (@n > LRUCACHE_BATCH_MAX), -EFAULT (@ops unreadable) or -EIDRM.
 */
KCACHE_API int kcache_batch_raw(struct kcache *c, struct lrucache_op *ops,
				unsigned int n);

/**
 * kcache_strerror() - describe an error code of this library
 * @err: a negative errno returned by this library, or a positive errno.
 *
 * Codes that have a specific meaning for lrucache (-EIDRM, -EBADFD, -E2BIG,
 * -ENOENT, -ENODEV, -EEXIST, ...) get a specific description; other codes
 * fall back to strerror(3).
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
 * Return: the descriptor, or -EINVAL if @c is NULL.
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
