// SPDX-License-Identifier: MIT
/*
 * Scenario 1: API response caching.
 *
 * A web backend caches the JSON body of "GET /users/123" under the key
 * "user:123" for five minutes (the cache's default TTL), so that repeated
 * requests skip the upstream service. A lookup of a user that was never
 * fetched is a miss (-ENOENT) and would go to the upstream service.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kcache.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "api_response_cache: %s: %s\n", what,
		kcache_strerror(err));
	return 1;
}

int main(void)
{
	const char *json = "{\"name\": \"John\", \"email\": \"john@example.com\"}";
	char name[64], buf[256];
	struct kcache *cache;
	ssize_t len;
	int err, ret = 1;

	/* 1000 entries at most, entries set with KCACHE_TTL_DEFAULT live 5 min. */
	KCACHE_OPTS(opts, .max_size = 1000, .default_ttl_ms = 300000);
	snprintf(name, sizeof(name), "ex-api-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);

	/* Store the upstream response with the cache's default TTL. */
	err = kcache_set(cache, "user:123", strlen("user:123"), json,
			 strlen(json), KCACHE_TTL_DEFAULT);
	if (err) {
		fail("kcache_set", err);
		goto out;
	}
	printf("stored user:123 (%zu bytes, TTL 300 s)\n", strlen(json));

	/* A hit: the value fits in buf, so it was copied. */
	len = kcache_get(cache, "user:123", strlen("user:123"), buf,
			 sizeof(buf) - 1);
	if (len < 0) {
		fail("kcache_get user:123", (int)len);
		goto out;
	}
	if ((size_t)len >= sizeof(buf) || (size_t)len != strlen(json) ||
	    memcmp(buf, json, len) != 0) {
		fprintf(stderr, "api_response_cache: wrong value for user:123\n");
		goto out;
	}
	buf[len] = '\0';
	printf("hit  user:123 -> %s\n", buf);

	/* A miss: this user was never fetched. */
	len = kcache_get(cache, "user:456", strlen("user:456"), buf,
			 sizeof(buf) - 1);
	if (len != -ENOENT) {
		fprintf(stderr, "api_response_cache: user:456: expected a miss, got %zd\n",
			len);
		goto out;
	}
	printf("miss user:456 (%s): would call the upstream API\n",
	       kcache_strerror((int)len));
	ret = 0;
out:
	kcache_close(cache);
	err = kcache_destroy(name);
	if (err)
		ret = fail("kcache_destroy", err);
	return ret;
}
