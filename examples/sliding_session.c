// SPDX-License-Identifier: MIT
/*
 * Pattern: a sliding session with get-and-touch.
 *
 * A session lives SESSION_MS after its last use, however long it lasts in
 * all. Every request reads the session with kcache_getex(), which returns
 * the value and gives the entry a new TTL in one atomic call, so an
 * active session never lapses and an idle one ends SESSION_MS after its
 * last request. A plain kcache_get() does not extend the TTL.
 *
 * The program stores two sessions with the same TTL, alice's first, and
 * then reads them every 50 ms: alice's with kcache_getex(), bob's with
 * kcache_get(). Bob's session expires although it is being read; alice's,
 * stored earlier, is still there when bob's is gone: its life was
 * extended. Then alice stops: her session ends, no sooner than
 * SESSION_MS after her last request. The waits are bounded loops (20 s
 * at most); the one thing assumed is that the program runs at least once
 * every SESSION_MS, as an active user's requests would.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kcache.h>

#define SESSION_MS	2000
#define POLL_MS		50
#define POLLS		(20000 / POLL_MS)	/* 20 s */

static int fail(const char *what, int err)
{
	fprintf(stderr, "sliding_session: %s: %s\n", what,
		kcache_strerror(err));
	return 1;
}

/* Milliseconds on the clock the kernel's TTLs use (boot time). */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const struct timespec poll_pause = { .tv_nsec = POLL_MS * 1000000L };

int main(void)
{
	const char *alice = "session:alice", *bob = "session:bob";
	uint64_t started, last_use, ended, left;
	struct kcache *cache;
	int err, i, ret = 1;
	char name[64], buf[64];
	ssize_t len;

	KCACHE_OPTS(opts, .max_size = 100);
	snprintf(name, sizeof(name), "ex-sliding-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);

	/* Alice's session first: her original expiry is the earlier. */
	started = now_ms();
	if ((err = kcache_set(cache, alice, strlen(alice), "uid=1", 5,
			      SESSION_MS)) ||
	    (err = kcache_set(cache, bob, strlen(bob), "uid=2", 5,
			      SESSION_MS))) {
		fail("kcache_set", err);
		goto out;
	}
	printf("two sessions of %d ms stored\n", SESSION_MS);

	for (i = 0; i < POLLS; i++) {
		last_use = now_ms();
		len = kcache_getex(cache, alice, strlen(alice), buf,
				   sizeof(buf), SESSION_MS);
		if (len < 0) {
			fail("alice's active session: kcache_getex", (int)len);
			goto out;
		}
		len = kcache_get(cache, bob, strlen(bob), buf, sizeof(buf));
		if (len == -ENOENT)
			break;
		if (len < 0) {
			fail("kcache_get", (int)len);
			goto out;
		}
		nanosleep(&poll_pause, NULL);
	}
	if (i == POLLS) {
		fprintf(stderr, "sliding_session: bob's session of %d ms still "
			"there after 20 s\n", SESSION_MS);
		goto out;
	}
	err = kcache_ttl(cache, alice, strlen(alice), &left);
	if (err) {
		fail("alice's session after bob's expired: kcache_ttl", err);
		goto out;
	}
	printf("after %" PRIu64 " ms: bob's session (read with kcache_get) "
	       "expired; alice's (read with kcache_getex) has %" PRIu64
	       " ms left\n", now_ms() - started, left);

	/* Alice is idle now: her session ends SESSION_MS after last_use. */
	for (i = 0; i < POLLS; i++) {
		err = kcache_ttl(cache, alice, strlen(alice), &left);
		if (err == -ENOENT)
			break;
		if (err) {
			fail("kcache_ttl", err);
			goto out;
		}
		nanosleep(&poll_pause, NULL);
	}
	ended = now_ms();
	if (i == POLLS) {
		fprintf(stderr, "sliding_session: alice's idle session still "
			"there after 20 s\n");
		goto out;
	}
	printf("alice's session ended %" PRIu64 " ms after her last request\n",
	       ended - last_use);
	/* A few ms of slack: the kernel may read a clock one tick behind. */
	if (ended - last_use + 20 < SESSION_MS) {
		fprintf(stderr, "sliding_session: ended before its %d ms\n",
			SESSION_MS);
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
