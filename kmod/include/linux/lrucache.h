/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lrucache: the kernel API of the LRU cache engine.
 *
 * Every front end (the /dev/lrucache ioctls, sysfs, and other kernel
 * modules) goes through these functions. All may sleep unless stated
 * otherwise; none may be called from atomic context.
 *
 * TTLs are in milliseconds: LRUCACHE_TTL_DEFAULT, LRUCACHE_TTL_NONE or
 * 1 to LRUCACHE_TTL_MAX_MS.
 */
#ifndef _LINUX_LRUCACHE_H
#define _LINUX_LRUCACHE_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/lrucache.h>

struct iov_iter;
struct lrucache;

/**
 * struct lrucache_params - limits of a new cache
 * @max_entries: most entries; 0 selects the module default.
 * @max_bytes: most bytes charged (keys, values, per-entry overhead);
 *	0 selects the module default.
 * @default_ttl_ms: TTL of entries set with LRUCACHE_TTL_DEFAULT; 0 for none.
 * @cleanup_interval_ms: how often the reaper frees expired entries,
 *	LRUCACHE_CLEANUP_INTERVAL_MIN_MS to LRUCACHE_CLEANUP_INTERVAL_MAX_MS;
 *	0 selects LRUCACHE_CLEANUP_INTERVAL_DEFAULT_MS.
 * @mode: permissions for user space (LRUCACHE_PERM_* per class); 0 selects
 *	LRUCACHE_MODE_DEFAULT. The kernel API itself checks no permission.
 */
struct lrucache_params {
	u64 max_entries;
	u64 max_bytes;
	u64 default_ttl_ms;
	u64 cleanup_interval_ms;
	u32 mode;
};

/**
 * struct lrucache_event - what a hook is told
 * @cache: the cache.
 * @type: enum lrucache_event_type.
 * @key: the key; valid only during the callback.
 * @key_len: its length.
 * @value_len: the entry's value length (0 for a miss).
 */
struct lrucache_event {
	struct lrucache *cache;
	u32 type;
	u32 key_len;
	const void *key;
	u32 value_len;
};

/**
 * struct lrucache_hook_ops - callbacks of a hook, each optional
 * @hit: a lookup found a live entry.
 * @miss: a lookup found nothing live.
 * @set: an entry was stored.
 * @del: an entry was removed by a delete.
 * @evict: an entry was evicted for max_entries, max_bytes or the global
 *	limit.
 * @expire: an expired entry was removed (on access or by the reaper).
 * @reclaim: an entry was removed under memory pressure.
 *
 * Callbacks run in atomic context, under rcu_read_lock(), and for every
 * event but hit and miss with the cache's spinlock held: they must not
 * sleep and must not call into lrucache for the same cache. They run on
 * the CPU and in the task that caused the event (the reaper's work item
 * for reaped entries, reclaim for the shrinker's).
 */
struct lrucache_hook_ops {
	void (*hit)(const struct lrucache_event *ev, void *priv);
	void (*miss)(const struct lrucache_event *ev, void *priv);
	void (*set)(const struct lrucache_event *ev, void *priv);
	void (*del)(const struct lrucache_event *ev, void *priv);
	void (*evict)(const struct lrucache_event *ev, void *priv);
	void (*expire)(const struct lrucache_event *ev, void *priv);
	void (*reclaim)(const struct lrucache_event *ev, void *priv);
};

/**
 * struct lrucache_hook - a registration, in memory of the caller's
 * @ops: the callbacks.
 * @priv: passed to each callback.
 * @node: private to lrucache.
 */
struct lrucache_hook {
	const struct lrucache_hook_ops *ops;
	void *priv;
	struct list_head node;
};

int lrucache_hook_register(struct lrucache *cache, struct lrucache_hook *hook);
void lrucache_hook_unregister(struct lrucache *cache,
			      struct lrucache_hook *hook);

/**
 * struct lrucache_write - a conditional store, for lrucache_write_iter()
 * @ttl_ms: LRUCACHE_TTL_DEFAULT, LRUCACHE_TTL_NONE or 1 to
 *	LRUCACHE_TTL_MAX_MS.
 * @flags: 0, or one of LRUCACHE_SET_NX (only if absent), LRUCACHE_SET_XX
 *	(only if present), LRUCACHE_SET_CAS (only if the entry's version is
 *	@cas), LRUCACHE_SET_LEASE (only if the lease @lease still holds).
 * @cas: with LRUCACHE_SET_CAS, the version the entry must have.
 * @lease: with LRUCACHE_SET_LEASE, the token of a lease on the key.
 * @version: written: the version of the entry stored (0 on failure).
 */
struct lrucache_write {
	u64 ttl_ms;
	unsigned int flags;
	u64 cas;
	u64 lease;
	u64 version;
};

/**
 * struct lrucache_lease_owner - who holds leases
 * @leases: private to lrucache.
 * @count: private to lrucache.
 *
 * One per open file of /dev/lrucache, or one per kernel user of a cache
 * (set it up with lrucache_lease_owner_init()); an owner takes leases on
 * one cache only. A lease belongs to its owner and to the thread that
 * took it. lrucache_lease_owner_release() ends all of an owner's leases:
 * call it before the owner goes away.
 */
struct lrucache_lease_owner {
	struct list_head leases;
	unsigned int count;
};

/**
 * struct lrucache_lookup - a lookup that may take a lease
 * @owner: in: who takes a lease.
 * @lease_ms: in: how long a lease granted lasts, LRUCACHE_TTL_DEFAULT for
 *	LRUCACHE_LEASE_DEFAULT_MS, or 1 to LRUCACHE_LEASE_MAX_MS.
 * @refresh_ms: in: 0, or a hit on an entry with less than this left to
 *	live is stale (stale-while-revalidate), at most LRUCACHE_TTL_MAX_MS.
 * @status: out: LRUCACHE_STATUS_* bits.
 * @lease: out: the token of the lease granted, else 0.
 * @version: out: the version of the entry found, else 0.
 */
struct lrucache_lookup {
	struct lrucache_lease_owner *owner;
	u64 lease_ms;
	u64 refresh_ms;
	u32 status;
	u64 lease;
	u64 version;
};

int lrucache_open(const char *name, const struct lrucache_params *params,
		  unsigned int flags, struct lrucache **out);
void lrucache_put(struct lrucache *cache);
int lrucache_destroy(const char *name);
const char *lrucache_name(const struct lrucache *cache);

int lrucache_set(struct lrucache *cache, const void *key, size_t key_len,
		 const void *value, size_t value_len, u64 ttl_ms,
		 unsigned int flags);
int lrucache_set_iter(struct lrucache *cache, const void *key, size_t key_len,
		      struct iov_iter *from, u64 ttl_ms, unsigned int flags);
ssize_t lrucache_get(struct lrucache *cache, const void *key, size_t key_len,
		     void *buf, size_t buf_len);
ssize_t lrucache_get_iter(struct lrucache *cache, const void *key,
			  size_t key_len, struct iov_iter *to);
int lrucache_exists(struct lrucache *cache, const void *key, size_t key_len);
int lrucache_delete(struct lrucache *cache, const void *key, size_t key_len);
int lrucache_clear(struct lrucache *cache);
int lrucache_get_stats(struct lrucache *cache, struct lrucache_stats *stats);
int lrucache_reset_stats(struct lrucache *cache);
int lrucache_get_health(struct lrucache *cache, struct lrucache_health *health);
int lrucache_get_info(struct lrucache *cache, struct lrucache_info *info);
int lrucache_reap(struct lrucache *cache, struct lrucache_reap *r);
int lrucache_check(struct lrucache *cache, struct lrucache_check *c);
int lrucache_set_cleanup_interval(struct lrucache *cache, u64 ms);

int lrucache_write_iter(struct lrucache *cache, const void *key,
			size_t key_len, struct iov_iter *from,
			struct lrucache_write *w);
ssize_t lrucache_gets_iter(struct lrucache *cache, const void *key,
			   size_t key_len, struct iov_iter *to, u64 *version);
int lrucache_cas(struct lrucache *cache, const void *key, size_t key_len,
		 const void *value, size_t value_len, u64 ttl_ms, u64 version,
		 u64 *new_version);
int lrucache_incr(struct lrucache *cache, const void *key, size_t key_len,
		  s64 delta, s64 initial, u64 ttl_ms, s64 *value, u64 *version);
int lrucache_touch(struct lrucache *cache, const void *key, size_t key_len,
		   u64 ttl_ms);
ssize_t lrucache_getex_iter(struct lrucache *cache, const void *key,
			    size_t key_len, struct iov_iter *to, u64 ttl_ms,
			    u64 *version);
ssize_t lrucache_getex(struct lrucache *cache, const void *key,
		       size_t key_len, void *buf, size_t buf_len, u64 ttl_ms);
int lrucache_ttl(struct lrucache *cache, const void *key, size_t key_len,
		 u64 *ttl_ms);
ssize_t lrucache_getdel_iter(struct lrucache *cache, const void *key,
			     size_t key_len, struct iov_iter *to,
			     u64 *version);
ssize_t lrucache_getdel(struct lrucache *cache, const void *key,
			size_t key_len, void *buf, size_t buf_len);
long lrucache_delete_prefix(struct lrucache *cache, const void *prefix,
			    size_t prefix_len);

void lrucache_lease_owner_init(struct lrucache_lease_owner *owner);
void lrucache_lease_owner_release(struct lrucache *cache,
				  struct lrucache_lease_owner *owner);
ssize_t lrucache_get_lease_iter(struct lrucache *cache, const void *key,
				size_t key_len, struct iov_iter *to,
				struct lrucache_lookup *lk);
ssize_t lrucache_get_lease(struct lrucache *cache, const void *key,
			   size_t key_len, void *buf, size_t buf_len,
			   struct lrucache_lookup *lk);
int lrucache_set_leased(struct lrucache *cache, const void *key,
			size_t key_len, const void *value, size_t value_len,
			u64 ttl_ms, u64 token);
int lrucache_lease_release(struct lrucache *cache, const void *key,
			   size_t key_len, u64 token);
int lrucache_lease_wait(struct lrucache *cache,
			struct lrucache_lease_owner *owner, const void *key,
			size_t key_len, u64 timeout_ms);

struct lrucache_snapshot;
struct lrucache_snapshot *lrucache_snapshot(struct lrucache *cache);
u64 lrucache_snapshot_entries(const struct lrucache_snapshot *snap);
u64 lrucache_snapshot_bytes(const struct lrucache_snapshot *snap);
ssize_t lrucache_snapshot_read(struct lrucache_snapshot *snap,
			       struct iov_iter *to);
void lrucache_snapshot_free(struct lrucache_snapshot *snap);

#if IS_ENABLED(CONFIG_KUNIT)
/* For the KUnit suite only (namespace LRUCACHE_TEST): a hand-driven clock. */
void lrucache_test_freeze_clock(struct lrucache *cache);
void lrucache_test_advance_clock(struct lrucache *cache, u64 ns);
unsigned long lrucache_test_reclaim(unsigned long nr);
/* A mapped cache's header, slots and readers' counters, kernel side. */
const struct lrucache_map_header *
lrucache_test_map_header(struct lrucache *cache);
const struct lrucache_map_slot *lrucache_test_map_slot(struct lrucache *cache,
						       u32 unit);
u32 *lrucache_test_map_counter(struct lrucache *cache, u32 unit);
#endif

#endif /* _LINUX_LRUCACHE_H */
