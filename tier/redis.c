// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The Redis backend of a tier: one server (Redis, Valkey), or a Redis
 * Cluster. hiredis speaks the protocol (connections, commands, replies,
 * pipelining). hiredis 0.14, the version Debian 12 packages, has no
 * cluster support and Debian packages no cluster client library for C, so
 * the cluster part is written here, and only it:
 *  - the key's slot: CRC16 (XMODEM) of the key, or of its hash tag (the
 *    bytes between the first '{' and the next '}', if not empty), mod 16384;
 *  - the slot map: CLUSTER SLOTS from any node that answers, one
 *    connection per master, opened when first needed;
 *  - redirections: -MOVED (the slot moved for good: update the map, and
 *    read the whole map again before the next command) and -ASK (the slot
 *    is being migrated: send ASKING then the command to the named node,
 *    for this command only); -TRYAGAIN and -CLUSTERDOWN are retried a few
 *    times after a short sleep, then reported as -EAGAIN.
 * A standalone server is the same code with one node and no slots.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "backend.h"
#include "redis_util.h"

#define CLUSTER_SLOTS		16384
#define MAX_REDIRECTS		5
#define MAX_NODES		256

struct rnode {
	char host[256];
	int port;
	redisContext *ctx;
};

struct redis_backend {
	struct tier_backend base;
	bool cluster;
	unsigned int timeout_ms;
	int nnodes;
	struct rnode *nodes[MAX_NODES];
	struct tier_addr seeds[16];
	int nseeds;
	bool need_refresh;
	int16_t slots[CLUSTER_SLOTS];	/* node index, -1: unknown */
};

static void set_error(struct redis_backend *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct redis_backend *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->base.error, sizeof(b->base.error), fmt, ap);
	va_end(ap);
}

/* CRC16-CCITT (XMODEM), polynomial 0x1021, as Redis Cluster hashes keys. */
static uint16_t crc16(const unsigned char *p, size_t n)
{
	uint16_t crc = 0;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (j = 0; j < 8; j++)
			crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) :
					     (uint16_t)(crc << 1);
	}
	return crc;
}

unsigned int tier_redis_key_slot(const void *key, size_t klen)
{
	const unsigned char *k = key;
	size_t s, e;

	for (s = 0; s < klen && k[s] != '{'; s++)
		;
	if (s < klen) {
		for (e = s + 1; e < klen && k[e] != '}'; e++)
			;
		if (e < klen && e > s + 1)
			return crc16(k + s + 1, e - s - 1) & (CLUSTER_SLOTS - 1);
	}
	return crc16(k, klen) & (CLUSTER_SLOTS - 1);
}

int tier_redis_ctx_errno(const redisContext *c, int saved_errno)
{
	if (!c)
		return -ENOMEM;
	switch (c->err) {
	case 0:
		return 0;
	case REDIS_ERR_IO:
		switch (saved_errno) {
		case EAGAIN:
		case EINPROGRESS:
		case ETIMEDOUT:
			return -ETIMEDOUT;
		case ECONNREFUSED:
			return -ECONNREFUSED;
		case EHOSTUNREACH:
		case ENETUNREACH:
			return -EHOSTUNREACH;
		default:
			return -EIO;
		}
	case REDIS_ERR_OOM:
		return -ENOMEM;
	case REDIS_ERR_PROTOCOL:
		return -EPROTO;
	default:
		/* EOF, and "Connection refused" reported as OTHER by connect. */
		if (strstr(c->errstr, "refused"))
			return -ECONNREFUSED;
		if (strstr(c->errstr, "timed out"))
			return -ETIMEDOUT;
		return -EIO;
	}
}

redisContext *tier_redis_connect(const struct tier_addr *a,
				 unsigned int timeout_ms, int *err,
				 char *msg, size_t msglen)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	redisContext *c;

	errno = 0;
	c = redisConnectWithTimeout(a->host, a->port, tv);
	if (!c || c->err) {
		*err = tier_redis_ctx_errno(c, errno);
		snprintf(msg, msglen, "%s:%d: %s", a->host, a->port,
			 c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK ||
	    redisEnableKeepAlive(c) != REDIS_OK) {
		*err = -EIO;
		snprintf(msg, msglen, "%s:%d: %s", a->host, a->port,
			 c->errstr);
		redisFree(c);
		return NULL;
	}
	*err = 0;
	return c;
}

int tier_parse_servers(const char *servers, struct tier_addr *addrs, int max)
{
	const char *p = servers, *end, *colon;
	size_t hl;
	char *ep;
	long port;
	int n = 0;

	if (!servers || !*servers)
		return -EINVAL;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		end = p + strcspn(p, ", ");
		colon = NULL;
		for (const char *q = p; q < end; q++)
			if (*q == ':')
				colon = q;
		if (!colon || colon == p || n == max)
			return -EINVAL;
		hl = (size_t)(colon - p);
		if (hl >= sizeof(addrs[n].host))
			return -EINVAL;
		/* [v6]:port */
		if (p[0] == '[' && colon[-1] == ']') {
			memcpy(addrs[n].host, p + 1, hl - 2);
			addrs[n].host[hl - 2] = '\0';
		} else {
			memcpy(addrs[n].host, p, hl);
			addrs[n].host[hl] = '\0';
		}
		errno = 0;
		port = strtol(colon + 1, &ep, 10);
		if (errno || ep != end || port < 1 || port > 65535)
			return -EINVAL;
		addrs[n++].port = (int)port;
		p = end;
	}
	return n ? n : -EINVAL;
}

static int node_index(struct redis_backend *b, const char *host, int port)
{
	struct rnode *nd;
	int i;

	for (i = 0; i < b->nnodes; i++)
		if (b->nodes[i]->port == port && !strcmp(b->nodes[i]->host, host))
			return i;
	if (b->nnodes == MAX_NODES || strlen(host) >= sizeof(nd->host))
		return -ENOSPC;
	nd = calloc(1, sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	strcpy(nd->host, host);
	nd->port = port;
	b->nodes[b->nnodes] = nd;
	return b->nnodes++;
}

static void node_drop(struct rnode *nd)
{
	redisFree(nd->ctx);
	nd->ctx = NULL;
}

static int node_ctx(struct redis_backend *b, struct rnode *nd)
{
	struct tier_addr a;
	int err;

	if (nd->ctx)
		return 0;
	snprintf(a.host, sizeof(a.host), "%s", nd->host);
	a.port = nd->port;
	nd->ctx = tier_redis_connect(&a, b->timeout_ms, &err, b->base.error,
				     sizeof(b->base.error));
	return err;
}

/* A reply that failed the connection: the error, and the node dropped. */
static int node_io_error(struct redis_backend *b, struct rnode *nd)
{
	int err = tier_redis_ctx_errno(nd->ctx, errno);

	set_error(b, "%s:%d: %s", nd->host, nd->port, nd->ctx->errstr);
	node_drop(nd);
	if (b->cluster)
		b->need_refresh = true;	/* perhaps a failover */
	return err ? err : -EIO;
}

/*
 * The slot map, from CLUSTER SLOTS of the first node (known masters first,
 * then the seeds) that answers.
 */
static int cluster_refresh(struct redis_backend *b)
{
	struct tier_addr cand[MAX_NODES + 16];
	int ncand = 0, i, err = -EHOSTUNREACH;

	for (i = 0; i < b->nnodes && ncand < MAX_NODES; i++) {
		snprintf(cand[ncand].host, sizeof(cand[ncand].host), "%s",
			 b->nodes[i]->host);
		cand[ncand++].port = b->nodes[i]->port;
	}
	for (i = 0; i < b->nseeds; i++)
		cand[ncand++] = b->seeds[i];
	for (i = 0; i < ncand; i++) {
		int idx = node_index(b, cand[i].host, cand[i].port);
		redisReply *r;
		size_t j;

		if (idx < 0)
			return idx;
		err = node_ctx(b, b->nodes[idx]);
		if (err)
			continue;
		r = redisCommand(b->nodes[idx]->ctx, "CLUSTER SLOTS");
		if (!r) {
			err = node_io_error(b, b->nodes[idx]);
			continue;
		}
		if (r->type != REDIS_REPLY_ARRAY) {
			set_error(b, "%s:%d: CLUSTER SLOTS: %s",
				  cand[i].host, cand[i].port,
				  r->type == REDIS_REPLY_ERROR ? r->str :
				  "unexpected reply");
			freeReplyObject(r);
			err = -EPROTO;
			continue;
		}
		for (j = 0; j < CLUSTER_SLOTS; j++)
			b->slots[j] = -1;
		err = 0;
		for (j = 0; j < r->elements && !err; j++) {
			redisReply *e = r->element[j], *m;
			long long s, t;
			int owner;

			if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
			    e->element[2]->type != REDIS_REPLY_ARRAY ||
			    e->element[2]->elements < 2) {
				err = -EPROTO;
				break;
			}
			m = e->element[2];
			s = e->element[0]->integer;
			t = e->element[1]->integer;
			if (s < 0 || t >= CLUSTER_SLOTS || s > t ||
			    m->element[0]->type != REDIS_REPLY_STRING) {
				err = -EPROTO;
				break;
			}
			/* An empty host means "the node you asked". */
			owner = node_index(b, m->element[0]->len ?
					   m->element[0]->str : cand[i].host,
					   (int)m->element[1]->integer);
			if (owner < 0) {
				err = owner;
				break;
			}
			for (; s <= t; s++)
				b->slots[s] = (int16_t)owner;
		}
		freeReplyObject(r);
		if (!err) {
			b->need_refresh = false;
			return 0;
		}
		set_error(b, "%s:%d: CLUSTER SLOTS: malformed reply",
			  cand[i].host, cand[i].port);
	}
	return err;
}

static int owner_of(struct redis_backend *b, const void *key, size_t klen)
{
	int idx;

	if (!b->cluster)
		return 0;
	if (b->need_refresh)
		cluster_refresh(b);	/* the old map stays if it fails */
	idx = b->slots[tier_redis_key_slot(key, klen)];
	if (idx < 0) {
		set_error(b, "no cluster node serves the key's slot");
		return -EAGAIN;
	}
	return idx;
}

/* "MOVED 3999 127.0.0.1:6381" or "ASK ...": the node, or -EPROTO. */
static int redirect_target(struct redis_backend *b, const char *msg)
{
	const char *addr = strchr(msg, ' ');
	struct tier_addr a;

	if (!addr)
		return -EPROTO;
	addr = strchr(addr + 1, ' ');
	if (!addr || tier_parse_servers(addr + 1, &a, 1) != 1)
		return -EPROTO;
	return node_index(b, a.host, a.port);
}

struct rcmd {
	int argc;
	const char *argv[6];
	size_t len[6];
};

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Run @ncmd commands about one key, pipelined, on the key's owner,
 * following redirections. On 0, replies[] holds the @ncmd replies (the
 * caller frees them); error replies other than redirections are left to
 * the caller.
 */
static int exec_key(struct redis_backend *b, const void *key, size_t klen,
		    int ncmd, struct rcmd *cmds, redisReply **replies)
{
	static const char *asking[] = { "ASKING" };
	int node = owner_of(b, key, klen), attempt, i, err;
	bool ask = false;

	for (attempt = 0; attempt <= MAX_REDIRECTS; attempt++) {
		struct rnode *nd;
		bool redirected = false;

		if (node < 0)
			return node;
		nd = b->nodes[node];
		err = node_ctx(b, nd);
		if (err) {
			if (b->cluster)
				b->need_refresh = true;
			return err;
		}
		if (ask)
			redisAppendCommandArgv(nd->ctx, 1, asking, NULL);
		for (i = 0; i < ncmd; i++)
			redisAppendCommandArgv(nd->ctx, cmds[i].argc,
					       cmds[i].argv, cmds[i].len);
		if (ask) {
			redisReply *r = NULL;

			if (redisGetReply(nd->ctx, (void **)&r) != REDIS_OK)
				return node_io_error(b, nd);
			freeReplyObject(r);
		}
		for (i = 0; i < ncmd; i++) {
			if (redisGetReply(nd->ctx, (void **)&replies[i]) !=
			    REDIS_OK) {
				err = node_io_error(b, nd);
				while (i--)
					freeReplyObject(replies[i]);
				return err;
			}
		}
		ask = false;
		if (replies[0]->type == REDIS_REPLY_ERROR && b->cluster) {
			const char *m = replies[0]->str;

			if (!strncmp(m, "MOVED ", 6)) {
				node = redirect_target(b, m);
				if (node >= 0)
					b->slots[tier_redis_key_slot(key, klen)] =
						(int16_t)node;
				b->need_refresh = true;
				redirected = true;
			} else if (!strncmp(m, "ASK ", 4)) {
				node = redirect_target(b, m);
				ask = true;
				redirected = true;
			} else if (!strncmp(m, "TRYAGAIN", 8) ||
				   !strncmp(m, "CLUSTERDOWN", 11)) {
				set_error(b, "%s", m);
				sleep_ms(20U << attempt);
				b->need_refresh = true;
				node = owner_of(b, key, klen);
				redirected = true;
				if (attempt == MAX_REDIRECTS)
					node = -EAGAIN;
			}
		}
		if (!redirected)
			return 0;
		for (i = 0; i < ncmd; i++)
			freeReplyObject(replies[i]);
	}
	set_error(b, "too many cluster redirections");
	return -EAGAIN;
}

static int reply_error(struct redis_backend *b, const redisReply *r,
		       const char *what)
{
	if (r->type == REDIS_REPLY_ERROR) {
		set_error(b, "%s: %s", what, r->str);
		if (!strncmp(r->str, "CLUSTERDOWN", 11) ||
		    !strncmp(r->str, "TRYAGAIN", 8) ||
		    !strncmp(r->str, "LOADING", 7))
			return -EAGAIN;
		return -EIO;
	}
	set_error(b, "%s: unexpected reply type %d", what, r->type);
	return -EPROTO;
}

/* The GET and PTTL replies of one key into @v. */
static void parse_get(struct redis_backend *b, redisReply *g, redisReply *p,
		      struct tier_val *v)
{
	v->data = NULL;
	v->len = 0;
	v->pttl_ms = -1;
	if (g->type == REDIS_REPLY_NIL) {
		v->status = -ENOENT;
		return;
	}
	if (g->type != REDIS_REPLY_STRING) {
		v->status = reply_error(b, g, "GET");
		return;
	}
	v->data = malloc(g->len ? g->len : 1);
	if (!v->data) {
		v->status = -ENOMEM;
		return;
	}
	memcpy(v->data, g->str, g->len);
	v->len = g->len;
	v->status = 0;
	/* PTTL: -1 no TTL, -2 gone meanwhile (then it is not cached). */
	if (p->type == REDIS_REPLY_INTEGER)
		v->pttl_ms = p->integer == -2 ? 0 : p->integer;
}

static void get_cmds(struct rcmd c[2], const void *key, size_t klen)
{
	c[0] = (struct rcmd){ 2, { "GET", key }, { 3, klen } };
	c[1] = (struct rcmd){ 2, { "PTTL", key }, { 4, klen } };
}

static int get_one(struct redis_backend *b, const void *key, size_t klen,
		   struct tier_val *v)
{
	redisReply *r[2];
	struct rcmd c[2];
	int err;

	get_cmds(c, key, klen);
	err = exec_key(b, key, klen, 2, c, r);
	if (err) {
		v->status = err;
		return err;
	}
	parse_get(b, r[0], r[1], v);
	freeReplyObject(r[0]);
	freeReplyObject(r[1]);
	return 0;
}

static bool is_redirect(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR &&
	       (!strncmp(r->str, "MOVED ", 6) || !strncmp(r->str, "ASK ", 4) ||
		!strncmp(r->str, "TRYAGAIN", 8) ||
		!strncmp(r->str, "CLUSTERDOWN", 11));
}

/*
 * The batch: every key's GET and PTTL appended to its owner's connection,
 * then the replies read node by node, so each node costs one round trip.
 * Keys redirected, or whose node failed, go the one-key way (exec_key).
 */
static int redis_mget(struct tier_backend *base, size_t n,
		      const void *const *keys, const size_t *klens,
		      struct tier_val *out)
{
	struct redis_backend *b = (struct redis_backend *)base;
	int *owner = calloc(n ? n : 1, sizeof(*owner));
	bool *retry = calloc(n ? n : 1, sizeof(*retry));
	size_t i;
	int nd, err = 0;

	if (!owner || !retry) {
		free(owner);
		free(retry);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct rcmd c[2];

		out[i] = (struct tier_val){ .status = -EIO, .pttl_ms = -1 };
		owner[i] = owner_of(b, keys[i], klens[i]);
		if (owner[i] < 0) {
			out[i].status = owner[i];
			continue;
		}
		if (node_ctx(b, b->nodes[owner[i]])) {
			retry[i] = true;
			owner[i] = -1;
			continue;
		}
		get_cmds(c, keys[i], klens[i]);
		redisAppendCommandArgv(b->nodes[owner[i]]->ctx, 2, c[0].argv,
				       c[0].len);
		redisAppendCommandArgv(b->nodes[owner[i]]->ctx, 2, c[1].argv,
				       c[1].len);
	}
	for (nd = 0; nd < b->nnodes; nd++) {
		struct rnode *node = b->nodes[nd];
		bool broken = false;

		for (i = 0; i < n; i++) {
			redisReply *g = NULL, *p = NULL;

			if (owner[i] != nd)
				continue;
			if (broken || redisGetReply(node->ctx, (void **)&g) != REDIS_OK ||
			    redisGetReply(node->ctx, (void **)&p) != REDIS_OK) {
				if (!broken)
					node_io_error(b, node);
				broken = true;
				freeReplyObject(g);
				retry[i] = true;
				continue;
			}
			if (is_redirect(g) && b->cluster)
				retry[i] = true;
			else
				parse_get(b, g, p, &out[i]);
			freeReplyObject(g);
			freeReplyObject(p);
		}
	}
	for (i = 0; i < n; i++)
		if (retry[i])
			get_one(b, keys[i], klens[i], &out[i]);
	free(owner);
	free(retry);
	return err;
}

static int redis_set(struct tier_backend *base, const void *key, size_t klen,
		     const void *val, size_t vlen, uint64_t ttl_ms)
{
	struct redis_backend *b = (struct redis_backend *)base;
	struct rcmd c = { 3, { "SET", key, val }, { 3, klen, vlen } };
	char ttl[24];
	redisReply *r;
	int err;

	if (ttl_ms) {
		snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)ttl_ms);
		c.argv[3] = "PX";
		c.len[3] = 2;
		c.argv[4] = ttl;
		c.len[4] = strlen(ttl);
		c.argc = 5;
	}
	err = exec_key(b, key, klen, 1, &c, &r);
	if (err)
		return err;
	if (r->type != REDIS_REPLY_STATUS)
		err = reply_error(b, r, "SET");
	freeReplyObject(r);
	return err;
}

static int redis_del(struct tier_backend *base, const void *key, size_t klen)
{
	struct redis_backend *b = (struct redis_backend *)base;
	struct rcmd c = { 2, { "DEL", key }, { 3, klen } };
	redisReply *r;
	int err;

	err = exec_key(b, key, klen, 1, &c, &r);
	if (err)
		return err;
	if (r->type == REDIS_REPLY_INTEGER)
		err = r->integer ? 0 : -ENOENT;
	else
		err = reply_error(b, r, "DEL");
	freeReplyObject(r);
	return err;
}

static void redis_close(struct tier_backend *base)
{
	struct redis_backend *b = (struct redis_backend *)base;
	int i;

	for (i = 0; i < b->nnodes; i++) {
		redisFree(b->nodes[i]->ctx);
		free(b->nodes[i]);
	}
	free(b);
}

static const struct tier_backend_ops redis_ops = {
	.mget = redis_mget,
	.set = redis_set,
	.del = redis_del,
	.close = redis_close,
};

int tier_redis_open(const char *servers, int cluster, unsigned int timeout_ms,
		    struct tier_backend **out, char *msg, size_t msglen)
{
	struct redis_backend *b = calloc(1, sizeof(*b));
	int n, err, i;

	if (!b)
		return -ENOMEM;
	b->base.ops = &redis_ops;
	b->cluster = cluster;
	b->timeout_ms = timeout_ms;
	n = tier_parse_servers(servers, b->seeds, 16);
	if (n < 0 || (!cluster && n != 1)) {
		snprintf(msg, msglen, "servers: expected %s, not \"%s\"",
			 cluster ? "host:port[,host:port...]" : "one host:port",
			 servers ? servers : "");
		free(b);
		return -EINVAL;
	}
	b->nseeds = n;
	for (i = 0; i < CLUSTER_SLOTS; i++)
		b->slots[i] = -1;
	if (cluster) {
		err = cluster_refresh(b);
	} else {
		err = node_index(b, b->seeds[0].host, b->seeds[0].port);
		if (err >= 0)
			err = node_ctx(b, b->nodes[0]);
	}
	if (err < 0) {
		snprintf(msg, msglen, "%s", b->base.error);
		redis_close(&b->base);
		return err;
	}
	*out = &b->base;
	return 0;
}

int tier_redis_masters(const char *servers, int cluster,
		       unsigned int timeout_ms, struct tier_addr *out, int max,
		       char *msg, size_t msglen)
{
	struct tier_backend *base;
	struct redis_backend *b;
	bool used[MAX_NODES] = { false };
	int err, i, n = 0;

	if (!cluster) {
		n = tier_parse_servers(servers, out, max);
		return n == 1 ? 1 : -EINVAL;
	}
	err = tier_redis_open(servers, 1, timeout_ms, &base, msg, msglen);
	if (err)
		return err;
	b = (struct redis_backend *)base;
	for (i = 0; i < CLUSTER_SLOTS; i++)
		if (b->slots[i] >= 0)
			used[b->slots[i]] = true;
	for (i = 0; i < b->nnodes; i++) {
		if (!used[i])
			continue;
		if (n == max) {
			n = -ENOSPC;
			break;
		}
		snprintf(out[n].host, sizeof(out[n].host), "%s",
			 b->nodes[i]->host);
		out[n++].port = b->nodes[i]->port;
	}
	redis_close(base);
	return n;
}
