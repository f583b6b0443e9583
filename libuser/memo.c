// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache memoization: kcache_memo() and friends, on top of the single
 * operations of kcache.c (see "Memoization" in kcache.h).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcache_internal.h"

/*
 * Memoization: see "Memoization" in kcache.h. Single-flight goes through a
 * lock entry (KCACHE_MEMO_LOCK_PREFIX + key) created with kcache_add() and a
 * lease TTL; only kcache_exists() is used to poll, so waiting changes no
 * hit or miss counter.
 */

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
	    opts->wait_ms > KCACHE_TTL_MAX_MS)
		return -EINVAL;
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
 * Call @fn and store what it wrote. Store failures are not reported (see
 * kcache_memo_opts() in kcache.h): the value is returned all the same.
 */
static ssize_t memo_compute(struct kcache *c, const void *key, size_t klen,
			    kcache_compute_fn fn, void *arg, void *buf,
			    size_t buflen, uint64_t ttl_ms)
{
	ssize_t len = fn(key, klen, buf, buflen, arg);

	if (len < 0 || (size_t)len > buflen)
		return len;
	kcache_set(c, key, klen, buf, (size_t)len, ttl_ms);
	return len;
}

ssize_t kcache_memo_opts(struct kcache *c, const void *key, size_t klen,
			 kcache_compute_fn fn, void *arg, void *buf,
			 size_t buflen, const struct kcache_memo_opts *uopts)
{
	struct kcache_memo_opts opts;
	unsigned char *lock = NULL;
	uint64_t deadline, delay = MEMO_BACKOFF_MIN_MS;
	uint32_t owner = (uint32_t)getpid();
	ssize_t ret;
	int err;

	if (!c || !fn || !klen)
		return -EINVAL;
	err = get_memo_opts(uopts, &opts);
	if (err)
		return err;

	ret = kcache_get(c, key, klen, buf, buflen);
	if (ret != -ENOENT)
		return ret;		/* a hit (fitting or not), or an error */
	if (opts.flags & KCACHE_MEMO_NO_SINGLE_FLIGHT)
		return memo_compute(c, key, klen, fn, arg, buf, buflen,
				    opts.ttl_ms);

	if (klen > SIZE_MAX - KCACHE_MEMO_LOCK_PREFIX_LEN)
		return -E2BIG;
	lock = malloc(KCACHE_MEMO_LOCK_PREFIX_LEN + klen);
	if (!lock)
		return -ENOMEM;
	memcpy(lock, KCACHE_MEMO_LOCK_PREFIX, KCACHE_MEMO_LOCK_PREFIX_LEN);
	memcpy(lock + KCACHE_MEMO_LOCK_PREFIX_LEN, key, klen);

	deadline = now_ms() + opts.wait_ms;
	for (;;) {
		err = kcache_add(c, lock, KCACHE_MEMO_LOCK_PREFIX_LEN + klen,
				 &owner, sizeof(owner), opts.lease_ms);
		if (err == 0) {
			/*
			 * Ours. The value may have been stored between our
			 * miss and the lock (by a caller that has since
			 * released it): check before computing.
			 */
			err = kcache_exists(c, key, klen);
			ret = err == 1 ? kcache_get(c, key, klen, buf, buflen)
				       : -ENOENT;
			if (err < 0)
				ret = err;
			else if (ret == -ENOENT)
				ret = memo_compute(c, key, klen, fn, arg, buf,
						   buflen, opts.ttl_ms);
			kcache_delete(c, lock,
				      KCACHE_MEMO_LOCK_PREFIX_LEN + klen);
			goto out;
		}
		if (err == -E2BIG) {
			/* The lock key is too long: no single-flight. */
			ret = memo_compute(c, key, klen, fn, arg, buf, buflen,
					   opts.ttl_ms);
			goto out;
		}
		if (err != -EEXIST) {
			ret = err;
			goto out;
		}

		/* Another caller computes: wait for its value. */
		for (;;) {
			uint64_t now = now_ms();

			if (now >= deadline) {
				/* Bound passed: compute ourselves, no lock. */
				ret = memo_compute(c, key, klen, fn, arg, buf,
						   buflen, opts.ttl_ms);
				goto out;
			}
			memo_sleep_ms(delay < deadline - now ? delay
							     : deadline - now);
			if (delay < MEMO_BACKOFF_MAX_MS)
				delay = delay * 2 < MEMO_BACKOFF_MAX_MS ?
					delay * 2 : MEMO_BACKOFF_MAX_MS;

			err = kcache_exists(c, key, klen);
			if (err < 0) {
				ret = err;
				goto out;
			}
			if (err == 1) {
				ret = kcache_get(c, key, klen, buf, buflen);
				if (ret != -ENOENT)
					goto out;
				/* Gone again (evicted, expired): go on. */
			}
			err = kcache_exists(c, lock,
					    KCACHE_MEMO_LOCK_PREFIX_LEN + klen);
			if (err < 0) {
				ret = err;
				goto out;
			}
			if (err == 0)
				break;	/* released without a value: retry */
		}
	}
out:
	free(lock);
	return ret;
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
