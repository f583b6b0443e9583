// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The memcached backend of a tier: libmemcached does all of it, the
 * protocol and the consistent hashing (ketama) of keys over the servers.
 * memcached reports no remaining TTL and pushes no invalidations: values
 * get the tier's max_ttl_ms in the kernel cache, which is therefore the
 * bound on how long another host's write can stay unseen here.
 * memcached keys are at most 250 bytes without spaces or control
 * characters; libmemcached checks them (-EINVAL).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>

#include "backend.h"

#define MAX_SERVERS	64
/* memcached reads a larger expiry as an absolute Unix time. */
#define REL_EXPIRY_MAX	(30 * 24 * 3600)

struct mc_backend {
	struct tier_backend base;
	memcached_st *st;
};

static int mc_errno(struct mc_backend *b, memcached_return_t rc)
{
	snprintf(b->base.error, sizeof(b->base.error), "memcached: %s",
		 memcached_last_error_message(b->st) ?
		 memcached_last_error_message(b->st) :
		 memcached_strerror(b->st, rc));
	switch (rc) {
	case MEMCACHED_SUCCESS:
		return 0;
	case MEMCACHED_NOTFOUND:
		return -ENOENT;
	case MEMCACHED_BAD_KEY_PROVIDED:
	case MEMCACHED_KEY_TOO_BIG:
		return -EINVAL;
	case MEMCACHED_E2BIG:
		return -E2BIG;
	case MEMCACHED_MEMORY_ALLOCATION_FAILURE:
		return -ENOMEM;
	case MEMCACHED_TIMEOUT:
		return -ETIMEDOUT;
	case MEMCACHED_CONNECTION_FAILURE:
	case MEMCACHED_SERVER_MARKED_DEAD:
	case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
	case MEMCACHED_NO_SERVERS:
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static int mc_mget(struct tier_backend *base, size_t n,
		   const void *const *keys, const size_t *klens,
		   struct tier_val *out)
{
	struct mc_backend *b = (struct mc_backend *)base;
	memcached_result_st *res;
	memcached_return_t rc;
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		out[i] = (struct tier_val){ .status = -ENOENT, .pttl_ms = -1 };
	if (!n)
		return 0;
	rc = memcached_mget(b->st, (const char *const *)keys, klens, n);
	if (rc != MEMCACHED_SUCCESS) {
		err = mc_errno(b, rc);
		for (i = 0; i < n; i++)
			out[i].status = err;
		return 0;
	}
	while ((res = memcached_fetch_result(b->st, NULL, &rc))) {
		const char *k = memcached_result_key_value(res);
		size_t kl = memcached_result_key_length(res);
		size_t vl = memcached_result_length(res);

		/* Every item with that key (a key may be asked twice). */
		for (i = 0; i < n; i++) {
			if (klens[i] != kl || memcmp(keys[i], k, kl) ||
			    out[i].status == 0)
				continue;
			out[i].data = malloc(vl ? vl : 1);
			if (!out[i].data) {
				out[i].status = -ENOMEM;
				continue;
			}
			memcpy(out[i].data, memcached_result_value(res), vl);
			out[i].len = vl;
			out[i].status = 0;
		}
		memcached_result_free(res);
	}
	if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS &&
	    rc != MEMCACHED_NOTFOUND) {
		/* Keys of a server that failed stay "not found": say why. */
		err = mc_errno(b, rc);
		for (i = 0; i < n; i++)
			if (out[i].status == -ENOENT)
				out[i].status = err;
	}
	return 0;
}

static time_t mc_expiry(uint64_t ttl_ms)
{
	uint64_t s = (ttl_ms + 999) / 1000;

	if (!ttl_ms)
		return 0;
	if (s > REL_EXPIRY_MAX)
		return time(NULL) + (time_t)s;
	return (time_t)s;
}

static int mc_set(struct tier_backend *base, const void *key, size_t klen,
		  const void *val, size_t vlen, uint64_t ttl_ms)
{
	struct mc_backend *b = (struct mc_backend *)base;

	return mc_errno(b, memcached_set(b->st, key, klen, val, vlen,
					 mc_expiry(ttl_ms), 0));
}

static int mc_del(struct tier_backend *base, const void *key, size_t klen)
{
	struct mc_backend *b = (struct mc_backend *)base;

	return mc_errno(b, memcached_delete(b->st, key, klen, 0));
}

static void mc_close(struct tier_backend *base)
{
	struct mc_backend *b = (struct mc_backend *)base;

	memcached_free(b->st);
	free(b);
}

static const struct tier_backend_ops mc_ops = {
	.mget = mc_mget,
	.set = mc_set,
	.del = mc_del,
	.close = mc_close,
};

int tier_memcached_open(const char *servers, unsigned int timeout_ms,
			struct tier_backend **out, char *msg, size_t msglen)
{
	struct tier_addr *addrs;
	struct mc_backend *b;
	int n, i, err = -ENOMEM;

	addrs = calloc(MAX_SERVERS, sizeof(*addrs));
	b = calloc(1, sizeof(*b));
	if (!addrs || !b)
		goto fail;
	n = tier_parse_servers(servers, addrs, MAX_SERVERS);
	if (n < 0) {
		snprintf(msg, msglen, "servers: expected host:port[,...], "
			 "not \"%s\"", servers ? servers : "");
		err = n;
		goto fail;
	}
	b->base.ops = &mc_ops;
	b->st = memcached_create(NULL);
	if (!b->st)
		goto fail;
	/*
	 * Ketama: each server owns many points of a hash ring, so a server
	 * added or lost moves only its share of the keys. Failed servers are
	 * retried after a second; their keys fail meanwhile (no rehashing to
	 * another server, which would serve another copy of the key).
	 */
	memcached_behavior_set(b->st, MEMCACHED_BEHAVIOR_KETAMA, 1);
	memcached_behavior_set(b->st, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
			       timeout_ms);
	memcached_behavior_set(b->st, MEMCACHED_BEHAVIOR_POLL_TIMEOUT,
			       timeout_ms);
	memcached_behavior_set(b->st, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
	memcached_behavior_set(b->st, MEMCACHED_BEHAVIOR_VERIFY_KEY, 1);
	memcached_behavior_set(b->st, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	for (i = 0; i < n; i++) {
		memcached_return_t rc = memcached_server_add(b->st,
							     addrs[i].host,
							     (in_port_t)addrs[i].port);

		if (rc != MEMCACHED_SUCCESS) {
			err = mc_errno(b, rc);
			snprintf(msg, msglen, "%s", b->base.error);
			memcached_free(b->st);
			goto fail;
		}
	}
	free(addrs);
	*out = &b->base;
	return 0;
fail:
	free(addrs);
	free(b);
	return err;
}
