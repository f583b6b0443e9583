// SPDX-License-Identifier: MIT
/*
 * Scenario 2: database query memoization.
 *
 * get_user_by_id() stands for a slow "SELECT * FROM users WHERE id = ?".
 * kcache_memo() wraps it like Python's @lru_cache(maxsize=500, ttl=600):
 * the first call for user 123 runs the query and stores the row, the second
 * returns the stored row without running the query again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kcache.h>

static int queries;	/* how many times the "database" was queried */

/* The slow function: key = user id (int32), value = the row as text. */
static ssize_t get_user_by_id(const void *key, size_t klen, void *buf,
			      size_t buflen, void *arg)
{
	const struct timespec delay = { .tv_nsec = 50 * 1000 * 1000 };
	int32_t id;

	(void)arg;
	if (klen != sizeof(id))
		return -EINVAL;
	memcpy(&id, key, sizeof(id));
	queries++;
	nanosleep(&delay, NULL);	/* the database is slow */
	return snprintf(buf, buflen, "{\"id\": %d, \"name\": \"user%d\"}",
			(int)id, (int)id);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "db_query_memo: %s: %s\n", what, kcache_strerror(err));
	return 1;
}

int main(void)
{
	struct kcache_memo_info info;
	int32_t id = 123;
	char name[64], row[2][128];
	struct kcache *cache;
	ssize_t len[2];
	int err, i, ret = 1;

	KCACHE_OPTS(opts, .max_size = 500);	/* one cache per function */
	snprintf(name, sizeof(name), "ex-memo-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);

	for (i = 0; i < 2; i++) {
		/* Rows are kept 600 s; buffer size minus 1 leaves room for NUL. */
		len[i] = kcache_memo(cache, &id, sizeof(id), get_user_by_id,
				     NULL, 600000, row[i], sizeof(row[i]) - 1);
		if (len[i] < 0) {
			fail("kcache_memo", (int)len[i]);
			goto out;
		}
		if ((size_t)len[i] >= sizeof(row[i])) {
			fprintf(stderr, "db_query_memo: row too long\n");
			goto out;
		}
		row[i][len[i]] = '\0';
		printf("call %d: %s (queries so far: %d)\n", i + 1, row[i],
		       queries);
	}
	/* The expected outcome: one query only, the same row twice. */
	if (queries != 1 || len[0] != len[1] || strcmp(row[0], row[1]) != 0) {
		fprintf(stderr, "db_query_memo: second call was not served from the cache\n");
		goto out;
	}

	err = kcache_memo_info(cache, &info);
	if (err) {
		fail("kcache_memo_info", err);
		goto out;
	}
	printf("memo_info: hits=%llu misses=%llu maxsize=%llu currsize=%llu\n",
	       (unsigned long long)info.hits, (unsigned long long)info.misses,
	       (unsigned long long)info.maxsize,
	       (unsigned long long)info.currsize);
	if (info.hits != 1 || info.misses != 1 || info.currsize != 1) {
		fprintf(stderr, "db_query_memo: unexpected memo_info\n");
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
