// SPDX-License-Identifier: GPL-2.0
/*
 * event-cost: what a cache operation costs while its events are watched,
 * as a ratio to the same operation unwatched, measured in one run.
 *
 * Three states, interleaved round by round (the VM is emulated: only
 * ratios within a run mean anything):
 *   none     nobody subscribed: the module does no event work at all;
 *   watched  another process subscribed to every event of the cache
 *            through libkcache's hooks, reading as fast as it can;
 *   masked   that process subscribed to deletes only, so sets and gets
 *            are matched against a subscription and dropped.
 * For each: set (replace) and get (hit) of a 16-byte key, 64-byte value.
 * Prints the medians and ratios; never fails on a figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcache.h"

#define ROUNDS	7
#define OPS	20000

static const char key[16] = "event-cost-key-";
static char value[64];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void count_event(const struct kcache_event *ev, void *arg)
{
	(void)ev;
	++*(unsigned long *)arg;
}

/* The watcher: subscribes, says so on @ready, dispatches until killed. */
static void watch(const char *name, bool all, int ready)
{
	struct kcache_hook_ops ops = { .on_delete = count_event };
	unsigned long seen = 0;
	struct kcache *c;
	struct pollfd pfd;
	char ok = 1;

	if (all) {
		ops.on_hit = count_event;
		ops.on_set = count_event;
	}
	if (kcache_open(name, NULL, &c) || kcache_add_hook(c, &ops, &seen))
		_exit(1);
	pfd.fd = kcache_events_fd(c);
	pfd.events = POLLIN;
	if (write(ready, &ok, 1) != 1)
		_exit(1);
	for (;;) {
		if (poll(&pfd, 1, -1) > 0)
			kcache_events_dispatch(c);
	}
}

static pid_t start_watcher(const char *name, bool all)
{
	int p[2];
	char ok;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		watch(name, all, p[1]);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &ok, 1) != 1) {
		if (pid > 0)
			kill(pid, SIGKILL);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void stop_watcher(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* ns per operation of OPS sets (@get false) or gets. */
static double run(struct kcache *c, bool get)
{
	char buf[64];
	uint64_t t0 = now_ns();
	int i;

	for (i = 0; i < OPS; i++) {
		if (get)
			kcache_get(c, key, sizeof(key), buf, sizeof(buf));
		else
			kcache_set(c, key, sizeof(key), value, sizeof(value),
				   KCACHE_TTL_NONE);
	}
	return (double)(now_ns() - t0) / OPS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp);
	return v[ROUNDS / 2];
}

int main(void)
{
	static const char *const state[] = { "none", "watched", "masked" };
	double t[3][2][ROUNDS];
	char name[64];
	struct kcache *c;
	int r, s, op, err;
	pid_t pid;

	KCACHE_OPTS(opts, .max_size = 16);
	snprintf(name, sizeof(name), "event-cost-%d", (int)getpid());
	memset(value, 'v', sizeof(value));
	err = kcache_open(name, &opts, &c);
	if (err) {
		fprintf(stderr, "event-cost: %s\n", kcache_strerror(err));
		return 2;
	}
	kcache_set(c, key, sizeof(key), value, sizeof(value),
		   KCACHE_TTL_NONE);

	for (r = 0; r < ROUNDS; r++) {
		for (s = 0; s < 3; s++) {
			pid = s ? start_watcher(name, s == 1) : 0;
			if (pid < 0) {
				fprintf(stderr, "event-cost: no watcher\n");
				kcache_close(c);
				kcache_destroy(name);
				return 2;
			}
			for (op = 0; op < 2; op++)
				t[s][op][r] = run(c, op);
			stop_watcher(pid);
		}
	}
	kcache_close(c);
	kcache_destroy(name);

	printf("event-cost: ns per operation (emulated), median of %d rounds of %d\n",
	       ROUNDS, OPS);
	printf("%-10s %12s %12s\n", "state", "set", "get hit");
	for (s = 0; s < 3; s++)
		printf("%-10s %12.0f %12.0f\n", state[s], median(t[s][0]),
		       median(t[s][1]));
	for (s = 1; s < 3; s++)
		printf("event-cost: %s/none: set %.2f, get %.2f\n", state[s],
		       median(t[s][0]) / median(t[0][0]),
		       median(t[s][1]) / median(t[0][1]));
	return 0;
}
