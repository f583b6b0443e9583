// SPDX-License-Identifier: MIT
/*
 * Pattern: a fixed-window rate limiter on a counter with a TTL.
 *
 * An API lets each client make LIMIT requests per window of WINDOW_MS.
 * Every request is one kcache_incr() of the client's counter: an absent
 * counter is created at 0 + 1 with the window's TTL in the same atomic
 * call, later requests add 1 and keep the counter's expiry time, and the
 * request is allowed while the new count is at most LIMIT. When the TTL
 * runs out the counter is gone and the next request opens a new window.
 * No read-then-write race: two processes counting the same client at once
 * get distinct counts.
 *
 * The program checks that LIMIT requests in a window are allowed and the
 * next one refused, that another client has its own window, and that a
 * request after the window ended is allowed again. The window is short;
 * its end is awaited in a bounded loop (at most 10 s), and a burst that a
 * very slow machine spreads over two windows is told apart by its counts
 * and run again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kcache.h>

#define LIMIT		5
#define WINDOW_MS	1000

static int fail(const char *what, int err)
{
	fprintf(stderr, "rate_limiter: %s: %s\n", what, kcache_strerror(err));
	return 1;
}

/*
 * One request of @client: 0 and *@allowed, or a negative errno. *@count is
 * the request's number in the current window.
 */
static int request(struct kcache *c, const char *client, bool *allowed,
		   int64_t *count)
{
	char key[64];
	int err;

	snprintf(key, sizeof(key), "rate:%s", client);
	err = kcache_incr(c, key, strlen(key), 1, 0, WINDOW_MS, count);
	if (err)
		return err;
	*allowed = *count <= LIMIT;
	return 0;
}

/*
 * Wait until @client's window has ended (its counter expired): 0, -ETIME
 * after 10 s, or a negative errno.
 */
static int wait_window_end(struct kcache *c, const char *client)
{
	const struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	uint64_t left;
	char key[64];
	int err, i;

	snprintf(key, sizeof(key), "rate:%s", client);
	for (i = 0; i < 500; i++) {
		err = kcache_ttl(c, key, strlen(key), &left);
		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
		nanosleep(&pause, NULL);
	}
	return -ETIME;
}

int main(void)
{
	int64_t counts[LIMIT + 1], count;
	struct kcache *cache;
	bool allowed[LIMIT + 1], ok;
	int attempt, err, i, ret = 1;
	char name[64], text[32];
	uint64_t left;
	ssize_t len;

	KCACHE_OPTS(opts, .max_size = 1000);
	snprintf(name, sizeof(name), "ex-ratelimit-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);

	/*
	 * A burst of LIMIT + 1 requests of client 42 in one window: the
	 * counts 1 .. LIMIT + 1 in order. A count that starts over means
	 * the window ended during the burst (the machine is very slow):
	 * wait for that window to end too and run the burst again.
	 */
	for (attempt = 0; attempt < 3; attempt++) {
		ok = true;
		for (i = 0; i < LIMIT + 1; i++) {
			err = request(cache, "42", &allowed[i], &counts[i]);
			if (err) {
				fail("kcache_incr", err);
				goto out;
			}
			if (counts[i] != i + 1)
				ok = false;
		}
		if (ok)
			break;
		printf("the window ended during the burst: again\n");
		err = wait_window_end(cache, "42");
		if (err) {
			fail("waiting for the window's end", err);
			goto out;
		}
	}
	if (!ok) {
		fprintf(stderr, "rate_limiter: no burst fitted in a window of "
			"%d ms in 3 attempts\n", WINDOW_MS);
		goto out;
	}
	for (i = 0; i < LIMIT + 1; i++) {
		printf("client 42, request %d: %s\n", i + 1,
		       allowed[i] ? "allowed" : "refused (429 Too Many Requests)");
		if (allowed[i] != (i < LIMIT)) {
			fprintf(stderr, "rate_limiter: request %d should have "
				"been %s\n", i + 1, i < LIMIT ? "allowed" :
				"refused");
			goto out;
		}
	}

	/*
	 * The counter is decimal text, and has at most the window's TTL
	 * left (unless the window has ended meanwhile: -ENOENT).
	 */
	len = kcache_get(cache, "rate:42", strlen("rate:42"), text,
			 sizeof(text) - 1);
	if (len >= 0 && (size_t)len < sizeof(text)) {
		text[len] = 0;
		printf("rate:42 holds \"%s\"\n", text);
		if (strtoll(text, NULL, 10) != LIMIT + 1) {
			fprintf(stderr, "rate_limiter: counter reads \"%s\", "
				"not %d\n", text, LIMIT + 1);
			goto out;
		}
	} else if (len != -ENOENT) {
		fail("kcache_get", len < 0 ? (int)len : -EMSGSIZE);
		goto out;
	}
	err = kcache_ttl(cache, "rate:42", strlen("rate:42"), &left);
	if (err && err != -ENOENT) {
		fail("kcache_ttl", err);
		goto out;
	}
	if (!err && left > WINDOW_MS) {
		fprintf(stderr, "rate_limiter: window has %" PRIu64 " ms left, "
			"more than its %d\n", left, WINDOW_MS);
		goto out;
	}
	if (!err)
		printf("client 42's window ends in %" PRIu64 " ms\n", left);

	/* Another client has its own window. */
	err = request(cache, "7", &allowed[0], &count);
	if (err) {
		fail("kcache_incr", err);
		goto out;
	}
	printf("client 7, request 1: %s\n", allowed[0] ? "allowed" : "refused");
	if (!allowed[0] || count != 1) {
		fprintf(stderr, "rate_limiter: client 7 counted %" PRId64
			" in its first window\n", count);
		goto out;
	}

	/* Once the window has ended, client 42 is allowed again. */
	err = wait_window_end(cache, "42");
	if (err) {
		fail("waiting for the window's end", err);
		goto out;
	}
	err = request(cache, "42", &allowed[0], &count);
	if (err) {
		fail("kcache_incr", err);
		goto out;
	}
	printf("client 42, after the window: %s (request %" PRId64 " of a "
	       "new window)\n", allowed[0] ? "allowed" : "refused", count);
	if (!allowed[0] || count != 1) {
		fprintf(stderr, "rate_limiter: expected a new window\n");
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
