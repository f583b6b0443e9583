// SPDX-License-Identifier: MIT
/*
 * Scenario 5: batch operations.
 *
 * Warming a cache with many product prices, then reading a page of them,
 * one ioctl each way with kcache_set_many() and kcache_get_many(). Then a
 * batch context queues mixed operations (set, get, get of a missing key)
 * and commits them in one ioctl; each operation has its own result.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kcache.h>

#define N 3

static int fail(const char *what, int err)
{
	fprintf(stderr, "batch_ops: %s: %s\n", what, kcache_strerror(err));
	return 1;
}

int main(void)
{
	const char *keys[N] = { "price:apple", "price:pear", "price:plum" };
	const char *vals[N] = { "1.20", "0.95", "2.10" };
	char bufs[N + 1][16], name[64];
	struct kcache_item items[N + 1];
	struct kcache_batch *b = NULL;
	struct kcache *cache;
	int err, i, iset, iget, imiss, ret = 1;

	KCACHE_OPTS(opts, .max_size = 100);
	snprintf(name, sizeof(name), "ex-batch-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);

	/* set_many: every item gets its own status. */
	for (i = 0; i < N; i++)
		items[i] = (struct kcache_item){ .key = keys[i], .key_len = strlen(keys[i]),
			.value = (void *)vals[i], .value_len = strlen(vals[i]) };
	if (kcache_set_many(cache, items, N, KCACHE_TTL_NONE) != N) {
		fprintf(stderr, "batch_ops: kcache_set_many failed\n");
		goto out;
	}
	/* get_many: the N keys plus one that was never stored. */
	for (i = 0; i <= N; i++) {
		const char *k = i < N ? keys[i] : "price:kiwi";

		items[i] = (struct kcache_item){ .key = k, .key_len = strlen(k),
			.value = bufs[i], .value_len = sizeof(bufs[i]) };
	}
	if (kcache_get_many(cache, items, N + 1) != N + 1) {
		fprintf(stderr, "batch_ops: kcache_get_many failed\n");
		goto out;
	}
	for (i = 0; i < N; i++) {
		if (items[i].status != (int)strlen(vals[i]) ||
		    memcmp(bufs[i], vals[i], items[i].status) != 0) {
			fail(keys[i], items[i].status < 0 ? items[i].status : -EBADMSG);
			goto out;
		}
		printf("get_many %s = %.*s\n", keys[i], items[i].status, bufs[i]);
	}
	if (items[N].status != -ENOENT) {
		fprintf(stderr, "batch_ops: price:kiwi should be missing\n");
		goto out;
	}
	printf("get_many price:kiwi: %s\n", kcache_strerror(items[N].status));

	/* Batch context: queued, committed in one ioctl, then read back. */
	if ((err = kcache_batch_begin(cache, &b))) {
		fail("kcache_batch_begin", err);
		goto out;
	}
	iset = kcache_batch_set(b, "price:fig", 9, "3.50", 4, KCACHE_TTL_NONE);
	iget = kcache_batch_get(b, "price:fig", 9, bufs[0], sizeof(bufs[0]));
	imiss = kcache_batch_get(b, "price:kiwi", 10, bufs[1], sizeof(bufs[1]));
	if (iset < 0 || iget < 0 || imiss < 0) {
		fprintf(stderr, "batch_ops: could not queue the operations\n");
		goto out;
	}
	if ((err = kcache_batch_commit(b)) != 3) {
		fail("kcache_batch_commit", err < 0 ? err : -EBADMSG);
		goto out;
	}
	if (kcache_batch_result(b, iset, NULL) != 0 ||
	    kcache_batch_result(b, iget, NULL) != 4 || memcmp(bufs[0], "3.50", 4) ||
	    kcache_batch_result(b, imiss, NULL) != -ENOENT) {
		fprintf(stderr, "batch_ops: unexpected batch results\n");
		goto out;
	}
	printf("batch: set price:fig ok, get price:fig = %.4s, get price:kiwi: %s\n",
	       bufs[0], kcache_strerror(kcache_batch_result(b, imiss, NULL)));
	ret = 0;
out:
	kcache_batch_free(b);
	kcache_close(cache);
	err = kcache_destroy(name);
	if (err)
		ret = fail("kcache_destroy", err);
	return ret;
}
