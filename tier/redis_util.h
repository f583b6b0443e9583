/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The parts of redis.c that lrucache-tierd uses too: connecting with
 * timeouts, hiredis errors as errnos, a cluster's masters.
 */
#ifndef KCACHE_TIER_REDIS_UTIL_H
#define KCACHE_TIER_REDIS_UTIL_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "backend.h"

/* The Redis Cluster slot of a key (hash tags honoured). */
unsigned int tier_redis_key_slot(const void *key, size_t klen);

/* A hiredis context's error as a -errno (@saved_errno: errno after it). */
int tier_redis_ctx_errno(const redisContext *c, int saved_errno);

/* Connect, with @timeout_ms for the connection and every reply. */
redisContext *tier_redis_connect(const struct tier_addr *a,
				 unsigned int timeout_ms, int *err,
				 char *msg, size_t msglen);

/*
 * The masters to track: the one server, or every master of the cluster's
 * slot map. Return: their count, or -errno (@msg says why).
 */
int tier_redis_masters(const char *servers, int cluster,
		       unsigned int timeout_ms, struct tier_addr *out, int max,
		       char *msg, size_t msglen);

#endif /* KCACHE_TIER_REDIS_UTIL_H */
