// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache engine: named caches of byte-string keys and values with exact
 * LRU eviction, entry and byte limits, and per-entry expiry.
 *
 * Data structures
 * ---------------
 * Each cache has an rhashtable (resizable, RCU-protected, so chains stay
 * short whatever the cache grows to) indexing its entries by key, and a
 * doubly linked LRU list with the most recently used entry first. An entry
 * is one allocation: the header below followed by the key and the value.
 * What a cache is charged for an entry is sizeof(struct lrucache_entry) +
 * key length + value length (LRUCACHE_ENTRY_OVERHEAD, reported to users).
 *
 * Locking rules
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
 *   A lookup that hits takes cache->lock only to move the entry to the
 *   head of the LRU list; if the entry already is the head it takes no
 *   lock at all, because the LRU order would not change.
 * - An entry carries a reference count: one reference is held by the
 *   cache while it is hashed, and one by each reader copying its value
 *   out (which may fault, so it happens outside RCU and the lock). A
 *   reader takes its reference with refcount_inc_not_zero() under RCU.
 *   The last put frees the entry after a grace period (kvfree_rcu()), as
 *   RCU readers may still be looking at it. Key, value, lengths and
 *   expiry of an entry never change after it is published: a replace
 *   publishes a new entry.
 * - A cache is a kobject: its reference count keeps the structure alive
 *   for the registry, open files and kernel users. Destroying a cache
 *   unlists it, marks it dead under cache->lock (every operation then
 *   fails with -EIDRM and no entry can be added) and frees its entries;
 *   the structure goes when the last reference does.
 *
 * Lock order: lrucache_registry_lock -> cache->lock -> rhashtable bucket
 * locks.
 */

#include <linux/ctype.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/cred.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "lrucache_internal.h"

struct lrucache_entry {
	struct rhash_head node;
	struct list_head lru;		/* empty once unlinked */
	refcount_t ref;
	u32 key_len;
	u32 value_len;
	u64 expires;			/* boottime ns; 0: never */
	struct rcu_head rcu;
	u8 data[];			/* key, then value */
};

#define LRUCACHE_ENTRY_OVERHEAD	sizeof(struct lrucache_entry)

/* What a lookup hashes and compares: the key as the caller holds it. */
struct lrucache_key {
	const void *data;
	u32 len;
};

static LIST_HEAD(lrucache_registry);
static DEFINE_MUTEX(lrucache_registry_lock);

static u32 lrucache_hash_key(const void *data, u32 len, u32 seed)
{
	const struct lrucache_key *k = data;

	return jhash(k->data, k->len, seed);
}

static u32 lrucache_hash_obj(const void *data, u32 len, u32 seed)
{
	const struct lrucache_entry *e = data;

	return jhash(e->data, e->key_len, seed);
}

static int lrucache_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct lrucache_key *k = arg->key;
	const struct lrucache_entry *e = obj;

	return e->key_len != k->len || memcmp(e->data, k->data, k->len);
}

static const struct rhashtable_params lrucache_ht_params = {
	.head_offset		= offsetof(struct lrucache_entry, node),
	.hashfn			= lrucache_hash_key,
	.obj_hashfn		= lrucache_hash_obj,
	.obj_cmpfn		= lrucache_cmp,
	.automatic_shrinking	= true,
};

static inline u64 lrucache_now(const struct lrucache *cache)
{
#if IS_ENABLED(CONFIG_KUNIT)
	u64 frozen = READ_ONCE(cache->test_clock_ns);

	if (frozen)
		return frozen;
#endif
	return ktime_get_boottime_ns();
}

static inline bool lrucache_expired(const struct lrucache *cache,
				    const struct lrucache_entry *e)
{
	return e->expires && lrucache_now(cache) >= e->expires;
}

static inline u64 lrucache_charge(const struct lrucache_entry *e)
{
	return LRUCACHE_ENTRY_OVERHEAD + e->key_len + e->value_len;
}

/* A cache created without metrics does no counting work at all. */
static inline void lrucache_count(struct lrucache *cache,
				  enum lrucache_counter counter)
{
	if (likely(cache->metrics))
		this_cpu_inc(cache->pcpu->v[counter]);
}

static void lrucache_entry_put(struct lrucache_entry *e)
{
	if (refcount_dec_and_test(&e->ref))
		kvfree_rcu(e, rcu);
}

/* Removes @e from @cache and drops the cache's reference. */
static void lrucache_unlink(struct lrucache *cache, struct lrucache_entry *e)
{
	lockdep_assert_held(&cache->lock);

	WARN_ON_ONCE(rhashtable_remove_fast(&cache->ht, &e->node,
					    lrucache_ht_params));
	list_del_init(&e->lru);
	WRITE_ONCE(cache->entries, cache->entries - 1);
	WRITE_ONCE(cache->bytes, cache->bytes - lrucache_charge(e));
	lrucache_entry_put(e);
}

/* Evicts from the LRU end until both limits hold. */
static void lrucache_evict(struct lrucache *cache)
{
	struct lrucache_entry *e;

	lockdep_assert_held(&cache->lock);

	while (cache->entries > cache->max_entries ||
	       cache->bytes > cache->max_bytes) {
		e = list_last_entry(&cache->lru, struct lrucache_entry, lru);
		if (lrucache_expired(cache, e))
			lrucache_count(cache, LRUCACHE_CNT_EXPIRATIONS);
		else
			lrucache_count(cache, LRUCACHE_CNT_EVICTIONS);
		lrucache_unlink(cache, e);
	}
}

/*
 * Converts a TTL in milliseconds as the API takes it into nanoseconds to
 * add to the clock, 0 meaning "never expires".
 */
static int lrucache_ttl_ns(const struct lrucache *cache, u64 ttl_ms, u64 *ns)
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

static struct lrucache_entry *lrucache_lookup(struct lrucache *cache,
					      const struct lrucache_key *k)
{
	return rhashtable_lookup(&cache->ht, k, lrucache_ht_params);
}

static int lrucache_check_key(size_t key_len)
{
	if (!key_len)
		return -EINVAL;
	if (key_len > lrucache_max_key_len)
		return -E2BIG;
	return 0;
}

/**
 * lrucache_set_iter - store a value read from an iov_iter
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length, 1 to max_key_len
 * @from: the value: all of iov_iter_count(@from) bytes are read
 * @ttl_ms: LRUCACHE_TTL_DEFAULT, LRUCACHE_TTL_NONE or 1..LRUCACHE_TTL_MAX_MS
 * @flags: LRUCACHE_SET_NX or LRUCACHE_SET_XX, or 0
 *
 * Inserts or replaces the entry and makes it the most recently used, then
 * evicts least recently used entries until the cache's limits hold. If
 * the value cannot be read in full nothing changes.
 *
 * Return: 0; -EINVAL for a bad key length, TTL or flags; -E2BIG if the key
 * or value is over the module limits or the entry alone would exceed the
 * cache's max_bytes; -EFAULT if @from faults; -EEXIST (NX) or -ENOENT (XX);
 * -ENOMEM; -EIDRM if the cache was destroyed.
 */
int lrucache_set_iter(struct lrucache *cache, const void *key, size_t key_len,
		      struct iov_iter *from, u64 ttl_ms, unsigned int flags)
{
	size_t value_len = iov_iter_count(from);
	struct lrucache_entry *e, *old;
	struct lrucache_key k;
	u64 ttl_ns;
	int ret;

	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	if (value_len > lrucache_max_value_len)
		return -E2BIG;
	if ((flags & ~LRUCACHE_SET_FLAGS) ||
	    (flags & LRUCACHE_SET_FLAGS) == LRUCACHE_SET_FLAGS)
		return -EINVAL;
	ret = lrucache_ttl_ns(cache, ttl_ms, &ttl_ns);
	if (ret)
		return ret;
	if (LRUCACHE_ENTRY_OVERHEAD + key_len + value_len > cache->max_bytes)
		return -E2BIG;

	e = kvmalloc(struct_size(e, data, key_len + value_len),
		     GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->key_len = key_len;
	e->value_len = value_len;
	refcount_set(&e->ref, 1);
	memcpy(e->data, key, key_len);
	if (!copy_from_iter_full(e->data + key_len, value_len, from)) {
		ret = -EFAULT;
		goto free;
	}
	k.data = e->data;
	k.len = key_len;

	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
		goto unlock;
	}
	e->expires = ttl_ns ? lrucache_now(cache) + ttl_ns : 0;

	rcu_read_lock();
	old = lrucache_lookup(cache, &k);
	if (old && lrucache_expired(cache, old)) {
		lrucache_count(cache, LRUCACHE_CNT_EXPIRATIONS);
		lrucache_unlink(cache, old);
		old = NULL;
	}
	if (old && (flags & LRUCACHE_SET_NX))
		ret = -EEXIST;
	else if (!old && (flags & LRUCACHE_SET_XX))
		ret = -ENOENT;
	else if (old)
		ret = rhashtable_replace_fast(&cache->ht, &old->node, &e->node,
					      lrucache_ht_params);
	else
		ret = rhashtable_lookup_insert_key(&cache->ht, &k, &e->node,
						   lrucache_ht_params);
	rcu_read_unlock();
	if (ret)
		goto unlock;

	if (old) {
		list_del_init(&old->lru);
		WRITE_ONCE(cache->entries, cache->entries - 1);
		WRITE_ONCE(cache->bytes, cache->bytes - lrucache_charge(old));
		lrucache_entry_put(old);
	}
	list_add(&e->lru, &cache->lru);
	WRITE_ONCE(cache->entries, cache->entries + 1);
	WRITE_ONCE(cache->bytes, cache->bytes + lrucache_charge(e));
	lrucache_evict(cache);
	spin_unlock(&cache->lock);
	lrucache_count(cache, LRUCACHE_CNT_SETS);
	return 0;

unlock:
	spin_unlock(&cache->lock);
free:
	kvfree(e);
	return ret;
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

/* Removes @e if it is still in the cache and has expired. */
static void lrucache_expire(struct lrucache *cache, struct lrucache_entry *e)
{
	spin_lock(&cache->lock);
	if (!list_empty(&e->lru) && lrucache_expired(cache, e)) {
		lrucache_count(cache, LRUCACHE_CNT_EXPIRATIONS);
		lrucache_unlink(cache, e);
	}
	spin_unlock(&cache->lock);
}

/*
 * Finds a live entry, makes it the most recently used and returns it with
 * a reference the caller must put; NULL on a miss. Counts the hit or miss.
 */
static struct lrucache_entry *lrucache_get_entry(struct lrucache *cache,
						 const void *key,
						 size_t key_len)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	struct lrucache_entry *e;

	rcu_read_lock();
	e = lrucache_lookup(cache, &k);
	if (!e)
		goto miss;
	if (unlikely(lrucache_expired(cache, e))) {
		lrucache_expire(cache, e);
		goto miss;
	}
	if (READ_ONCE(cache->lru.next) == &e->lru) {
		/* Already the most recent: the LRU order stays as it is. */
		if (!refcount_inc_not_zero(&e->ref))
			goto miss;
	} else {
		spin_lock(&cache->lock);
		if (list_empty(&e->lru)) {
			spin_unlock(&cache->lock);
			goto miss;
		}
		list_move(&e->lru, &cache->lru);
		refcount_inc(&e->ref);
		spin_unlock(&cache->lock);
	}
	rcu_read_unlock();
	lrucache_count(cache, LRUCACHE_CNT_HITS);
	return e;

miss:
	rcu_read_unlock();
	lrucache_count(cache, LRUCACHE_CNT_MISSES);
	return NULL;
}

/**
 * lrucache_get_iter - look a key up and copy its value to an iov_iter
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length
 * @to: where the value goes
 *
 * A hit makes the entry the most recently used. The value is copied only
 * if it fits in iov_iter_count(@to); otherwise nothing is copied and the
 * (larger) length is returned, so a caller can probe with an empty @to.
 *
 * Return: the value's full length; -ENOENT on a miss (absent or expired);
 * -EINVAL or -E2BIG for a bad key length; -EFAULT if @to faults; -EIDRM if
 * the cache was destroyed.
 */
ssize_t lrucache_get_iter(struct lrucache *cache, const void *key,
			  size_t key_len, struct iov_iter *to)
{
	struct lrucache_entry *e;
	ssize_t ret;

	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	if (unlikely(READ_ONCE(cache->dead)))
		return -EIDRM;

	e = lrucache_get_entry(cache, key, key_len);
	if (!e)
		return -ENOENT;
	ret = e->value_len;
	if (e->value_len <= iov_iter_count(to) &&
	    copy_to_iter(e->data + e->key_len, e->value_len, to) !=
	    e->value_len)
		ret = -EFAULT;
	lrucache_entry_put(e);
	return ret;
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
 * Return: as lrucache_get_iter(); a return value above @buf_len means that
 * nothing was copied.
 */
ssize_t lrucache_get(struct lrucache *cache, const void *key, size_t key_len,
		     void *buf, size_t buf_len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = buf_len };
	struct iov_iter to;

	iov_iter_kvec(&to, ITER_DEST, &kv, 1, buf_len);
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
		lrucache_count(cache, LRUCACHE_CNT_EXPIRATIONS);
		lrucache_unlink(cache, e);
		ret = -ENOENT;
	} else {
		lrucache_count(cache, LRUCACHE_CNT_DELETES);
		lrucache_unlink(cache, e);
	}
	rcu_read_unlock();
unlock:
	spin_unlock(&cache->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_delete);

/* Frees every entry, a bounded number per lock hold. */
static void lrucache_flush(struct lrucache *cache)
{
	unsigned int n;

	do {
		spin_lock(&cache->lock);
		for (n = 0; n < 256 && !list_empty(&cache->lru); n++)
			lrucache_unlink(cache,
					list_last_entry(&cache->lru,
							struct lrucache_entry,
							lru));
		spin_unlock(&cache->lock);
		cond_resched();
	} while (n);
}

/**
 * lrucache_clear - remove every entry
 * @cache: the cache
 *
 * Entries set while the clear runs may survive it. Removed entries are not
 * counted as deletes or evictions.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_clear(struct lrucache *cache)
{
	if (READ_ONCE(cache->dead))
		return -EIDRM;
	lrucache_flush(cache);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_clear);

/**
 * lrucache_get_stats - read a cache's counters and limits
 * @cache: the cache
 * @st: filled in
 *
 * Each counter is exact; they are not a snapshot taken at one instant.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_get_stats(struct lrucache *cache, struct lrucache_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	if (READ_ONCE(cache->dead))
		return -EIDRM;
	for_each_possible_cpu(cpu) {
		const u64 *v = per_cpu_ptr(cache->pcpu, cpu)->v;

		st->hits += READ_ONCE(v[LRUCACHE_CNT_HITS]);
		st->misses += READ_ONCE(v[LRUCACHE_CNT_MISSES]);
		st->sets += READ_ONCE(v[LRUCACHE_CNT_SETS]);
		st->deletes += READ_ONCE(v[LRUCACHE_CNT_DELETES]);
		st->evictions += READ_ONCE(v[LRUCACHE_CNT_EVICTIONS]);
		st->expirations += READ_ONCE(v[LRUCACHE_CNT_EXPIRATIONS]);
	}
	st->entries = READ_ONCE(cache->entries);
	st->bytes = READ_ONCE(cache->bytes);
	st->max_entries = cache->max_entries;
	st->max_bytes = cache->max_bytes;
	st->default_ttl_ms = div_u64(cache->default_ttl_ns, NSEC_PER_MSEC);
	st->entry_overhead = LRUCACHE_ENTRY_OVERHEAD;
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_get_stats);

/**
 * lrucache_reset_stats - zero a cache's event counters
 * @cache: the cache
 *
 * Zeroes hits, misses, sets, deletes, evictions and expirations; entries,
 * bytes and limits describe the cache's contents and stay. Events that
 * happen while the reset runs may be kept or lost.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_reset_stats(struct lrucache *cache)
{
	int cpu, i;

	if (READ_ONCE(cache->dead))
		return -EIDRM;
	for_each_possible_cpu(cpu) {
		u64 *v = per_cpu_ptr(cache->pcpu, cpu)->v;

		for (i = 0; i < LRUCACHE_NR_COUNTERS; i++)
			WRITE_ONCE(v[i], 0);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_reset_stats);

/**
 * lrucache_get_health - judge a cache by the health rules
 * @cache: the cache
 * @h: filled in: status, the rules broken, and their figures
 *
 * The rules are those of the sysfs health file (lrucache_health_of()).
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_get_health(struct lrucache *cache, struct lrucache_health *h)
{
	struct lrucache_stats st;
	int ret;

	ret = lrucache_get_stats(cache, &st);
	if (ret)
		return ret;
	lrucache_health_of(&st, h);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_get_health);

/**
 * lrucache_get_info - describe a cache
 * @cache: the cache
 * @info: filled in; owner ids are mapped into the caller's user namespace
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_get_info(struct lrucache *cache, struct lrucache_info *info)
{
	memset(info, 0, sizeof(*info));
	if (READ_ONCE(cache->dead))
		return -EIDRM;
	strscpy(info->name, cache->name, sizeof(info->name));
	info->max_entries = cache->max_entries;
	info->max_bytes = cache->max_bytes;
	info->default_ttl_ms = div_u64(cache->default_ttl_ns, NSEC_PER_MSEC);
	info->entry_overhead = LRUCACHE_ENTRY_OVERHEAD;
	info->created_ns = cache->created_ns;
	info->owner_uid = from_kuid_munged(current_user_ns(), cache->owner_uid);
	info->owner_gid = from_kgid_munged(current_user_ns(), cache->owner_gid);
	if (cache->metrics)
		info->flags |= LRUCACHE_INFO_METRICS;
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_get_info);

/**
 * lrucache_name - the name of a cache
 * @cache: the cache
 *
 * Return: the name, valid as long as the caller holds its reference.
 */
const char *lrucache_name(const struct lrucache *cache)
{
	return cache->name;
}
EXPORT_SYMBOL_GPL(lrucache_name);

/* Names become sysfs directory names: keep them to a safe alphabet. */
static bool lrucache_name_valid(const char *name)
{
	size_t len = strnlen(name, LRUCACHE_NAME_MAX);
	size_t i;

	if (!len || len == LRUCACHE_NAME_MAX || name[0] == '.')
		return false;
	/* The kernel's ctype also calls Latin-1 letters alphanumeric. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.-", name[i])))
			return false;
	return true;
}

static struct lrucache *lrucache_find(const char *name)
{
	struct lrucache *cache;

	lockdep_assert_held(&lrucache_registry_lock);
	list_for_each_entry(cache, &lrucache_registry, node)
		if (!strcmp(cache->name, name))
			return cache;
	return NULL;
}

static void lrucache_release(struct kobject *kobj)
{
	struct lrucache *cache = container_of(kobj, struct lrucache, kobj);

	/* Every entry went when the cache was destroyed. */
	WARN_ON_ONCE(cache->entries);
	rhashtable_destroy(&cache->ht);
	free_percpu(cache->pcpu);
	kfree(cache);
}

static const struct kobj_type lrucache_ktype = {
	.release	= lrucache_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= lrucache_cache_groups,
};

static int lrucache_create(const char *name,
			   const struct lrucache_params *params,
			   unsigned int flags, struct lrucache **out)
{
	struct lrucache *cache;
	u64 max_entries = params->max_entries ?: lrucache_default_max_entries;
	u64 max_bytes = params->max_bytes ?: lrucache_default_max_bytes;
	int ret;

	if (max_entries > LRUCACHE_MAX_ENTRIES_LIMIT ||
	    params->default_ttl_ms > LRUCACHE_TTL_MAX_MS)
		return -EINVAL;

	cache = kzalloc(sizeof(*cache), GFP_KERNEL_ACCOUNT);
	if (!cache)
		return -ENOMEM;
	cache->pcpu = alloc_percpu_gfp(struct lrucache_pcpu_stats,
				       GFP_KERNEL_ACCOUNT);
	if (!cache->pcpu) {
		ret = -ENOMEM;
		goto free;
	}
	ret = rhashtable_init(&cache->ht, &lrucache_ht_params);
	if (ret)
		goto free_pcpu;
	spin_lock_init(&cache->lock);
	INIT_LIST_HEAD(&cache->lru);
	cache->max_entries = max_entries;
	cache->max_bytes = max_bytes;
	cache->default_ttl_ns = params->default_ttl_ms * NSEC_PER_MSEC;
	cache->metrics = !(flags & LRUCACHE_OPEN_NO_METRICS);
	cache->owner_uid = current_euid();
	cache->owner_gid = current_egid();
	cache->created_ns = ktime_get_real_ns();
	strscpy(cache->name, name, sizeof(cache->name));

	/* From here on the kobject owns the cache: release() frees it. */
	cache->kobj.kset = lrucache_caches_kset();
	ret = kobject_init_and_add(&cache->kobj, &lrucache_ktype, NULL, "%s",
				   cache->name);
	if (ret) {
		kobject_put(&cache->kobj);
		return ret;
	}
	kobject_uevent(&cache->kobj, KOBJ_ADD);
	*out = cache;
	return 0;

free_pcpu:
	free_percpu(cache->pcpu);
free:
	kfree(cache);
	return ret;
}

/**
 * lrucache_open - find a cache by name, or create it
 * @name: the cache name: 1 to 63 characters of [A-Za-z0-9_.-], not
 *	starting with '.'
 * @params: limits for a cache this call creates; NULL or all zero for
 *	module defaults
 * @flags: LRUCACHE_OPEN_CREATE to create a missing cache,
 *	LRUCACHE_OPEN_EXCL (with CREATE) to fail if it exists,
 *	LRUCACHE_OPEN_NO_METRICS (with CREATE) to keep no event counters
 * @out: the cache, with a reference to drop with lrucache_put()
 *
 * Return: 0; -EINVAL for a bad name, flags or limit; -ENOENT if the cache
 * does not exist and CREATE was not given; -EEXIST if it exists and EXCL
 * was given; -ENOMEM.
 */
int lrucache_open(const char *name, const struct lrucache_params *params,
		  unsigned int flags, struct lrucache **out)
{
	static const struct lrucache_params defaults;
	struct lrucache *cache;
	int ret = 0;

	if (!lrucache_name_valid(name) || (flags & ~LRUCACHE_OPEN_FLAGS) ||
	    ((flags & (LRUCACHE_OPEN_EXCL | LRUCACHE_OPEN_NO_METRICS)) &&
	     !(flags & LRUCACHE_OPEN_CREATE)))
		return -EINVAL;

	mutex_lock(&lrucache_registry_lock);
	cache = lrucache_find(name);
	if (cache) {
		if (flags & LRUCACHE_OPEN_EXCL)
			ret = -EEXIST;
		else
			kobject_get(&cache->kobj);
	} else if (!(flags & LRUCACHE_OPEN_CREATE)) {
		ret = -ENOENT;
	} else {
		ret = lrucache_create(name, params ?: &defaults, flags,
				      &cache);
		if (!ret) {
			/* The registry's reference and the caller's. */
			kobject_get(&cache->kobj);
			list_add_tail(&cache->node, &lrucache_registry);
		}
	}
	mutex_unlock(&lrucache_registry_lock);
	if (!ret)
		*out = cache;
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_open);

/**
 * lrucache_put - drop a reference taken by lrucache_open()
 * @cache: the cache
 */
void lrucache_put(struct lrucache *cache)
{
	kobject_put(&cache->kobj);
}
EXPORT_SYMBOL_GPL(lrucache_put);

/* Unlists a cache; called with the registry lock held. */
static void lrucache_unlist(struct lrucache *cache)
{
	lockdep_assert_held(&lrucache_registry_lock);

	list_del(&cache->node);
	/* Remove the sysfs directory now so that the name is free at once. */
	kobject_del(&cache->kobj);
	spin_lock(&cache->lock);
	cache->dead = true;
	spin_unlock(&cache->lock);
}

/**
 * lrucache_destroy - destroy a cache by name
 * @name: the cache name
 *
 * Every entry is freed and every later operation on the cache through a
 * reference still held fails with -EIDRM. The name can be reused at once.
 *
 * Return: 0, -EINVAL for a bad name, or -ENOENT.
 */
int lrucache_destroy(const char *name)
{
	struct lrucache *cache;

	if (!lrucache_name_valid(name))
		return -EINVAL;

	mutex_lock(&lrucache_registry_lock);
	cache = lrucache_find(name);
	if (cache)
		lrucache_unlist(cache);
	mutex_unlock(&lrucache_registry_lock);
	if (!cache)
		return -ENOENT;
	lrucache_flush(cache);
	lrucache_put(cache);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_destroy);

/* Module unload: no file or module holds a cache any more. */
void lrucache_destroy_all(void)
{
	struct lrucache *cache, *tmp;
	LIST_HEAD(doomed);

	mutex_lock(&lrucache_registry_lock);
	list_for_each_entry_safe(cache, tmp, &lrucache_registry, node) {
		lrucache_unlist(cache);
		list_add(&cache->node, &doomed);
	}
	mutex_unlock(&lrucache_registry_lock);

	list_for_each_entry_safe(cache, tmp, &doomed, node) {
		lrucache_flush(cache);
		lrucache_put(cache);
	}
}

/*
 * Health rules, the same for sysfs and every other reader:
 * - memory_high: bytes at or above 95% of max_bytes (degraded);
 * - hit_rate_low: after at least 100 lookups, hit rate under 50%
 *   (degraded), or under 10% after at least 1000 lookups (unhealthy).
 */
#define LRUCACHE_MEMORY_HIGH_PCT	95
#define LRUCACHE_HIT_RATE_MIN_LOOKUPS	100
#define LRUCACHE_HIT_RATE_LOW_PCT	50
#define LRUCACHE_HIT_RATE_BAD_LOOKUPS	1000
#define LRUCACHE_HIT_RATE_BAD_PCT	10

void lrucache_health_of(const struct lrucache_stats *st,
			struct lrucache_health *h)
{
	u64 lookups = st->hits + st->misses;

	memset(h, 0, sizeof(*h));
	h->memory_pct = st->max_bytes ?
			div64_u64(st->bytes * 100, st->max_bytes) : 0;
	h->hit_rate_pct = lookups ? div64_u64(st->hits * 100, lookups) : 100;
	h->status = LRUCACHE_HEALTHY;

	if (h->memory_pct >= LRUCACHE_MEMORY_HIGH_PCT) {
		h->reasons |= LRUCACHE_HEALTH_MEMORY_HIGH;
		h->status = LRUCACHE_DEGRADED;
	}
	if (lookups >= LRUCACHE_HIT_RATE_MIN_LOOKUPS &&
	    h->hit_rate_pct < LRUCACHE_HIT_RATE_LOW_PCT) {
		h->reasons |= LRUCACHE_HEALTH_HIT_RATE_LOW;
		h->status = LRUCACHE_DEGRADED;
		if (lookups >= LRUCACHE_HIT_RATE_BAD_LOOKUPS &&
		    h->hit_rate_pct < LRUCACHE_HIT_RATE_BAD_PCT)
			h->status = LRUCACHE_UNHEALTHY;
	}
}

const char *lrucache_health_name(u32 status)
{
	switch (status) {
	case LRUCACHE_HEALTHY:
		return "healthy";
	case LRUCACHE_DEGRADED:
		return "degraded";
	default:
		return "unhealthy";
	}
}

/* Totals over every cache, for /sys/kernel/lrucache/{stats,health}. */
void lrucache_sum_all(struct lrucache_stats *sum, unsigned int *caches,
		      unsigned int *degraded, unsigned int *unhealthy)
{
	struct lrucache_health h;
	struct lrucache_stats st;
	struct lrucache *cache;

	memset(sum, 0, sizeof(*sum));
	*caches = 0;
	*degraded = 0;
	*unhealthy = 0;

	mutex_lock(&lrucache_registry_lock);
	list_for_each_entry(cache, &lrucache_registry, node) {
		lrucache_get_stats(cache, &st);
		sum->hits += st.hits;
		sum->misses += st.misses;
		sum->sets += st.sets;
		sum->deletes += st.deletes;
		sum->evictions += st.evictions;
		sum->expirations += st.expirations;
		sum->entries += st.entries;
		sum->bytes += st.bytes;
		lrucache_health_of(&st, &h);
		if (h.status == LRUCACHE_DEGRADED)
			(*degraded)++;
		else if (h.status == LRUCACHE_UNHEALTHY)
			(*unhealthy)++;
		(*caches)++;
	}
	mutex_unlock(&lrucache_registry_lock);
}

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * Let the KUnit suite stop a cache's clock and move it by hand, so that
 * expiry tests depend on nothing but the steps they take.
 */
void lrucache_test_freeze_clock(struct lrucache *cache)
{
	WRITE_ONCE(cache->test_clock_ns, ktime_get_boottime_ns());
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_freeze_clock, LRUCACHE_TEST);

void lrucache_test_advance_clock(struct lrucache *cache, u64 ns)
{
	WRITE_ONCE(cache->test_clock_ns, lrucache_now(cache) + ns);
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_advance_clock, LRUCACHE_TEST);
#endif
