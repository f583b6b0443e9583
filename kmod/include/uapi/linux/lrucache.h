/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lrucache: LRU key-value caches kept in kernel memory.
 *
 * User space reaches them through the misc device /dev/lrucache. A file
 * descriptor is bound to one cache with LRUCACHE_IOC_OPEN; every other
 * operation on that descriptor then applies to that cache.
 *
 * ABI rules (see Documentation/lrucache/ioctl.rst):
 *  - every field has an explicit width, user pointers travel as __u64 and
 *    no structure has implicit padding;
 *  - reserved fields and unknown flags must be zero (-EINVAL otherwise);
 *  - the structure size is part of the ioctl number. The kernel accepts a
 *    smaller (older) structure as long as it holds the fields of version 0,
 *    and a larger (newer) one as long as the bytes it does not know are
 *    zero (-E2BIG otherwise), the way openat2() and clone3() do. Results
 *    are written up to the size of the caller's structure: an older one
 *    gets the fields it knows, a newer one has its unknown tail zeroed.
 *    LRUCACHE_*_SIZE_VER0 give the size of version 0 of each structure
 *    that has grown.
 */
#ifndef _UAPI_LINUX_LRUCACHE_H
#define _UAPI_LINUX_LRUCACHE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define LRUCACHE_DEVICE_PATH	"/dev/lrucache"

/* Cache names: 1 to 63 bytes of [A-Za-z0-9_.-], not starting with '.'. */
#define LRUCACHE_NAME_MAX	64	/* bytes, including the NUL */

/* Batches carry at most this many operations (-E2BIG beyond). */
#define LRUCACHE_BATCH_MAX	1024

/* Time to live, in milliseconds, for LRUCACHE_IOC_SET and batched sets. */
#define LRUCACHE_TTL_DEFAULT	((__u64)-1)	/* the cache's default_ttl_ms */
#define LRUCACHE_TTL_NONE	((__u64)-2)	/* never expires */
#define LRUCACHE_TTL_MAX_MS	_BITULL(42)	/* about 139 years */

/* How often a cache's reaper frees expired entries, in milliseconds. */
#define LRUCACHE_CLEANUP_INTERVAL_DEFAULT_MS	60000
#define LRUCACHE_CLEANUP_INTERVAL_MIN_MS	10
#define LRUCACHE_CLEANUP_INTERVAL_MAX_MS	86400000	/* a day */

/*
 * Permissions of a cache (struct lrucache_open.mode, struct
 * lrucache_info.mode): like a file's mode, three bits for the owner, three
 * for the owner's group and three for others. CAP_SYS_ADMIN has them all.
 * READ covers GET, EXISTS, DUMP, STATS, HEALTH, INFO and watching events.
 */
#define LRUCACHE_PERM_READ	04	/* GET, EXISTS, DUMP, STATS..., events */
#define LRUCACHE_PERM_WRITE	02	/* SET, DELETE, CLEAR, REAP */
#define LRUCACHE_PERM_ADMIN	01	/* DESTROY, RESET_STATS */
#define LRUCACHE_MODE_DEFAULT	0700	/* the owner only */
#define LRUCACHE_MODE_MASK	0777

/* struct lrucache_open.flags */
#define LRUCACHE_OPEN_CREATE	_BITUL(0)	/* create the cache if it is missing */
#define LRUCACHE_OPEN_EXCL	_BITUL(1)	/* with CREATE: fail if it exists */
#define LRUCACHE_OPEN_NO_METRICS _BITUL(2)	/* with CREATE: count nothing */
#define LRUCACHE_OPEN_MAPPED	_BITUL(3)	/* with CREATE: mmap()able, see below */
#define LRUCACHE_OPEN_FLAGS	(LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL | \
				 LRUCACHE_OPEN_NO_METRICS | LRUCACHE_OPEN_MAPPED)

/**
 * struct lrucache_open - argument of LRUCACHE_IOC_OPEN
 * @name: NUL-terminated cache name; bytes after the NUL must be zero.
 * @flags: LRUCACHE_OPEN_*.
 * @reserved: must be zero.
 * @max_entries: most entries the cache holds; 0 selects the module default.
 * @max_bytes: most bytes (keys, values and per-entry overhead) the cache
 *	holds; 0 selects the module default.
 * @default_ttl_ms: TTL of entries set with LRUCACHE_TTL_DEFAULT; 0 means
 *	that such entries never expire.
 * @cleanup_interval_ms: how often the cache's reaper frees expired entries:
 *	LRUCACHE_CLEANUP_INTERVAL_MIN_MS to LRUCACHE_CLEANUP_INTERVAL_MAX_MS,
 *	or 0 for LRUCACHE_CLEANUP_INTERVAL_DEFAULT_MS. (Since version 1; a
 *	structure of LRUCACHE_OPEN_SIZE_VER0 bytes leaves it 0.)
 * @mode: permissions of a cache this call creates (LRUCACHE_PERM_* bits
 *	for owner, group and others, within LRUCACHE_MODE_MASK, the owner's
 *	bits not all zero), or 0 for LRUCACHE_MODE_DEFAULT. The owner is the
 *	caller's effective uid and gid. (Version 2.)
 * @reserved2: must be zero.
 *
 * Binding to a cache needs at least one permission on it; each later
 * operation checks the one it needs against the caller's credentials of
 * that moment. Creating a cache counts against the caller's quota of
 * caches (-EDQUOT, see the module parameters).
 *
 * Without LRUCACHE_OPEN_CREATE the limits must be zero and the cache must
 * exist. With it, the limits apply only if this call creates the cache.
 * LRUCACHE_OPEN_NO_METRICS (with CREATE) creates a cache whose event
 * counters (hits, misses, sets, deletes, evictions, expirations) stay zero,
 * so its hot path does no counting work.
 */
struct lrucache_open {
	char	name[LRUCACHE_NAME_MAX];
	__u32	flags;
	__u32	reserved;
	__u64	max_entries;
	__u64	max_bytes;
	__u64	default_ttl_ms;
	__u64	cleanup_interval_ms;
	__u32	mode;
	__u32	reserved2;
};

#define LRUCACHE_OPEN_SIZE_VER0	96	/* up to default_ttl_ms */

/**
 * struct lrucache_destroy - argument of LRUCACHE_IOC_DESTROY
 * @name: NUL-terminated cache name; bytes after the NUL must be zero.
 * @flags: must be zero.
 * @reserved: must be zero.
 */
struct lrucache_destroy {
	char	name[LRUCACHE_NAME_MAX];
	__u32	flags;
	__u32	reserved;
};

/* struct lrucache_kv.flags and struct lrucache_op.flags, for sets */
#define LRUCACHE_SET_NX		_BITUL(0)	/* only if the key is absent */
#define LRUCACHE_SET_XX		_BITUL(1)	/* only if the key is present */
#define LRUCACHE_SET_CAS	_BITUL(2)	/* only if its version is @cas */
#define LRUCACHE_SET_LEASE	_BITUL(3)	/* only if lease @lease holds */
#define LRUCACHE_SET_FLAGS	(LRUCACHE_SET_NX | LRUCACHE_SET_XX | \
				 LRUCACHE_SET_CAS | LRUCACHE_SET_LEASE)

/* struct lrucache_kv.flags and struct lrucache_op.flags, for GET */
#define LRUCACHE_GET_LEASE	_BITUL(0)	/* miss or stale: take a lease */
#define LRUCACHE_GET_FLAGS	LRUCACHE_GET_LEASE

/*
 * struct lrucache_kv.status and struct lrucache_op.status, written by GET,
 * GETEX and GETDEL (and their batched forms), on a hit and on a miss.
 */
#define LRUCACHE_STATUS_HIT	_BITUL(0)	/* a live entry was found */
#define LRUCACHE_STATUS_STALE	_BITUL(1)	/* ... within refresh_ms of expiry */
#define LRUCACHE_STATUS_LEASE	_BITUL(2)	/* lease @lease granted to the caller */
#define LRUCACHE_STATUS_HELD	_BITUL(3)	/* another caller holds the lease */
#define LRUCACHE_STATUS_OWN	_BITUL(4)	/* the caller holds it already */

/* Lease durations (GET with LRUCACHE_GET_LEASE), in milliseconds. */
#define LRUCACHE_LEASE_DEFAULT_MS	10000	/* for ttl_ms LRUCACHE_TTL_DEFAULT */
#define LRUCACHE_LEASE_MAX_MS		3600000	/* an hour */

/* Counters (INCR): decimal ASCII of a signed 64-bit integer. */
#define LRUCACHE_COUNTER_MAX_LEN	20	/* "-9223372036854775808" */

/**
 * struct lrucache_kv - argument of the commands on one key
 * @key: user pointer to the key (DELETE_PREFIX: the prefix).
 * @value: user pointer to the value (SET) or to the buffer (GET, GETEX,
 *	GETDEL); zero for the other commands.
 * @key_len: key length, 1 to the module's max_key_len.
 * @value_len: SET: value length. GET, GETEX, GETDEL: on entry the size of
 *	the buffer, on return the full length of the value. Zero otherwise.
 * @ttl_ms: SET, INCR (for a counter it creates), TOUCH, GETEX: time to
 *	live (LRUCACHE_TTL_*, or 1 to LRUCACHE_TTL_MAX_MS). GET with
 *	LRUCACHE_GET_LEASE: how long a lease granted lasts
 *	(LRUCACHE_TTL_DEFAULT for LRUCACHE_LEASE_DEFAULT_MS, or 1 to
 *	LRUCACHE_LEASE_MAX_MS). LEASE_WAIT: the longest wait, 0 to
 *	LRUCACHE_LEASE_MAX_MS. Zero for the other commands.
 * @flags: SET: LRUCACHE_SET_*. GET: LRUCACHE_GET_*. Zero otherwise.
 * @reserved: must be zero.
 * @cas: (version 1) the version of an entry: written back by GET, GETEX
 *	and GETDEL (the entry read) and by SET and INCR (the entry
 *	stored); read by SET with LRUCACHE_SET_CAS (the version the entry
 *	must still have). Zero otherwise.
 * @lease: a lease token: written back by GET with LRUCACHE_GET_LEASE when
 *	it grants one (else 0); read by SET with LRUCACHE_SET_LEASE and by
 *	LEASE_RELEASE. Zero otherwise.
 * @delta: INCR: what is added to the counter. Zero otherwise.
 * @number: INCR: on entry the value an absent counter starts from (before
 *	@delta is added), on return the counter's new value (both signed).
 *	TTL: on return the time left to live in milliseconds, rounded up, or
 *	LRUCACHE_TTL_NONE. Zero on entry otherwise.
 * @refresh_ms: GET with LRUCACHE_GET_LEASE: a hit on an entry with less
 *	than this left to live is stale (LRUCACHE_STATUS_STALE): it is
 *	returned, and one caller gets a lease to refresh it. 0 for none, at
 *	most LRUCACHE_TTL_MAX_MS. Zero otherwise.
 * @status: written back by GET, GETEX and GETDEL: LRUCACHE_STATUS_*.
 *	Zero on entry.
 * @reserved2: must be zero.
 *
 * Version 0 (LRUCACHE_KV_SIZE_VER0 bytes, up to @reserved) serves SET,
 * GET, EXISTS and DELETE; a caller of that size gets no @cas back. Every
 * field written back is written only if the caller's structure has it.
 */
struct lrucache_kv {
	__u64	key;
	__u64	value;
	__u32	key_len;
	__u32	value_len;
	__u64	ttl_ms;
	__u32	flags;
	__u32	reserved;
	__u64	cas;
	__u64	lease;
	__s64	delta;
	__s64	number;
	__u64	refresh_ms;
	__u32	status;
	__u32	reserved2;
};

#define LRUCACHE_KV_SIZE_VER0	40	/* up to reserved */

/* struct lrucache_op.opcode: each is the command of the same name */
enum lrucache_opcode {
	LRUCACHE_OP_GET		= 1,
	LRUCACHE_OP_SET		= 2,
	LRUCACHE_OP_DELETE	= 3,
	LRUCACHE_OP_EXISTS	= 4,
	LRUCACHE_OP_INCR	= 5,
	LRUCACHE_OP_TOUCH	= 6,
	LRUCACHE_OP_GETEX	= 7,
	LRUCACHE_OP_TTL		= 8,
	LRUCACHE_OP_GETDEL	= 9,
	LRUCACHE_OP_DELETE_PREFIX = 10,
	LRUCACHE_OP_LEASE_RELEASE = 11,
	LRUCACHE_OP_LEASE_WAIT	= 12,
};

/**
 * struct lrucache_op - one operation of a batch
 * @opcode: LRUCACHE_OP_*.
 * @result: written by the kernel: what the single ioctl would have
 *	returned (GET: the value length; EXISTS: 1 or 0; others 0), or a
 *	negative errno for this operation alone.
 * @key: as in struct lrucache_kv for the same operation.
 * @value: as in struct lrucache_kv.
 * @key_len: as in struct lrucache_kv.
 * @value_len: as in struct lrucache_kv; written back for GET.
 * @ttl_ms: as in struct lrucache_kv.
 * @flags: as in struct lrucache_kv.
 * @reserved: must be zero.
 * @cas: (version 1) as in struct lrucache_kv, written back the same way.
 * @lease: as in struct lrucache_kv.
 * @delta: as in struct lrucache_kv.
 * @number: as in struct lrucache_kv.
 * @refresh_ms: as in struct lrucache_kv.
 * @status: as in struct lrucache_kv.
 * @reserved2: must be zero.
 *
 * Version 0 (LRUCACHE_OP_SIZE_VER0 bytes, up to @reserved) can carry the
 * opcodes GET, SET, DELETE and EXISTS only usefully: the others need
 * fields it lacks, which then read as zero.
 */
struct lrucache_op {
	__u32	opcode;
	__s32	result;
	__u64	key;
	__u64	value;
	__u32	key_len;
	__u32	value_len;
	__u64	ttl_ms;
	__u32	flags;
	__u32	reserved;
	__u64	cas;
	__u64	lease;
	__s64	delta;
	__s64	number;
	__u64	refresh_ms;
	__u32	status;
	__u32	reserved2;
};

#define LRUCACHE_OP_SIZE_VER0	48	/* up to reserved */

/**
 * struct lrucache_batch - argument of LRUCACHE_IOC_BATCH
 * @ops: user pointer to an array of @count operations.
 * @count: number of operations, 0 to LRUCACHE_BATCH_MAX.
 * @op_size: sizeof(struct lrucache_op) as the caller knows it (at most 4096).
 * @flags: must be zero.
 * @reserved: must be zero.
 *
 * Operations run in array order, one by one; each is atomic on its own, the
 * batch is not. The ioctl returns the number of operations run, which is
 * @count unless the array itself could not be read or written back.
 */
struct lrucache_batch {
	__u64	ops;
	__u32	count;
	__u32	op_size;
	__u32	flags;
	__u32	reserved;
};

/**
 * struct lrucache_stats - result of LRUCACHE_IOC_STATS
 * @hits: lookups (GET) that found a live entry.
 * @misses: lookups that found nothing or an expired entry.
 * @sets: entries stored (inserted or replaced).
 * @deletes: entries removed by DELETE.
 * @evictions: entries removed to respect max_entries or max_bytes.
 * @expirations: expired entries removed, whoever found them (a lookup, a
 *	set, an eviction or the reaper).
 * @entries: entries held now.
 * @bytes: bytes charged now: what the entries' allocations take (the
 *	header, key and value of each, as the allocator rounds them up).
 * @max_entries: the cache's entry limit.
 * @max_bytes: the cache's byte limit.
 * @default_ttl_ms: the cache's default TTL, 0 for none.
 * @entry_overhead: the size of an entry's header, which the kernel
 *	allocates with its key and value.
 * @reaped: of @expirations, the entries the reaper freed.
 * @reclaimed: entries freed because the kernel ran short of memory (the
 *	shrinker); not counted in @evictions.
 * @reaper_runs: times the reaper ran (timer or LRUCACHE_IOC_REAP).
 * @reaper_ns: time the reaper spent, in nanoseconds.
 * @expiring: entries held now that have an expiry time.
 * @data_bytes: (version 2) the sum over the entries held of
 *	@entry_overhead plus key and value lengths: @bytes without the
 *	allocator's rounding.
 * @leases: (version 2) leases held now.
 * @lease_grants: (version 2) leases granted.
 * @stale_fills: (version 2) sets with a lease refused (-ESTALE) because
 *	the key was written, deleted or cleared since the lease was granted,
 *	or the lease had ended.
 *
 * The event counters (@hits to @expirations, @reaped to @reaper_ns,
 * @lease_grants and @stale_fills) stay zero for a cache created with
 * LRUCACHE_OPEN_NO_METRICS.
 * @reaped to @expiring are version 1, @data_bytes to @stale_fills
 * version 2; LRUCACHE_STATS_SIZE_VER0 bytes hold version 0,
 * LRUCACHE_STATS_SIZE_VER1 bytes version 1.
 */
struct lrucache_stats {
	__u64	hits;
	__u64	misses;
	__u64	sets;
	__u64	deletes;
	__u64	evictions;
	__u64	expirations;
	__u64	entries;
	__u64	bytes;
	__u64	max_entries;
	__u64	max_bytes;
	__u64	default_ttl_ms;
	__u64	entry_overhead;
	__u64	reaped;
	__u64	reclaimed;
	__u64	reaper_runs;
	__u64	reaper_ns;
	__u64	expiring;
	__u64	data_bytes;
	__u64	leases;
	__u64	lease_grants;
	__u64	stale_fills;
};

#define LRUCACHE_STATS_SIZE_VER0	96	/* up to entry_overhead */
#define LRUCACHE_STATS_SIZE_VER1	136	/* up to expiring */

/* struct lrucache_info.flags */
#define LRUCACHE_INFO_METRICS	_BITUL(0)	/* event counters are kept */
#define LRUCACHE_INFO_MAPPED	_BITUL(1)	/* LRUCACHE_OPEN_MAPPED */

/**
 * struct lrucache_info - result of LRUCACHE_IOC_INFO
 * @name: the cache name, NUL-terminated and zero-padded.
 * @max_entries: the cache's entry limit.
 * @max_bytes: the cache's byte limit.
 * @default_ttl_ms: the cache's default TTL, 0 for none.
 * @entry_overhead: bytes charged per entry beyond its key and value.
 * @created_ns: creation time, CLOCK_REALTIME nanoseconds.
 * @owner_uid: effective uid of the creator, in the caller's user namespace.
 * @owner_gid: effective gid of the creator, in the caller's user namespace.
 * @flags: LRUCACHE_INFO_*.
 * @mode: the cache's permissions (zero from modules before version 2).
 * @cleanup_interval_ms: how often the reaper runs while entries can
 *	expire (version 1; LRUCACHE_INFO_SIZE_VER0 bytes hold version 0).
 */
struct lrucache_info {
	char	name[LRUCACHE_NAME_MAX];
	__u64	max_entries;
	__u64	max_bytes;
	__u64	default_ttl_ms;
	__u64	entry_overhead;
	__u64	created_ns;
	__u32	owner_uid;
	__u32	owner_gid;
	__u32	flags;
	__u32	mode;
	__u64	cleanup_interval_ms;
};

#define LRUCACHE_INFO_SIZE_VER0	120	/* up to mode */

/* struct lrucache_health.status */
enum lrucache_health_status {
	LRUCACHE_HEALTHY	= 0,
	LRUCACHE_DEGRADED	= 1,
	LRUCACHE_UNHEALTHY	= 2,
};

/* struct lrucache_health.reasons: the rules a cache breaks */
#define LRUCACHE_HEALTH_MEMORY_HIGH	_BITUL(0)	/* bytes >= 95% of max_bytes */
#define LRUCACHE_HEALTH_HIT_RATE_LOW	_BITUL(1)	/* see Documentation/ABI */
#define LRUCACHE_HEALTH_REAPER_BEHIND	_BITUL(2)	/* reaper late by an interval */

/**
 * struct lrucache_health - result of LRUCACHE_IOC_HEALTH
 * @status: enum lrucache_health_status.
 * @reasons: LRUCACHE_HEALTH_* bits.
 * @memory_pct: bytes in use, percent of max_bytes.
 * @hit_rate_pct: hits, percent of lookups (100 before the first lookup).
 * @reaper_late_ms: how late the reaper is, in milliseconds, when
 *	LRUCACHE_HEALTH_REAPER_BEHIND is set; 0 otherwise. (Version 1;
 *	LRUCACHE_HEALTH_SIZE_VER0 bytes hold version 0.)
 *
 * The same status and rules as the sysfs health file of the cache.
 */
struct lrucache_health {
	__u32	status;
	__u32	reasons;
	__u32	memory_pct;
	__u32	hit_rate_pct;
	__u64	reaper_late_ms;
};

#define LRUCACHE_HEALTH_SIZE_VER0	16	/* up to hit_rate_pct */

/* struct lrucache_reap.flags */
#define LRUCACHE_REAP_FULL_SCAN	_BITUL(0)	/* examine every entry */
#define LRUCACHE_REAP_FLAGS	LRUCACHE_REAP_FULL_SCAN

/**
 * struct lrucache_reap - argument of LRUCACHE_IOC_REAP
 * @flags: LRUCACHE_REAP_*. Without flags the reaper examines only the
 *	expiry buckets that are due, as its timer does; with
 *	LRUCACHE_REAP_FULL_SCAN it walks every entry of the cache instead (a
 *	consistency check, and the peer the bucket walk is measured against).
 * @reserved: must be zero.
 * @freed: written by the kernel: expired entries freed by this run.
 * @visited: written by the kernel: entries examined by this run. A full
 *	scan examines every entry at least once; if the hash table is resized
 *	meanwhile (entries being added or removed) it may see some twice.
 * @elapsed_ns: written by the kernel: time this run took.
 */
struct lrucache_reap {
	__u32	flags;
	__u32	reserved;
	__u64	freed;
	__u64	visited;
	__u64	elapsed_ns;
};

/**
 * struct lrucache_dump - argument of LRUCACHE_IOC_DUMP
 * @flags: must be zero.
 * @fd: written by the kernel: a new read-only, close-on-exec file
 *	descriptor; read(2) on it returns the snapshot as a stream of
 *	records (struct lrucache_record), least recently used entry first.
 *	It cannot seek. Closing it frees the snapshot.
 * @entries: written by the kernel: the number of records in the stream.
 * @bytes: written by the kernel: the length of the stream.
 * @reserved: must be zero.
 *
 * The snapshot holds exactly the live entries of the cache at one instant,
 * with their values and LRU order of that instant: entries set, replaced
 * or removed afterwards do not change it, however long the reading takes.
 * Its entries stay in memory (charged as before) until the descriptor is
 * closed.
 */
struct lrucache_dump {
	__u32	flags;
	__s32	fd;
	__u64	entries;
	__u64	bytes;
	__u64	reserved;
};

/**
 * struct lrucache_record - one entry in a dump stream
 * @key_len: length of the key that follows this header.
 * @value_len: length of the value that follows the key.
 * @ttl_ms: time the entry had left to live when the snapshot was taken,
 *	rounded up to a millisecond, or LRUCACHE_TTL_NONE.
 *
 * The header is followed by the key and then the value, with no padding;
 * the next record starts right after the value.
 */
struct lrucache_record {
	__u32	key_len;
	__u32	value_len;
	__u64	ttl_ms;
};

/*
 * What can happen to an entry: reported to kernel hooks, tracepoints and
 * event subscribers. A mask of events has bit LRUCACHE_EVENT_BIT(type).
 */
enum lrucache_event_type {
	LRUCACHE_EVENT_HIT	= 1,	/* a lookup found it */
	LRUCACHE_EVENT_MISS	= 2,	/* a lookup found nothing live */
	LRUCACHE_EVENT_SET	= 3,	/* stored (inserted or replaced) */
	LRUCACHE_EVENT_DELETE	= 4,	/* removed by a delete */
	LRUCACHE_EVENT_EVICT	= 5,	/* removed for max_entries/max_bytes */
	LRUCACHE_EVENT_EXPIRE	= 6,	/* removed once expired */
	LRUCACHE_EVENT_RECLAIM	= 7,	/* removed under memory pressure */
};

#define LRUCACHE_EVENT_MAX	LRUCACHE_EVENT_RECLAIM
#define LRUCACHE_EVENT_BIT(type)	(1U << (type))
#define LRUCACHE_EVENT_ALL	(((1U << (LRUCACHE_EVENT_MAX + 1)) - 1) & ~1U)

/*
 * Event stream: the generic netlink family LRUCACHE_GENL_NAME.
 *
 * A socket subscribes with LRUCACHE_CMD_SUBSCRIBE, naming at most one cache
 * (LRUCACHE_ATTR_CACHE; without it, every cache it may watch) and the events
 * it wants (LRUCACHE_ATTR_EVENTS, a mask of LRUCACHE_EVENT_BIT()s; without
 * it, all). Subscribing again replaces the socket's subscription;
 * LRUCACHE_CMD_UNSUBSCRIBE or closing the socket ends it. Watching a cache
 * needs LRUCACHE_PERM_READ on it (-EACCES otherwise); CAP_SYS_ADMIN
 * watches any. Without the capability, a subscription to every cache only
 * receives events of the caches whose mode gives the subscriber's
 * effective uid, or effective gid, read permission.
 *
 * The kernel then sends the socket one LRUCACHE_CMD_EVENT message per
 * event, unicast, in the order the events happened on each cache. Each
 * carries LRUCACHE_ATTR_SEQ, numbering that socket's events from 1: a gap
 * means events were lost (the socket's receive buffer was full, or too
 * many were waiting to be sent), and LRUCACHE_ATTR_LOST counts them. A
 * slow subscriber loses events; it never slows the cache down. With no
 * subscriber, the module does no event work at all.
 */
#define LRUCACHE_GENL_NAME	"lrucache"
#define LRUCACHE_GENL_VERSION	1

/* Keys up to this long travel whole in events; longer ones by hash only. */
#define LRUCACHE_EVENT_KEY_MAX	64

enum lrucache_genl_cmd {
	LRUCACHE_CMD_UNSPEC,
	LRUCACHE_CMD_SUBSCRIBE,		/* attrs: CACHE?, EVENTS? */
	LRUCACHE_CMD_UNSUBSCRIBE,	/* no attrs */
	LRUCACHE_CMD_EVENT,		/* kernel to subscriber */
	__LRUCACHE_CMD_MAX,
};

#define LRUCACHE_CMD_MAX	(__LRUCACHE_CMD_MAX - 1)

enum lrucache_genl_attr {
	LRUCACHE_ATTR_UNSPEC,
	LRUCACHE_ATTR_CACHE,		/* string: cache name */
	LRUCACHE_ATTR_EVENTS,		/* u32: mask of LRUCACHE_EVENT_BIT() */
	LRUCACHE_ATTR_TYPE,		/* u32: enum lrucache_event_type */
	LRUCACHE_ATTR_KEY,		/* binary: a key of at most 64 bytes */
	LRUCACHE_ATTR_KEY_LEN,		/* u32 */
	LRUCACHE_ATTR_KEY_HASH,		/* u32: jhash(key, key_len, 0) */
	LRUCACHE_ATTR_VALUE_LEN,	/* u32: 0 for a miss */
	LRUCACHE_ATTR_AGE_S,		/* u32: seconds since set; not on miss */
	LRUCACHE_ATTR_SEQ,		/* u64: this socket's event number */
	LRUCACHE_ATTR_LOST,		/* u64: events this socket lost so far */
	LRUCACHE_ATTR_PAD,
	__LRUCACHE_ATTR_MAX,
};

#define LRUCACHE_ATTR_MAX	(__LRUCACHE_ATTR_MAX - 1)

#define LRUCACHE_IOC_MAGIC	0xCA

#define LRUCACHE_IOC_OPEN	_IOW(LRUCACHE_IOC_MAGIC, 0x40, struct lrucache_open)
#define LRUCACHE_IOC_DESTROY	_IOW(LRUCACHE_IOC_MAGIC, 0x41, struct lrucache_destroy)
#define LRUCACHE_IOC_SET	_IOW(LRUCACHE_IOC_MAGIC, 0x42, struct lrucache_kv)
#define LRUCACHE_IOC_GET	_IOWR(LRUCACHE_IOC_MAGIC, 0x43, struct lrucache_kv)
#define LRUCACHE_IOC_EXISTS	_IOW(LRUCACHE_IOC_MAGIC, 0x44, struct lrucache_kv)
#define LRUCACHE_IOC_DELETE	_IOW(LRUCACHE_IOC_MAGIC, 0x45, struct lrucache_kv)
#define LRUCACHE_IOC_CLEAR	_IO(LRUCACHE_IOC_MAGIC, 0x46)
#define LRUCACHE_IOC_STATS	_IOR(LRUCACHE_IOC_MAGIC, 0x47, struct lrucache_stats)
#define LRUCACHE_IOC_BATCH	_IOWR(LRUCACHE_IOC_MAGIC, 0x48, struct lrucache_batch)
#define LRUCACHE_IOC_RESET_STATS _IO(LRUCACHE_IOC_MAGIC, 0x49)
#define LRUCACHE_IOC_HEALTH	_IOR(LRUCACHE_IOC_MAGIC, 0x4a, struct lrucache_health)
#define LRUCACHE_IOC_INFO	_IOR(LRUCACHE_IOC_MAGIC, 0x4b, struct lrucache_info)
#define LRUCACHE_IOC_REAP	_IOWR(LRUCACHE_IOC_MAGIC, 0x4c, struct lrucache_reap)
#define LRUCACHE_IOC_DUMP	_IOWR(LRUCACHE_IOC_MAGIC, 0x4d, struct lrucache_dump)
/**
 * struct lrucache_check - result of LRUCACHE_IOC_CHECK
 * @entries: entries found on the LRU list.
 * @bytes: bytes charged for them.
 * @expiring: of them, entries with an expiry time (found on their bucket).
 * @problems: how many checks failed; 0 for a consistent cache.
 *
 * The walk compares the LRU list, the hash table, the expiry buckets and
 * the cache's counters (each entry listed is hashed under its key and sits
 * on the bucket of its expiry; the counts agree). A diagnostic for tests
 * and administrators (CAP_SYS_ADMIN), O(entries); it holds the cache's
 * lock for a batch of entries at a time, and starts over if the cache
 * changed between two batches (-EAGAIN after a few tries).
 */
struct lrucache_check {
	__u64	entries;
	__u64	bytes;
	__u64	expiring;
	__u64	problems;
};

/*
 * Does nothing on a bound descriptor: the cost floor of an ioctl here.
 * Part of the stable ABI, like every command above.
 */
#define LRUCACHE_IOC_NOP	_IO(LRUCACHE_IOC_MAGIC, 0x4e)
#define LRUCACHE_IOC_CHECK	_IOR(LRUCACHE_IOC_MAGIC, 0x4f, struct lrucache_check)

/* Operations on one key beyond SET, GET, EXISTS and DELETE (ioctl.rst). */
#define LRUCACHE_IOC_INCR	_IOWR(LRUCACHE_IOC_MAGIC, 0x50, struct lrucache_kv)
#define LRUCACHE_IOC_TOUCH	_IOWR(LRUCACHE_IOC_MAGIC, 0x51, struct lrucache_kv)
#define LRUCACHE_IOC_GETEX	_IOWR(LRUCACHE_IOC_MAGIC, 0x52, struct lrucache_kv)
#define LRUCACHE_IOC_TTL	_IOWR(LRUCACHE_IOC_MAGIC, 0x53, struct lrucache_kv)
#define LRUCACHE_IOC_GETDEL	_IOWR(LRUCACHE_IOC_MAGIC, 0x54, struct lrucache_kv)
#define LRUCACHE_IOC_DELETE_PREFIX _IOWR(LRUCACHE_IOC_MAGIC, 0x55, struct lrucache_kv)
#define LRUCACHE_IOC_LEASE_RELEASE _IOWR(LRUCACHE_IOC_MAGIC, 0x56, struct lrucache_kv)
#define LRUCACHE_IOC_LEASE_WAIT	_IOWR(LRUCACHE_IOC_MAGIC, 0x57, struct lrucache_kv)

/*
 * Mapped caches (Documentation/lrucache/mapped.rst). A cache created with
 * LRUCACHE_OPEN_MAPPED keeps a copy of its entries in memory that a
 * descriptor bound to it, with read permission, can mmap(): read-only at
 * offset 0 (map_size bytes: this header, the index, the arena of slots),
 * and read-write at LRUCACHE_MAP_USE_OFFSET (use_size bytes: one __u32
 * counter per LRUCACHE_MAP_UNIT bytes of arena, which readers increment
 * on a hit). Every reference in the mapping is an offset or a unit
 * number, never a pointer. Pages are LRUCACHE_MAP_PAGE bytes.
 */
#define LRUCACHE_MAP_MAGIC	0x4c52554dU	/* "MURL" in memory */
#define LRUCACHE_MAP_VERSION	1
#define LRUCACHE_MAP_PAGE	4096
#define LRUCACHE_MAP_UNIT	64		/* slots start at multiples */
#define LRUCACHE_MAP_USE_OFFSET	_BITULL(36)	/* mmap() offset of the counters */
#define LRUCACHE_MAP_CHAIN_MAX	16		/* longest chain a reader walks */

/* struct lrucache_map_header.flags */
#define LRUCACHE_MAP_DEAD	_BITUL(0)	/* the cache was destroyed */

/**
 * struct lrucache_map_header - the first page of a cache's mapping
 * @magic: LRUCACHE_MAP_MAGIC.
 * @version: LRUCACHE_MAP_VERSION.
 * @flags: LRUCACHE_MAP_*; changes at any time.
 * @bucket_shift: the index has 1 << @bucket_shift buckets.
 * @seed: the seed of lrucache_map_hash() for this cache.
 * @index_off: offset of the index: one __u32 per bucket, the unit number
 *	plus one of the first slot of the bucket's chain (0: empty).
 * @arena_off: offset of the arena, page aligned.
 * @arena_pages: pages the arena may grow to.
 * @ready_pages: pages of the arena in place (0 .. @ready_pages - 1): a
 *	reader reads no arena page at or beyond it; it only grows.
 * @map_size: bytes of the read-only mapping.
 * @use_size: bytes of the counters' mapping.
 * @reserved: zero.
 */
struct lrucache_map_header {
	__u32	magic;
	__u32	version;
	__u32	flags;
	__u32	bucket_shift;
	__u64	seed;
	__u64	index_off;
	__u64	arena_off;
	__u64	arena_pages;
	__u64	ready_pages;
	__u64	map_size;
	__u64	use_size;
	__u64	reserved[7];
};

/**
 * struct lrucache_map_slot - an entry's copy in the arena
 * @seq: even and not zero while the slot holds a live entry; odd while it
 *	is written, after its entry left the cache, and while it is free; 0
 *	before its first use. It only grows.
 * @expires: the entry's expiry, CLOCK_BOOTTIME nanoseconds; 0: never.
 * @key_len: the key's length.
 * @value_len: the value's length.
 * @next: the next slot of the bucket's chain (unit number plus one), or 0.
 * @reserved: zero.
 *
 * The key follows, then the value; a slot never crosses an arena page.
 */
struct lrucache_map_slot {
	__u64	seq;
	__u64	expires;
	__u32	key_len;
	__u32	value_len;
	__u32	next;
	__u32	reserved;
};

/*
 * The index's hash of a key: 64-bit FNV-1a over the seed's eight bytes
 * (little-endian) and then the key, folded. Kernel and readers use this
 * one function.
 */
static __inline__ __u64 lrucache_map_hash(const void *key, __u32 len,
					  __u64 seed)
{
	const unsigned char *p = (const unsigned char *)key;
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 i;

	for (i = 0; i < 8; i++) {
		h ^= (seed >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

#endif /* _UAPI_LINUX_LRUCACHE_H */
