// SPDX-License-Identifier: MIT
/*
 * Pattern: flushing a namespace with a prefix delete.
 *
 * An application keys everything it caches about a user under
 * "user:<id>:" (profile, cart, preferences). When user 42 changes their
 * account, kcache_delete_prefix(c, "user:42:") drops all of it in one
 * call, whatever keys there are, without the application keeping a list
 * of them; memcached users emulate this with a namespace version in every
 * key. The prefix ends with the separator: "user:42" would also match
 * user 420.
 *
 * The program checks that exactly the three entries of user 42 are
 * deleted (user 420's and user 7's stay), that the kernel counts them as
 * deletes, and that a second flush finds nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kcache.h>

static const char *const keys[] = {
	"user:42:profile", "user:42:cart", "user:42:prefs",
	"user:420:profile", "user:7:profile", "user:7:cart",
};
#define NKEYS		(sizeof(keys) / sizeof(keys[0]))
#define FLUSHED		3	/* the first three */

static int fail(const char *what, int err)
{
	fprintf(stderr, "namespace_flush: %s: %s\n", what,
		kcache_strerror(err));
	return 1;
}

int main(void)
{
	const char *prefix = "user:42:";
	struct kcache_metrics before, after;
	struct kcache *cache;
	int err, n, ret = 1;
	char name[64];
	size_t i;

	KCACHE_OPTS(opts, .max_size = 100);
	snprintf(name, sizeof(name), "ex-flush-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);
	for (i = 0; i < NKEYS; i++) {
		err = kcache_set(cache, keys[i], strlen(keys[i]), "{}", 2,
				 KCACHE_TTL_NONE);
		if (err) {
			fail("kcache_set", err);
			goto out;
		}
	}
	printf("stored %zu entries of users 42, 420 and 7\n", NKEYS);

	if ((err = kcache_get_metrics(cache, &before))) {
		fail("kcache_get_metrics", err);
		goto out;
	}
	n = kcache_delete_prefix(cache, prefix, strlen(prefix));
	if (n < 0) {
		fail("kcache_delete_prefix", n);
		goto out;
	}
	printf("kcache_delete_prefix(\"%s\") deleted %d\n", prefix, n);
	if (n != FLUSHED) {
		fprintf(stderr, "namespace_flush: deleted %d, not %d\n", n,
			FLUSHED);
		goto out;
	}
	for (i = 0; i < NKEYS; i++) {
		err = kcache_exists(cache, keys[i], strlen(keys[i]));
		if (err < 0) {
			fail("kcache_exists", err);
			goto out;
		}
		printf("  %-17s %s\n", keys[i], err ? "kept" : "deleted");
		if (err != (i >= FLUSHED)) {
			fprintf(stderr, "namespace_flush: %s should be %s\n",
				keys[i], i >= FLUSHED ? "kept" : "deleted");
			goto out;
		}
	}
	if ((err = kcache_get_metrics(cache, &after))) {
		fail("kcache_get_metrics", err);
		goto out;
	}
	if (after.deletes - before.deletes != FLUSHED ||
	    after.entries != NKEYS - FLUSHED) {
		fprintf(stderr, "namespace_flush: deletes +%llu, entries %llu\n",
			(unsigned long long)(after.deletes - before.deletes),
			(unsigned long long)after.entries);
		goto out;
	}
	printf("metrics: deletes +%d, entries %llu\n", FLUSHED,
	       (unsigned long long)after.entries);

	/* Nothing of user 42 is left to flush. */
	n = kcache_delete_prefix(cache, prefix, strlen(prefix));
	if (n != 0) {
		fprintf(stderr, "namespace_flush: second flush returned %d\n", n);
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
