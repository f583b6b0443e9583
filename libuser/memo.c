// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache memoization: kcache_memo() and friends, on top of the single
 * operations of kcache.c (see "Memoization" in kcache.h).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcache_internal.h"

/*
 * Memoization: see "Memoization" in kcache.h. Single-flight is the
 * kernel's leases: the caller granted a key's lease computes, the others
 * sleep in kcache_lease_wait() until it stores (or gives up), then read.
 *
 * Callers of the protocol before leases (libkcache 1.3 to 1.8, and the
 * Python decorator before kcache 1.10) still share caches with this one:
 * they claim a key with a lock entry, KCACHE_MEMO_LOCK_PREFIX + key, and
 * poll. A caller granted a lease first honours such an entry as 1.8 did:
 * it polls for the value, within its wait bound, and computes only once
 * the entry is gone without a value or the bound has passed.
 */

/* The polling of the lock entries, as libkcache 1.8 did it. */
#define MEMO_BACKOFF_MIN_MS	1
#define MEMO_BACKOFF_MAX_MS	50

static bool ttl_valid(uint64_t ttl_ms)
{
	return ttl_ms == KCACHE_TTL_DEFAULT || ttl_ms == KCACHE_TTL_NONE ||
	       (ttl_ms >= 1 && ttl_ms <= KCACHE_TTL_MAX_MS);
}

static int get_memo_opts(const struct kcache_memo_opts *uopts,
			 struct kcache_memo_opts *opts)
{
	int err = KCACHE_OPTS_GET(uopts, opts, reserved);

	if (err)
		return err;
	if ((opts->flags & ~KCACHE_MEMO_NO_SINGLE_FLIGHT) || opts->reserved)
		return -EINVAL;
	if (!opts->ttl_ms)
		opts->ttl_ms = KCACHE_TTL_DEFAULT;
	if (!opts->lease_ms)
		opts->lease_ms = KCACHE_MEMO_LEASE_MS;
	if (!opts->wait_ms)
		opts->wait_ms = KCACHE_MEMO_WAIT_MS;
	if (!ttl_valid(opts->ttl_ms) || opts->lease_ms > KCACHE_TTL_MAX_MS ||
	    opts->wait_ms > KCACHE_TTL_MAX_MS ||
	    opts->refresh_ms > KCACHE_TTL_MAX_MS)
		return -EINVAL;
	/* A kernel lease lasts an hour at most; so does the claim. */
	if (opts->lease_ms > KCACHE_LEASE_MAX_MS)
		opts->lease_ms = KCACHE_LEASE_MAX_MS;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void memo_sleep_ms(uint64_t ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * What kcache_get() returns for @key if it is there (kcache_exists()
 * first, so that a miss counts nothing); -ENOENT if not.
 */
static ssize_t memo_value_if_there(struct kcache *c, const void *key,
				   size_t klen, void *buf, size_t buflen)
{
	int there = kcache_exists(c, key, klen);

	if (there <= 0)
		return there ? there : -ENOENT;
	return kcache_get(c, key, klen, buf, buflen);
}

/*
 * Waits, until @deadline (now_ms()), while a caller of the old protocol
 * holds a lock entry for @key and has not stored its value, polling with
 * kcache_exists() (no counter moves) as libkcache 1.8 did. Returns what
 * kcache_get() returned once the value is there (a hit, fitting @buf or
 * not); -ENOENT if there is no lock entry (or none can exist for a key
 * this long), it went without a value, or the deadline passed: the
 * caller computes; another negative errno on failure.
 */
static ssize_t memo_wait_old_claim(struct kcache *c, const void *key,
				   size_t klen, void *buf, size_t buflen,
				   uint64_t deadline)
{
	uint64_t delay = MEMO_BACKOFF_MIN_MS, now;
	unsigned char *lock;
	size_t lock_len;
	ssize_t ret;
	int held;

	if (klen > SIZE_MAX - KCACHE_MEMO_LOCK_PREFIX_LEN)
		return -ENOENT;		/* 1.8 claimed no key this long */
	lock_len = KCACHE_MEMO_LOCK_PREFIX_LEN + klen;
	lock = malloc(lock_len);
	if (!lock)
		return -ENOMEM;
	memcpy(lock, KCACHE_MEMO_LOCK_PREFIX, KCACHE_MEMO_LOCK_PREFIX_LEN);
	memcpy(lock + KCACHE_MEMO_LOCK_PREFIX_LEN, key, klen);

	for (;;) {
		held = kcache_exists(c, lock, lock_len);
		if (held < 0) {
			/* -E2BIG: a key the module refuses; none exists. */
			ret = held == -E2BIG ? -ENOENT : held;
			break;
		}
		if (!held) {
			/*
			 * Gone: with its value, stored since the last look,
			 * or without (then this caller computes).
			 */
			ret = memo_value_if_there(c, key, klen, buf, buflen);
			break;
		}
		now = now_ms();
		if (now >= deadline) {
			ret = -ENOENT;	/* the bound passed: compute */
			break;
		}
		memo_sleep_ms(delay < deadline - now ? delay : deadline - now);
		if (delay < MEMO_BACKOFF_MAX_MS)
			delay = delay * 2 < MEMO_BACKOFF_MAX_MS ?
				delay * 2 : MEMO_BACKOFF_MAX_MS;
		ret = memo_value_if_there(c, key, klen, buf, buflen);
		if (ret != -ENOENT)
			break;
		/* Not there yet, or gone again (evicted, expired): go on. */
	}
	free(lock);
	return ret;
}

/*
 * Call @fn and store what it wrote: through the lease @token if there is
 * one (0: a plain set). Store failures are not reported (see
 * kcache_memo_opts() in kcache.h): the value is returned all the same. A
 * lease the value cannot be stored through (the function failed, or its
 * value does not fit @buf) is given up, so that the waiters wake.
 */
static ssize_t memo_compute(struct kcache *c, const void *key, size_t klen,
			    kcache_compute_fn fn, void *arg, void *buf,
			    size_t buflen, uint64_t ttl_ms, uint64_t token,
			    bool missed)
{
	ssize_t len = fn(key, klen, buf, buflen, arg);

	if (len < 0 || (size_t)len > buflen) {
		if (token)
			kcache_lease_release(c, key, klen, token);
		return len;
	}
	if (!token) {
		kcache_set(c, key, klen, buf, (size_t)len, ttl_ms);
	} else if (missed) {
		/*
		 * Stored before the lease ends, so that a waiter it wakes
		 * finds the value rather than a miss it would compute for.
		 * A value someone stored meanwhile stays; a key cleared or
		 * deleted meanwhile gets ours (as a refused leased set would
		 * have, one step later).
		 */
		kcache_add(c, key, klen, buf, (size_t)len, ttl_ms);
		kcache_lease_release(c, key, klen, token);
	} else if (kcache_set_leased(c, key, klen, buf, (size_t)len, ttl_ms,
				     token) == -ESTALE) {
		/* A stale value refreshed: one written meanwhile stays. */
		kcache_add(c, key, klen, buf, (size_t)len, ttl_ms);
	}
	return len;
}

ssize_t kcache_memo_opts(struct kcache *c, const void *key, size_t klen,
			 kcache_compute_fn fn, void *arg, void *buf,
			 size_t buflen, const struct kcache_memo_opts *uopts)
{
	struct kcache_memo_opts opts;
	struct kcache_lease lease;
	uint64_t deadline, now;
	ssize_t ret;
	int err;

	if (!c || !fn || !klen)
		return -EINVAL;
	err = get_memo_opts(uopts, &opts);
	if (err)
		return err;

	if (opts.flags & KCACHE_MEMO_NO_SINGLE_FLIGHT) {
		ret = kcache_get(c, key, klen, buf, buflen);
		if (ret != -ENOENT)
			return ret;	/* a hit (fitting or not), or an error */
		return memo_compute(c, key, klen, fn, arg, buf, buflen,
				    opts.ttl_ms, 0, false);
	}

	deadline = now_ms() + opts.wait_ms;
	for (;;) {
		ret = kcache_get_lease(c, key, klen, buf, buflen,
				       opts.lease_ms, opts.refresh_ms, &lease);
		if (ret == -EINVAL) {
			/* A kernel module before leases: no single-flight. */
			ret = kcache_get(c, key, klen, buf, buflen);
			if (ret != -ENOENT)
				return ret;
			break;
		}
		if (ret >= 0 && (lease.status & KCACHE_LEASE_GRANTED))
			/* Stale: this caller refreshes it, the others not. */
			return memo_compute(c, key, klen, fn, arg, buf, buflen,
					    opts.ttl_ms, lease.token, false);
		if (ret != -ENOENT)
			return ret;	/* a hit, or an error */
		if (lease.status & KCACHE_LEASE_GRANTED) {
			/* Ours, unless an older caller claimed it its way. */
			ret = memo_wait_old_claim(c, key, klen, buf, buflen,
						  deadline);
			if (ret == -ENOENT)
				return memo_compute(c, key, klen, fn, arg, buf,
						    buflen, opts.ttl_ms,
						    lease.token, true);
			/* Its value (or an error): let the waiters look. */
			kcache_lease_release(c, key, klen, lease.token);
			return ret;
		}
		/*
		 * A nested call for a key this thread is computing, or no
		 * lease to be had (the kernel's bound): compute.
		 */
		if (!(lease.status & KCACHE_LEASE_HELD))
			break;
		now = now_ms();
		if (now >= deadline)
			break;		/* waited long enough: compute */
		err = kcache_lease_wait(c, key, klen, deadline - now);
		if (err == -ETIMEDOUT)
			break;
		if (err && err != -EINTR)
			return err;
		/* The lease ended: its value is there, or the key is ours. */
	}
	return memo_compute(c, key, klen, fn, arg, buf, buflen, opts.ttl_ms, 0,
			    false);
}

ssize_t kcache_memo(struct kcache *c, const void *key, size_t klen,
		    kcache_compute_fn fn, void *arg, uint64_t ttl_ms,
		    void *buf, size_t buflen)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = ttl_ms);

	if (!ttl_ms)
		return -EINVAL;
	return kcache_memo_opts(c, key, klen, fn, arg, buf, buflen, &opts);
}

int kcache_memo_info(struct kcache *c, struct kcache_memo_info *info)
{
	struct kcache_metrics m;
	int err;

	if (!c || !info)
		return -EINVAL;
	err = kcache_get_metrics(c, &m);
	if (err)
		return err;
	memset(info, 0, sizeof(*info));
	info->hits = m.hits;
	info->misses = m.misses;
	info->maxsize = m.max_entries;
	info->currsize = m.entries;
	return 0;
}

int kcache_memo_clear(struct kcache *c)
{
	int err = kcache_clear(c);

	if (err)
		return err;
	return kcache_reset_metrics(c);
}
