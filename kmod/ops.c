// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache operations beyond set, get, exists and delete, each one atomic:
 * counters (INCR), a new TTL (TOUCH), get-and-touch (GETEX), the time
 * left (TTL), get-and-delete (GETDEL), a get that takes a lease on a miss
 * or a stale hit (GET with LRUCACHE_GET_LEASE) and delete by prefix.
 * They are built from the core's pieces (lru.c) and the leases (lease.c).
 *
 * Reads that change something (GETEX, GETDEL, the lease get) decide under
 * cache->lock and copy the value out with it when they can: a value of
 * at most LRUCACHE_LOCKED_COPY bytes is copied under the lock with page
 * faults disabled. Otherwise, or if that copy would fault, they pin the
 * entry, copy with faults allowed and the lock dropped, then take the lock
 * again and commit only if the entry is still the key's (entries are
 * replaced, never changed in place, but for their expiry): if it is not,
 * they start over. Either way the operation takes effect at one instant,
 * under the lock, and a copy that faults changes nothing.
 */

#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "lrucache_internal.h"

/* A value at most this long is copied under cache->lock (see above). */
#define LRUCACHE_LOCKED_COPY	256

/* What a read does at its instant, under cache->lock. */
enum lrucache_read_kind {
	LRUCACHE_READ_TOUCH,		/* GETEX: give it a new expiry */
	LRUCACHE_READ_DELETE,		/* GETDEL: remove it */
	LRUCACHE_READ_LEASE,		/* GET with a lease */
};

struct lrucache_read {
	enum lrucache_read_kind kind;
	u64 expires;			/* TOUCH: the new expiry time */
	struct lrucache_lookup *lk;	/* LEASE: the caller's request */
	u64 lease_ns, refresh_ns;	/* LEASE */
	struct lrucache_lease *pre;	/* LEASE: allocated beforehand */
};

/* The lease part of a lease get, for a miss or a stale hit. */
static int lrucache_read_lease(struct lrucache *cache, const void *key,
			       u32 key_len, struct lrucache_read *rd)
{
	int st;

	st = lrucache_lease_take(cache, rd->lk->owner, key, key_len,
				 rd->lease_ns, &rd->pre, &rd->lk->lease);
	if (st > 0)
		rd->lk->status |= st;
	return st == -EAGAIN ? st : 0;
}

/*
 * The instant of a read that hit @e, under the lock. Returns -EAGAIN if
 * a lease must be allocated first, else the value's length, or -EFAULT.
 */
static int lrucache_read_commit(struct lrucache *cache,
				struct lrucache_entry *e, bool fits,
				struct lrucache_read *rd)
{
	u64 expires = lrucache_expires(e);
	struct lrucache_lookup *lk = rd->lk;

	lockdep_assert_held(&cache->lock);

	if (rd->kind == LRUCACHE_READ_LEASE) {
		lk->status = LRUCACHE_STATUS_HIT;
		if (rd->refresh_ns && expires &&
		    expires - lrucache_now(cache) < rd->refresh_ns) {
			lk->status |= LRUCACHE_STATUS_STALE;
			if (lrucache_read_lease(cache, e->data,
						lrucache_key_len(e), rd))
				return -EAGAIN;
		}
		lk->version = e->version;
	}
	lrucache_count(cache, LRUCACHE_CNT_HITS);
	lrucache_report_event(cache, LRUCACHE_EVENT_HIT, NULL, 0, e);
	switch (rd->kind) {
	case LRUCACHE_READ_TOUCH:
		lrucache_set_expires(cache, e, rd->expires);
		lrucache_make_recent(cache, e);
		break;
	case LRUCACHE_READ_DELETE:
		/* A value that does not fit is not lost: only measured. */
		if (fits) {
			lrucache_remove(cache, e, LRUCACHE_EVENT_DELETE);
			lrucache_lease_written(cache, e->data,
					       lrucache_key_len(e));
		} else {
			lrucache_make_recent(cache, e);
		}
		break;
	case LRUCACHE_READ_LEASE:
		lrucache_make_recent(cache, e);
		break;
	}
	return e->value_len;
}

/*
 * GETEX, GETDEL and the lease get: see the top of this file for how the
 * value leaves. @version, if not NULL, receives the version of the entry
 * read.
 */
static ssize_t lrucache_read(struct lrucache *cache, const void *key,
			     size_t key_len, struct iov_iter *to,
			     struct lrucache_read *rd, u64 *version)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	struct lrucache_entry *e, *pin = NULL;
	size_t copied = 0;
	ssize_t ret;
	bool fits;

	if (version)
		*version = 0;
again:
	if (rd->lk)
		rd->lk->status = 0;
	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
		goto unlock;
	}
	e = lrucache_find_live(cache, &k);
	if (pin && e != pin) {
		/* Replaced or removed while we copied: that copy is void. */
		iov_iter_revert(to, copied);
		copied = 0;
		lrucache_entry_drop(cache, pin);
		pin = NULL;
	}
	if (!e) {
		ret = -ENOENT;
		if (rd->kind == LRUCACHE_READ_LEASE &&
		    lrucache_read_lease(cache, key, key_len, rd))
			goto alloc;
		/* As DELETE: even absent, a fill that read it must not land. */
		if (rd->kind == LRUCACHE_READ_DELETE)
			lrucache_lease_written(cache, key, key_len);
		lrucache_count(cache, LRUCACHE_CNT_MISSES);
		lrucache_report_event(cache, LRUCACHE_EVENT_MISS, key, key_len,
				      NULL);
		goto unlock;
	}
	/*
	 * With @pin (then @e), the value was copied whole and @to has moved
	 * past it: it fitted.
	 */
	fits = pin || e->value_len <= iov_iter_count(to);
	if (fits && !pin) {
		if (e->value_len <= LRUCACHE_LOCKED_COPY &&
		    lrucache_copy_nofault(e, to)) {
			copied = e->value_len;
		} else {
			/* Linked: the cache holds a reference. */
			refcount_inc(&e->ref);
			pin = e;
			spin_unlock(&cache->lock);
			copied = copy_to_iter(e->data + lrucache_key_len(e),
					      e->value_len, to);
			if (copied != e->value_len) {
				iov_iter_revert(to, copied);
				lrucache_entry_unpin(cache, pin);
				return -EFAULT;
			}
			goto again;
		}
	}
	if (version)
		*version = e->version;
	ret = lrucache_read_commit(cache, e, fits, rd);
	if (ret == -EAGAIN) {
		iov_iter_revert(to, copied);
		copied = 0;
		goto alloc;
	}
unlock:
	spin_unlock(&cache->lock);
	if (pin)
		lrucache_entry_unpin(cache, pin);
	return ret;

alloc:
	/* A lease may be granted: allocate it outside the lock, look again. */
	spin_unlock(&cache->lock);
	if (pin) {
		iov_iter_revert(to, copied);
		copied = 0;
		lrucache_entry_unpin(cache, pin);
		pin = NULL;
	}
	rd->pre = lrucache_lease_alloc(key, key_len);
	if (!rd->pre)
		return -ENOMEM;
	goto again;
}

/**
 * lrucache_getex_iter - look a key up and give it a new TTL, atomically
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length
 * @to: where the value goes (copied only if it fits, as for a GET)
 * @ttl_ms: the entry's new TTL, from now: LRUCACHE_TTL_DEFAULT,
 *	LRUCACHE_TTL_NONE or 1..LRUCACHE_TTL_MAX_MS
 * @version: if not NULL, set to the entry's version (0 on a miss)
 *
 * A GET and a TOUCH in one: the sliding session. The entry becomes the
 * most recently used and counts a hit; its version does not change. A
 * copy that faults changes nothing.
 *
 * Return: the value's full length; -ENOENT on a miss; -EINVAL for a bad
 * key length or TTL; -E2BIG for a key too long; -EFAULT; -EIDRM if the
 * cache was destroyed.
 */
ssize_t lrucache_getex_iter(struct lrucache *cache, const void *key,
			    size_t key_len, struct iov_iter *to, u64 ttl_ms,
			    u64 *version)
{
	struct lrucache_read rd = { .kind = LRUCACHE_READ_TOUCH };
	u64 ttl_ns;
	int ret;

	ret = lrucache_check_key(key_len);
	if (!ret)
		ret = lrucache_ttl_ns(cache, ttl_ms, &ttl_ns);
	if (ret)
		return ret;
	/* The new expiry counts from the call. */
	rd.expires = ttl_ns ? lrucache_now(cache) + ttl_ns : 0;
	return lrucache_read(cache, key, key_len, to, &rd, version);
}
EXPORT_SYMBOL_GPL(lrucache_getex_iter);

/**
 * lrucache_getex - lrucache_getex_iter() into kernel memory
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @buf: the buffer
 * @buf_len: its size
 * @ttl_ms: the new TTL
 *
 * Return: as lrucache_getex_iter().
 */
ssize_t lrucache_getex(struct lrucache *cache, const void *key,
		       size_t key_len, void *buf, size_t buf_len, u64 ttl_ms)
{
	struct iov_iter to;
	struct kvec kv;

	lrucache_kvec_iter(&to, &kv, buf, buf_len);
	return lrucache_getex_iter(cache, key, key_len, &to, ttl_ms, NULL);
}
EXPORT_SYMBOL_GPL(lrucache_getex);

/**
 * lrucache_getdel_iter - look a key up and delete it, atomically
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length
 * @to: where the value goes
 * @version: if not NULL, set to the entry's version (0 on a miss)
 *
 * Counts a hit and a delete, and reports both events. A value longer than
 * iov_iter_count(@to) is neither copied nor deleted: its length is
 * returned and the entry stays (as the most recent), so no value is ever
 * deleted without being handed over; a copy that faults deletes nothing.
 * Like any delete, it invalidates a lease on the key.
 *
 * Return: the value's full length; -ENOENT on a miss; -EINVAL or -E2BIG
 * for a bad key length; -EFAULT; -EIDRM if the cache was destroyed.
 */
ssize_t lrucache_getdel_iter(struct lrucache *cache, const void *key,
			     size_t key_len, struct iov_iter *to, u64 *version)
{
	struct lrucache_read rd = { .kind = LRUCACHE_READ_DELETE };
	int ret;

	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	return lrucache_read(cache, key, key_len, to, &rd, version);
}
EXPORT_SYMBOL_GPL(lrucache_getdel_iter);

/**
 * lrucache_getdel - lrucache_getdel_iter() into kernel memory
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @buf: the buffer
 * @buf_len: its size
 *
 * Return: as lrucache_getdel_iter().
 */
ssize_t lrucache_getdel(struct lrucache *cache, const void *key,
			size_t key_len, void *buf, size_t buf_len)
{
	struct iov_iter to;
	struct kvec kv;

	lrucache_kvec_iter(&to, &kv, buf, buf_len);
	return lrucache_getdel_iter(cache, key, key_len, &to, NULL);
}
EXPORT_SYMBOL_GPL(lrucache_getdel);

/**
 * lrucache_get_lease_iter - look a key up, taking a lease if it must be
 *	filled
 * @cache: the cache
 * @key: the key (kernel memory)
 * @key_len: its length
 * @to: where the value goes (copied only if it fits, as for a GET)
 * @lk: in: @owner (who takes a lease), @lease_ms (how long it lasts:
 *	LRUCACHE_TTL_DEFAULT for LRUCACHE_LEASE_DEFAULT_MS, or 1 to
 *	LRUCACHE_LEASE_MAX_MS), @refresh_ms (0, or a hit on an entry with
 *	less than this left to live is stale); out: @status
 *	(LRUCACHE_STATUS_*), @lease (the token of a lease granted, else 0),
 *	@version (of the entry found, else 0)
 *
 * A hit returns the value and counts a hit. A miss, or a stale hit (whose
 * value is returned all the same), also settles who fills the key, at
 * the same instant: if nobody holds a lease on it, the caller gets one
 * (LRUCACHE_STATUS_LEASE, @lease); if another owner or thread holds it,
 * LRUCACHE_STATUS_HELD (wait with lrucache_lease_wait(), or read the
 * stale value); if this owner's calling thread holds it,
 * LRUCACHE_STATUS_OWN (a nested call: fill without waiting for oneself).
 * With none of the three on a miss, no lease could be granted (the
 * cache's or the owner's bound): fill without one. Store the value with
 * lrucache_set_leased() (or lrucache_write_iter() with
 * LRUCACHE_SET_LEASE), which fails with -ESTALE if the key was written,
 * deleted or cleared meanwhile, or give the lease up with
 * lrucache_lease_release().
 *
 * Return: the value's full length (on a hit, stale or not); -ENOENT on a
 * miss (@lk tells about the lease); -EINVAL for a bad key length, lease
 * or refresh time; -E2BIG for a key too long; -EFAULT; -ENOMEM (no lease
 * could be allocated); -EIDRM if the cache was destroyed.
 */
ssize_t lrucache_get_lease_iter(struct lrucache *cache, const void *key,
				size_t key_len, struct iov_iter *to,
				struct lrucache_lookup *lk)
{
	struct lrucache_read rd = { .kind = LRUCACHE_READ_LEASE, .lk = lk };
	u64 lease_ms = lk->lease_ms;
	ssize_t ret;

	lk->status = 0;
	lk->lease = 0;
	lk->version = 0;
	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	if (lease_ms == LRUCACHE_TTL_DEFAULT)
		lease_ms = LRUCACHE_LEASE_DEFAULT_MS;
	if (!lease_ms || lease_ms > LRUCACHE_LEASE_MAX_MS ||
	    lk->refresh_ms > LRUCACHE_TTL_MAX_MS || !lk->owner)
		return -EINVAL;
	rd.lease_ns = lease_ms * NSEC_PER_MSEC;
	rd.refresh_ns = lk->refresh_ms * NSEC_PER_MSEC;
	ret = lrucache_read(cache, key, key_len, to, &rd, NULL);
	if (rd.pre)
		lrucache_lease_free(rd.pre);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_get_lease_iter);

/**
 * lrucache_get_lease - lrucache_get_lease_iter() into kernel memory
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @buf: the buffer
 * @buf_len: its size
 * @lk: as for lrucache_get_lease_iter()
 *
 * Return: as lrucache_get_lease_iter().
 */
ssize_t lrucache_get_lease(struct lrucache *cache, const void *key,
			   size_t key_len, void *buf, size_t buf_len,
			   struct lrucache_lookup *lk)
{
	struct iov_iter to;
	struct kvec kv;

	lrucache_kvec_iter(&to, &kv, buf, buf_len);
	return lrucache_get_lease_iter(cache, key, key_len, &to, lk);
}
EXPORT_SYMBOL_GPL(lrucache_get_lease);

/**
 * lrucache_set_leased - store the value a lease was granted for
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @value: the value (kernel memory)
 * @value_len: its length
 * @ttl_ms: as for lrucache_set()
 * @token: the lease's token
 *
 * lrucache_write_iter() with LRUCACHE_SET_LEASE: stores only if no write,
 * delete or clear of the key happened since the lease was granted, and
 * ends the lease either way.
 *
 * Return: as lrucache_write_iter(); -ESTALE if the lease did not hold.
 */
int lrucache_set_leased(struct lrucache *cache, const void *key,
			size_t key_len, const void *value, size_t value_len,
			u64 ttl_ms, u64 token)
{
	struct kvec kv = { .iov_base = (void *)value, .iov_len = value_len };
	struct lrucache_write w = {
		.ttl_ms = ttl_ms,
		.flags = LRUCACHE_SET_LEASE,
		.lease = token,
	};
	struct iov_iter from;

	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, value_len);
	return lrucache_write_iter(cache, key, key_len, &from, &w);
}
EXPORT_SYMBOL_GPL(lrucache_set_leased);

/**
 * lrucache_cas - store a value only if the entry still has a version
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @value: the value (kernel memory)
 * @value_len: its length
 * @ttl_ms: as for lrucache_set()
 * @version: the version the entry must have (from a GET)
 * @new_version: if not NULL, set to the version of the entry stored
 *
 * Return: as lrucache_write_iter() with LRUCACHE_SET_CAS: 0; -ESTALE if
 * the entry has another version (it was written since); -ENOENT if it is
 * gone.
 */
int lrucache_cas(struct lrucache *cache, const void *key, size_t key_len,
		 const void *value, size_t value_len, u64 ttl_ms, u64 version,
		 u64 *new_version)
{
	struct kvec kv = { .iov_base = (void *)value, .iov_len = value_len };
	struct lrucache_write w = {
		.ttl_ms = ttl_ms,
		.flags = LRUCACHE_SET_CAS,
		.cas = version,
	};
	struct iov_iter from;
	int ret;

	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, value_len);
	ret = lrucache_write_iter(cache, key, key_len, &from, &w);
	if (new_version)
		*new_version = w.version;
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_cas);

/*
 * Reads a counter: the decimal ASCII of a signed 64-bit integer in its
 * one canonical form ("0", or an optional '-' then a digit 1-9 and at most
 * 18 more digits, within range). Anything else is not a counter.
 */
static int lrucache_parse_counter(const u8 *s, u32 len, s64 *out)
{
	bool neg = len && s[0] == '-';
	u32 i = neg;
	u64 v = 0, limit = neg ? (u64)S64_MAX + 1 : S64_MAX;

	if (len == 1 && s[0] == '0') {
		*out = 0;
		return 0;
	}
	if (len <= i || len > LRUCACHE_COUNTER_MAX_LEN || s[i] == '0')
		return -EINVAL;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (limit - (s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? (s64)(0 - v) : (s64)v;
	return 0;
}

/* Writes @v in canonical decimal into @buf; returns its length. */
static u32 lrucache_format_counter(s64 v, u8 *buf)
{
	u8 tmp[LRUCACHE_COUNTER_MAX_LEN];
	u64 u = v < 0 ? 0 - (u64)v : (u64)v;
	u32 n = 0, len = 0;

	do {
		tmp[n++] = '0' + do_div(u, 10);
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	return len;
}

/**
 * lrucache_incr - add to a counter, creating it if absent, atomically
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @delta: what is added (negative to subtract)
 * @initial: the value an absent counter starts from, before @delta
 * @ttl_ms: the TTL of a counter this call creates (LRUCACHE_TTL_DEFAULT,
 *	LRUCACHE_TTL_NONE or 1..LRUCACHE_TTL_MAX_MS); an existing counter
 *	keeps its expiry time
 * @value: if not NULL, set to the counter's new value
 * @version: if not NULL, set to the version of the counter stored
 *
 * A counter is a value holding the decimal ASCII of a signed 64-bit
 * integer (canonical: no sign but '-', no leading zero, no spaces), so
 * GET returns it as text. The new value replaces the entry (a new
 * version, the most recent, counted as a set and reported as one) and
 * invalidates a lease on the key, as any write does. An expired counter
 * is absent.
 *
 * Return: 0; -EINVAL if the value present is not a counter, for a bad key
 * length or TTL; -EOVERFLOW if the result would leave the signed 64-bit
 * range (the counter keeps its value); -E2BIG if the counter alone would
 * exceed max_bytes or the key is too long; -ENOSPC, -EDQUOT, -ENOMEM as
 * for a set; -EIDRM if the cache was destroyed. On error nothing changed
 * (an expired entry may have been removed).
 */
int lrucache_incr(struct lrucache *cache, const void *key, size_t key_len,
		  s64 delta, s64 initial, u64 ttl_ms, s64 *value, u64 *version)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	u32 room = LRUCACHE_COUNTER_MAX_LEN, len;
	u8 num[LRUCACHE_COUNTER_MAX_LEN];
	struct lrucache_entry *e, *old;
	s64 base, sum;
	u64 ttl_ns;
	int ret;

	ret = lrucache_check_key(key_len);
	if (!ret)
		ret = lrucache_ttl_ns(cache, ttl_ms, &ttl_ns);
	if (ret)
		return ret;
again:
	/*
	 * An entry is charged what its allocation takes (memory.c), a
	 * function of its size: the entry is allocated for the longest
	 * number first, and again for the number's length if that falls in
	 * another size class (a counter changed meanwhile may ask once more).
	 */
	e = lrucache_entry_alloc(key, key_len, room);
	if (!e)
		return -ENOMEM;

	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
		goto unlock;
	}
	old = lrucache_find_live(cache, &k);
	if (old) {
		ret = lrucache_parse_counter(old->data + key_len,
					     old->value_len, &base);
		e->expires = old->expires;
	} else {
		base = initial;
		e->expires = ttl_ns ? lrucache_now(cache) + ttl_ns : 0;
	}
	if (!ret && check_add_overflow(base, delta, &sum))
		ret = -EOVERFLOW;
	if (ret)
		goto unlock;
	len = lrucache_format_counter(sum, num);
	if (len > room ||
	    lrucache_alloc_charge(struct_size(e, data, key_len + len)) !=
	    lrucache_alloc_charge(struct_size(e, data, key_len + room))) {
		spin_unlock(&cache->lock);
		kvfree(e);
		room = len;
		goto again;
	}
	memcpy(e->data + key_len, num, len);
	e->value_len = len;
	if (lrucache_charge(e) > cache->max_bytes)
		ret = -E2BIG;
	else
		ret = lrucache_install(cache, e, old);
	if (ret)
		goto unlock;
	if (value)
		*value = sum;
	if (version)
		*version = e->version;
	spin_unlock(&cache->lock);
	return 0;

unlock:
	spin_unlock(&cache->lock);
	kvfree(e);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_incr);

/**
 * lrucache_touch - give an entry a new TTL without rewriting it
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @ttl_ms: the new TTL, from now: LRUCACHE_TTL_DEFAULT, LRUCACHE_TTL_NONE
 *	(never expires) or 1..LRUCACHE_TTL_MAX_MS
 *
 * The entry keeps its value and version and becomes the most recently
 * used; no hit, miss or set is counted.
 *
 * Return: 0; -ENOENT if there is no live entry; -EINVAL for a bad key
 * length or TTL; -E2BIG for a key too long; -EIDRM if the cache was
 * destroyed.
 */
int lrucache_touch(struct lrucache *cache, const void *key, size_t key_len,
		   u64 ttl_ms)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	struct lrucache_entry *e;
	u64 ttl_ns;
	int ret;

	ret = lrucache_check_key(key_len);
	if (!ret)
		ret = lrucache_ttl_ns(cache, ttl_ms, &ttl_ns);
	if (ret)
		return ret;
	spin_lock(&cache->lock);
	if (cache->dead) {
		ret = -EIDRM;
	} else {
		e = lrucache_find_live(cache, &k);
		if (e) {
			lrucache_set_expires(cache, e, ttl_ns ?
					     lrucache_now(cache) + ttl_ns : 0);
			lrucache_make_recent(cache, e);
		} else {
			ret = -ENOENT;
		}
	}
	spin_unlock(&cache->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_touch);

/**
 * lrucache_ttl - the time a key has left to live
 * @cache: the cache
 * @key: the key
 * @key_len: its length
 * @ttl_ms: set to the time left in milliseconds, rounded up (so at least
 *	1), or LRUCACHE_TTL_NONE for an entry that never expires
 *
 * Like lrucache_exists(): takes no lock, changes neither the LRU order
 * nor a counter, and leaves an expired entry in place.
 *
 * Return: 0; -ENOENT if there is no live entry; -EINVAL or -E2BIG for a
 * bad key length; -EIDRM if the cache was destroyed.
 */
int lrucache_ttl(struct lrucache *cache, const void *key, size_t key_len,
		 u64 *ttl_ms)
{
	struct lrucache_key k = { .data = key, .len = key_len };
	struct lrucache_entry *e;
	u64 expires, now;
	int ret;

	*ttl_ms = 0;
	ret = lrucache_check_key(key_len);
	if (ret)
		return ret;
	if (unlikely(READ_ONCE(cache->dead)))
		return -EIDRM;
	rcu_read_lock();
	e = lrucache_lookup(cache, &k);
	now = lrucache_now(cache);
	if (!e || lrucache_expired_at(e, now)) {
		ret = -ENOENT;
	} else {
		expires = lrucache_expires(e);
		*ttl_ms = expires ? DIV_ROUND_UP_ULL(expires - now,
						     NSEC_PER_MSEC) :
				    LRUCACHE_TTL_NONE;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_ttl);

/* Entries a prefix delete pins per hold of the cache lock. */
#define LRUCACHE_PREFIX_BATCH	32

/*
 * Removes the pinned entries of @batch that are still linked, written no
 * later than @clock (a version clock reading), and drops the pins; adds
 * how many live ones it deleted to *@deleted.
 */
static void lrucache_prefix_batch(struct lrucache *cache,
				  struct lrucache_entry **batch,
				  unsigned int n, u64 clock, long *deleted)
{
	struct lrucache_entry *e;
	unsigned int i;

	spin_lock(&cache->lock);
	for (i = 0; i < n; i++) {
		e = batch[i];
		if (cache->dead || list_empty(&e->lru) ||
		    e->version >> LRUCACHE_VERSION_CLOCK_SHIFT > clock)
			continue;
		if (lrucache_expired(cache, e)) {
			lrucache_remove(cache, e, LRUCACHE_EVENT_EXPIRE);
		} else {
			lrucache_remove(cache, e, LRUCACHE_EVENT_DELETE);
			(*deleted)++;
		}
	}
	spin_unlock(&cache->lock);
	for (i = 0; i < n; i++)
		lrucache_entry_unpin(cache, batch[i]);
}

/**
 * lrucache_delete_prefix - delete every entry whose key starts with a prefix
 * @cache: the cache
 * @prefix: the prefix
 * @prefix_len: its length, 1 to max_key_len
 *
 * The namespace flush. When it returns, no entry whose key starts with
 * @prefix and that was stored before it began is left; an entry stored
 * (set, replaced, incremented) while it runs is left alone, whether it
 * was there before or not. Every lease on such a key is invalidated at the
 * start, so no fill begun before can land afterwards. The walk goes
 * through the hash table (like a full-scan reap) and holds the cache lock
 * for at most LRUCACHE_PREFIX_BATCH removals at a time, so it never holds
 * up the cache's other users for long; its cost grows with the whole
 * cache. The entries it removes count as deletes and are reported as
 * delete events (an expired one as an expiration). May sleep.
 *
 * The walk. Between batches it stops (leaving RCU) to reschedule. A
 * stopped rhashtable walk finds its place again by its last entry, so
 * that entry stays in the table across the stop: the batch removed just
 * before a stop keeps it for the next one. If another task removed it
 * meanwhile, or the table was resized, the walk starts over: what it
 * deleted is gone, and what was written since is skipped by its version.
 *
 * Return: the number of live entries deleted; -EINVAL or -E2BIG for a bad
 * prefix length; -EIDRM if the cache was destroyed.
 */
long lrucache_delete_prefix(struct lrucache *cache, const void *prefix,
			    size_t prefix_len)
{
	struct lrucache_entry *batch[LRUCACHE_PREFIX_BATCH], *e;
	struct rhashtable_iter iter;
	unsigned int n = 0;
	long deleted = 0;
	u64 clock;
	int ret;

	ret = lrucache_check_key(prefix_len);
	if (ret)
		return ret;
	might_sleep();
	spin_lock(&cache->lock);
	if (cache->dead) {
		spin_unlock(&cache->lock);
		return -EIDRM;
	}
	/* The instant it begins: later writes have a later clock. */
	clock = cache->version_clock;
	lrucache_lease_written_prefix(cache, prefix, prefix_len);
	spin_unlock(&cache->lock);

	rhashtable_walk_enter(&cache->ht, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter)) != NULL) {
		if (IS_ERR(e))		/* -EAGAIN: resized, some seen again */
			continue;
		if (lrucache_key_len(e) < prefix_len ||
		    memcmp(e->data, prefix, prefix_len) ||
		    !refcount_inc_not_zero(&e->ref))
			continue;
		batch[n++] = e;
		if (n < LRUCACHE_PREFIX_BATCH)
			continue;
		/* All but @e, the walk's place, which it keeps for later. */
		lrucache_prefix_batch(cache, batch, n - 1, clock, &deleted);
		batch[0] = e;
		n = 1;
		rhashtable_walk_stop(&iter);
		cond_resched();
		lrucache_walk_resume(cache, &iter, true);
		if (READ_ONCE(cache->dead))
			break;
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	lrucache_prefix_batch(cache, batch, n, clock, &deleted);
	if (READ_ONCE(cache->dead))
		return -EIDRM;
	return deleted;
}
EXPORT_SYMBOL_GPL(lrucache_delete_prefix);
