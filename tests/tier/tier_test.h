/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the tier tests (the programs of tests/tier/). They run in the VM, under
 * tests/vm/tier, which starts the servers and the agents and says where
 * they are in the environment:
 *   TIER_REDIS       host:port of a standalone redis-server
 *   TIER_CLUSTER     host:port,... of the three masters of a Redis Cluster
 *   TIER_MEMCACHED   host:port,host:port of two memcached servers
 *   TIER_CACHE_R     the cache whose agent tracks TIER_REDIS
 *   TIER_CACHE_C     the cache whose agent tracks TIER_CLUSTER
 *   TIER_AGENT       the lrucache-tierd to start (restart tests)
 *   TIER_TMP         a scratch directory
 *   KCACHE_TIER_DIR  the agents' state files
 * A test whose server is not given is skipped. Every test gets minutes
 * (TEST_F_TIMEOUT), not the harness's 30 s: a TCG guest on a loaded host
 * is slow, and nothing here is timed for pass or fail.
 */
#ifndef LRUCACHE_TESTS_TIER_H
#define LRUCACHE_TESTS_TIER_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kcache.h"
#include "kcache_tier.h"

/*
 * First line of every test body: the harness of older kernels (6.1's)
 * runs the body even after its setup said SKIP (missing servers), on a
 * half-made fixture. Newer harnesses (the one that has XFAIL_ADD, 6.9
 * on) stop after a setup that skipped, and their metadata has no skip
 * field any more: exit_code says it.
 */
#ifdef XFAIL_ADD
#define NEEDS_SETUP() do { } while (0)
#else
#define NEEDS_SETUP() do { if (_metadata->skip) return; } while (0)
#endif

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static inline void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A hiredis connection to "host:port" (the first of a list). */
static inline redisContext *rconnect(const char *addr)
{
	char host[256];
	const char *colon;
	size_t hl;

	colon = strchr(addr, ':');
	if (!colon)
		return NULL;
	hl = (size_t)(colon - addr);
	if (hl >= sizeof(host))
		return NULL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	return redisConnect(host, atoi(colon + 1));
}

/* Run a command, 0 if its reply is not an error. */
static inline int rdo(redisContext *c, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;
	int ok;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ok = r && r->type != REDIS_REPLY_ERROR;
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* The tier's agent-side figures, through the public stats. */
static inline struct kcache_tier_stats tstats(struct kcache_tier *t)
{
	struct kcache_tier_stats s;

	kcache_tier_get_stats(t, &s);
	return s;
}

/*
 * Wait (at most @ms) until a write made after @before was taken is
 * "delivered" here: the agent invalidated more keys than it had then, or
 * its epoch moved (it lost or regained its connection, and cleared the
 * cache, after the write: nothing older can be served either).
 */
static inline bool wait_delivered(struct kcache_tier *t,
				  struct kcache_tier_stats before,
				  unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	struct kcache_tier_stats s;

	while (now_ms() < end) {
		s = tstats(t);
		if (s.invalidations > before.invalidations ||
		    s.epoch != before.epoch)
			return true;
		msleep(1);
	}
	return false;
}

/*
 * Another host's write, and its invalidation applied here: a read after
 * it cannot have its fill refused because of this write (which a read
 * racing the invalidation would, rightly). 0, or -1.
 */
static inline int wdo(struct kcache_tier *t, redisContext *w,
		      const char *fmt, ...)
{
	struct kcache_tier_stats before = tstats(t);
	redisReply *r;
	va_list ap;
	int ok;

	va_start(ap, fmt);
	r = redisvCommand(w, fmt, ap);
	va_end(ap);
	ok = r && r->type != REDIS_REPLY_ERROR;
	freeReplyObject(r);
	return ok && wait_delivered(t, before, 10000) ? 0 : -1;
}

/* Wait (at most @ms) until the tier's L1 is usable (1) or fenced (0). */
static inline bool wait_usable(struct kcache_tier *t, uint64_t want,
			       unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (tstats(t).usable == want)
			return true;
		msleep(10);
	}
	return false;
}

/* Start a program in the background, output to @log: its pid, or -1. */
static inline pid_t spawn(const char *log, char *const argv[])
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setsid();
	execv(argv[0], argv);
	_exit(127);
}

static inline void reap(pid_t pid, int sig)
{
	if (pid > 0) {
		kill(pid, sig);
		waitpid(pid, NULL, 0);
	}
}

/* A redis-server of our own on 127.0.0.1:@port, ready: its pid or -1. */
static inline pid_t start_redis(const char *log, int port)
{
	char portarg[16];
	char *argv[] = { "/usr/bin/redis-server", "--port", portarg, "--bind",
			 "127.0.0.1", "--save", "", "--appendonly", "no", NULL };
	pid_t pid;
	uint64_t end;
	redisContext *c;

	snprintf(portarg, sizeof(portarg), "%d", port);
	pid = spawn(log, argv);
	end = now_ms() + 60000;	/* a loaded TCG host is slow */

	while (now_ms() < end) {
		c = redisConnect("127.0.0.1", port);
		if (c && !c->err && !rdo(c, "PING")) {
			redisFree(c);
			return pid;
		}
		redisFree(c);
		msleep(50);
	}
	reap(pid, SIGKILL);
	return -1;
}

static inline pid_t start_agent(const char *conf, const char *log)
{
	char *argv[] = { (char *)getenv("TIER_AGENT"), "--config",
			 (char *)conf, NULL };

	return spawn(log, argv);
}

/* Open (creating) cache @name and a tier on it. */
static inline int tier_open_on(const char *name,
			       const struct kcache_tier_options *o,
			       struct kcache **c, struct kcache_tier **t)
{
	KCACHE_OPTS(co, .max_size = 10000);
	int err = kcache_open(name, &co, c);

	if (err)
		return err;
	err = kcache_tier_open(*c, o, t);
	if (err)
		kcache_close(*c);
	return err;
}

/* A string get through the tier, NUL-terminated in @buf. */
static inline ssize_t tget(struct kcache_tier *t, const char *key, char *buf,
			   size_t size)
{
	ssize_t n = kcache_tier_get(t, key, strlen(key), buf, size - 1);

	if (n >= 0 && (size_t)n < size)
		buf[n] = '\0';
	return n;
}

/* A string get straight from the kernel cache. */
static inline ssize_t kget(struct kcache *c, const char *key, char *buf,
			   size_t size)
{
	ssize_t n = kcache_get(c, key, strlen(key), buf, size - 1);

	if (n >= 0 && (size_t)n < size)
		buf[n] = '\0';
	return n;
}

#endif /* LRUCACHE_TESTS_TIER_H */
