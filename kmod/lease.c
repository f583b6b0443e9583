// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache leases: who fills a key that is missing (or stale), and whether
 * the value filled may still be stored.
 *
 * A lease is a claim on one key of one cache, granted by a GET with
 * LRUCACHE_GET_LEASE that misses (or finds the entry stale) when nobody
 * else holds one on that key. Its holder computes or fetches the value and
 * stores it with a SET carrying the lease's token; the others learn that
 * the key is being filled (LRUCACHE_STATUS_HELD) and may sleep until the
 * lease ends (lrucache_lease_wait()). This is what single-flight
 * memoization, stale-while-revalidate and the tier's fills are built on.
 *
 * - Leases live outside the entries: in a small hash table of the cache
 *   (cache->leases, LRUCACHE_LEASE_HASH chains), never on the LRU list, so
 *   eviction, expiry and reclaim of entries never touch them. They are
 *   only ever looked at and changed under cache->lock; nothing reads them
 *   under RCU, so they are freed at once.
 * - A write of the key (any set, INCR, a delete, even of an absent key,
 *   GETDEL, a prefix delete covering it, a clear) invalidates its lease:
 *   the lease stays held, so the others keep waiting for its holder, but
 *   the holder's SET with the token then fails with -ESTALE and stores
 *   nothing. A value read from a source before a write can therefore never
 *   land in the cache after that write.
 * - A lease ends when its holder stores through it (whatever the outcome),
 *   releases it, when it times out (lease_ms, given per grant), when its
 *   owner lets go of all its leases (the file it was taken through is
 *   closed: a crashed holder never blocks the others for longer than that),
 *   and when the cache is destroyed. Each end wakes the waiters of the
 *   cache, who look again.
 * - Owners: a lease belongs to an owner (struct lrucache_lease_owner: one
 *   per open file of /dev/lrucache, or one per kernel user) and to the
 *   thread that took it. The same thread asking again for a key it holds
 *   is told so (LRUCACHE_STATUS_OWN) rather than made to wait for itself.
 * - Bounds: a cache holds at most lrucache_max_leases leases and an owner
 *   at most lrucache_max_owner_leases; beyond them a GET grants none (the
 *   caller fills without single-flight). Each lease is one allocation of
 *   its header and key, charged to the memory cgroup of the task taking
 *   it.
 * - Waiting: waiters sleep on cache->lease_wq until cache->lease_gen moves
 *   (every end moves it), the lease they saw times out, their own timeout
 *   passes (on a high-resolution timer: never early) or a signal comes.
 *   One queue per cache: an end wakes the waiters of every key of the
 *   cache, which then look again.
 */

#include <linux/jhash.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "lrucache_internal.h"

struct lrucache_lease {
	struct hlist_node node;		/* on its chain of cache->leases */
	struct list_head by_owner;	/* on owner->leases */
	struct lrucache_lease_owner *owner;
	pid_t pid;			/* the thread that took it */
	bool valid;			/* no write of the key since */
	u32 key_len;
	u64 token;
	u64 expires;			/* on lrucache_now() */
	u8 key[];
};

void lrucache_leases_init(struct lrucache *cache)
{
	int i;

	for (i = 0; i < LRUCACHE_LEASE_HASH; i++)
		INIT_HLIST_HEAD(&cache->leases[i]);
	init_waitqueue_head(&cache->lease_wq);
}

/**
 * lrucache_lease_owner_init - prepare an owner of leases
 * @owner: the owner, in the caller's memory
 *
 * An owner serves one cache: every lease it takes is on that cache, and
 * lrucache_lease_owner_release() ends them all.
 */
void lrucache_lease_owner_init(struct lrucache_lease_owner *owner)
{
	INIT_LIST_HEAD(&owner->leases);
	owner->count = 0;
}
EXPORT_SYMBOL_GPL(lrucache_lease_owner_init);

static struct hlist_head *lrucache_lease_chain(struct lrucache *cache,
					       const void *key, u32 key_len)
{
	return &cache->leases[jhash(key, key_len, 0) &
			      (LRUCACHE_LEASE_HASH - 1)];
}

/* Ends @l: unlinks and frees it, and wakes the waiters. */
static void lrucache_lease_end(struct lrucache *cache, struct lrucache_lease *l)
{
	lockdep_assert_held(&cache->lock);

	hlist_del(&l->node);
	list_del(&l->by_owner);
	l->owner->count--;
	WRITE_ONCE(cache->nr_leases, cache->nr_leases - 1);
	WRITE_ONCE(cache->lease_gen, cache->lease_gen + 1);
	kfree(l);
	wake_up_all(&cache->lease_wq);
}

/*
 * The lease on @key, if one is held; a lease found timed out is ended on
 * the way, as if it had not been there.
 */
static struct lrucache_lease *lrucache_lease_find(struct lrucache *cache,
						  const void *key, u32 key_len)
{
	struct lrucache_lease *l;

	lockdep_assert_held(&cache->lock);

	if (!cache->nr_leases)
		return NULL;
	hlist_for_each_entry(l, lrucache_lease_chain(cache, key, key_len),
			     node) {
		if (l->key_len != key_len || memcmp(l->key, key, key_len))
			continue;
		if (lrucache_now(cache) >= l->expires) {
			lrucache_lease_end(cache, l);
			return NULL;
		}
		return l;
	}
	return NULL;
}

/* A waiter's condition: a lease of the cache ended, or the cache died. */
static bool lrucache_lease_moved(struct lrucache *cache, unsigned int gen)
{
	return READ_ONCE(cache->lease_gen) != gen || READ_ONCE(cache->dead);
}

static bool lrucache_lease_mine(const struct lrucache_lease *l,
				const struct lrucache_lease_owner *owner)
{
	return l->owner == owner && l->pid == task_pid_nr(current);
}

/*
 * Allocates a lease for @key, to be granted by lrucache_lease_take();
 * NULL if out of memory. Free an unused one with lrucache_lease_free().
 */
struct lrucache_lease *lrucache_lease_alloc(const void *key, u32 key_len)
{
	struct lrucache_lease *l;

	l = kmalloc(struct_size(l, key, key_len), GFP_KERNEL_ACCOUNT);
	if (l) {
		l->key_len = key_len;
		memcpy(l->key, key, key_len);
	}
	return l;
}

void lrucache_lease_free(struct lrucache_lease *l)
{
	kfree(l);
}

/**
 * lrucache_lease_take - a lease on a missing or stale key, if it can be had
 * @cache: the cache, locked
 * @owner: who asks
 * @key: the key
 * @key_len: its length
 * @lease_ns: how long a lease granted lasts
 * @pre: in: NULL, or a lease from lrucache_lease_alloc() for @key; set to
 *	NULL if it was granted
 * @token: out: the token of the lease granted
 *
 * Return: LRUCACHE_STATUS_LEASE (granted), _HELD (another holds it) or
 * _OWN (this owner's thread holds it); 0 if none may be granted (the
 * cache's or the owner's bound); -EAGAIN if one may be granted but @pre
 * is NULL: allocate one and ask again.
 */
int lrucache_lease_take(struct lrucache *cache,
			struct lrucache_lease_owner *owner, const void *key,
			u32 key_len, u64 lease_ns, struct lrucache_lease **pre,
			u64 *token)
{
	struct lrucache_lease *l;

	lockdep_assert_held(&cache->lock);

	l = lrucache_lease_find(cache, key, key_len);
	if (l)
		return lrucache_lease_mine(l, owner) ? LRUCACHE_STATUS_OWN :
						       LRUCACHE_STATUS_HELD;
	if (cache->nr_leases >= READ_ONCE(lrucache_max_leases) ||
	    owner->count >= READ_ONCE(lrucache_max_owner_leases))
		return 0;
	if (!*pre)
		return -EAGAIN;
	l = *pre;
	*pre = NULL;
	l->owner = owner;
	l->pid = task_pid_nr(current);
	l->valid = true;
	l->token = ++cache->lease_seq;
	l->expires = lrucache_now(cache) + lease_ns;
	hlist_add_head(&l->node, lrucache_lease_chain(cache, key, key_len));
	list_add(&l->by_owner, &owner->leases);
	owner->count++;
	WRITE_ONCE(cache->nr_leases, cache->nr_leases + 1);
	lrucache_count(cache, LRUCACHE_CNT_LEASE_GRANTS);
	*token = l->token;
	return LRUCACHE_STATUS_LEASE;
}

/*
 * A write of @key happened: its lease, if any, may no longer store.
 * Called under cache->lock by every path that stores or deletes a key.
 */
void lrucache_lease_written(struct lrucache *cache, const void *key,
			    u32 key_len)
{
	struct lrucache_lease *l;

	lockdep_assert_held(&cache->lock);

	l = lrucache_lease_find(cache, key, key_len);
	if (l)
		l->valid = false;
}

/*
 * The same for every lease whose key starts with @prefix (every lease if
 * @prefix_len is 0): a prefix delete or a clear.
 */
void lrucache_lease_written_prefix(struct lrucache *cache, const void *prefix,
				   u32 prefix_len)
{
	struct lrucache_lease *l;
	int i;

	lockdep_assert_held(&cache->lock);

	if (!cache->nr_leases)
		return;
	for (i = 0; i < LRUCACHE_LEASE_HASH; i++)
		hlist_for_each_entry(l, &cache->leases[i], node)
			if (!prefix_len || (l->key_len >= prefix_len &&
					    !memcmp(l->key, prefix,
						    prefix_len)))
				l->valid = false;
}

/**
 * lrucache_lease_fill - may a SET with lease @token store @key?
 * @cache: the cache, locked
 * @key: the key
 * @key_len: its length
 * @token: the lease token the SET carries
 *
 * Ends the lease if @token is its token, whatever the answer: a SET with
 * a lease is its holder's last word on it.
 *
 * Return: 0 if the lease was valid (no write of the key since it was
 * granted, not timed out), else -ESTALE.
 */
int lrucache_lease_fill(struct lrucache *cache, const void *key, u32 key_len,
			u64 token)
{
	struct lrucache_lease *l;
	int ret = -ESTALE;

	lockdep_assert_held(&cache->lock);

	l = lrucache_lease_find(cache, key, key_len);
	if (l && l->token == token) {
		if (l->valid)
			ret = 0;
		lrucache_lease_end(cache, l);
	}
	if (ret)
		lrucache_count(cache, LRUCACHE_CNT_STALE_FILLS);
	return ret;
}

/**
 * lrucache_lease_release - give a lease up without storing
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @token: the lease's token
 *
 * Ends the lease, whoever holds it: the token is the proof. The waiters
 * wake and one of them may take the next lease.
 *
 * Return: 0; -ENOENT if the key holds no lease with that token (it ended:
 * stored through, released, timed out, or its owner went); -EINVAL or
 * -E2BIG for a bad key length; -EIDRM if the cache was destroyed.
 */
int lrucache_lease_release(struct lrucache *cache, const void *key,
			   size_t key_len, u64 token)
{
	struct lrucache_lease *l;
	int ret = -ENOENT;

	if (!key_len)
		return -EINVAL;
	if (key_len > lrucache_max_key_len)
		return -E2BIG;
	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
	} else {
		l = lrucache_lease_find(cache, key, key_len);
		if (l && l->token == token) {
			lrucache_lease_end(cache, l);
			ret = 0;
		}
	}
	spin_unlock(&cache->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_lease_release);

/**
 * lrucache_lease_owner_release - end every lease of an owner
 * @cache: the cache the owner took its leases on
 * @owner: the owner
 *
 * For a file being closed, or a kernel user done with the cache; waiters
 * wake. The owner may take leases again afterwards.
 */
void lrucache_lease_owner_release(struct lrucache *cache,
				  struct lrucache_lease_owner *owner)
{
	struct lrucache_lease *l, *tmp;

	if (list_empty_careful(&owner->leases))
		return;
	spin_lock(&cache->lock);
	list_for_each_entry_safe(l, tmp, &owner->leases, by_owner)
		lrucache_lease_end(cache, l);
	spin_unlock(&cache->lock);
}
EXPORT_SYMBOL_GPL(lrucache_lease_owner_release);

/* A destroyed cache: every lease ends, every waiter wakes (to -EIDRM). */
void lrucache_leases_flush(struct lrucache *cache)
{
	struct lrucache_lease *l;
	struct hlist_node *tmp;
	int i;

	spin_lock(&cache->lock);
	for (i = 0; i < LRUCACHE_LEASE_HASH; i++)
		hlist_for_each_entry_safe(l, tmp, &cache->leases[i], node)
			lrucache_lease_end(cache, l);
	spin_unlock(&cache->lock);
	wake_up_all(&cache->lease_wq);
}

/**
 * lrucache_lease_wait - sleep until another's lease on a key ends
 * @cache: the cache
 * @owner: who waits
 * @key: the key
 * @key_len: its length
 * @timeout_ms: the longest wait, 0 to LRUCACHE_LEASE_MAX_MS; 0 only looks
 *
 * Returns as soon as the key holds no lease of another owner or thread:
 * the holder stored a value, gave up, timed out or went away (a new lease
 * may have been granted to someone else since; look again with a GET).
 * May sleep; a signal ends the wait.
 *
 * Return: 0; -ETIMEDOUT if the lease still holds after @timeout_ms;
 * -EDEADLK if the calling thread of @owner holds it itself; -EINTR on a
 * signal; -EINVAL or -E2BIG for a bad key length or timeout; -EIDRM if
 * the cache was destroyed.
 */
int lrucache_lease_wait(struct lrucache *cache,
			struct lrucache_lease_owner *owner, const void *key,
			size_t key_len, u64 timeout_ms)
{
	u64 deadline, now, lease_left;
	struct lrucache_lease *l;
	unsigned int gen;
	ktime_t timeout;
	long slept;
	int ret;

	if (!key_len)
		return -EINVAL;
	if (key_len > lrucache_max_key_len)
		return -E2BIG;
	if (timeout_ms > LRUCACHE_LEASE_MAX_MS)
		return -EINVAL;
	might_sleep();
	/* Real time, not the cache's clock: a timeout is never cut short. */
	deadline = ktime_get_boottime_ns() + timeout_ms * NSEC_PER_MSEC;
	for (;;) {
		spin_lock(&cache->lock);
		if (cache->dead) {
			ret = -EIDRM;
		} else {
			l = lrucache_lease_find(cache, key, key_len);
			if (!l)
				ret = 0;
			else if (lrucache_lease_mine(l, owner))
				ret = -EDEADLK;
			else
				ret = 1;
		}
		if (ret == 1) {
			gen = cache->lease_gen;
			lease_left = l->expires - lrucache_now(cache);
		}
		spin_unlock(&cache->lock);
		if (ret <= 0)
			return ret;
		now = ktime_get_boottime_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		/* Until the lease ends, times out, or the wait does. */
		timeout = ns_to_ktime(min(deadline - now, lease_left));
		slept = wait_event_interruptible_hrtimeout(cache->lease_wq,
							   lrucache_lease_moved(cache, gen),
							   timeout);
		if (slept == -ERESTARTSYS)
			return -EINTR;
	}
}
EXPORT_SYMBOL_GPL(lrucache_lease_wait);
