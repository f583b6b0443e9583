/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkcache-tier: an lrucache cache as the near cache (L1) of Redis,
 * Valkey, a Redis Cluster or a pool of memcached servers.
 *
 * A tier binds one lrucache cache (a struct kcache from kcache_open()) to
 * a backend, which stays the source of truth:
 *  - read-through: kcache_tier_get() answers from the kernel cache; a miss
 *    reads the backend and stores the value in the kernel cache with a TTL
 *    no longer than the key's remaining TTL in the backend (PTTL) nor the
 *    tier's max_ttl_ms;
 *  - write-through and delete-through: kcache_tier_set() and
 *    kcache_tier_delete() write the backend, then drop the key from the
 *    kernel cache (the next read fills it again);
 *  - batches: kcache_tier_mget().
 *
 * Coherence across hosts (Redis, Valkey, Redis Cluster): lrucache-tierd,
 * one agent per host and tier, receives the server's invalidations
 * (CLIENT TRACKING, broadcast mode) and deletes the keys from the kernel
 * cache. While the agent is not connected (or not running) the tier is
 * fenced: reads go to the backend and nothing is stored in the kernel
 * cache. memcached cannot push invalidations: there the kernel cache may
 * serve a value up to max_ttl_ms after another host changed it.
 * Documentation/lrucache/tier.rst explains the protocol, its guarantees
 * and their limits.
 *
 * Conventions are libkcache's: 0 or a non-negative result, or a negative
 * errno. Backend failures are -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH
 * (cannot reach a server), -EIO (the server answered with an error, or the
 * connection broke), -EAGAIN (a Redis Cluster without an owner for the key
 * for now), -EPROTO (an answer this library does not understand).
 *
 * Thread safety: a struct kcache_tier may be used by several threads;
 * its backend connections are used by one thread at a time (a mutex), hits
 * in the kernel cache take no lock. kcache_tier_close() must not run
 * concurrently with any other use.
 */
#ifndef KCACHE_TIER_H
#define KCACHE_TIER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <kcache.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KCACHE_TIER_API
#define KCACHE_TIER_API __attribute__((visibility("default")))
#endif

/* struct kcache_tier_options.backend */
#define KCACHE_TIER_REDIS		1	/* Redis or Valkey, one server */
#define KCACHE_TIER_REDIS_CLUSTER	2	/* Redis Cluster */
#define KCACHE_TIER_MEMCACHED		3	/* memcached servers */

/* struct kcache_tier_options.flags */
/*
 * Redis: use the kernel cache even when no agent is connected. Values
 * changed by other hosts may then be served until their L1 TTL
 * (max_ttl_ms at most) runs out, as with memcached.
 */
#define KCACHE_TIER_NO_AGENT		(1U << 0)

/* The L1 TTL cap when max_ttl_ms is 0: one minute. */
#define KCACHE_TIER_MAX_TTL_DEFAULT_MS	60000ULL
/* Connect and I/O timeout when timeout_ms is 0. */
#define KCACHE_TIER_TIMEOUT_DEFAULT_MS	1000U

struct kcache_tier;

/**
 * struct kcache_tier_options - what kcache_tier_open() binds the cache to
 * @sz: sizeof(struct kcache_tier_options); KCACHE_TIER_OPTS() sets it.
 * @backend: KCACHE_TIER_REDIS, KCACHE_TIER_REDIS_CLUSTER or
 *	KCACHE_TIER_MEMCACHED.
 * @flags: KCACHE_TIER_NO_AGENT or 0.
 * @servers: "host:port[,host:port...]". Redis: the server. Redis Cluster:
 *	any of its nodes (the others are learnt from CLUSTER SLOTS).
 *	memcached: every server of the pool, spread over by consistent
 *	hashing (ketama).
 * @max_ttl_ms: the longest TTL a value gets in the kernel cache; values
 *	the backend keeps without a TTL get this one. 0: 60000.
 * @timeout_ms: connect and I/O timeout of the backend connections.
 *	0: 1000.
 * @state_dir: directory of the agents' state files; NULL for
 *	$KCACHE_TIER_DIR, or /run/lrucache/tier.
 * @fill_hook: if set, called by a read-through fill between its backend
 *	read and the store into the kernel cache, with @fill_hook_arg and the
 *	key. Tests use it to put a concurrent write exactly there; tracing
 *	may too. It must not use the tier.
 * @fill_hook_arg: passed to @fill_hook.
 *
 * The structure only grows at its end (bytes beyond what the library knows
 * must be zero).
 */
struct kcache_tier_options {
	size_t sz;
	int backend;
	uint32_t flags;
	const char *servers;
	uint64_t max_ttl_ms;
	uint32_t timeout_ms;
	uint32_t reserved;
	const char *state_dir;
	void (*fill_hook)(void *arg, const void *key, size_t klen);
	void *fill_hook_arg;
};

#define KCACHE_TIER_OPTS(NAME, ...)					\
	struct kcache_tier_options NAME = {				\
		.sz = sizeof(struct kcache_tier_options),		\
		__VA_ARGS__						\
	}

/**
 * kcache_tier_open() - bind a cache to a backend
 * @c: the kernel cache (kcache_open()); it stays the caller's: close it
 *	after kcache_tier_close().
 * @opts: the backend; NULL takes the backend, servers and TTL cap that
 *	the cache's agent publishes in its state file.
 * @out: the new tier.
 *
 * Connects to the backend (a Redis Cluster's slot map is read here).
 *
 * Return: 0, or -EINVAL (NULL @c or @out, bad options, unparsable
 * servers), -ENOENT (@opts NULL and no agent state for the cache),
 * -ENOMEM, or a backend error (see above).
 */
KCACHE_TIER_API int kcache_tier_open(struct kcache *c,
				     const struct kcache_tier_options *opts,
				     struct kcache_tier **out);

/**
 * kcache_tier_close() - close the backend connections and free the tier
 * @t: the tier, or NULL. The kernel cache stays open.
 */
KCACHE_TIER_API void kcache_tier_close(struct kcache_tier *t);

/**
 * kcache_tier_get() - read through the kernel cache
 * @t: the tier.
 * @key, @klen: the key (the backend's key, byte for byte).
 * @buf, @buflen: as kcache_get(): the value is copied only if it fits.
 *
 * A hit in the kernel cache is one system call. A miss (or a fenced
 * tier) reads the value and its PTTL from the backend; the value is stored
 * in the kernel cache through the key's lease (kcache_get_lease()), unless
 * the tier is fenced, another reader of the host holds the lease, or a
 * write or an invalidation of the key revoked it meanwhile (a refused
 * fill: the kernel checks it as it stores). Filling needs a kernel module
 * with leases and write permission on the cache; without them the tier
 * serves hits and stores nothing.
 *
 * Return: the full length of the value, -ENOENT if the backend has no such
 * key, or a negative errno (kernel cache or backend).
 */
KCACHE_TIER_API ssize_t kcache_tier_get(struct kcache_tier *t,
					const void *key, size_t klen,
					void *buf, size_t buflen);

/**
 * kcache_tier_mget() - read several keys through the kernel cache
 * @t: the tier.
 * @items: as for kcache_get_many(): @key, @key_len, @value, @value_len
 *	read, @status written (the value's full length, or -ENOENT, or
 *	another negative errno for that key).
 * @n: number of items.
 *
 * One kernel batch for the hits, each miss looked up again with a lease,
 * then one pipelined round trip per backend server for the misses (GET and
 * PTTL of each key; memcached: one multi get), then the fills.
 *
 * Return: the number of items found (their @status >= 0), or a negative
 * errno if the call failed as a whole (-EINVAL: NULL @t, or NULL @items
 * with @n > 0).
 */
KCACHE_TIER_API ssize_t kcache_tier_mget(struct kcache_tier *t,
					 struct kcache_item *items, size_t n);

/**
 * kcache_tier_set() - write through to the backend
 * @t: the tier.
 * @key, @klen: the key.
 * @val, @vlen: the value.
 * @ttl_ms: the backend TTL in milliseconds, or KCACHE_TTL_NONE
 *	(memcached: rounded up to whole seconds).
 *
 * Writes the backend (SET key value [PX ttl]), then deletes the key from
 * the kernel cache, which also revokes the key's lease: a fill that read
 * the old value stores nothing. The next read fills the key again.
 *
 * Return: 0, -EINVAL (bad arguments, a KCACHE_TTL_DEFAULT TTL), or a
 * backend error (the kernel cache is then left as it was).
 */
KCACHE_TIER_API int kcache_tier_set(struct kcache_tier *t, const void *key,
				    size_t klen, const void *val, size_t vlen,
				    uint64_t ttl_ms);

/**
 * kcache_tier_delete() - delete through to the backend
 * @t: the tier.
 * @key, @klen: the key.
 *
 * Return: 0 if the backend had the key, -ENOENT if it did not (the kernel
 * cache's copy is dropped either way), or a backend error.
 */
KCACHE_TIER_API int kcache_tier_delete(struct kcache_tier *t,
				       const void *key, size_t klen);

/**
 * struct kcache_tier_stats - a tier's figures
 * @hits: this handle's reads answered by the kernel cache.
 * @backend_reads: this handle's keys read from the backend.
 * @fills: values this handle stored in the kernel cache.
 * @fill_refusals: fills this handle dropped because a write or an
 *	invalidation of the key, or a clear, revoked the fill's lease (or a
 *	fence came) between its backend read and its store.
 * @bypass_reads: reads while the tier was fenced.
 * @writes: write-through calls that succeeded.
 * @deletes: delete-through calls that succeeded.
 * @backend_errors: backend calls that failed.
 * @usable: 1 if the kernel cache is in use now (agent connected, or
 *	KCACHE_TIER_NO_AGENT, or memcached), 0 if fenced.
 * @agent_state: 0 no agent, 1 connecting, 2 connected, 3 reconnecting.
 * @epoch: the agent's epoch (bumped at each connection and each loss).
 * @invalidations: keys the agent invalidated (all processes).
 * @reserved: zero.
 */
struct kcache_tier_stats {
	uint64_t hits;
	uint64_t backend_reads;
	uint64_t fills;
	uint64_t fill_refusals;
	uint64_t bypass_reads;
	uint64_t writes;
	uint64_t deletes;
	uint64_t backend_errors;
	uint64_t usable;
	uint64_t agent_state;
	uint64_t epoch;
	uint64_t invalidations;
	uint64_t reserved[4];
};

/**
 * kcache_tier_get_stats() - this handle's counters and the agent's state
 * @t: the tier.
 * @s: filled in.
 *
 * The counters of every process using the tier, and the agent's, are in
 * the state file that kcachectl tier reads.
 *
 * Return: 0, or -EINVAL.
 */
KCACHE_TIER_API int kcache_tier_get_stats(struct kcache_tier *t,
					  struct kcache_tier_stats *s);

/**
 * kcache_tier_last_error() - the backend's last error message
 * @t: the tier.
 *
 * Return: the message of the last backend failure of this handle ("" if
 * none), valid until the next call on @t from the same thread.
 */
KCACHE_TIER_API const char *kcache_tier_last_error(struct kcache_tier *t);

#ifdef __cplusplus
}
#endif

#endif /* KCACHE_TIER_H */
