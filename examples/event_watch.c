// SPDX-License-Identifier: MIT
/*
 * Cache events in a program: a hook counts what happens to a cache of two
 * entries, and the ready-made logging hook prints the removals. The
 * program waits for the events with poll() on kcache_events_fd(), prints
 * a summary and checks it against what its operations must have caused.
 *
 *   set a, set b, get a (hit), get nope (miss),
 *   set c (the cache is full: b, the least recently used, is evicted),
 *   delete a
 *
 * Run: tools/vm-run -- build/examples/event_watch
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "kcache.h"

struct counts {
	unsigned long by_type[KCACHE_EVENT_MAX + 1];
	unsigned long total;
	unsigned long lost;
	unsigned long value_bytes;	/* of the entries that were set */
};

static void count(const struct kcache_event *ev, void *arg)
{
	struct counts *n = arg;

	n->by_type[ev->type]++;
	n->total++;
	if (ev->type == KCACHE_EVENT_SET)
		n->value_bytes += ev->value_len;
}

static void count_lost(uint64_t lost, void *arg)
{
	((struct counts *)arg)->lost += lost;
}

/* Every event type, counted by the same function. */
static const struct kcache_hook_ops counter = {
	.on_hit = count, .on_miss = count, .on_set = count,
	.on_delete = count, .on_evict = count, .on_expire = count,
	.on_reclaim = count, .on_lost = count_lost,
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "event_watch: %s: %s\n", what, kcache_strerror(err));
	return 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
	KCACHE_OPTS(opts, .max_size = 2);
	/* Removals only (LOG_INFO and above), to standard output. */
	KCACHE_LOGGING_OPTS(log, .stream = stdout, .level = LOG_INFO);
	static const unsigned long want[KCACHE_EVENT_MAX + 1] = {
		[KCACHE_EVENT_SET] = 3, [KCACHE_EVENT_HIT] = 1,
		[KCACHE_EVENT_MISS] = 1, [KCACHE_EVENT_EVICT] = 1,
		[KCACHE_EVENT_DELETE] = 1,
	};
	const unsigned long want_total = 7;
	struct counts n = { 0 };
	char name[32], buf[16];
	struct kcache *c;
	struct pollfd pfd;
	long long deadline;
	int err, type, ok = 1;

	snprintf(name, sizeof(name), "event-watch-%d", (int)getpid());
	err = kcache_open(name, &opts, &c);
	if (err)
		return fail("kcache_open", err);
	err = kcache_add_hook(c, &counter, &n);
	if (!err)
		err = kcache_add_hook(c, &kcache_logging_hook, &log);
	if (err) {
		kcache_close(c);
		kcache_destroy(name);
		return fail("kcache_add_hook", err);
	}

	/* The events happen now, whether or not anyone reads them yet. */
	if ((err = kcache_set(c, "a", 1, "apple", 5, KCACHE_TTL_NONE)) ||
	    (err = kcache_set(c, "b", 1, "banana", 6, KCACHE_TTL_NONE)) ||
	    (err = kcache_get(c, "a", 1, buf, sizeof(buf))) != 5 ||
	    (err = kcache_get(c, "nope", 4, buf, sizeof(buf))) != -ENOENT ||
	    (err = kcache_set(c, "c", 1, "cherry", 6, KCACHE_TTL_NONE)) ||
	    (err = kcache_delete(c, "a", 1))) {
		kcache_close(c);
		kcache_destroy(name);
		return fail("cache operations", err < 0 ? err : -EIO);
	}

	/* Read them: wait (at most 5 s) until all have come. */
	pfd.fd = kcache_events_fd(c);
	pfd.events = POLLIN;
	deadline = now_ms() + 5000;
	while (n.total + n.lost < want_total && now_ms() < deadline) {
		err = kcache_events_dispatch(c);
		if (err < 0)
			break;
		if (!err)
			poll(&pfd, 1, (int)(deadline - now_ms()));
	}
	kcache_remove_hook(c, &kcache_logging_hook, &log);
	kcache_remove_hook(c, &counter, &n);
	kcache_close(c);
	kcache_destroy(name);
	if (err < 0)
		return fail("kcache_events_dispatch", err);

	printf("%lu events on %s (%lu lost):", n.total, name, n.lost);
	for (type = 1; type <= KCACHE_EVENT_MAX; type++) {
		printf(" %s %lu", kcache_event_type_name(type),
		       n.by_type[type]);
		if (n.by_type[type] != want[type])
			ok = 0;
	}
	printf("; %lu value bytes set\n", n.value_bytes);
	if (!ok || n.lost || n.value_bytes != 5 + 6 + 6) {
		fprintf(stderr, "event_watch: expected set 3, hit 1, miss 1, "
			"evict 1, delete 1, 17 value bytes, nothing lost\n");
		return 1;
	}
	return 0;
}
