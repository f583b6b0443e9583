// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache: memory of all caches together.
 *
 * Besides each cache's own limits, the bytes of all caches together stay
 * within lrucache_max_total_bytes (module parameter): the counts of all
 * caches are kept here, and a set that would go beyond the limit evicts
 * the inserting cache's own least recently used entries, or fails with
 * -ENOSPC if even that could not make room (lrucache_room() in lru.c).
 *
 * Under memory pressure the kernel asks the shrinker below to give back
 * least recently used entries of every cache. An entry it takes that had
 * expired counts as an expiration, not as reclaimed, as everywhere else.
 */

#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "lrucache_internal.h"

/*
 * What an entry takes
 * -------------------
 * An entry is one allocation of its header, key and value (@size bytes).
 * It is charged what that allocation really takes, so that the limits
 * bound memory, not the bytes asked for; the allocation is chosen by size
 * alone, so the charge is a function of the size, known before anything
 * is allocated:
 *
 * - up to KMALLOC_MAX_CACHE_SIZE (8 KiB with 4 KiB pages): kmalloc(), from
 *   the slab size class that kmalloc_size_roundup() names (96, 128, 192,
 *   256, 512 bytes, ... 8 KiB): at most twice the size, and about 1.4
 *   times on average over sizes spread evenly;
 * - above: vmalloc(), whole pages, plus what vmalloc keeps per area: the
 *   array of its page pointers (8 bytes a page, itself from kmalloc, or
 *   vmalloc beyond a page), one page-table entry per page (8 bytes; the
 *   page-table pages are shared by neighbouring areas), and its two
 *   records of the area (struct vm_struct from kmalloc, struct vmap_area
 *   from its own slab cache). An entry of a 1 MiB value takes 257 pages
 *   and about 6 KiB besides, 1.01 times its size; a 12 KiB one 1.01 too,
 *   one just over 8 KiB (three pages) 1.5 times.
 *
 * kvmalloc(), which this replaces, tries kmalloc() first at every size:
 * above 8 KiB that takes a power of two of pages (2 MiB for a value of 1
 * MiB and a byte) whenever the page allocator has one, and vmalloc only
 * when it has not, so an entry's real size depended on fragmentation at
 * the time of the set. Page-sized chunks of the value (no vmalloc area,
 * no page table entries, no contiguous mapping) would save the last 0.4%
 * of vmalloc's overhead but make every copy in and out of an entry walk
 * its chunks.
 */
static size_t lrucache_vmalloc_charge(size_t size)
{
	size_t pages = DIV_ROUND_UP(size, PAGE_SIZE);
	size_t array = pages * sizeof(struct page *);

	if (array > PAGE_SIZE)
		array = lrucache_vmalloc_charge(array);
	else
		array = kmalloc_size_roundup(array);
	return pages * PAGE_SIZE + array + pages * sizeof(pte_t) +
	       kmalloc_size_roundup(sizeof(struct vm_struct)) +
	       sizeof(struct vmap_area);
}

/* What an entry of @size bytes (header, key, value) is charged. */
size_t lrucache_alloc_charge(size_t size)
{
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_size_roundup(size);
	return lrucache_vmalloc_charge(size);
}

/* Allocates an entry of @size bytes as lrucache_alloc_charge() counts it. */
void *lrucache_alloc_entry(size_t size)
{
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc(size, GFP_KERNEL_ACCOUNT);
	return __vmalloc(size, GFP_KERNEL_ACCOUNT);
}

/* Bytes and entries of all caches, for the global limit and the shrinker. */
atomic64_t lrucache_total_bytes = ATOMIC64_INIT(0);
atomic64_t lrucache_total_entries = ATOMIC64_INIT(0);

bool lrucache_over_total(void)
{
	return atomic64_read(&lrucache_total_bytes) >
	       lrucache_limit(READ_ONCE(lrucache_max_total_bytes));
}

/*
 * Memory pressure: the shrinker frees least recently used entries of every
 * cache, each cache giving up its share of the request in proportion to
 * its entries. Reclaim can run in a task that holds the registry lock
 * while allocating (creating a cache), so the scan only tries that lock.
 */
struct lrucache_reclaim_walk {
	unsigned long nr;
	unsigned long done;
};

/* A step of lrucache_reclaim_cache(): frees the least recent entry. */
static bool lrucache_reclaim_step(struct lrucache *cache, void *arg)
	__must_hold(&cache->lock)
{
	struct lrucache_reclaim_walk *w = arg;
	struct lrucache_entry *e;

	lockdep_assert_held(&cache->lock);

	if (w->done >= w->nr || list_empty(&cache->lru))
		return false;
	e = list_last_entry(&cache->lru, struct lrucache_entry, lru);
	/* An expired entry is an expiration, as everywhere. */
	lrucache_remove(cache, e, lrucache_expired(cache, e) ?
				  LRUCACHE_EVENT_EXPIRE :
				  LRUCACHE_EVENT_RECLAIM);
	w->done++;
	return true;
}

static unsigned long lrucache_reclaim_cache(struct lrucache *cache,
					    unsigned long nr)
{
	struct lrucache_reclaim_walk w = { .nr = nr };

	lrucache_batched(cache, lrucache_reclaim_step, &w);
	return w.done;
}

unsigned long lrucache_reclaim(unsigned long nr)
{
	s64 total = atomic64_read(&lrucache_total_entries);
	unsigned long freed = 0;
	struct lrucache *cache;
	u64 share;

	if (total <= 0)
		return 0;
	if (!mutex_trylock(&lrucache_registry_lock))
		return SHRINK_STOP;
	list_for_each_entry(cache, &lrucache_registry, node) {
		if (freed >= nr)
			break;
		share = div64_u64((u64)READ_ONCE(cache->entries) * nr +
				  total - 1, total);
		freed += lrucache_reclaim_cache(cache, min_t(u64, share,
							     nr - freed));
	}
	mutex_unlock(&lrucache_registry_lock);
	return freed;
}

static unsigned long lrucache_shrink_count(struct shrinker *shrinker,
					   struct shrink_control *sc)
{
	s64 n = atomic64_read(&lrucache_total_entries);

	return n > 0 ? n : SHRINK_EMPTY;
}

static unsigned long lrucache_shrink_scan(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	return lrucache_reclaim(sc->nr_to_scan);
}

static struct shrinker *lrucache_shrinker;

int lrucache_shrinker_init(void)
{
	struct shrinker *s;

	s = lrucache_shrinker_create("lrucache", lrucache_shrink_count,
				     lrucache_shrink_scan);
	if (IS_ERR(s))
		return PTR_ERR(s);
	lrucache_shrinker = s;
	return 0;
}

void lrucache_shrinker_exit(void)
{
	lrucache_shrinker_destroy(lrucache_shrinker);
	lrucache_shrinker = NULL;
}
