// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache-tierd: the agent of one tier on one host.
 *
 *   lrucache-tierd --config /etc/lrucache/tier/NAME.conf
 *
 * Keeps the host's kernel cache coherent with a Redis (Valkey) server or
 * a Redis Cluster, with server-assisted client-side caching in broadcast
 * mode: on each master, one connection subscribes to __redis__:invalidate
 * and a second one turns tracking on with
 *   CLIENT TRACKING on REDIRECT <subscriber id> BCAST [PREFIX p]...
 * (hiredis 0.14 speaks RESP2 only, hence the redirection). Every key in
 * an invalidation message is deleted from the kernel cache; a null
 * message (FLUSHALL, FLUSHDB) clears it.
 *
 * Nothing stale may be served while invalidations can be missed, so:
 *  - the tier is fenced (libkcache-tier reads the backend and stores
 *    nothing) until every connection is up; then the cache is cleared, the
 *    epoch bumped, and only then the state says "connected";
 *  - a loss (an error or EOF on any connection, a PING unanswered within
 *    ping_interval + timeout, a change of the cluster's masters) fences
 *    the tier, bumps the epoch and clears the cache at once; the agent
 *    then reconnects with exponential backoff (backoff_min doubling up to
 *    backoff_max, with jitter);
 *  - the state file carries a heartbeat: if the agent dies, readers fence
 *    themselves fence_after milliseconds later.
 * Documentation/lrucache/tier.rst has the whole protocol, the config file
 * in Documentation/man/lrucache-tierd.8.rst.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kcache.h"
#include "kcache_tier.h"
#include "redis_util.h"
#include "tier_state.h"

#define MAX_MASTERS	64
#define MAX_PREFIXES	16
#define CHANNEL		"__redis__:invalidate"

struct config {
	char cache[KCACHE_NAME_MAX + 1];
	int backend;
	char servers[TIER_TEXT_MAX];
	char prefix[MAX_PREFIXES][128];
	int nprefix;
	uint64_t max_ttl_ms;
	uint64_t timeout_ms;
	uint64_t ping_ms;
	uint64_t fence_ms;
	uint64_t backoff_min_ms;
	uint64_t backoff_max_ms;
	uint64_t topology_ms;
	char state_dir[1024];
	unsigned int state_mode;
	long state_gid;
	uint64_t max_entries;
	uint64_t max_memory;
	unsigned int cache_mode;
};

/* One master: the subscriber and the tracking connection. */
struct conn {
	redisContext *ctx;
	uint64_t last_reply_ms;		/* a PING answered, or anything read */
	uint64_t ping_sent_ms;		/* 0: none outstanding */
};

struct master {
	struct tier_addr addr;
	struct conn sub, trk;
};

static volatile sig_atomic_t stop;
/*
 * The cache was destroyed under us (-EIDRM): our deletes reach nothing,
 * while processes that open the name again get a new cache. Treated as a
 * loss: fence, open the new cache, clear it, reconnect.
 */
static bool cache_gone;
static const char *prog = "lrucache-tierd";

static struct config cfg;
static struct kcache *cache;
static struct tier_state *st, *apps;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s[%s]: ", prog, cfg.cache);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the config file ---------------------------------------------------- */

/* "250", "250ms", "2s", "1m": milliseconds, or -1. */
static int64_t parse_ms(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v > (1ULL << 40))
		return -1;
	if (!*end || !strcmp(end, "ms"))
		return (int64_t)v;
	if (!strcmp(end, "s"))
		return (int64_t)v * 1000;
	if (!strcmp(end, "m"))
		return (int64_t)v * 60000;
	return -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int set_key(const char *key, const char *val)
{
	int64_t ms;
	uint64_t u;

#define MS(name, field)						\
	if (!strcmp(key, name)) {				\
		ms = parse_ms(val);				\
		if (ms <= 0)					\
			return -1;				\
		cfg.field = (uint64_t)ms;			\
		return 0;					\
	}
	MS("max_ttl", max_ttl_ms)
	MS("timeout", timeout_ms)
	MS("ping_interval", ping_ms)
	MS("fence_after", fence_ms)
	MS("backoff_min", backoff_min_ms)
	MS("backoff_max", backoff_max_ms)
	MS("topology_interval", topology_ms)
#undef MS
	if (!strcmp(key, "cache")) {
		if (strlen(val) > KCACHE_NAME_MAX || !*val)
			return -1;
		strcpy(cfg.cache, val);
	} else if (!strcmp(key, "backend")) {
		if (!strcmp(val, "redis") || !strcmp(val, "valkey"))
			cfg.backend = KCACHE_TIER_REDIS;
		else if (!strcmp(val, "redis-cluster") ||
			 !strcmp(val, "valkey-cluster"))
			cfg.backend = KCACHE_TIER_REDIS_CLUSTER;
		else if (!strcmp(val, "memcached"))
			cfg.backend = KCACHE_TIER_MEMCACHED;
		else
			return -1;
	} else if (!strcmp(key, "servers")) {
		struct tier_addr a[MAX_MASTERS];

		if (strlen(val) >= sizeof(cfg.servers) ||
		    tier_parse_servers(val, a, MAX_MASTERS) < 0)
			return -1;
		strcpy(cfg.servers, val);
	} else if (!strcmp(key, "prefix")) {
		if (cfg.nprefix == MAX_PREFIXES ||
		    strlen(val) >= sizeof(cfg.prefix[0]) || !*val)
			return -1;
		strcpy(cfg.prefix[cfg.nprefix++], val);
	} else if (!strcmp(key, "state_dir")) {
		if (strlen(val) >= sizeof(cfg.state_dir) || val[0] != '/')
			return -1;
		strcpy(cfg.state_dir, val);
	} else if (!strcmp(key, "state_mode") || !strcmp(key, "cache_mode")) {
		if (parse_u64(val, &u) || u > 0777)
			return -1;
		if (key[0] == 's')
			cfg.state_mode = (unsigned int)u;
		else
			cfg.cache_mode = (unsigned int)u;
	} else if (!strcmp(key, "state_group")) {
		struct group *g = getgrnam(val);

		if (!g)
			return -1;
		cfg.state_gid = (long)g->gr_gid;
	} else if (!strcmp(key, "max_entries")) {
		if (parse_u64(val, &cfg.max_entries))
			return -1;
	} else if (!strcmp(key, "max_memory")) {
		if (parse_u64(val, &cfg.max_memory))
			return -1;
	} else {
		return -2;
	}
	return 0;
}

static int read_config(const char *path)
{
	char line[1024], *k, *v, *eq;
	int lineno = 0, r;
	FILE *f;

	cfg = (struct config){
		.max_ttl_ms = KCACHE_TIER_MAX_TTL_DEFAULT_MS,
		.timeout_ms = KCACHE_TIER_TIMEOUT_DEFAULT_MS,
		.ping_ms = 1000,
		.fence_ms = 3000,
		.backoff_min_ms = 100,
		.backoff_max_ms = 10000,
		.topology_ms = 5000,
		.state_mode = 0666,
		.state_gid = -1,
	};
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		k = trim(line);
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			fprintf(stderr, "%s: %s:%d: expected NAME = VALUE\n",
				prog, path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		r = set_key(k, v);
		if (r) {
			fprintf(stderr, "%s: %s:%d: %s '%s'\n", prog, path,
				lineno, r == -2 ? "unknown setting" :
				"bad value for", k);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (!cfg.cache[0] || !cfg.backend || !cfg.servers[0]) {
		fprintf(stderr, "%s: %s: cache, backend and servers are "
			"required\n", prog, path);
		return -1;
	}
	if (cfg.backoff_max_ms < cfg.backoff_min_ms)
		cfg.backoff_max_ms = cfg.backoff_min_ms;
	/* A fence shorter than a few heartbeats would fence a live agent. */
	if (cfg.fence_ms < 500)
		cfg.fence_ms = 500;
	return 0;
}

/* ---- state -------------------------------------------------------------- */

static uint64_t heartbeat_interval(void)
{
	return cfg.fence_ms / 4;
}

static void heartbeat(void)
{
	tier_store(&st->heartbeat_ms, tier_now_ms());
}

static void clear_cache(void)
{
	int err;

	if (!cache)
		return;
	err = kcache_clear(cache);

	if (err == -EIDRM)
		cache_gone = true;
	else if (err)
		logmsg("clearing the cache failed: %s", kcache_strerror(err));
	tier_add(&st->flushes, 1);
}

/*
 * Fence: from now on readers use the backend only; fills in flight are
 * refused (the clear revokes their leases); what the cache holds may be
 * stale.
 */
static void fence(uint64_t new_state, const char *why)
{
	tier_store(&st->agent_state, new_state);
	tier_store(&st->connected_since, 0);
	tier_add(&st->epoch, 1);
	clear_cache();
	if (why)
		tier_state_set_text(st, st->last_error, why);
}

static void invalidate(const char *key, size_t klen)
{
	/*
	 * Present or absent, the delete revokes the key's lease: a fill
	 * that read the old value stores nothing.
	 */
	if (kcache_delete(cache, key, klen) == -EIDRM)
		cache_gone = true;
	tier_add(&st->invalidations, 1);
}

/* ---- the connections ---------------------------------------------------- */

static void conn_close(struct conn *c)
{
	redisFree(c->ctx);
	c->ctx = NULL;
	c->ping_sent_ms = 0;
}

static void masters_close(struct master *m, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		conn_close(&m[i].sub);
		conn_close(&m[i].trk);
	}
}

static int fail(char *why, size_t len, const redisContext *c,
		const struct tier_addr *a, const char *what)
{
	snprintf(why, len, "%.200s:%d: %s: %.120s", a->host, a->port, what,
		 c && c->errstr[0] ? c->errstr : "unexpected reply");
	return -EIO;
}

/* Subscribe one master's invalidations and turn its tracking on. */
static int master_open(struct master *m, char *why, size_t len)
{
	const char *argv[6 + 2 * MAX_PREFIXES];
	char idbuf[24];
	redisReply *r;
	long long id;
	int err, argc = 0, i;
	bool ok;

	m->sub.ctx = tier_redis_connect(&m->addr, (unsigned int)cfg.timeout_ms,
					&err, why, len);
	if (!m->sub.ctx)
		return err;
	r = redisCommand(m->sub.ctx, "CLIENT ID");
	if (!r || r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return fail(why, len, m->sub.ctx, &m->addr, "CLIENT ID");
	}
	id = r->integer;
	freeReplyObject(r);
	r = redisCommand(m->sub.ctx, "SUBSCRIBE " CHANNEL);
	ok = r && r->type == REDIS_REPLY_ARRAY;
	freeReplyObject(r);
	if (!ok)
		return fail(why, len, m->sub.ctx, &m->addr, "SUBSCRIBE");

	m->trk.ctx = tier_redis_connect(&m->addr, (unsigned int)cfg.timeout_ms,
					&err, why, len);
	if (!m->trk.ctx)
		return err;
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	argv[argc++] = "CLIENT";
	argv[argc++] = "TRACKING";
	argv[argc++] = "on";
	argv[argc++] = "REDIRECT";
	argv[argc++] = idbuf;
	argv[argc++] = "BCAST";
	for (i = 0; i < cfg.nprefix; i++) {
		argv[argc++] = "PREFIX";
		argv[argc++] = cfg.prefix[i];
	}
	r = redisCommandArgv(m->trk.ctx, argc, argv, NULL);
	ok = r && r->type == REDIS_REPLY_STATUS;
	if (r && r->type == REDIS_REPLY_ERROR)
		snprintf(why, len, "%.200s:%d: CLIENT TRACKING: %.200s", m->addr.host,
			 m->addr.port, r->str);
	freeReplyObject(r);
	if (!ok)
		return r ? -EPROTO : fail(why, len, m->trk.ctx, &m->addr,
					  "CLIENT TRACKING");
	m->sub.last_reply_ms = m->trk.last_reply_ms = tier_now_ms();
	return 0;
}

/* An invalidation message, or a PING's answer on the subscriber. */
static int handle_sub_reply(redisReply *r)
{
	redisReply *payload;
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return -EPROTO;
	if (!strcasecmp(r->element[0]->str, "pong"))
		return 0;
	if (strcmp(r->element[0]->str, "message") || r->elements != 3)
		return 0;	/* other pub/sub chatter */
	tier_add(&st->invalidation_msgs, 1);
	payload = r->element[2];
	if (payload->type == REDIS_REPLY_NIL) {
		/* FLUSHALL or FLUSHDB: everything may have changed. */
		tier_add(&st->epoch, 1);
		clear_cache();
		return 0;
	}
	if (payload->type == REDIS_REPLY_STRING) {
		invalidate(payload->str, payload->len);
		return 0;
	}
	if (payload->type != REDIS_REPLY_ARRAY)
		return -EPROTO;
	for (i = 0; i < payload->elements; i++)
		if (payload->element[i]->type == REDIS_REPLY_STRING)
			invalidate(payload->element[i]->str,
				   payload->element[i]->len);
	return 0;
}

/* Read what arrived on @c: 0, or -errno (the connection is lost). */
static int conn_read(struct conn *c, bool subscriber, char *why, size_t len,
		     const struct tier_addr *a)
{
	redisReply *r;
	int err;

	if (redisBufferRead(c->ctx) != REDIS_OK)
		return fail(why, len, c->ctx, a, "read");
	for (;;) {
		r = NULL;
		if (redisGetReplyFromReader(c->ctx, (void **)&r) != REDIS_OK)
			return fail(why, len, c->ctx, a, "protocol");
		if (!r)
			return 0;
		c->last_reply_ms = tier_now_ms();
		c->ping_sent_ms = 0;
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(why, len, "%.200s:%d: %.200s", a->host,
				 a->port, r->str);
			freeReplyObject(r);
			return -EIO;
		}
		err = subscriber ? handle_sub_reply(r) : 0;
		freeReplyObject(r);
		if (err)
			return fail(why, len, NULL, a, "unexpected message");
	}
}

static int conn_ping(struct conn *c, char *why, size_t len,
		     const struct tier_addr *a)
{
	int done = 0;

	if (redisAppendCommand(c->ctx, "PING") != REDIS_OK)
		return fail(why, len, c->ctx, a, "PING");
	while (!done)
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK)
			return fail(why, len, c->ctx, a, "PING");
	c->ping_sent_ms = tier_now_ms();
	return 0;
}

/* The masters of the backend now. */
static int get_masters(struct master *m, char *why, size_t len)
{
	struct tier_addr a[MAX_MASTERS];
	int n, i;

	n = tier_redis_masters(cfg.servers,
			       cfg.backend == KCACHE_TIER_REDIS_CLUSTER,
			       (unsigned int)cfg.timeout_ms, a, MAX_MASTERS,
			       why, len);
	if (n <= 0)
		return n ? n : -EAGAIN;
	for (i = 0; i < n; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].addr = a[i];
	}
	return n;
}

static bool same_masters(const struct master *m, int n)
{
	struct master now[MAX_MASTERS];
	char why[256];
	int k, i, j;

	k = get_masters(now, why, sizeof(why));
	if (k < 0)
		return true;	/* cannot tell: the connections will */
	if (k != n)
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (now[j].addr.port == m[i].addr.port &&
			    !strcmp(now[j].addr.host, m[i].addr.host))
				break;
		if (j == n)
			return false;
	}
	return true;
}

/* Wait for @ms, keeping the heartbeat; false if asked to stop. */
static bool idle(uint64_t ms)
{
	uint64_t end = tier_now_ms() + ms, now;

	while (!stop && (now = tier_now_ms()) < end) {
		uint64_t step = end - now;

		if (step > heartbeat_interval())
			step = heartbeat_interval();
		poll(NULL, 0, (int)step);
		heartbeat();
	}
	return !stop;
}

/*
 * One connected session: returns when a connection is lost (or on stop),
 * with the reason in @why. The caller fences.
 */
static int session(char *why, size_t len)
{
	struct master m[MAX_MASTERS];
	struct pollfd pfd[2 * MAX_MASTERS];
	uint64_t next_ping, next_topology, now;
	int n, i, err = 0, rc;
	char servers[TIER_TEXT_MAX] = "";

	tier_store(&st->agent_state, TIER_AGENT_CONNECTING);
	n = get_masters(m, why, len);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		err = master_open(&m[i], why, len);
		if (err) {
			masters_close(m, n);
			return err;
		}
		snprintf(servers + strlen(servers),
			 sizeof(servers) - strlen(servers), "%s%.64s:%d",
			 i ? "," : "", m[i].addr.host, m[i].addr.port);
	}
	/*
	 * Every invalidation from now on reaches us: what the cache holds
	 * from before may be stale. Clear it, then let readers in.
	 */
	clear_cache();
	tier_add(&st->epoch, 1);
	tier_store(&st->nodes, (uint64_t)n);
	tier_store(&st->connected_since, tier_realtime_ms());
	tier_add(&st->connects, 1);
	tier_state_set_text(st, st->last_error, "");
	heartbeat();
	tier_store(&st->agent_state, TIER_AGENT_CONNECTED);
	logmsg("connected: tracking %d master%s (%s)", n, n == 1 ? "" : "s",
	       servers);

	next_ping = tier_now_ms() + cfg.ping_ms;
	next_topology = tier_now_ms() + cfg.topology_ms;
	while (!stop && !err) {
		for (i = 0; i < n; i++) {
			pfd[2 * i] = (struct pollfd){ m[i].sub.ctx->fd, POLLIN, 0 };
			pfd[2 * i + 1] = (struct pollfd){ m[i].trk.ctx->fd, POLLIN, 0 };
		}
		rc = poll(pfd, (nfds_t)(2 * n), (int)heartbeat_interval());
		now = tier_now_ms();
		heartbeat();
		if (rc < 0 && errno != EINTR) {
			snprintf(why, len, "poll: %s", strerror(errno));
			err = -errno;
			break;
		}
		for (i = 0; rc > 0 && i < n && !err; i++) {
			if (pfd[2 * i].revents)
				err = conn_read(&m[i].sub, true, why, len,
						&m[i].addr);
			if (!err && pfd[2 * i + 1].revents)
				err = conn_read(&m[i].trk, false, why, len,
						&m[i].addr);
		}
		if (!err && cache_gone) {
			snprintf(why, len, "cache %s was destroyed", cfg.cache);
			err = -EIDRM;
		}
		if (err)
			break;
		/* A PING unanswered for a whole interval plus the timeout. */
		for (i = 0; i < n; i++) {
			struct conn *c[2] = { &m[i].sub, &m[i].trk };

			for (int j = 0; j < 2; j++)
				if (c[j]->ping_sent_ms &&
				    now > c[j]->ping_sent_ms + cfg.ping_ms +
					  cfg.timeout_ms) {
					snprintf(why, len, "%.200s:%d: no answer "
						 "to PING", m[i].addr.host,
						 m[i].addr.port);
					err = -ETIMEDOUT;
				}
		}
		if (!err && now >= next_ping) {
			for (i = 0; i < n && !err; i++) {
				if (!m[i].sub.ping_sent_ms)
					err = conn_ping(&m[i].sub, why, len,
							&m[i].addr);
				if (!err && !m[i].trk.ping_sent_ms)
					err = conn_ping(&m[i].trk, why, len,
							&m[i].addr);
			}
			next_ping = now + cfg.ping_ms;
		}
		if (!err && cfg.backend == KCACHE_TIER_REDIS_CLUSTER &&
		    now >= next_topology) {
			if (!same_masters(m, n)) {
				snprintf(why, len, "the cluster's masters "
					 "changed");
				err = -EAGAIN;
			}
			next_topology = now + cfg.topology_ms;
		}
	}
	masters_close(m, n);
	return err;
}

/* memcached pushes nothing: the agent only publishes the tier's state. */
static int publish_only(void)
{
	clear_cache();
	tier_add(&st->epoch, 1);
	tier_store(&st->connected_since, tier_realtime_ms());
	tier_store(&st->nodes, 0);
	heartbeat();
	tier_store(&st->agent_state, TIER_AGENT_CONNECTED);
	logmsg("memcached tier: publishing its state only (no invalidations)");
	while (idle(heartbeat_interval()))
		;
	return 0;
}

static int open_cache(void)
{
	KCACHE_OPTS(o, .max_size = cfg.max_entries,
		    .max_memory_bytes = cfg.max_memory,
		    .mode = cfg.cache_mode);
	int err = kcache_open(cfg.cache, &o, &cache);

	if (err)
		fprintf(stderr, "%s: cache %s: %s\n", prog, cfg.cache,
			kcache_strerror(err));
	return err;
}

/* The cache again, created anew, after a destroy: retried while it fails. */
static void reopen_cache(void)
{
	tier_store(&st->agent_state, TIER_AGENT_BACKOFF);
	tier_add(&st->epoch, 1);
	kcache_close(cache);
	cache = NULL;
	while (!stop && open_cache())
		idle(cfg.backoff_max_ms);
	cache_gone = false;
	logmsg("cache %s opened again", cfg.cache);
}

static int open_state(void)
{
	const char *dir = tier_state_dir(cfg.state_dir[0] ? cfg.state_dir :
					 NULL);
	char path[4096], prefixes[TIER_TEXT_MAX] = "";
	int err, i;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		/* Its parent too (/run/lrucache), once. */
		char parent[4096];
		char *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			mkdir(parent, 0755);
		}
		if (mkdir(dir, 0755) && errno != EEXIST) {
			fprintf(stderr, "%s: %s: %s\n", prog, dir,
				strerror(errno));
			return -errno;
		}
	}
	/* Ours alone: readers trust its state and epoch. */
	err = tier_state_path(dir, cfg.cache, NULL, path, sizeof(path));
	if (!err)
		err = tier_state_create(path, 0644, -1, &st);
	/* The processes' counters. */
	if (!err)
		err = tier_state_path(dir, cfg.cache, TIER_APPS_SUFFIX, path,
				      sizeof(path));
	if (!err)
		err = tier_state_create(path, cfg.state_mode, cfg.state_gid,
					&apps);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-err));
		return err;
	}
	for (i = 0; i < cfg.nprefix; i++)
		snprintf(prefixes + strlen(prefixes),
			 sizeof(prefixes) - strlen(prefixes), "%s%s",
			 i ? " " : "", cfg.prefix[i]);
	tier_store(&st->agent_state, TIER_AGENT_CONNECTING);
	tier_store(&st->agent_pid, (uint64_t)getpid());
	tier_store(&st->fence_ms, cfg.fence_ms);
	tier_store(&st->max_ttl_ms, cfg.max_ttl_ms);
	tier_store(&st->backend, (uint64_t)cfg.backend);
	tier_state_set_text(st, st->servers, cfg.servers);
	tier_state_set_text(st, st->prefixes, prefixes);
	tier_state_set_text(st, st->last_error, "");
	heartbeat();
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s --config FILE\n\n"
		"The agent of one lrucache tier (see lrucache-tierd(8)).\n",
		prog);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t backoff, started;
	const char *config = NULL;
	char why[512];
	int err, i;

	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) &&
		    i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!config) {
		usage(stderr);
		return 2;
	}
	if (read_config(config))
		return 2;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (open_cache() || open_state())
		return 1;
	srandom((unsigned int)(getpid() ^ tier_now_ms()));

	/* The cache may hold anything from before us: fenced and cleared. */
	fence(TIER_AGENT_CONNECTING, NULL);
	backoff = cfg.backoff_min_ms;
	if (cfg.backend == KCACHE_TIER_MEMCACHED) {
		publish_only();
	} else {
		while (!stop) {
			started = tier_now_ms();
			why[0] = '\0';
			err = session(why, sizeof(why));
			if (stop)
				break;
			tier_add(&st->connect_failures,
				 st->agent_state == TIER_AGENT_CONNECTED ? 0 : 1);
			if (cache_gone)
				reopen_cache();
			fence(TIER_AGENT_BACKOFF, why);
			/* A session that lasted resets the backoff. */
			if (tier_now_ms() - started > cfg.backoff_max_ms)
				backoff = cfg.backoff_min_ms;
			logmsg("%s (%s); fenced, cache cleared, retrying in "
			       "%" PRIu64 " ms", why[0] ? why : "lost",
			       strerror(-err), backoff);
			if (!idle(backoff / 2 + (uint64_t)random() %
				  (backoff / 2 + 1)))
				break;
			backoff = backoff * 2 > cfg.backoff_max_ms ?
				  cfg.backoff_max_ms : backoff * 2;
		}
	}
	if (cache)
		fence(TIER_AGENT_STOPPED, "stopped");
	else
		tier_store(&st->agent_state, TIER_AGENT_STOPPED);
	logmsg("stopped");
	tier_state_unmap(st);
	tier_state_unmap(apps);
	kcache_close(cache);
	return 0;
}
