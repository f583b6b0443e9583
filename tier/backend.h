/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * What tier.c asks of a backend (redis.c, memcached.c). A backend object
 * is used by one thread at a time (tier.c holds its mutex).
 */
#ifndef KCACHE_TIER_BACKEND_H
#define KCACHE_TIER_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* One key's answer to a read. */
struct tier_val {
	char *data;		/* malloc()ed value, NULL if none */
	size_t len;
	int status;		/* 0 found, -ENOENT absent, or -errno */
	int64_t pttl_ms;	/* remaining TTL; -1: none or unknown */
};

struct tier_backend;

struct tier_backend_ops {
	/*
	 * Read @n keys: out[i] for keys[i]. Return 0 (each key's outcome in
	 * its status) or a -errno that failed them all.
	 */
	int (*mget)(struct tier_backend *b, size_t n, const void *const *keys,
		    const size_t *klens, struct tier_val *out);
	/* ttl_ms 0: no TTL. */
	int (*set)(struct tier_backend *b, const void *key, size_t klen,
		   const void *val, size_t vlen, uint64_t ttl_ms);
	/* 0 deleted, -ENOENT absent, or -errno. */
	int (*del)(struct tier_backend *b, const void *key, size_t klen);
	void (*close)(struct tier_backend *b);
};

struct tier_backend {
	const struct tier_backend_ops *ops;
	char error[256];	/* the last failure's message */
};

/* A "host:port" list split: at most @max entries. */
struct tier_addr {
	char host[256];
	int port;
};

int tier_parse_servers(const char *servers, struct tier_addr *addrs,
		       int max);

/* On failure, @msg says why. */
int tier_redis_open(const char *servers, int cluster, unsigned int timeout_ms,
		    struct tier_backend **out, char *msg, size_t msglen);
int tier_memcached_open(const char *servers, unsigned int timeout_ms,
			struct tier_backend **out, char *msg, size_t msglen);

void tier_val_free(struct tier_val *v, size_t n);

#endif /* KCACHE_TIER_BACKEND_H */
