// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache shrinker: under memory pressure the kernel asks it to give back
 * least recently used entries of every cache. An entry it takes that had
 * expired counts as an expiration, not as reclaimed, as everywhere else.
 *
 * It walks the registry's caches and removes entries through lru.c, so it
 * sits above both; the counts it sizes its work by are memory.c's.
 */

#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/shrinker.h>

#include "lrucache_internal.h"

/*
 * The shrinker frees least recently used entries of every cache, each
 * cache giving up its share of the request in proportion to its entries.
 * Reclaim can run in a task that holds the registry lock while allocating
 * (creating a cache), so the scan only tries that lock.
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
