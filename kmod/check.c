// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache consistency check: a cache's LRU list, hash table, expiry
 * buckets and counters compared with each other, for tests (the KUnit
 * suite, the fault-injection and stress suites through
 * LRUCACHE_IOC_CHECK) and for the administrator.
 *
 * The invariants it checks are those lru.c keeps under cache->lock:
 * every entry on the LRU list is the one the table holds for its key;
 * an entry with an expiry sits on the bucket of that expiry, and only
 * linked entries sit on buckets; the table, the buckets and the counters
 * count the list. The walk is O(entries) but never holds the lock for
 * more than a batch: see lrucache_check().
 */

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "lrucache_internal.h"

/*
 * Entries lrucache_check() visits per hold of cache->lock: each entry is
 * visited on the LRU list and, if it can expire, on its bucket, so a
 * batch covers as many entries as a batch of the reaper.
 */
#define LRUCACHE_CHECK_BATCH	(2 * LRUCACHE_BATCH)
/* Walks cut short by a change before lrucache_check() gives up. */
#define LRUCACHE_CHECK_TRIES	4

/* Checks one entry on the LRU list; under cache->lock and RCU. */
static void lrucache_check_linked(struct lrucache *cache,
				  struct lrucache_entry *e,
				  struct lrucache_check *c)
	__must_hold(&cache->lock)
{
	lockdep_assert_held(&cache->lock);

	c->entries++;
	c->bytes += lrucache_charge(e);
	if (e->expires)
		c->expiring++;
	if (lrucache_hashed(cache, e) != e)
		c->problems++;
}

/*
 * One walk of the LRU list, then of every expiry bucket, from the lock
 * held to the lock held. Between batches it drops the lock; the walk goes
 * on from where it was only if nothing changed meanwhile (cache->changes),
 * as then the lists are as they were.
 *
 * Return: 0 for a walk to the end, or one that found a problem;
 * -EAGAIN if the cache changed between two batches; -EIDRM.
 */
static int lrucache_check_walk(struct lrucache *cache,
			       struct lrucache_check *c)
	__must_hold(&cache->lock)
{
	struct list_head *head = &cache->lru, *pos;
	struct lrucache_entry *e;
	u64 on_buckets = 0;
	unsigned int n = 0;
	int b = -1;
	u32 changes;

	lockdep_assert_held(&cache->lock);

	memset(c, 0, sizeof(*c));
	changes = cache->changes;
	rcu_read_lock();
	for (pos = head->next;; pos = pos->next) {
		if (pos == head) {
			if (++b == LRUCACHE_EXPIRY_BUCKETS)
				break;
			head = &cache->expiry[b];
			pos = head;
			continue;
		}
		if (b < 0) {
			lrucache_check_linked(cache,
					      list_entry(pos, typeof(*e), lru),
					      c);
		} else {
			e = list_entry(pos, typeof(*e), expiry);
			on_buckets++;
			if (!e->expires || list_empty(&e->lru) ||
			    lrucache_bucket(cache, e->expires) != head)
				c->problems++;
		}
		if (++n % LRUCACHE_CHECK_BATCH)
			continue;
		/* True at any instant under the lock. */
		if (cache->entries != atomic_read(&cache->ht.nelems))
			c->problems++;
		rcu_read_unlock();
		spin_unlock(&cache->lock);
		cond_resched();
		spin_lock(&cache->lock);
		rcu_read_lock();
		if (cache->dead || c->problems || cache->changes != changes) {
			rcu_read_unlock();
			return cache->dead ? -EIDRM : c->problems ? 0 : -EAGAIN;
		}
	}
	rcu_read_unlock();
	if (c->entries != cache->entries || c->bytes != cache->bytes ||
	    c->expiring != cache->expiring || on_buckets != cache->expiring ||
	    c->entries != atomic_read(&cache->ht.nelems))
		c->problems++;
	return 0;
}

/**
 * lrucache_check - verify a cache's structures against each other
 * @cache: the cache
 * @c: filled in: what the walk found, and how many checks failed
 *
 * Every entry on the LRU list must be the one the hash table holds for
 * its key and, if it has an expiry, sit on the bucket of that expiry;
 * the table, the buckets and the counters must agree with the list. For
 * tests: O(entries).
 *
 * The walk holds the cache lock for LRUCACHE_CHECK_BATCH visits at a
 * time and reschedules between, so that writers never wait longer than
 * for a batch of the reaper. Its counts describe one instant only if the
 * cache did not change between the batches: a change makes it start over,
 * and after LRUCACHE_CHECK_TRIES walks cut short so it gives up. A
 * problem found in any batch is one at that instant and ends the walk;
 * the figures then cover the part walked.
 *
 * It also holds the reaper's lock, so that it never runs between two of
 * a reaper run's batches: meanwhile the entries of a bucket that are not
 * yet due wait on the run's own list, off their bucket.
 *
 * Context: Process context. May sleep.
 *
 * Return: 0; -EAGAIN if the cache changed during each walk; -EIDRM if
 * the cache was destroyed.
 */
int lrucache_check(struct lrucache *cache, struct lrucache_check *c)
{
	int tries, ret = -EAGAIN;

	might_sleep();
	mutex_lock(&cache->reap_lock);
	spin_lock(&cache->lock);
	for (tries = 0; tries < LRUCACHE_CHECK_TRIES && ret == -EAGAIN;
	     tries++)
		ret = cache->dead ? -EIDRM : lrucache_check_walk(cache, c);
	spin_unlock(&cache->lock);
	mutex_unlock(&cache->reap_lock);
	if (ret)
		memset(c, 0, sizeof(*c));
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_check);
