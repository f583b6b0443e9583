// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache events: how the engine reports what happens to entries, and
 * to whom.
 *
 * The engine calls lrucache_announce() where an event happens, behind
 * lrucache_events_wanted() (a static key, on while anybody listens), and
 * knows nothing of who listens. A listener (struct lrucache_listener)
 * registers here and hears of events in one of two ways, or both:
 *
 * - now: ->now() is called in the context of the event, in atomic context
 *   and, for all but hit and miss, under the cache's lock. The tracepoints
 *   (trace.c) and other kernel modules' hooks (hooks.c) listen so, as
 *   their users expect; they must be quick.
 * - later: the event is recorded (a fixed-size record: the key if it fits
 *   in LRUCACHE_EVENT_KEY_MAX bytes, the lengths, the key's hash, the
 *   entry's age) on a lock-free list of its cache, and a work item hands
 *   the records to ->deliver() in process context, outside every cache
 *   lock, in the order they happened on each cache. The netlink stream
 *   (netlink.c) listens so: what each subscriber costs (matching, a
 *   message, sending it) is paid there, so a writer's cost depends neither
 *   on how many subscribers there are nor on how fast they read.
 *
 * Recording costs the writer an allocation from a slab cache, a few
 * atomics and a cmpxchg on its cache's list, whoever listens. At most
 * LRUCACHE_EVENTS_QUEUE_MAX records wait per cache and
 * LRUCACHE_EVENTS_TOTAL_MAX in all; past that, or when the allocation
 * fails, the event is dropped and counted per cache and type, and a node
 * embedded in the cache takes its place on the list: the listeners are
 * told of the drops there, in order with the events around them (drops
 * that follow while that node waits are counted at its place). Records
 * are handed over in batches of one cache (struct lrucache_event_batch),
 * so that a listener can do what is the same for the whole batch (which
 * subscriber may see this cache) once. A listener that starts hearing for
 * somebody new takes a new epoch (lrucache_events_epoch_next()); each
 * record carries the epoch it was recorded in, so that nobody is given
 * events from before it listened.
 *
 * Locking: recording takes no lock; it runs where the engine reports,
 * under the cache's lock or in a lock-free lookup. The list of listeners
 * is walked under RCU by lrucache_announce() and under
 * lrucache_listeners_lock (a mutex) by the work item, which holds it
 * while it calls ->deliver(); registering takes both that
 * mutex and lrucache_events_mask_lock (a spinlock, which also serialises
 * changes to the union of the listeners' masks). Callbacks may take their
 * own locks (netlink.c's lrucache_nl_mutex), never an engine lock. See
 * "Lock order" in lru.c for the whole order.
 */

#include <linux/jhash.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "lrucache_internal.h"

/* Records waiting per cache, and in all, before events are dropped. */
#define LRUCACHE_EVENTS_QUEUE_MAX	4096
#define LRUCACHE_EVENTS_TOTAL_MAX	65536

/* lrucache_events.flags: on lrucache_events_dirty, holding a reference; */
#define LRUCACHE_EVENTS_DIRTY		0
/* lost_node on the pending list. */
#define LRUCACHE_EVENTS_LOST		1

/*
 * On while a listener has something to hear. Deferred: switching it off
 * waits a second, so that subscribing and unsubscribing in a loop patches
 * the kernel's text at most about once a second.
 */
DEFINE_STATIC_KEY_DEFERRED_FALSE(lrucache_events_on, HZ);

static LIST_HEAD(lrucache_listeners);
static DEFINE_MUTEX(lrucache_listeners_lock);
static DEFINE_SPINLOCK(lrucache_events_mask_lock);
static u32 lrucache_events_mask;	/* union of the listeners' masks */
static atomic64_t lrucache_events_epoch = ATOMIC64_INIT(0);
static atomic_t lrucache_events_total = ATOMIC_INIT(0);
static LLIST_HEAD(lrucache_events_dirty);	/* caches to look at */
static struct kmem_cache *lrucache_event_rec_cache;

static void lrucache_events_work_fn(struct work_struct *work);
static DECLARE_WORK(lrucache_events_work, lrucache_events_work_fn);

/* Makes sure the work item looks at @cache's records and drops. */
static void lrucache_events_kick(struct lrucache *cache)
{
	struct lrucache_events *evs = &cache->events;

	/* A full barrier: what was recorded before is seen by the work. */
	if (test_and_set_bit(LRUCACHE_EVENTS_DIRTY, &evs->flags))
		return;
	kobject_get(&cache->kobj);	/* put by the work item */
	if (llist_add(&evs->dirty, &lrucache_events_dirty))
		queue_work(system_dfl_wq, &lrucache_events_work);
}

/* Records @ev for the listeners that hear of it later. */
static void lrucache_record(const struct lrucache_event *ev, s64 age_s)
{
	struct lrucache_events *evs = &ev->cache->events;
	struct lrucache_event_rec *rec;

	if (!atomic_add_unless(&evs->queued, 1, LRUCACHE_EVENTS_QUEUE_MAX))
		goto drop;
	if (!atomic_add_unless(&lrucache_events_total, 1,
			       LRUCACHE_EVENTS_TOTAL_MAX))
		goto unqueue;
	rec = kmem_cache_alloc(lrucache_event_rec_cache,
			       GFP_NOWAIT | __GFP_NOWARN);
	if (!rec)
		goto untotal;
	rec->epoch = atomic64_read(&lrucache_events_epoch);
	rec->age_s = age_s;
	rec->type = ev->type;
	rec->lost = 0;
	rec->key_len = ev->key_len;
	rec->value_len = ev->value_len;
	/* A key that fits is copied, and hashed by the work item. */
	if (ev->key_len <= LRUCACHE_EVENT_KEY_MAX)
		memcpy(rec->key, ev->key, ev->key_len);
	else
		rec->key_hash = jhash(ev->key, ev->key_len, 0);
	llist_add(&rec->node, &evs->pending);
	lrucache_events_kick(ev->cache);
	return;

untotal:
	atomic_dec(&lrucache_events_total);
unqueue:
	atomic_dec(&evs->queued);
drop:
	atomic_inc(&evs->dropped[ev->type]);
	/* A full barrier: the count is seen by whoever takes the node. */
	if (!test_and_set_bit(LRUCACHE_EVENTS_LOST, &evs->flags))
		llist_add(&evs->lost_node, &evs->pending);
	lrucache_events_kick(ev->cache);
}

/**
 * lrucache_announce - report an event to every listener
 * @cache: the cache
 * @type: enum lrucache_event_type
 * @key: the key (of the entry, or looked up for a miss)
 * @key_len: its length
 * @value_len: the entry's value length, 0 for a miss
 * @age_s: seconds since the entry was set, -1 for a miss
 *
 * Called by the engine where the event happens, in atomic context, for
 * all but hit and miss under @cache->lock; only while
 * lrucache_events_wanted().
 */
void lrucache_announce(struct lrucache *cache, u32 type, const void *key,
		       u32 key_len, u32 value_len, s64 age_s)
{
	const struct lrucache_event ev = {
		.cache = cache,
		.type = type,
		.key = key,
		.key_len = key_len,
		.value_len = value_len,
	};
	struct lrucache_listener *l;

	rcu_read_lock();
	list_for_each_entry_rcu(l, &lrucache_listeners, node)
		if (l->now)
			l->now(&ev);
	rcu_read_unlock();
	if (READ_ONCE(lrucache_events_mask) & LRUCACHE_EVENT_BIT(type))
		lrucache_record(&ev, age_s);
}

/*
 * The work item's batch, and the entries its cache's lost node stands
 * for: used under lrucache_listeners_lock only.
 */
static struct lrucache_event_batch lrucache_events_batch;
static struct lrucache_event_rec lrucache_events_lost[LRUCACHE_EVENT_MAX];

/* Empties @b. */
static void lrucache_events_batch_init(struct lrucache_event_batch *b)
{
	b->n = 0;
	b->min_epoch = U64_MAX;
	memset(b->count, 0, sizeof(b->count));
}

/* Adds @rec to @b, which has room. */
static void lrucache_events_batch_add(struct lrucache_event_batch *b,
				      const struct lrucache_event_rec *rec)
{
	b->rec[b->n++] = rec;
	if (rec->lost) {
		b->count[rec->type] += rec->lost;
		return;
	}
	b->count[rec->type]++;
	b->min_epoch = min(b->min_epoch, rec->epoch);
}

/* Hands @b to the listeners, then frees its records and empties it. */
static void lrucache_events_deliver(struct lrucache_events *evs,
				    struct lrucache_event_batch *b)
{
	struct lrucache_listener *l;
	unsigned int i;

	lockdep_assert_held(&lrucache_listeners_lock);

	list_for_each_entry(l, &lrucache_listeners, node)
		if (l->deliver && READ_ONCE(l->mask))
			l->deliver(b);
	for (i = 0; i < b->n; i++) {
		if (b->rec[i]->lost)
			continue;
		kmem_cache_free(lrucache_event_rec_cache, (void *)b->rec[i]);
		atomic_dec(&evs->queued);
		atomic_dec(&lrucache_events_total);
	}
	lrucache_events_batch_init(b);
	cond_resched();
}

/* Adds to @b an entry per type of the drops the lost node stands for. */
static void lrucache_events_add_lost(struct lrucache_events *evs,
				     struct lrucache_event_batch *b)
{
	struct lrucache_event_rec *lost = lrucache_events_lost;
	u32 type;
	int n;

	/* Drops from here on queue the node again. */
	clear_bit(LRUCACHE_EVENTS_LOST, &evs->flags);
	/*
	 * The clearing before the counts are taken, pairing with the full
	 * barrier of test_and_set_bit() after a count in lrucache_record():
	 * a drop is either taken here or finds the bit clear and queues the
	 * node, never neither.
	 */
	smp_mb__after_atomic();
	for (type = 1; type <= LRUCACHE_EVENT_MAX; type++) {
		n = atomic_xchg(&evs->dropped[type], 0);
		if (!n)
			continue;
		lost->type = type;
		lost->lost = n;
		lrucache_events_batch_add(b, lost++);
	}
}

/* Hands @cache's records and drops to the listeners, oldest first. */
static void lrucache_events_flush(struct lrucache *cache)
{
	struct lrucache_event_batch *b = &lrucache_events_batch;
	struct lrucache_events *evs = &cache->events;
	struct lrucache_event_rec *rec;
	struct llist_node *pos, *next;

	lockdep_assert_held(&lrucache_listeners_lock);

	b->cache = cache;
	lrucache_events_batch_init(b);
	pos = llist_reverse_order(llist_del_all(&evs->pending));
	for (; pos; pos = next) {
		/* Read first: the lost node may be queued again below. */
		next = pos->next;
		if (pos == &evs->lost_node) {
			if (b->n > LRUCACHE_EVENTS_BATCH - LRUCACHE_EVENT_MAX)
				lrucache_events_deliver(evs, b);
			lrucache_events_add_lost(evs, b);
			continue;
		}
		rec = llist_entry(pos, struct lrucache_event_rec, node);
		if (rec->key_len <= LRUCACHE_EVENT_KEY_MAX)
			rec->key_hash = jhash(rec->key, rec->key_len, 0);
		lrucache_events_batch_add(b, rec);
		if (b->n == LRUCACHE_EVENTS_BATCH)
			lrucache_events_deliver(evs, b);
	}
	if (b->n)
		lrucache_events_deliver(evs, b);
}

static void lrucache_events_work_fn(struct work_struct *work)
{
	struct llist_node *list;
	struct lrucache *cache, *tmp;

	list = llist_reverse_order(llist_del_all(&lrucache_events_dirty));
	llist_for_each_entry_safe(cache, tmp, list, events.dirty) {
		/* From here on an event marks the cache again. */
		clear_bit(LRUCACHE_EVENTS_DIRTY, &cache->events.flags);
		/*
		 * The clearing before the list is emptied, pairing with the
		 * full barrier of test_and_set_bit() after llist_add() in
		 * lrucache_events_kick(): a record is either emptied here or
		 * finds the bit clear and queues the cache for the next run,
		 * never neither.
		 */
		smp_mb__after_atomic();
		mutex_lock(&lrucache_listeners_lock);
		lrucache_events_flush(cache);
		mutex_unlock(&lrucache_listeners_lock);
		kobject_put(&cache->kobj);
		cond_resched();
	}
}

/* The union of the listeners' masks, for lrucache_announce(). */
static void lrucache_events_remask(void)
{
	struct lrucache_listener *l;
	u32 mask = 0;

	lockdep_assert_held(&lrucache_events_mask_lock);

	list_for_each_entry(l, &lrucache_listeners, node)
		mask |= READ_ONCE(l->mask);
	WRITE_ONCE(lrucache_events_mask, mask);
}

/**
 * lrucache_listener_want - choose the events a listener hears of later
 * @l: a registered listener
 * @mask: LRUCACHE_EVENT_BIT()s of the types its ->deliver() wants
 *
 * Events of those types are recorded from now on (and, after the caller
 * returns, by every CPU); events recorded earlier of types no longer
 * wanted are not delivered to @l. Any context but hard interrupts.
 */
void lrucache_listener_want(struct lrucache_listener *l, u32 mask)
{
	spin_lock(&lrucache_events_mask_lock);
	WRITE_ONCE(l->mask, mask);
	lrucache_events_remask();
	spin_unlock(&lrucache_events_mask_lock);
}

/**
 * lrucache_listener_register - start calling a listener
 * @l: the listener; its ->mask is taken as it is
 *
 * Its ->now() is called for the events announced from now on; turning the
 * events on is the listener's business (lrucache_events_get()). May sleep.
 */
void lrucache_listener_register(struct lrucache_listener *l)
{
	mutex_lock(&lrucache_listeners_lock);
	spin_lock(&lrucache_events_mask_lock);
	list_add_tail_rcu(&l->node, &lrucache_listeners);
	lrucache_events_remask();
	spin_unlock(&lrucache_events_mask_lock);
	mutex_unlock(&lrucache_listeners_lock);
}

/**
 * lrucache_listener_unregister - stop calling a listener
 * @l: the listener
 *
 * When it returns, no callback of @l runs or will run. May sleep.
 */
void lrucache_listener_unregister(struct lrucache_listener *l)
{
	/* The mutex waits for a delivery in progress. */
	mutex_lock(&lrucache_listeners_lock);
	spin_lock(&lrucache_events_mask_lock);
	list_del_rcu(&l->node);
	lrucache_events_remask();
	spin_unlock(&lrucache_events_mask_lock);
	mutex_unlock(&lrucache_listeners_lock);
	synchronize_rcu();		/* and for ->now() */
}

/**
 * lrucache_events_get - a listener has something to hear
 *
 * Turns the events on (the engine then calls lrucache_announce()) until
 * the matching lrucache_events_put(). May sleep.
 */
void lrucache_events_get(void)
{
	static_branch_deferred_inc(&lrucache_events_on);
}

/**
 * lrucache_events_put - undo a lrucache_events_get()
 *
 * The events go off a second after the last put, if no get came
 * meanwhile. May sleep.
 */
void lrucache_events_put(void)
{
	static_branch_slow_dec_deferred(&lrucache_events_on);
}

/**
 * lrucache_events_epoch_next - start a new epoch
 *
 * Return: the new epoch. Events recorded from now on carry it or a later
 * one; events recorded earlier carry an earlier one.
 */
u64 lrucache_events_epoch_next(void)
{
	return atomic64_inc_return(&lrucache_events_epoch);
}

int lrucache_events_init(void)
{
	/* Charged to the memory cgroup of the task that caused the event. */
	lrucache_event_rec_cache = KMEM_CACHE(lrucache_event_rec,
					      SLAB_ACCOUNT);
	return lrucache_event_rec_cache ? 0 : -ENOMEM;
}

/*
 * After every cache is gone and every listener unregistered: the work
 * item frees what is left and drops its references to the caches.
 */
void lrucache_events_exit(void)
{
	flush_work(&lrucache_events_work);
	static_key_deferred_flush(&lrucache_events_on);
	kmem_cache_destroy(lrucache_event_rec_cache);
}
