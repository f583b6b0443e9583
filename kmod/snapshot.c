// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache snapshots: the live entries of a cache at one instant, held by
 * reference and read back as a stream of records (struct lrucache_record,
 * key, value), least recently used first.
 *
 * lrucache_snapshot() gathers the entries under the cache lock into
 * storage sized beforehand, so nothing is allocated under the lock. The
 * storage is a list of page-sized chunks, never one large allocation,
 * whatever the size of the cache. Entries never change once published (a replace
 * publishes a new entry), so the references alone keep the snapshot
 * exact while the cache goes on changing.
 *
 * Dumps and quotas
 * ----------------
 * The references keep entries in memory after the cache lets them go
 * (replaced, deleted, evicted, expired, cleared, or the cache destroyed),
 * until the snapshot is freed. That memory is charged to the snapshot's
 * taker (the effective uid that took it), so that no uid can hold more
 * than its byte quota, however many dumps it keeps open:
 *
 * - a dump of a cache the taker owns: the entries are charged to the
 *   taker already, as the cache's owner, and stay charged while it holds
 *   them. A live entry is charged once, as before. An entry removed from
 *   the cache while the owner has a dump of it open (cache->own_dumps)
 *   and while something besides the cache holds it is kept charged: it
 *   leaves cache->bytes but stays in the owner's bytes and the global
 *   total, on cache->kept, until its last reference goes or until the
 *   owner's last dump of the cache is closed (then what other holders
 *   still hold is theirs: see the next case). The owner's sets therefore
 *   see the memory its dumps hold as the bytes of its other caches: they
 *   evict from their own cache to make room or fail with -EDQUOT, and
 *   the owner's memory stays within its quota;
 * - a dump of another uid's cache: the entries it holds are charged to
 *   the taker in full, on top of their owner's charge, from the dump
 *   until the snapshot is freed, and lrucache_snapshot() fails with
 *   -EDQUOT if they do not fit the taker's quota. The owner is charged
 *   for its live entries only: a reader's dump never takes the owner's
 *   quota. Charging only the entries the cache has let go would need to
 *   know, when one goes, which of possibly many snapshots holds it, and
 *   the entry header has no room to say; the reservation is the bound
 *   that needs no such knowledge, and it takes nothing the owner counts.
 *
 * What the dumps hold of a uid is shown as dump_bytes in
 * /sys/kernel/lrucache/users. The snapshot's own storage (16 bytes an
 * entry) is charged to the taker's memory cgroup only.
 */

#include <linux/lockdep.h>
#include <linux/lrucache.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "lrucache_internal.h"

struct lrucache_snap_item {
	struct lrucache_entry *e;
	u64 ttl_ms;
};

struct lrucache_snap_chunk {
	struct list_head node;
	unsigned int used;
	struct lrucache_snap_item item[];
};

#define LRUCACHE_SNAP_PER_CHUNK						\
	((PAGE_SIZE - sizeof(struct lrucache_snap_chunk)) /		\
	 sizeof(struct lrucache_snap_item))

struct lrucache_snapshot {
	struct list_head chunks;
	struct lrucache_snap_chunk *fill;	/* the chunk being filled */
	u64 capacity;
	u64 entries;
	u64 bytes;
	u64 charge;				/* of the entries held */

	struct lrucache *cache;			/* the entries' */
	struct lrucache_user *taker;		/* with a reference */
	bool own;				/* the taker owns @cache */
	u64 reserved;				/* charged to @taker */

	struct mutex lock;			/* the read position */
	struct lrucache_snap_chunk *cur;
	unsigned int idx;			/* in @cur */
	u64 done;				/* records read in full */
	size_t off;				/* into the current record */
};

static void lrucache_snapshot_destroy(struct lrucache_snapshot *snap);

/* Storage for up to @entries entries of @cache; NULL if out of memory. */
static struct lrucache_snapshot *lrucache_snapshot_alloc(struct lrucache *cache,
							 u64 entries)
{
	struct lrucache_snapshot *snap;
	struct lrucache_snap_chunk *chunk;
	u64 n;

	snap = kzalloc_obj(*snap, GFP_KERNEL_ACCOUNT);
	if (!snap)
		return NULL;
	INIT_LIST_HEAD(&snap->chunks);
	mutex_init(&snap->lock);
	snap->cache = cache;
	for (n = 0; n < entries; n += LRUCACHE_SNAP_PER_CHUNK) {
		chunk = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
		if (!chunk) {
			lrucache_snapshot_destroy(snap);
			return NULL;
		}
		chunk->used = 0;
		list_add_tail(&chunk->node, &snap->chunks);
		snap->capacity += LRUCACHE_SNAP_PER_CHUNK;
	}
	snap->fill = list_first_entry_or_null(&snap->chunks,
					      struct lrucache_snap_chunk, node);
	return snap;
}

/*
 * Records @e, on which the caller took a reference for the snapshot.
 * Returns false, recording nothing, if the storage is full.
 */
static bool lrucache_snapshot_add(struct lrucache_snapshot *snap,
				  struct lrucache_entry *e, u64 ttl_ms)
{
	struct lrucache_snap_chunk *chunk = snap->fill;

	if (snap->entries == snap->capacity)
		return false;
	if (chunk->used == LRUCACHE_SNAP_PER_CHUNK) {
		chunk = list_next_entry(chunk, node);
		snap->fill = chunk;
	}
	chunk->item[chunk->used].e = e;
	chunk->item[chunk->used].ttl_ms = ttl_ms;
	chunk->used++;
	snap->entries++;
	snap->bytes += sizeof(struct lrucache_record) + lrucache_key_len(e) +
		       e->value_len;
	snap->charge += lrucache_charge(e);
	return true;
}

/* Drops every recorded entry; the storage stays, empty. */
static void lrucache_snapshot_reset(struct lrucache_snapshot *snap)
{
	struct lrucache_snap_chunk *chunk;
	unsigned int i;

	list_for_each_entry(chunk, &snap->chunks, node) {
		for (i = 0; i < chunk->used; i++) {
			lrucache_entry_unpin(snap->cache, chunk->item[i].e);
			if (!(i % LRUCACHE_BATCH))
				cond_resched();
		}
		chunk->used = 0;
	}
	snap->fill = list_first_entry_or_null(&snap->chunks,
					      struct lrucache_snap_chunk, node);
	snap->entries = 0;
	snap->bytes = 0;
	snap->charge = 0;
}

/* Drops the entries and frees the storage; the charges are the caller's. */
static void lrucache_snapshot_destroy(struct lrucache_snapshot *snap)
{
	struct lrucache_snap_chunk *chunk, *tmp;

	lrucache_snapshot_reset(snap);
	list_for_each_entry_safe(chunk, tmp, &snap->chunks, node)
		kfree(chunk);
	mutex_destroy(&snap->lock);
	kfree(snap);
}

/**
 * lrucache_snapshot_free - drop a snapshot and the entries it holds
 * @snap: from lrucache_snapshot()
 *
 * Every snapshot must be freed exactly once, read to the end or not.
 * What the snapshot held stops being charged to its taker.
 *
 * Context: Process context. May sleep.
 */
void lrucache_snapshot_free(struct lrucache_snapshot *snap)
{
	struct lrucache *cache = snap->cache;
	struct lrucache_user *taker = snap->taker;
	bool last = false;

	might_sleep();
	lrucache_snapshot_reset(snap);
	if (snap->own) {
		spin_lock(&cache->lock);
		last = !--cache->own_dumps;
		spin_unlock(&cache->lock);
	}
	if (last)
		lrucache_release_kept(cache);
	if (snap->reserved) {
		atomic64_sub(snap->reserved, &taker->dump_bytes);
		atomic64_sub(snap->reserved, &taker->bytes);
	}
	lrucache_snapshot_destroy(snap);
	lrucache_user_release(taker);
	lrucache_put(cache);
}
EXPORT_SYMBOL_GPL(lrucache_snapshot_free);

/**
 * lrucache_snapshot_entries - how many records a snapshot holds
 * @snap: the snapshot
 *
 * Context: Process context.
 *
 * Return: the number of entries.
 */
u64 lrucache_snapshot_entries(const struct lrucache_snapshot *snap)
{
	return snap->entries;
}
EXPORT_SYMBOL_GPL(lrucache_snapshot_entries);

/**
 * lrucache_snapshot_bytes - the length of a snapshot's record stream
 * @snap: the snapshot
 *
 * Context: Process context.
 *
 * Return: the sum over its entries of sizeof(struct lrucache_record) plus
 * key and value lengths.
 */
u64 lrucache_snapshot_bytes(const struct lrucache_snapshot *snap)
{
	return snap->bytes;
}
EXPORT_SYMBOL_GPL(lrucache_snapshot_bytes);

/**
 * lrucache_snapshot_read - read the next bytes of a snapshot's stream
 * @snap: the snapshot
 * @to: where they go; any size, records may be split across reads
 *
 * Reads continue where the previous one stopped; concurrent readers of
 * one snapshot are serialised and share the position, which advances by
 * exactly what was copied. The stream is, per entry, a struct
 * lrucache_record, the key and the value (see LRUCACHE_IOC_DUMP).
 *
 * Context: Process context. May sleep.
 *
 * Return: the number of bytes copied, 0 at the end of the stream, or
 * -EFAULT if nothing could be copied.
 */
ssize_t lrucache_snapshot_read(struct lrucache_snapshot *snap,
			       struct iov_iter *to)
{
	struct lrucache_snap_item *item;
	struct lrucache_record rec;
	size_t copied = 0, want, n;
	struct lrucache_entry *e;

	might_sleep();

	mutex_lock(&snap->lock);
	if (!snap->cur)
		snap->cur = list_first_entry_or_null(&snap->chunks,
						     struct lrucache_snap_chunk,
						     node);
	while (iov_iter_count(to) && snap->done < snap->entries) {
		if (snap->idx == snap->cur->used) {
			snap->cur = list_next_entry(snap->cur, node);
			snap->idx = 0;
		}
		item = &snap->cur->item[snap->idx];
		e = item->e;
		if (snap->off < sizeof(rec)) {
			memset(&rec, 0, sizeof(rec));
			rec.key_len = lrucache_key_len(e);
			rec.value_len = e->value_len;
			rec.ttl_ms = item->ttl_ms;
			want = sizeof(rec) - snap->off;
			n = copy_to_iter((u8 *)&rec + snap->off, want, to);
		} else {
			/* The key and the value lie side by side. */
			want = sizeof(rec) + lrucache_key_len(e) + e->value_len -
			       snap->off;
			n = copy_to_iter(e->data + snap->off - sizeof(rec),
					 want, to);
		}
		copied += n;
		snap->off += n;
		if (snap->off == sizeof(rec) + lrucache_key_len(e) + e->value_len) {
			snap->off = 0;
			snap->idx++;
			snap->done++;
		} else if (n < want && iov_iter_count(to)) {
			break;		/* a fault */
		}
	}
	mutex_unlock(&snap->lock);
	if (!copied && iov_iter_count(to) && snap->done < snap->entries)
		return -EFAULT;
	return copied;
}
EXPORT_SYMBOL_GPL(lrucache_snapshot_read);
/* Gathers the live entries, least recent first; false if @snap is full. */
static bool lrucache_gather(struct lrucache *cache,
			    struct lrucache_snapshot *snap)
	__must_hold(&cache->lock)
{
	struct lrucache_entry *e;
	u64 now = lrucache_now(cache);
	u64 ttl_ms;

	lockdep_assert_held(&cache->lock);

	list_for_each_entry_reverse(e, &cache->lru, lru) {
		if (e->expires && now >= e->expires)
			continue;
		ttl_ms = e->expires ? DIV_ROUND_UP_ULL(e->expires - now,
						       NSEC_PER_MSEC) :
				      LRUCACHE_TTL_NONE;
		if (!lrucache_snapshot_add(snap, e, ttl_ms))
			return false;
		/* The cache holds a reference: the count cannot be zero. */
		refcount_inc(&e->ref);
	}
	return true;
}

/*
 * Gathers the snapshot, sized for the entries of the moment and tried
 * again if the cache grew meanwhile; for a dump by the owner, counted in
 * cache->own_dumps in the same hold of the lock.
 */
static struct lrucache_snapshot *lrucache_snapshot_take(struct lrucache *cache,
							bool own)
{
	struct lrucache_snapshot *snap;
	int tries;
	u64 want;
	bool ok;

	might_sleep();

	for (tries = 0; tries < 4; tries++) {
		if (READ_ONCE(cache->dead))
			return ERR_PTR(-EIDRM);
		want = READ_ONCE(cache->entries);
		snap = lrucache_snapshot_alloc(cache, want + want / 8 + 16);
		if (!snap)
			return ERR_PTR(-ENOMEM);
		spin_lock(&cache->lock);
		ok = !cache->dead && lrucache_gather(cache, snap);
		if (ok && own)
			cache->own_dumps++;
		spin_unlock(&cache->lock);
		if (ok)
			return snap;
		lrucache_snapshot_destroy(snap);
	}
	return ERR_PTR(READ_ONCE(cache->dead) ? -EIDRM : -EAGAIN);
}

/**
 * lrucache_snapshot - take a snapshot of a cache's live entries
 * @cache: the cache
 *
 * The snapshot holds a reference to every live entry of one instant,
 * with its remaining TTL and LRU position, and is read as a stream of
 * records with lrucache_snapshot_read(). It allocates a pointer and a TTL
 * (16 bytes) per entry in page-sized chunks, all before taking the cache
 * lock; it then holds the lock for one walk of the LRU list. Expired
 * entries are left out, and the cache does not change (no LRU move, no
 * counter). Entries removed from the cache afterwards stay in memory until
 * the snapshot is freed, and are charged to the caller's effective uid
 * meanwhile ("Dumps and quotas" above): its own cache's as they were,
 * another uid's in full at once. The snapshot holds a reference to the
 * cache's kobject (not a user of it): it stays valid after lrucache_put()
 * and lrucache_destroy().
 *
 * Context: Process context. May sleep.
 *
 * Return: the snapshot, to free with lrucache_snapshot_free(); or
 * ERR_PTR(-ENOMEM), ERR_PTR(-EIDRM) if the cache was destroyed,
 * ERR_PTR(-EAGAIN) if the cache kept growing faster than the storage
 * could be sized for it, or ERR_PTR(-EDQUOT) if the cache is another
 * uid's and its entries do not fit the caller's byte quota.
 */
struct lrucache_snapshot *lrucache_snapshot(struct lrucache *cache)
{
	struct lrucache_snapshot *snap;
	struct lrucache_user *taker;
	bool own;

	taker = lrucache_user_of_current(cache);
	if (IS_ERR(taker))
		return ERR_CAST(taker);
	own = taker == cache->user;
	snap = lrucache_snapshot_take(cache, own);
	if (IS_ERR(snap))
		goto release;
	if (!own) {
		if (atomic64_add_return(snap->charge, &taker->bytes) >
		    lrucache_user_max_bytes(taker)) {
			atomic64_sub(snap->charge, &taker->bytes);
			lrucache_snapshot_destroy(snap);
			snap = ERR_PTR(-EDQUOT);
			goto release;
		}
		atomic64_add(snap->charge, &taker->dump_bytes);
		snap->reserved = snap->charge;
	}
	snap->taker = taker;
	snap->own = own;
	kobject_get(&cache->kobj);
	return snap;

release:
	lrucache_user_release(taker);
	return snap;
}
EXPORT_SYMBOL_GPL(lrucache_snapshot);
