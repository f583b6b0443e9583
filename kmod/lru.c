// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache core: the entries of a cache, their lookup and the LRU list.
 * Caches of byte-string keys and values with exact LRU eviction, entry and
 * byte limits, and per-entry expiry; this file stores, finds, replaces and
 * evicts entries, and arms the reaper's timer for the entries that can
 * expire. It sits on params.c (the module parameters), memory.c (what
 * entries take, the limits several caches share) and events.c (how events
 * are reported), and calls no other file. The module's other jobs have
 * files of their own (design.rst, "Layers", says which sits on which):
 * reaper.c (the expiry buckets' walk), check.c (the consistency check),
 * health.c (a cache's description, counters and health), cache_sysfs.c
 * (a cache's sysfs files), registry.c (caches by name, their lifecycle,
 * their owners' quota records), perm.c (permissions), snapshot.c (dumps),
 * shrinker.c (memory pressure); chardev.c, sysfs.c and netlink.c are the
 * front ends, trace.c and hooks.c listen to events, and main.c brings it
 * all up and down.
 *
 * Data structures
 * ---------------
 * Each cache has an rhashtable (resizable, RCU-protected, so chains stay
 * short whatever the cache grows to) indexing its entries by key, and a
 * doubly linked LRU list with the most recently used entry first. An entry
 * is one allocation: the header (LRUCACHE_ENTRY_OVERHEAD bytes, reported
 * to users as entry_overhead) followed by the key and the value. What a
 * cache is charged for an entry is what that allocation takes, the
 * allocator's rounding included (lrucache_alloc_charge() in memory.c).
 *
 * Locking rules (of the whole module: the one place that lists them)
 * -------------
 * - lrucache_registry_lock (mutex) protects the list of caches and their
 *   names. It is taken to open, create and destroy caches, never by the
 *   operations on entries.
 * - cache->lock (spinlock, never taken from interrupt context) serialises
 *   every change to a cache: insertion into and removal from the hash
 *   table, every change to the LRU list, cache->entries, cache->bytes and
 *   cache->dead. Entries are only ever added to or removed from the hash
 *   table and the LRU list together, under this lock.
 * - Lookups walk the hash table under rcu_read_lock() without cache->lock.
 *   A lookup that hits copies the value out first, and only then takes
 *   cache->lock to move the entry to the head of the LRU list (a copy
 *   that faults changes nothing); if the entry already is the head it
 *   takes no lock at all, because the LRU order would not change, and if
 *   a set or a delete unlinked it meanwhile it moves nothing. A lookup
 *   that must take the lock before copying (to free an expired entry, or
 *   to take a reference) and finds its entry unlinked (a set replaced it
 *   meanwhile) looks the key up again under the lock, where the table
 *   holds exactly the linked entries, so a key that is always present is
 *   never missed.
 * - An entry carries a reference count: one reference is held by the
 *   cache while it is hashed. A reader copies the value out under RCU
 *   with page faults disabled, which needs no reference. Only when that
 *   copy would fault does it take one, with refcount_inc_not_zero()
 *   under RCU (or refcount_inc() under cache->lock, where the entry is
 *   linked), and copy again outside RCU and the lock, where it may fault
 *   and sleep. The last put frees the entry after a grace period
 *   (kvfree_rcu()), as RCU readers may still be looking at it. Key,
 *   value, lengths and version of an entry never change after it is
 *   published: a replace publishes a new entry. Only its expiry time
 *   does, through TOUCH and GETEX, under cache->lock, while lock-free
 *   readers read it with READ_ONCE() (lrucache_expires()).
 * - Leases (lease.c) are only looked at and changed under cache->lock.
 * - A cache is a kobject: its reference count keeps the structure alive
 *   for the registry, open files and kernel users. Destroying a cache
 *   unlists it, marks it dead under cache->lock (every operation then
 *   fails with -EIDRM and no entry can be added) and frees its entries;
 *   the structure goes when the last reference does (registry.c).
 * - cache->reap_lock (mutex) serialises the reaper's runs, and
 *   lrucache_check() with them; it is taken before cache->lock. The
 *   expiry buckets and the reaper are described in reaper.c.
 *
 * - Events (events.c) add no lock to these: reporting one under
 *   cache->lock or in a lock-free lookup records it with an allocation,
 *   atomics and a lock-free list. Kernel hooks' callbacks run there and
 *   take no lock of lrucache's. The work item that hands recorded events
 *   to the netlink stream, and netlink's requests, take their locks in
 *   process context with none of the above held.
 *
 * Lock order, the whole module's, in two chains never held together:
 *
 *   lrucache_registry_lock -> cache->reap_lock -> cache->lock ->
 *	rhashtable bucket locks -> hrtimer base lock (irq-safe, innermost)
 *
 *   lrucache_listeners_lock (events.c) -> lrucache_nl_mutex (netlink.c) ->
 *	lrucache_events_mask_lock (events.c)
 *
 * (SUBSCRIBE opens its cache, taking lrucache_registry_lock, before it
 * takes lrucache_nl_mutex; switching the events' static key under
 * lrucache_nl_mutex takes the CPU hotplug lock and jump_label_mutex.)
 *
 * Versions
 * --------
 * Every write of an entry (set, INCR) gives it a version, its CAS token,
 * from the cache's version clock, under cache->lock: the clock moves to
 * max(clock + 1, s << 24), s being the second (coarse clock, since the
 * cache's birth) of the write. The clock never goes back, so a version is
 * never given twice in a cache's life, and later writes have larger
 * versions; the clock only runs ahead of the seconds while a cache takes
 * more than 2^24 writes in one. The entry keeps the clock in bits 63..9 of
 * its version and its key length minus one in bits 8..0: the version
 * costs no more bytes than the write time in seconds and a 32-bit key
 * length did before it, and the header stays 64 bytes. Events take the
 * entry's age from it. 55 bits of clock last 68 years of a cache's life;
 * a cache whose clock is spent refuses writes with -EOVERFLOW.
 *
 * Memory
 * ------
 * Entries are charged to the caller's memory cgroup. Besides each cache's
 * own limits, the bytes of all caches together stay within
 * lrucache_max_total_bytes: a set that would go beyond it evicts the
 * inserting cache's own least recently used entries, and fails with
 * -ENOSPC if even that could not make room. A shrinker lets the kernel
 * reclaim least recently used entries of every cache under memory
 * pressure.
 */

#include <linux/jhash.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "lrucache_internal.h"

static u32 lrucache_hash_key(const void *data, u32 len, u32 seed)
{
	const struct lrucache_key *k = data;

	return jhash(k->data, k->len, seed);
}

static u32 lrucache_hash_obj(const void *data, u32 len, u32 seed)
{
	const struct lrucache_entry *e = data;

	return jhash(e->data, lrucache_key_len(e), seed);
}

static int lrucache_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct lrucache_key *k = arg->key;
	const struct lrucache_entry *e = obj;

	return lrucache_key_len(e) != k->len ||
	       memcmp(e->data, k->data, k->len);
}

static const struct rhashtable_params lrucache_ht_params = {
	.head_offset		= offsetof(struct lrucache_entry, node),
	.hashfn			= lrucache_hash_key,
	.obj_hashfn		= lrucache_hash_obj,
	.obj_cmpfn		= lrucache_cmp,
	.automatic_shrinking	= true,
};

/**
 * lrucache_walk_resume - start a stopped walk of a cache's table again
 * @cache: the cache
 * @iter: the walk, stopped
 * @need_place: start over too if the entry the walk stopped at is gone
 *
 * If the table was resized while the walk was stopped, the walk must go
 * on from the new table's first bucket: rhashtable_walk_start_check()
 * says so, but not every kernel forgets the old place then (6.12 goes on
 * from the successor of the last entry in the new table, and so skips
 * every bucket before it). The walk starts over here instead: what it
 * saw comes again.
 */
void lrucache_walk_resume(struct lrucache *cache, struct rhashtable_iter *iter,
			  bool need_place)
	__acquires(RCU)
{
	if (!rhashtable_walk_start_check(iter) && (iter->p || !need_place))
		return;
	rhashtable_walk_stop(iter);
	rhashtable_walk_exit(iter);
	rhashtable_walk_enter(&cache->ht, iter);
	rhashtable_walk_start(iter);
}

/*
 * Sets up a new cache's entries: the hash table, the LRU list, its lock
 * and the expiry buckets.
 */
int lrucache_entries_init(struct lrucache *cache)
{
	int ret, i;

	cache->expiry = kvmalloc_array(LRUCACHE_EXPIRY_BUCKETS,
				       sizeof(*cache->expiry),
				       GFP_KERNEL_ACCOUNT);
	if (!cache->expiry)
		return -ENOMEM;
	for (i = 0; i < LRUCACHE_EXPIRY_BUCKETS; i++)
		INIT_LIST_HEAD(&cache->expiry[i]);
	ret = rhashtable_init(&cache->ht, &lrucache_ht_params);
	if (ret) {
		kvfree(cache->expiry);
		return ret;
	}
	spin_lock_init(&cache->lock);
	INIT_LIST_HEAD(&cache->lru);
	INIT_LIST_HEAD(&cache->kept);
	lrucache_leases_init(cache);
	return 0;
}

/* Frees what lrucache_entries_init() set up, once every entry has gone. */
void lrucache_entries_destroy(struct lrucache *cache)
{
	WARN_ON_ONCE(cache->entries || !list_empty(&cache->kept));
	rhashtable_destroy(&cache->ht);
	kvfree(cache->expiry);
}

/*
 * Seconds since the cache's birth, as entries keep their set time: on the
 * coarse clock (the last tick), as a second's resolution needs no more,
 * and a set then reads no clock unless its entry expires. The coarse clock
 * may lag the birth time by a tick.
 */
static u32 lrucache_cache_age_s(const struct lrucache *cache)
{
	u64 now = lrucache_now_coarse(cache);

	return now > cache->born_ns ?
	       div_u64(now - cache->born_ns, NSEC_PER_SEC) : 0;
}

/* Never negative: the version clock may run a little ahead of seconds. */
static s64 lrucache_age_s(const struct lrucache *cache,
			  const struct lrucache_entry *e)
{
	return max_t(s64, 0, (s64)lrucache_cache_age_s(cache) -
			     lrucache_written_s(e));
}

/*
 * The version of a write now, for a key of @key_len bytes (see "Versions"
 * above); 0 once the cache's clock is spent.
 */
static u64 lrucache_next_version(struct lrucache *cache, u32 key_len)
{
	u64 clock = (u64)lrucache_cache_age_s(cache) <<
		    LRUCACHE_VERSION_SEQ_BITS;

	lockdep_assert_held(&cache->lock);
	BUILD_BUG_ON(BIT(LRUCACHE_VERSION_KEY_BITS) < LRUCACHE_KEY_LEN_CEILING);

	clock = max(clock, cache->version_clock + 1);
	if (clock >= BIT_ULL(64 - LRUCACHE_VERSION_CLOCK_SHIFT))
		return 0;
	cache->version_clock = clock;
	return clock << LRUCACHE_VERSION_CLOCK_SHIFT | (key_len - 1);
}

/*
 * Reports an event (events.c): a patched-out jump while nobody listens.
 * The engine knows nothing of the listeners.
 */
static __always_inline void lrucache_report(struct lrucache *cache, u32 type,
					    const void *key, u32 key_len,
					    u32 value_len,
					    const struct lrucache_entry *e)
{
	if (lrucache_events_wanted())
		lrucache_announce(cache, type, key, key_len, value_len,
				  e ? lrucache_age_s(cache, e) : -1);
}

static __always_inline void lrucache_report_entry(struct lrucache *cache,
						  u32 type,
						  const struct lrucache_entry *e)
{
	lrucache_report(cache, type, e->data, lrucache_key_len(e),
			e->value_len, e);
}

/*
 * lrucache_report() for the other files: the event of @e, or of @key
 * (which has no entry: a miss) when @e is NULL.
 */
void lrucache_report_event(struct lrucache *cache, u32 type,
			   const void *key, u32 key_len,
			   const struct lrucache_entry *e)
{
	if (e)
		lrucache_report_entry(cache, type, e);
	else
		lrucache_report(cache, type, key, key_len, 0, NULL);
}

/*
 * Adds @n entries, @bytes charged and @data bytes of headers, keys and
 * values to the cache's counts (negative numbers take away), and @shared
 * bytes to the charges it shares with other caches: the global total and
 * its owner's. The shared atomics are left alone when nothing changes for
 * them, as for a replace by a value of the same size.
 */
static void lrucache_account(struct lrucache *cache, int n, s64 bytes,
			     s64 data, s64 shared)
	__must_hold(&cache->lock)
{
	lockdep_assert_held(&cache->lock);

	if (n) {
		WRITE_ONCE(cache->entries, cache->entries + n);
		atomic64_add(n, &lrucache_total_entries);
	}
	if (bytes)
		WRITE_ONCE(cache->bytes, cache->bytes + bytes);
	if (data)
		WRITE_ONCE(cache->data_bytes, cache->data_bytes + data);
	if (shared) {
		atomic64_add(shared, &lrucache_total_bytes);
		atomic64_add(shared, &cache->user->bytes);
	}
}

/*
 * Whether @e, being unlinked, stays charged to the cache's owner (and to
 * the global total) until its last reference goes: while the owner has a
 * dump of this cache open (cache->own_dumps) and something besides the
 * cache holds @e, as such a dump may. See "Dumps" in snapshot.c.
 */
static bool lrucache_keep(const struct lrucache *cache,
			  const struct lrucache_entry *e)
{
	return cache->own_dumps && refcount_read(&e->ref) > 1;
}

/*
 * Once @e is unlinked its expiry node is free: it goes on the cache's
 * list of kept entries, or is left empty. lrucache_entry_free() and
 * lrucache_release_kept() take it off.
 */
static void lrucache_park(struct lrucache *cache, struct lrucache_entry *e,
			  bool keep)
{
	if (!keep) {
		INIT_LIST_HEAD(&e->expiry);
		return;
	}
	list_add(&e->expiry, &cache->kept);
	cache->kept_bytes += lrucache_charge(e);
	atomic64_add(lrucache_charge(e), &cache->user->dump_bytes);
}

/* Takes @e, a kept entry, off the kept list and its charge off the owner. */
static void lrucache_unkeep(struct lrucache *cache, struct lrucache_entry *e)
{
	s64 charge = lrucache_charge(e);

	lockdep_assert_held(&cache->lock);

	list_del_init(&e->expiry);
	cache->kept_bytes -= charge;
	atomic64_sub(charge, &cache->user->dump_bytes);
	atomic64_sub(charge, &lrucache_total_bytes);
	atomic64_sub(charge, &cache->user->bytes);
}

/*
 * Starts the reaper's timer unless it (or its work) is already pending:
 * when an entry that can expire arrives, and for reaper.c when its work
 * finds such entries left or the interval changes.
 */
void lrucache_arm_reaper(struct lrucache *cache)
	__must_hold(&cache->lock)
{
	u64 interval = cache->cleanup_interval_ns;

	lockdep_assert_held(&cache->lock);

	if (cache->reap_armed || cache->dead)
		return;
	cache->reap_armed = true;
	/* On the cache's clock, which KUnit can move, for the health rule. */
	WRITE_ONCE(cache->reap_due_ns, lrucache_now(cache) + interval);
	hrtimer_start(&cache->reap_timer, ns_to_ktime(interval),
		      HRTIMER_MODE_REL);
}

static void lrucache_expiry_add(struct lrucache *cache,
				struct lrucache_entry *e)
{
	lockdep_assert_held(&cache->lock);

	if (e->expires) {
		list_add_tail(&e->expiry, lrucache_bucket(cache, e->expires));
		WRITE_ONCE(cache->expiring, cache->expiring + 1);
		lrucache_arm_reaper(cache);
	}
}

static void lrucache_expiry_del(struct lrucache *cache,
				struct lrucache_entry *e)
{
	lockdep_assert_held(&cache->lock);

	if (e->expires) {
		list_del(&e->expiry);
		WRITE_ONCE(cache->expiring, cache->expiring - 1);
	}
}

/*
 * Gives a linked entry a new expiry time (0: never), moving it between
 * expiry buckets: TOUCH and GETEX, the only change made to a published
 * entry. Lock-free readers see the old time or the new one.
 */
void lrucache_set_expires(struct lrucache *cache, struct lrucache_entry *e,
			  u64 expires)
{
	lockdep_assert_held(&cache->lock);

	lrucache_expiry_del(cache, e);
	WRITE_ONCE(e->expires, expires);
	lrucache_expiry_add(cache, e);
	lrucache_map_set_expires(cache, e);
}

/* Makes a linked entry the most recently used. */
void lrucache_make_recent(struct lrucache *cache, struct lrucache_entry *e)
{
	lockdep_assert_held(&cache->lock);

	cache->changes++;
	list_move(&e->lru, &cache->lru);
}

/* Adds a hashed entry to the LRU head, the charges and its bucket. */
static void lrucache_link(struct lrucache *cache, struct lrucache_entry *e)
	__must_hold(&cache->lock)
{
	lockdep_assert_held(&cache->lock);

	cache->changes++;
	list_add(&e->lru, &cache->lru);
	lrucache_account(cache, 1, lrucache_charge(e), lrucache_data_bytes(e),
			 lrucache_charge(e));
	lrucache_expiry_add(cache, e);
}

/*
 * Undoes lrucache_link(); the entry keeps the cache's reference. Its
 * charge leaves the cache, and the shared counts unless it is kept.
 */
static void lrucache_detach(struct lrucache *cache, struct lrucache_entry *e)
	__must_hold(&cache->lock)
{
	s64 charge = lrucache_charge(e);
	bool keep = lrucache_keep(cache, e);

	lockdep_assert_held(&cache->lock);

	lrucache_map_unpublish(cache, e);
	cache->changes++;
	list_del_init(&e->lru);
	lrucache_expiry_del(cache, e);
	lrucache_park(cache, e, keep);
	lrucache_account(cache, -1, -charge, -(s64)lrucache_data_bytes(e),
			 keep ? 0 : -charge);
}

/*
 * lrucache_detach(@old) and lrucache_link(@e) in one, for a replace: the
 * number of entries stays, the bytes change by the difference only.
 */
static void lrucache_relink(struct lrucache *cache, struct lrucache_entry *old,
			    struct lrucache_entry *e)
	__must_hold(&cache->lock)
{
	s64 charge = lrucache_charge(e), old_charge = lrucache_charge(old);
	bool keep = lrucache_keep(cache, old);

	lockdep_assert_held(&cache->lock);

	/* @old's copy in a mapped cache goes with @e's (install()). */
	cache->changes++;
	list_del_init(&old->lru);
	list_add(&e->lru, &cache->lru);
	lrucache_expiry_del(cache, old);
	lrucache_park(cache, old, keep);
	lrucache_account(cache, 0, charge - old_charge,
			 (s64)lrucache_data_bytes(e) -
			 (s64)lrucache_data_bytes(old),
			 keep ? charge : charge - old_charge);
	lrucache_expiry_add(cache, e);
}

/* Frees @e, whose last reference went, with cache->lock held. */
static void lrucache_entry_free(struct lrucache *cache,
				struct lrucache_entry *e)
{
	lockdep_assert_held(&cache->lock);

	if (!list_empty(&e->expiry))
		lrucache_unkeep(cache, e);
	kvfree_rcu(e, rcu);
}

/*
 * Drops a reference to @e with cache->lock held: the cache's own, of an
 * entry just unlinked, or a pin that ops.c lets go under the lock.
 */
void lrucache_entry_drop(struct lrucache *cache, struct lrucache_entry *e)
	__must_hold(&cache->lock)
{
	if (refcount_dec_and_test(&e->ref))
		lrucache_entry_free(cache, e);
}

/**
 * lrucache_entry_unpin - drop a reference taken besides the cache's own
 * @cache: the cache @e was found in
 * @e: an entry a reader or a snapshot holds
 *
 * Takes cache->lock only if this is the last reference, which can only be
 * once @e was unlinked.
 */
void lrucache_entry_unpin(struct lrucache *cache, struct lrucache_entry *e)
{
	/* refcount_dec_and_lock(), spelled out so that sparse follows it. */
	if (refcount_dec_not_one(&e->ref))
		return;
	spin_lock(&cache->lock);
	if (refcount_dec_and_test(&e->ref))
		lrucache_entry_free(cache, e);
	spin_unlock(&cache->lock);
}

/*
 * The owner's last dump of @cache was closed: the entries kept for it
 * that others still hold leave the owner's charge (see snapshot.c). A
 * bounded number per lock hold; stops if the owner opens a dump again.
 */
void lrucache_release_kept(struct lrucache *cache)
{
	unsigned int n;

	do {
		spin_lock(&cache->lock);
		for (n = 0; n < LRUCACHE_BATCH && !cache->own_dumps &&
		     !list_empty(&cache->kept); n++)
			lrucache_unkeep(cache,
					list_first_entry(&cache->kept,
							 struct lrucache_entry,
							 expiry));
		spin_unlock(&cache->lock);
		cond_resched();
	} while (n == LRUCACHE_BATCH);
}

/* Removes @e from @cache and drops the cache's reference. */
static void lrucache_unlink(struct lrucache *cache, struct lrucache_entry *e)
	__must_hold(&cache->lock)
{
	lockdep_assert_held(&cache->lock);

	WARN_ON_ONCE(rhashtable_remove_fast(&cache->ht, &e->node,
					    lrucache_ht_params));
	lrucache_detach(cache, e);
	lrucache_entry_drop(cache, e);
}

/*
 * Removes @e for the reason @why (LRUCACHE_EVENT_EXPIRE, _EVICT, _DELETE
 * or _RECLAIM): counts it, reports it, unlinks it.
 */
void lrucache_remove(struct lrucache *cache, struct lrucache_entry *e,
		     u32 why)
{
	static const u8 counter[] = {
		[LRUCACHE_EVENT_EXPIRE]		= LRUCACHE_CNT_EXPIRATIONS,
		[LRUCACHE_EVENT_EVICT]		= LRUCACHE_CNT_EVICTIONS,
		[LRUCACHE_EVENT_DELETE]		= LRUCACHE_CNT_DELETES,
		[LRUCACHE_EVENT_RECLAIM]	= LRUCACHE_CNT_RECLAIMED,
	};

	lrucache_count(cache, counter[why]);
	lrucache_report_entry(cache, why, e);
	lrucache_unlink(cache, e);
}

static bool lrucache_over_quota(struct lrucache *cache)
{
	return atomic64_read(&cache->user->bytes) >
	       lrucache_user_max_bytes(cache->user);
}

/*
 * Evicts from the LRU end until the cache's limits and the global one
 * hold, never evicting @keep (the entry just set, which alone fits the
 * cache's limits). In a mapped cache, an entry read through the mapping
 * since it was last looked at gets a second chance: it becomes the most
 * recent instead (LRUCACHE_BATCH of them at most per call).
 */
static void lrucache_evict(struct lrucache *cache,
			   const struct lrucache_entry *keep)
	__must_hold(&cache->lock)
{
	unsigned int chances = LRUCACHE_BATCH;
	struct lrucache_entry *e;
	bool expired;

	lockdep_assert_held(&cache->lock);

	while (cache->entries > cache->max_entries ||
	       cache->bytes > cache->max_bytes || lrucache_over_total() ||
	       lrucache_over_quota(cache)) {
		e = list_last_entry(&cache->lru, struct lrucache_entry, lru);
		if (e == keep)
			break;
		expired = lrucache_expired(cache, e);
		if (!expired && chances && lrucache_map_used(cache, e)) {
			chances--;
			lrucache_make_recent(cache, e);
			continue;
		}
		lrucache_remove(cache, e, expired ? LRUCACHE_EVENT_EXPIRE :
						    LRUCACHE_EVENT_EVICT);
	}
}

/*
 * Converts a TTL in milliseconds as the API takes it into nanoseconds to
 * add to the clock, 0 meaning "never expires".
 */
int lrucache_ttl_ns(const struct lrucache *cache, u64 ttl_ms, u64 *ns)
{
	if (ttl_ms == LRUCACHE_TTL_DEFAULT) {
		*ns = cache->default_ttl_ns;
		return 0;
	}
	if (ttl_ms == LRUCACHE_TTL_NONE) {
		*ns = 0;
		return 0;
	}
	if (!ttl_ms || ttl_ms > LRUCACHE_TTL_MAX_MS)
		return -EINVAL;
	*ns = ttl_ms * NSEC_PER_MSEC;
	return 0;
}

/*
 * Whether the global limit, then the owner's byte quota, leave room for @e
 * once this cache gave up all its other entries (the one @e replaces
 * included): what other caches hold cannot be taken from them.
 */
static int lrucache_room(struct lrucache *cache,
			 const struct lrucache_entry *e)
	__must_hold(&cache->lock)
{
	s64 charge = lrucache_charge(e), others;

	lockdep_assert_held(&cache->lock);

	others = atomic64_read(&lrucache_total_bytes) - cache->bytes;
	if (others + charge > lrucache_limit(READ_ONCE(lrucache_max_total_bytes)))
		return -ENOSPC;
	others = atomic64_read(&cache->user->bytes) - cache->bytes;
	if (others + charge > lrucache_user_max_bytes(cache->user))
		return -EDQUOT;
	return 0;
}

/* Under rcu_read_lock(), or cache->lock for an answer that stays true. */
struct lrucache_entry *lrucache_lookup(struct lrucache *cache,
				       const struct lrucache_key *k)
{
	return rhashtable_lookup(&cache->ht, k, lrucache_ht_params);
}

/* The entry the table holds under @e's key, for check.c; under RCU. */
struct lrucache_entry *lrucache_hashed(struct lrucache *cache,
				       const struct lrucache_entry *e)
{
	struct lrucache_key k = { .data = e->data, .len = lrucache_key_len(e) };

	return lrucache_lookup(cache, &k);
}

/*
 * Under cache->lock: the live entry of @k, or NULL; an expired one met on
 * the way is removed (lazy expiry).
 */
struct lrucache_entry *lrucache_find_live(struct lrucache *cache,
					  const struct lrucache_key *k)
{
	struct lrucache_entry *e;

	lockdep_assert_held(&cache->lock);

	rcu_read_lock();
	e = lrucache_lookup(cache, k);
	if (e && lrucache_expired(cache, e)) {
		lrucache_remove(cache, e, LRUCACHE_EVENT_EXPIRE);
		e = NULL;
	}
	rcu_read_unlock();
	return e;
}

int lrucache_check_key(size_t key_len)
{
	if (!key_len)
		return -EINVAL;
	if (key_len > lrucache_max_key_len)
		return -E2BIG;
	return 0;
}

/*
 * Allocates an entry for @key with room for a value of @value_room bytes,
 * its key copied, its value length set to @value_room and its reference
 * the cache's; NULL if out of memory. Nothing is charged until it is
 * installed; kvfree() it otherwise.
 */
struct lrucache_entry *lrucache_entry_alloc(const void *key, u32 key_len,
					    size_t value_room)
{
	struct lrucache_entry *e;

	e = lrucache_alloc_entry(struct_size(e, data, key_len + value_room));
	if (!e)
		return NULL;
	/* The key's length until lrucache_install() gives the version. */
	e->version = key_len - 1;
	e->value_len = value_room;
	refcount_set(&e->ref, 1);
	memcpy(e->data, key, key_len);
	return e;
}

/**
 * lrucache_install - make a filled entry the one of its key
 * @cache: the cache, locked
 * @e: from lrucache_entry_alloc(), value and expiry filled in
 * @old: the live entry @e replaces (lrucache_find_live()), or NULL
 *
 * Checks that the global limit and the owner's quota leave room, inserts
 * or replaces, makes @e the most recent, evicts until the limits hold,
 * gives @e its version, invalidates the key's lease and reports the set.
 * On failure nothing changed and @e is still the caller's.
 *
 * Return: 0; -ENOSPC, -EDQUOT, -EOVERFLOW (the version clock is spent),
 * or -ENOMEM (the table could not grow).
 */
int lrucache_install(struct lrucache *cache, struct lrucache_entry *e,
		     struct lrucache_entry *old)
{
	u32 key_len = lrucache_key_len(e);
	struct lrucache_key k = { .data = e->data, .len = key_len };
	u64 version;
	int ret;

	lockdep_assert_held(&cache->lock);

	ret = lrucache_room(cache, e);
	if (ret)
		return ret;
	version = lrucache_next_version(cache, key_len);
	if (!version)
		return -EOVERFLOW;
	/* Not published yet: readers find it only once inserted. */
	e->version = version;
	rcu_read_lock();
	if (old)
		ret = rhashtable_replace_fast(&cache->ht, &old->node, &e->node,
					      lrucache_ht_params);
	else
		ret = rhashtable_lookup_insert_key(&cache->ht, &k, &e->node,
						   lrucache_ht_params);
	rcu_read_unlock();
	if (ret) {
		e->version = key_len - 1;
		return ret;
	}
	if (old) {
		lrucache_relink(cache, old, e);
		lrucache_entry_drop(cache, old);
	} else {
		lrucache_link(cache, e);
	}
	lrucache_evict(cache, e);
	/* After the evictions, which may free a slot for it. */
	lrucache_map_publish(cache, e, old);
	lrucache_lease_written(cache, e->data, key_len);
	lrucache_report_entry(cache, LRUCACHE_EVENT_SET, e);
	lrucache_count(cache, LRUCACHE_CNT_SETS);
	return 0;
}

/* What makes a write's conditions hold or fail, under cache->lock. */
static int lrucache_write_check(struct lrucache *cache,
				const struct lrucache_entry *old,
				const struct lrucache_entry *e,
				const struct lrucache_write *w)
{
	lockdep_assert_held(&cache->lock);

	if ((w->flags & LRUCACHE_SET_NX) && old)
		return -EEXIST;
	if ((w->flags & (LRUCACHE_SET_XX | LRUCACHE_SET_CAS)) && !old)
		return -ENOENT;
	if ((w->flags & LRUCACHE_SET_CAS) && old->version != w->cas)
		return -ESTALE;
	if (w->flags & LRUCACHE_SET_LEASE)
		return lrucache_lease_fill(cache, e->data, lrucache_key_len(e),
					   w->lease);
	return 0;
}

static int lrucache_write_flags_ok(unsigned int flags)
{
	unsigned int cond = flags & LRUCACHE_SET_FLAGS;

	/* At most one condition: NX, XX, CAS or LEASE. */
	return !(flags & ~LRUCACHE_SET_FLAGS) && !(cond & (cond - 1));
}

/**
 * lrucache_write_iter - store a value read from an iov_iter, on a condition
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length, 1 to max_key_len
 * @from: the value: all of iov_iter_count(@from) bytes are read
 * @w: @ttl_ms (LRUCACHE_TTL_DEFAULT, LRUCACHE_TTL_NONE or
 *	1..LRUCACHE_TTL_MAX_MS), @flags (0 or one of LRUCACHE_SET_NX, _XX,
 *	_CAS with @cas the version the entry must have, _LEASE with @lease
 *	the token of a lease on @key); on success @version is set to the
 *	version of the entry stored
 *
 * Inserts or replaces the entry and makes it the most recently used, then
 * evicts least recently used entries until the cache's limits hold. If
 * the value cannot be read in full nothing changes. Any store of @key
 * invalidates a lease on it (a later SET with that lease fails). A SET
 * with LRUCACHE_SET_LEASE ends its lease whatever its outcome, if the
 * token is the lease's.
 *
 * Context: Process context. May sleep.
 *
 * Return: 0; -EINVAL for a bad key length, TTL or flags; -E2BIG if the key
 * or value is over the module limits or the entry alone would exceed the
 * cache's max_bytes; -EFAULT if @from faults; -EEXIST (NX); -ENOENT (XX,
 * CAS); -ESTALE (CAS: the entry has another version; LEASE: the key was
 * written, deleted or cleared since the lease was granted, or the lease
 * ended); -ENOSPC if the global limit (max_total_bytes) leaves no room
 * even after evicting every other entry of this cache; -EDQUOT if the
 * cache owner's byte quota does not either; -ENOMEM; -EOVERFLOW if the
 * cache has given all its versions; -EIDRM if the cache was destroyed. On
 * any error the cache is left as it was, an entry being replaced included
 * (an expired one may have been removed).
 */
int lrucache_write_iter(struct lrucache *cache, const void *key,
			size_t key_len, struct iov_iter *from,
			struct lrucache_write *w)
{
	size_t value_len = iov_iter_count(from);
	struct lrucache_entry *e, *old;
	struct lrucache_key k;
	u64 ttl_ns;
	int ret;

	might_sleep();

	w->version = 0;
	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	if (!lrucache_write_flags_ok(w->flags))
		return -EINVAL;
	if (value_len > lrucache_max_value_len)
		ret = -E2BIG;
	else
		ret = lrucache_ttl_ns(cache, w->ttl_ms, &ttl_ns);
	if (!ret && lrucache_alloc_charge(struct_size(e, data,
						      key_len + value_len)) >
		    cache->max_bytes)
		ret = -E2BIG;
	if (ret)
		goto end_lease;

	e = lrucache_entry_alloc(key, key_len, value_len);
	if (!e) {
		ret = -ENOMEM;
		goto end_lease;
	}
	if (!copy_from_iter_full(e->data + key_len, value_len, from)) {
		ret = -EFAULT;
		goto free;
	}
	k.data = e->data;
	k.len = key_len;
	lrucache_map_prepare(cache, key_len, value_len);

	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
		goto unlock;
	}
	e->expires = ttl_ns ? lrucache_now(cache) + ttl_ns : 0;
	old = lrucache_find_live(cache, &k);
	ret = lrucache_write_check(cache, old, e, w);
	if (!ret)
		ret = lrucache_install(cache, e, old);
	if (ret)
		goto unlock;
	w->version = e->version;
	spin_unlock(&cache->lock);
	return 0;

unlock:
	/* A lease was ended by lrucache_write_check(), or by the destroy. */
	spin_unlock(&cache->lock);
	kvfree(e);
	return ret;

free:
	kvfree(e);
end_lease:
	/* A write with a lease ends it, whatever the outcome. */
	if (w->flags & LRUCACHE_SET_LEASE)
		lrucache_lease_release(cache, key, key_len, w->lease);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_write_iter);

/**
 * lrucache_set_iter - store a value read from an iov_iter
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length, 1 to max_key_len
 * @from: the value: all of iov_iter_count(@from) bytes are read
 * @ttl_ms: LRUCACHE_TTL_DEFAULT, LRUCACHE_TTL_NONE or 1..LRUCACHE_TTL_MAX_MS
 * @flags: LRUCACHE_SET_NX or LRUCACHE_SET_XX, or 0
 *
 * lrucache_write_iter() without a version or a lease.
 *
 * Return: as lrucache_write_iter().
 */
int lrucache_set_iter(struct lrucache *cache, const void *key, size_t key_len,
		      struct iov_iter *from, u64 ttl_ms, unsigned int flags)
{
	struct lrucache_write w = { .ttl_ms = ttl_ms, .flags = flags };

	if (flags & (LRUCACHE_SET_CAS | LRUCACHE_SET_LEASE))
		return -EINVAL;
	return lrucache_write_iter(cache, key, key_len, from, &w);
}
EXPORT_SYMBOL_GPL(lrucache_set_iter);

/**
 * lrucache_set - store a value held in kernel memory
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @value: the value
 * @value_len: its length
 * @ttl_ms: as for lrucache_set_iter()
 * @flags: as for lrucache_set_iter()
 *
 * Context: Process context. May sleep.
 *
 * Return: as lrucache_set_iter().
 */
int lrucache_set(struct lrucache *cache, const void *key, size_t key_len,
		 const void *value, size_t value_len, u64 ttl_ms,
		 unsigned int flags)
{
	struct kvec kv = { .iov_base = (void *)value, .iov_len = value_len };
	struct iov_iter from;

	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, value_len);
	return lrucache_set_iter(cache, key, key_len, &from, ttl_ms, flags);
}
EXPORT_SYMBOL_GPL(lrucache_set);

/*
 * Copies the value of @e to @to without taking a page fault, under RCU
 * (the entry cannot be freed meanwhile, and never changes). Returns false,
 * with @to as it was, if some of the destination was not mapped.
 */
bool lrucache_copy_nofault(const struct lrucache_entry *e, struct iov_iter *to)
{
	const void *value = e->data + lrucache_key_len(e);
	size_t done;

	pagefault_disable();
	done = copy_to_iter(value, e->value_len, to);
	pagefault_enable();
	if (likely(done == e->value_len))
		return true;
	iov_iter_revert(to, done);
	return false;
}

/*
 * Makes @e, a live entry a lookup just read, the most recently used: no
 * lock if it already is the head (the order would not change), and
 * nothing if a set or a delete unlinked it since it was looked up (a
 * replacing set made its successor the head already).
 */
static void lrucache_promote(struct lrucache *cache,
			     struct lrucache_entry *e)
{
	if (READ_ONCE(cache->lru.next) == &e->lru)
		return;
	spin_lock(&cache->lock);
	if (!list_empty(&e->lru)) {
		cache->changes++;
		list_move(&e->lru, &cache->lru);
	}
	spin_unlock(&cache->lock);
}

/**
 * lrucache_gets_iter - look a key up, copy its value and tell its version
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length
 * @to: where the value goes
 * @version: if not NULL, set to the entry's version on a hit (the token
 *	of a later lrucache_write_iter() with LRUCACHE_SET_CAS), else to 0
 *
 * A hit makes the entry the most recently used. The value is copied only
 * if it fits in iov_iter_count(@to); otherwise nothing is copied and the
 * (larger) length is returned, so a caller can probe with an empty @to.
 *
 * The value is copied under RCU with page faults disabled, which needs no
 * reference on the entry. Only if that copy would fault is a reference
 * taken, to copy after RCU with faults allowed; if the entry is gone by
 * then (a set or delete removed it meanwhile), the lookup starts over and
 * takes its reference under the cache lock. The hit is counted, reported
 * and moves the entry only once the copy succeeded: a copy that faults
 * leaves the cache, its counters and its events as they were.
 *
 * Context: Process context. May sleep.
 *
 * Return: the value's full length; -ENOENT on a miss (absent or expired);
 * -EINVAL or -E2BIG for a bad key length; -EFAULT if @to faults; -EIDRM if
 * the cache was destroyed.
 */
ssize_t lrucache_gets_iter(struct lrucache *cache, const void *key,
			   size_t key_len, struct iov_iter *to, u64 *version)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	struct lrucache_entry *e;
	bool pin = false, fits;
	ssize_t ret;

	might_sleep();

	if (version)
		*version = 0;
	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	if (unlikely(READ_ONCE(cache->dead)))
		return -EIDRM;

again:
	rcu_read_lock();
	e = lrucache_lookup(cache, &k);
	if (e && unlikely(pin || lrucache_expired(cache, e))) {
		spin_lock(&cache->lock);
		/*
		 * The lockless lookup may have found an entry a set was
		 * replacing (or a delete removing). Under the lock the table
		 * holds exactly the linked entries: look again.
		 */
		if (list_empty(&e->lru))
			e = lrucache_lookup(cache, &k);
		if (e && lrucache_expired(cache, e)) {
			lrucache_remove(cache, e, LRUCACHE_EVENT_EXPIRE);
			e = NULL;
		}
		if (e && pin)
			refcount_inc(&e->ref);	/* linked: the cache holds one */
		spin_unlock(&cache->lock);
	}
	if (!e)
		goto miss;
	ret = e->value_len;
	if (version)
		*version = e->version;
	fits = e->value_len <= iov_iter_count(to);
	if (!pin && fits && !lrucache_copy_nofault(e, to)) {
		if (!refcount_inc_not_zero(&e->ref)) {
			/* Removed since: nothing done yet, start over. */
			rcu_read_unlock();
			pin = true;
			goto again;
		}
		pin = true;
	}
	if (pin && fits) {
		rcu_read_unlock();
		if (copy_to_iter(e->data + lrucache_key_len(e), e->value_len, to) !=
		    e->value_len) {
			lrucache_entry_unpin(cache, e);
			return -EFAULT;
		}
		rcu_read_lock();
	}
	lrucache_promote(cache, e);
	lrucache_count(cache, LRUCACHE_CNT_HITS);
	lrucache_report_entry(cache, LRUCACHE_EVENT_HIT, e);
	rcu_read_unlock();
	if (pin)
		lrucache_entry_unpin(cache, e);
	return ret;

miss:
	rcu_read_unlock();
	lrucache_count(cache, LRUCACHE_CNT_MISSES);
	lrucache_report(cache, LRUCACHE_EVENT_MISS, key, key_len, 0, NULL);
	return -ENOENT;
}
EXPORT_SYMBOL_GPL(lrucache_gets_iter);

/**
 * lrucache_get_iter - look a key up and copy its value to an iov_iter
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length
 * @to: where the value goes
 *
 * Return: as lrucache_gets_iter().
 */
ssize_t lrucache_get_iter(struct lrucache *cache, const void *key,
			  size_t key_len, struct iov_iter *to)
{
	return lrucache_gets_iter(cache, key, key_len, to, NULL);
}
EXPORT_SYMBOL_GPL(lrucache_get_iter);

/**
 * lrucache_get - look a key up and copy its value to kernel memory
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @buf: the buffer
 * @buf_len: its size
 *
 * Context: Process context. May sleep.
 *
 * Return: as lrucache_get_iter(); a return value above @buf_len means that
 * nothing was copied.
 */
ssize_t lrucache_get(struct lrucache *cache, const void *key, size_t key_len,
		     void *buf, size_t buf_len)
{
	struct iov_iter to;
	struct kvec kv;

	lrucache_kvec_iter(&to, &kv, buf, buf_len);
	return lrucache_get_iter(cache, key, key_len, &to);
}
EXPORT_SYMBOL_GPL(lrucache_get);

/**
 * lrucache_exists - tell whether a key has a live entry
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 *
 * Neither the LRU order nor the hit and miss counters change.
 *
 * Context: Process context.
 *
 * Return: 1 or 0; -EINVAL or -E2BIG for a bad key length; -EIDRM if the
 * cache was destroyed.
 */
int lrucache_exists(struct lrucache *cache, const void *key, size_t key_len)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	struct lrucache_entry *e;
	int ret;

	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	if (unlikely(READ_ONCE(cache->dead)))
		return -EIDRM;

	rcu_read_lock();
	e = lrucache_lookup(cache, &k);
	ret = e && !lrucache_expired(cache, e);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_exists);

/**
 * lrucache_delete - remove a key
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 *
 * Context: Process context.
 *
 * Return: 0; -ENOENT if there was no live entry; -EINVAL or -E2BIG for a
 * bad key length; -EIDRM if the cache was destroyed.
 */
int lrucache_delete(struct lrucache *cache, const void *key, size_t key_len)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	struct lrucache_entry *e;
	int ret;

	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;

	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
		goto unlock;
	}
	rcu_read_lock();
	e = lrucache_lookup(cache, &k);
	if (!e) {
		ret = -ENOENT;
	} else if (lrucache_expired(cache, e)) {
		lrucache_remove(cache, e, LRUCACHE_EVENT_EXPIRE);
		ret = -ENOENT;
	} else {
		lrucache_remove(cache, e, LRUCACHE_EVENT_DELETE);
	}
	rcu_read_unlock();
	/* Present or not: a fill that read the old value must not land. */
	lrucache_lease_written(cache, key, key_len);
unlock:
	spin_unlock(&cache->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_delete);

/* A step of lrucache_flush(): frees the least recent entry, if any. */
static bool lrucache_flush_step(struct lrucache *cache, void *unused)
	__must_hold(&cache->lock)
{
	lockdep_assert_held(&cache->lock);

	if (list_empty(&cache->lru))
		return false;
	lrucache_unlink(cache, list_last_entry(&cache->lru,
					       struct lrucache_entry, lru));
	return true;
}

/* Frees every entry, a bounded number per lock hold. */
void lrucache_flush(struct lrucache *cache)
{
	lrucache_batched(cache, lrucache_flush_step, NULL);
}

/**
 * lrucache_clear - remove every entry
 * @cache: the cache
 *
 * Entries set while the clear runs may survive it. Removed entries are not
 * counted as deletes or evictions. Every lease held when it starts is
 * invalidated: a fill through it fails.
 *
 * Context: Process context. May sleep.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_clear(struct lrucache *cache)
{
	might_sleep();

	spin_lock(&cache->lock);
	if (cache->dead) {
		spin_unlock(&cache->lock);
		return -EIDRM;
	}
	lrucache_lease_written_prefix(cache, NULL, 0);
	spin_unlock(&cache->lock);
	lrucache_flush(cache);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_clear);
