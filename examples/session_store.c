// SPDX-License-Identifier: MIT
/*
 * Scenario 3: session storage.
 *
 * A login service keeps one ~1 KiB record per session. The store is capped
 * at 64 KiB, so when too many users log in the least recently used sessions
 * are evicted. Each session has its own TTL: a "remember me" session lives
 * 30 minutes, a one-shot session only 100 ms.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kcache.h>

#define NSESSIONS	100

static int fail(const char *what, int err)
{
	fprintf(stderr, "session_store: %s: %s\n", what, kcache_strerror(err));
	return 1;
}

static int set_session(struct kcache *c, int id, uint64_t ttl_ms)
{
	char key[32], val[1024];

	snprintf(key, sizeof(key), "session:%04d", id);
	memset(val, ' ', sizeof(val));
	snprintf(val, sizeof(val), "{\"user_id\": %d, \"permissions\": [\"read\"]}", id);
	return kcache_set(c, key, strlen(key), val, sizeof(val), ttl_ms);
}

static ssize_t get_session(struct kcache *c, int id)
{
	char key[32];

	snprintf(key, sizeof(key), "session:%04d", id);
	return kcache_get(c, key, strlen(key), NULL, 0);	/* size probe */
}

int main(void)
{
	const struct timespec pause = { .tv_nsec = 200 * 1000 * 1000 };
	struct kcache_metrics m;
	struct kcache_health h;
	struct kcache *cache;
	char name[64];
	int err, id, ret = 1;

	KCACHE_OPTS(opts, .max_size = 10000, .max_memory_bytes = 64 * 1024,
		    .default_ttl_ms = 1800000);
	snprintf(name, sizeof(name), "ex-sessions-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);

	/* A short-lived session expires on its own. */
	if ((err = set_session(cache, 9999, 100))) {
		fail("set short session", err);
		goto out;
	}
	nanosleep(&pause, NULL);
	if (get_session(cache, 9999) != -ENOENT) {
		fprintf(stderr, "session_store: 100 ms session did not expire\n");
		goto out;
	}
	printf("session:9999 (TTL 100 ms) expired after 200 ms\n");

	/* 100 sessions of ~1 KiB do not fit in 64 KiB: the oldest go. */
	for (id = 0; id < NSESSIONS; id++) {
		if ((err = set_session(cache, id, KCACHE_TTL_DEFAULT))) {
			fail("set session", err);
			goto out;
		}
	}
	if (get_session(cache, 0) != -ENOENT || get_session(cache, NSESSIONS - 1) < 0) {
		fprintf(stderr, "session_store: expected the oldest session evicted, the newest kept\n");
		goto out;
	}

	if ((err = kcache_get_metrics(cache, &m))) {
		fail("kcache_get_metrics", err);
		goto out;
	}
	printf("metrics: entries=%llu bytes=%llu/%llu evictions=%llu expirations=%llu\n",
	       (unsigned long long)m.entries, (unsigned long long)m.bytes,
	       (unsigned long long)m.max_bytes, (unsigned long long)m.evictions,
	       (unsigned long long)m.expirations);
	if (m.evictions == 0 || m.expirations == 0 || m.bytes > m.max_bytes) {
		fprintf(stderr, "session_store: expected evictions and an expiration\n");
		goto out;
	}

	/* The store is full to the brim: the memory rule flags it. */
	if ((err = kcache_health_check(cache, &h))) {
		fail("kcache_health_check", err);
		goto out;
	}
	printf("health: %s (memory %u%%, hit rate %u%%)\n",
	       kcache_health_status_name(h.status), h.memory_pct, h.hit_rate_pct);
	if (h.status != KCACHE_DEGRADED || !(h.reasons & KCACHE_HEALTH_MEMORY_HIGH)) {
		fprintf(stderr, "session_store: expected degraded, memory high\n");
		goto out;
	}
	ret = 0;
out:
	kcache_close(cache);
	err = kcache_destroy(name);
	if (err)
		ret = fail("kcache_destroy", err);
	return ret;
}
