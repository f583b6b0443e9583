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

	struct mutex lock;			/* the read position */
	struct lrucache_snap_chunk *cur;
	unsigned int idx;			/* in @cur */
	u64 done;				/* records read in full */
	size_t off;				/* into the current record */
};

/* Storage for up to @entries entries; NULL if out of memory. */
static struct lrucache_snapshot *lrucache_snapshot_alloc(u64 entries)
{
	struct lrucache_snapshot *snap;
	struct lrucache_snap_chunk *chunk;
	u64 n;

	snap = kzalloc_obj(*snap, GFP_KERNEL_ACCOUNT);
	if (!snap)
		return NULL;
	INIT_LIST_HEAD(&snap->chunks);
	mutex_init(&snap->lock);
	for (n = 0; n < entries; n += LRUCACHE_SNAP_PER_CHUNK) {
		chunk = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
		if (!chunk) {
			lrucache_snapshot_free(snap);
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
	return true;
}

/* Drops every recorded entry; the storage stays, empty. */
static void lrucache_snapshot_reset(struct lrucache_snapshot *snap)
{
	struct lrucache_snap_chunk *chunk;
	unsigned int i;

	list_for_each_entry(chunk, &snap->chunks, node) {
		for (i = 0; i < chunk->used; i++)
			lrucache_entry_put(chunk->item[i].e);
		chunk->used = 0;
	}
	snap->fill = list_first_entry_or_null(&snap->chunks,
					      struct lrucache_snap_chunk, node);
	snap->entries = 0;
	snap->bytes = 0;
}

/**
 * lrucache_snapshot_free - drop a snapshot and the entries it holds
 * @snap: from lrucache_snapshot()
 *
 * Every snapshot must be freed exactly once, read to the end or not.
 *
 * Context: Process context.
 */
void lrucache_snapshot_free(struct lrucache_snapshot *snap)
{
	struct lrucache_snap_chunk *chunk, *tmp;

	lrucache_snapshot_reset(snap);
	list_for_each_entry_safe(chunk, tmp, &snap->chunks, node)
		kfree(chunk);
	mutex_destroy(&snap->lock);
	kfree(snap);
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
 * the snapshot is freed. The snapshot holds no reference to the cache: it
 * stays valid after lrucache_put() and lrucache_destroy().
 *
 * Context: Process context. May sleep.
 *
 * Return: the snapshot, to free with lrucache_snapshot_free(); or
 * ERR_PTR(-ENOMEM), ERR_PTR(-EIDRM) if the cache was destroyed, or
 * ERR_PTR(-EAGAIN) if the cache kept growing faster than the storage
 * could be sized for it.
 */
struct lrucache_snapshot *lrucache_snapshot(struct lrucache *cache)
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
		snap = lrucache_snapshot_alloc(want + want / 8 + 16);
		if (!snap)
			return ERR_PTR(-ENOMEM);
		spin_lock(&cache->lock);
		ok = !cache->dead && lrucache_gather(cache, snap);
		spin_unlock(&cache->lock);
		if (ok)
			return snap;
		lrucache_snapshot_free(snap);
	}
	return ERR_PTR(READ_ONCE(cache->dead) ? -EIDRM : -EAGAIN);
}
EXPORT_SYMBOL_GPL(lrucache_snapshot);
