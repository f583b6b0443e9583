/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the libkcache tests. Include after kselftest_harness.h.
 */
#ifndef LRUCACHE_TESTS_LIB_H
#define LRUCACHE_TESTS_LIB_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcache.h"

#include "../charge.h"

/*
 * The charge of an entry of @n bytes (entry_overhead + key + value) the
 * library tests store: all of them come from kmalloc(), below 8 KiB.
 */
static inline uint64_t entry_charge(uint64_t overhead, uint64_t klen,
				    uint64_t vlen)
{
	return kmalloc_class(overhead + klen + vlen);
}

/* A cache name unique to this test process: tests run in forked children. */
static inline void unique_name(char name[LRUCACHE_NAME_MAX], const char *tag)
{
	memset(name, 0, LRUCACHE_NAME_MAX);
	snprintf(name, LRUCACHE_NAME_MAX, "l-%s-%d", tag, (int)getpid());
}

/* A module parameter, or @dflt if it cannot be read. */
static inline uint64_t module_param(const char *name, uint64_t dflt)
{
	char path[256];
	unsigned long long val;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/module/lrucache/parameters/%s",
		 name);
	f = fopen(path, "re");
	if (!f)
		return dflt;
	n = fscanf(f, "%llu", &val);
	fclose(f);
	return n == 1 ? val : dflt;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Set a string key to a string value (no NULs stored), default TTL. */
static inline int sset(struct kcache *c, const char *key, const char *val)
{
	return kcache_set(c, key, strlen(key), val, strlen(val),
			  KCACHE_TTL_DEFAULT);
}

/* Get a string key into @out (256 bytes, NUL-terminated on a fitting hit). */
static inline ssize_t sget(struct kcache *c, const char *key, char out[256])
{
	ssize_t ret;

	memset(out, 0, 256);
	ret = kcache_get(c, key, strlen(key), out, 255);
	if (ret > 255)
		out[0] = 0;
	return ret;
}

static inline int sexists(struct kcache *c, const char *key)
{
	return kcache_exists(c, key, strlen(key));
}

#endif /* LRUCACHE_TESTS_LIB_H */
