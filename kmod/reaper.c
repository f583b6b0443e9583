// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache reaper: frees the expired entries nobody touches again.
 *
 * Expiry and the reaper
 * ---------------------
 * Expiry times are CLOCK_BOOTTIME nanoseconds. Every access checks the
 * entry it finds (lazy expiry); the reaper frees expired entries nobody
 * touches. An entry that can expire also sits on one of the cache's
 * LRUCACHE_EXPIRY_BUCKETS expiry buckets, chosen by its expiry slot
 * (expires >> LRUCACHE_EXPIRY_SLOT_SHIFT, 1.07 s) modulo the number of
 * buckets: a ring covering 512 slots, about nine minutes. Adding and
 * removing is O(1) under cache->lock, and the bucket's list_head shares
 * its bytes with the rcu_head, which an entry needs only once it has left
 * its bucket, so expiry costs no memory per entry.
 *
 * A run of the reaper walks the buckets of the slots that passed since the
 * previous run, up to the current slot (all 512 at most), frees the
 * entries there that have expired and leaves the others in place: entries
 * of the current slot not yet due, and entries whose TTL reaches beyond
 * the ring, which come round again once per turn of the ring (so an entry
 * with a TTL of an hour is looked at about seven times). Entries with no
 * expiry are never looked at. A sorted structure (an rbtree, as timerqueue
 * does) would visit only due entries but costs O(log n) per set under
 * cache->lock and 24 more bytes per entry.
 *
 * Each cache has an hrtimer that fires every cleanup interval while the
 * cache holds entries that can expire (cache->expiring), and not at all
 * otherwise. Its callback runs in hard-irq context, so it only queues the
 * reaper's work item; the work runs the reaper in process context, at
 * most LRUCACHE_BATCH entries per hold of cache->lock, and re-arms the
 * timer if entries that can expire remain. cache->reap_armed (under
 * cache->lock) says a timer or work is pending, so a set arms the timer
 * only when nothing is. Destroying a cache marks it dead first, so nothing
 * re-arms the timer, then cancels the timer and the work before freeing.
 *
 * Arming the timer (lrucache_arm_reaper()) is part of putting an entry on
 * its bucket, in lru.c; the timer's callback, the work and the walks are
 * here. The reaper frees entries through lru.c: it sits above it.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "lrucache_internal.h"

static enum hrtimer_restart lrucache_reap_timer_fn(struct hrtimer *timer)
{
	struct lrucache *cache = container_of(timer, struct lrucache,
					      reap_timer);

	/* Hard-irq context: the walk happens in the work item. */
	queue_work(system_dfl_wq, &cache->reap_work);
	return HRTIMER_NORESTART;
}

/* The reaper frees @e, which has expired. */
static void lrucache_reap_one(struct lrucache *cache, struct lrucache_entry *e,
			      struct lrucache_reap *r)
{
	lrucache_count(cache, LRUCACHE_CNT_REAPED);
	lrucache_remove(cache, e, LRUCACHE_EVENT_EXPIRE);
	r->freed++;
}

/* A walk of one list of entries by their expiry link. */
struct lrucache_reap_walk {
	struct list_head *list;
	struct list_head later;		/* not due yet */
	u64 now;
	struct lrucache_reap *r;
};

/*
 * A step of lrucache_reap_bucket(): visits the bucket's first entry, and
 * at the end (or once the cache is dead) puts back the entries not due.
 */
static bool lrucache_reap_bucket_step(struct lrucache *cache, void *arg)
	__must_hold(&cache->lock)
{
	struct lrucache_reap_walk *w = arg;
	struct lrucache_entry *e;

	lockdep_assert_held(&cache->lock);

	if (list_empty(w->list) || cache->dead) {
		list_splice(&w->later, w->list);
		return false;
	}
	e = list_first_entry(w->list, struct lrucache_entry, expiry);
	w->r->visited++;
	if (w->now < e->expires)
		list_move_tail(&e->expiry, &w->later);
	else
		lrucache_reap_one(cache, e, w->r);
	return true;
}

/*
 * Frees the expired entries of one expiry bucket, LRUCACHE_BATCH visits per
 * hold of cache->lock. Entries not due yet move to a private list so that
 * the walk can drop the lock between batches without losing its place,
 * and go back to the bucket at the end.
 */
static void lrucache_reap_bucket(struct lrucache *cache,
				 struct list_head *bucket, u64 now,
				 struct lrucache_reap *r)
{
	struct lrucache_reap_walk w = { .list = bucket, .now = now, .r = r };

	INIT_LIST_HEAD(&w.later);
	lrucache_batched(cache, lrucache_reap_bucket_step, &w);
}

/* A step of lrucache_reap_full(): frees the first entry gathered. */
static bool lrucache_reap_gathered_step(struct lrucache *cache, void *arg)
	__must_hold(&cache->lock)
{
	struct lrucache_reap_walk *w = arg;

	lockdep_assert_held(&cache->lock);

	if (list_empty(w->list))
		return false;
	lrucache_reap_one(cache, list_first_entry(w->list,
						  struct lrucache_entry,
						  expiry), w->r);
	return true;
}

/*
 * The plain alternative to the buckets: visits every entry through the
 * hash table. Expired entries are only gathered during the walk (moved
 * from their bucket to a private list) and freed after it, so that the
 * table does not shrink under the walk and make it start over.
 */
static void lrucache_reap_full(struct lrucache *cache, u64 now,
			       struct lrucache_reap *r)
{
	struct lrucache_reap_walk w = { .r = r };
	struct rhashtable_iter iter;
	struct lrucache_entry *e;
	LIST_HEAD(doomed);
	unsigned int n = 0;

	rhashtable_walk_enter(&cache->ht, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter)) != NULL) {
		if (IS_ERR(e))		/* -EAGAIN: the table was resized */
			continue;
		r->visited++;
		if (lrucache_expired_at(e, now)) {
			spin_lock(&cache->lock);
			if (!list_empty(&e->lru))
				list_move_tail(&e->expiry, &doomed);
			spin_unlock(&cache->lock);
		}
		if (++n % LRUCACHE_BATCH == 0) {
			rhashtable_walk_stop(&iter);
			if (READ_ONCE(cache->dead))
				goto free;
			cond_resched();
			lrucache_walk_resume(cache, &iter, false);
		}
	}
	rhashtable_walk_stop(&iter);
free:
	rhashtable_walk_exit(&iter);

	/* Whoever unlinks one of them meanwhile takes it off this list. */
	w.list = &doomed;
	lrucache_batched(cache, lrucache_reap_gathered_step, &w);
}

/**
 * lrucache_reap - free a cache's expired entries now
 * @cache: the cache
 * @r: in: flags (LRUCACHE_REAP_FULL_SCAN to visit every entry instead of
 *	the due expiry buckets), reserved zero; out: entries freed and
 *	visited, time taken. A full scan visits each entry at least once;
 *	the hash table being resized meanwhile can show it some twice.
 *
 * Runs the reaper as its timer does, in the caller's context. Runs are
 * serialised per cache: this waits for a run in progress, then runs. A
 * full scan of a large cache may take a while. Freed entries count as
 * expirations and as reaped.
 *
 * Context: Process context. May sleep.
 *
 * Return: 0; -EINVAL for unknown flags or nonzero reserved; -EIDRM if the
 * cache was destroyed.
 */
int lrucache_reap(struct lrucache *cache, struct lrucache_reap *r)
{
	u64 start, now, slot, first;

	might_sleep();

	if ((r->flags & ~LRUCACHE_REAP_FLAGS) || r->reserved)
		return -EINVAL;
	r->freed = 0;
	r->visited = 0;
	r->elapsed_ns = 0;
	if (READ_ONCE(cache->dead))
		return -EIDRM;

	mutex_lock(&cache->reap_lock);
	/*
	 * Counted as it starts: whoever sees an entry it freed gone sees
	 * the run counted too (reaper_ns follows once it ends).
	 */
	lrucache_count(cache, LRUCACHE_CNT_REAPER_RUNS);
	start = ktime_get_ns();
	now = lrucache_now(cache);
	if (r->flags & LRUCACHE_REAP_FULL_SCAN) {
		lrucache_reap_full(cache, now, r);
	} else {
		/*
		 * Every slot since the last run, the current one included
		 * (partly due), and each bucket of the ring once at most.
		 */
		slot = now >> LRUCACHE_EXPIRY_SLOT_SHIFT;
		first = cache->reap_next_slot;
		if (slot - first >= LRUCACHE_EXPIRY_BUCKETS)
			first = slot - (LRUCACHE_EXPIRY_BUCKETS - 1);
		for (; first <= slot && !READ_ONCE(cache->dead); first++)
			lrucache_reap_bucket(cache,
					     lrucache_slot_bucket(cache, first),
					     now, r);
		cache->reap_next_slot = slot;
	}
	r->elapsed_ns = ktime_get_ns() - start;
	cache->last_reap = *r;
	mutex_unlock(&cache->reap_lock);

	lrucache_count_add(cache, LRUCACHE_CNT_REAPER_NS, r->elapsed_ns);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_reap);

/* What the latest run of the reaper did, whoever ran it. */
void lrucache_last_reap(struct lrucache *cache, struct lrucache_reap *r)
{
	mutex_lock(&cache->reap_lock);
	*r = cache->last_reap;
	mutex_unlock(&cache->reap_lock);
}

static void lrucache_reap_workfn(struct work_struct *work)
{
	struct lrucache *cache = container_of(work, struct lrucache,
					      reap_work);
	struct lrucache_reap r = { };

	lrucache_reap(cache, &r);

	spin_lock(&cache->lock);
	cache->reap_armed = false;
	if (cache->expiring)
		lrucache_arm_reaper(cache);
	spin_unlock(&cache->lock);
}

/*
 * Sets up the reaper of a new cache born at cache->born_ns; its timer is
 * armed by the first entry that can expire.
 */
void lrucache_reaper_init(struct lrucache *cache, u64 interval_ms)
{
	mutex_init(&cache->reap_lock);
	hrtimer_setup(&cache->reap_timer, lrucache_reap_timer_fn, CLOCK_BOOTTIME,
		      HRTIMER_MODE_REL);
	INIT_WORK(&cache->reap_work, lrucache_reap_workfn);
	cache->cleanup_interval_ns = interval_ms * NSEC_PER_MSEC;
	cache->reap_next_slot = cache->born_ns >> LRUCACHE_EXPIRY_SLOT_SHIFT;
}

/**
 * lrucache_set_cleanup_interval - change how often the reaper runs
 * @cache: the cache
 * @ms: LRUCACHE_CLEANUP_INTERVAL_MIN_MS to LRUCACHE_CLEANUP_INTERVAL_MAX_MS
 *
 * Takes effect at once: a pending timer is restarted with the new
 * interval. The cache's sysfs file cleanup_interval_ms calls this.
 *
 * Context: Process context.
 *
 * Return: 0; -EINVAL for an interval out of range; -EIDRM if the cache
 * was destroyed.
 */
int lrucache_set_cleanup_interval(struct lrucache *cache, u64 ms)
{
	int ret = 0;

	if (ms < LRUCACHE_CLEANUP_INTERVAL_MIN_MS ||
	    ms > LRUCACHE_CLEANUP_INTERVAL_MAX_MS)
		return -EINVAL;

	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
	} else {
		WRITE_ONCE(cache->cleanup_interval_ns, ms * NSEC_PER_MSEC);
		/*
		 * If the timer was pending, start it again; if it already
		 * fired, its work re-arms it with the new interval.
		 */
		if (cache->reap_armed &&
		    hrtimer_try_to_cancel(&cache->reap_timer) == 1) {
			cache->reap_armed = false;
			lrucache_arm_reaper(cache);
		}
	}
	spin_unlock(&cache->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_set_cleanup_interval);

/*
 * Stops the reaper of a cache marked dead: nothing can arm the timer any
 * more, so once the timer and then the work are cancelled neither runs
 * again.
 */
void lrucache_stop_reaper(struct lrucache *cache)
{
	hrtimer_cancel(&cache->reap_timer);
	cancel_work_sync(&cache->reap_work);
}

/*
 * How late the reaper is, if its timer (or the work it queued) is more
 * than one cleanup interval past due; 0 otherwise.
 */
u64 lrucache_reaper_late_ns(struct lrucache *cache)
{
	u64 due, interval, now;

	spin_lock(&cache->lock);
	due = cache->reap_armed ? cache->reap_due_ns : 0;
	interval = cache->cleanup_interval_ns;
	spin_unlock(&cache->lock);
	now = lrucache_now(cache);
	if (!due || now <= due + interval)
		return 0;
	return now - due;
}
