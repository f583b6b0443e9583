// SPDX-License-Identifier: GPL-2.0
/*
 * The tier on a Redis Cluster of three masters (tests/vm/tier makes it):
 * keys spread over the slots, MOVED and ASK followed after slots are moved
 * by hand, invalidations from every master, and a master killed and
 * restarted: fenced meanwhile, service back after.
 */
#include "kselftest_harness.h"
#include "tier_test.h"

#define NMASTERS 3

FIXTURE(cluster) {
	struct kcache *c;
	struct kcache_tier *t;
	char addr[NMASTERS][64];
	redisContext *m[NMASTERS];	/* another host's connections */
	char key[64];
};

FIXTURE_SETUP(cluster)
{
	const char *list = getenv("TIER_CLUSTER");
	const char *name = getenv("TIER_CACHE_C");
	char *copy, *tok, *save;
	int i = 0;

	if (!list || !name)
		SKIP(return, "TIER_CLUSTER/TIER_CACHE_C not set (run tests/vm/tier)");
	copy = strdup(list);
	for (tok = strtok_r(copy, ",", &save); tok && i < NMASTERS;
	     tok = strtok_r(NULL, ",", &save), i++) {
		snprintf(self->addr[i], sizeof(self->addr[i]), "%s", tok);
		self->m[i] = rconnect(tok);
		ASSERT_TRUE(self->m[i] && !self->m[i]->err);
	}
	free(copy);
	ASSERT_EQ(NMASTERS, i);
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS_CLUSTER,
			 .servers = list, .timeout_ms = 5000);
	ASSERT_EQ(0, tier_open_on(name, &o, &self->c, &self->t));
	ASSERT_TRUE(wait_usable(self->t, 1, 20000));
	snprintf(self->key, sizeof(self->key), "c:%d", (int)getpid());
}

FIXTURE_TEARDOWN(cluster)
{
	int i;

	for (i = 0; i < NMASTERS; i++)
		if (self->m[i])
			redisFree(self->m[i]);
	kcache_tier_close(self->t);
	kcache_close(self->c);
}

/* The master that owns @key now: the one that answers without MOVED. */
static int owner(redisContext **m, const char *key)
{
	redisReply *r;
	int i, found = -1;

	for (i = 0; i < NMASTERS && found < 0; i++) {
		r = redisCommand(m[i], "EXISTS %s", key);
		if (r && r->type == REDIS_REPLY_INTEGER)
			found = i;
		freeReplyObject(r);
	}
	return found;
}

static long long slot_of(redisContext *m, const char *key)
{
	redisReply *r = redisCommand(m, "CLUSTER KEYSLOT %s", key);
	long long s = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return s;
}

static void node_id(redisContext *m, char id[64])
{
	redisReply *r = redisCommand(m, "CLUSTER MYID");

	snprintf(id, 64, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
}

/*
 * Another host's write: to the owner, as a cluster client would; then
 * wait until the agent applied its invalidation (see wdo()).
 */
static int cset_t(struct kcache_tier *t, redisContext **m, const char *key,
		  const char *val)
{
	int o = owner(m, key);

	return o < 0 ? -1 : wdo(t, m[o], "SET %s %s", key, val);
}

#define cset(m, key, val) cset_t(self->t, (m), (key), (val))

static char *cget(redisContext **m, const char *key, char *buf, size_t n)
{
	int o = owner(m, key);
	redisReply *r;

	buf[0] = '\0';
	if (o < 0)
		return buf;
	r = redisCommand(m[o], "GET %s", key);
	if (r && r->type == REDIS_REPLY_STRING)
		snprintf(buf, n, "%s", r->str);
	freeReplyObject(r);
	return buf;
}

TEST_F_TIMEOUT(cluster, keys_spread_over_every_master_and_read_back, 600)
{
	NEEDS_SETUP();
	int per[NMASTERS] = { 0 }, i, o;
	char k[80], v[32], buf[32];

	for (i = 0; i < 120; i++) {
		snprintf(k, sizeof(k), "%s:%d", self->key, i);
		snprintf(v, sizeof(v), "v%d", i);
		ASSERT_EQ(0, kcache_tier_set(self->t, k, strlen(k), v,
					     strlen(v), KCACHE_TTL_NONE));
		o = owner(self->m, k);
		ASSERT_LE(0, o);
		per[o]++;
		EXPECT_STREQ(v, cget(self->m, k, buf, sizeof(buf)));
	}
	for (i = 0; i < NMASTERS; i++)
		EXPECT_LT(0, per[i]);
	for (i = 0; i < 120; i++) {
		snprintf(k, sizeof(k), "%s:%d", self->key, i);
		snprintf(v, sizeof(v), "v%d", i);
		ASSERT_EQ((ssize_t)strlen(v), tget(self->t, k, buf, sizeof(buf)));
		EXPECT_STREQ(v, buf);
	}
	EXPECT_EQ(120U, tstats(self->t).fills);
}

TEST_F_TIMEOUT(cluster, mget_across_masters, 300)
{
	NEEDS_SETUP();
	struct kcache_item it[12];
	char k[12][80], v[12][16];
	int i;

	for (i = 0; i < 12; i++) {
		snprintf(k[i], sizeof(k[i]), "%s:m%d", self->key, i);
		if (i % 4 != 3) {
			ASSERT_EQ(0, cset(self->m, k[i], "abc"));
		}
		it[i] = (struct kcache_item){ k[i], strlen(k[i]), v[i],
					      sizeof(v[i]), 0 };
	}
	ASSERT_EQ(9, kcache_tier_mget(self->t, it, 12));
	for (i = 0; i < 12; i++) {
		if (i % 4 == 3) {
			EXPECT_EQ(-ENOENT, it[i].status);
		} else {
			EXPECT_EQ(3, it[i].status);
			EXPECT_EQ(0, memcmp(v[i], "abc", 3));
		}
	}
	/* Again: all from the kernel cache now. */
	ASSERT_EQ(9, kcache_tier_mget(self->t, it, 12));
	EXPECT_EQ(9U, tstats(self->t).hits);
}

/* Move @key's slot from its owner to the next master, by hand. */
static int move_slot(redisContext **m, const char *key, bool finish,
		     int *from_out, int *to_out)
{
	int from = owner(m, key), to, i;
	char idf[64], idt[64];
	long long slot;
	redisReply *r;

	if (from < 0)
		return -1;
	to = (from + 1) % NMASTERS;
	slot = slot_of(m[from], key);
	node_id(m[from], idf);
	node_id(m[to], idt);
	if (rdo(m[to], "CLUSTER SETSLOT %lld IMPORTING %s", slot, idf) ||
	    rdo(m[from], "CLUSTER SETSLOT %lld MIGRATING %s", slot, idt))
		return -1;
	r = redisCommand(m[from], "MIGRATE %s %d %s 0 5000", m[to]->tcp.host,
			 m[to]->tcp.port, key);
	if (!r || r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	if (finish)
		for (i = 0; i < NMASTERS; i++)
			if (rdo(m[i], "CLUSTER SETSLOT %lld NODE %s", slot, idt))
				return -1;
	*from_out = from;
	*to_out = to;
	return 0;
}

TEST_F_TIMEOUT(cluster, moved_slot_is_followed, 300)
{
	NEEDS_SETUP();
	char buf[32];
	int from, to;
	redisReply *r;

	ASSERT_EQ(0, cset(self->m, self->key, "here"));
	/* The tier knows the old map; then the slot moves for good. */
	ASSERT_EQ(4, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(0, move_slot(self->m, self->key, true, &from, &to));
	ASSERT_EQ(0, kcache_tier_set(self->t, self->key, strlen(self->key),
				     "moved", 5, KCACHE_TTL_NONE));
	r = redisCommand(self->m[to], "GET %s", self->key);
	ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
	EXPECT_STREQ("moved", r->str);
	freeReplyObject(r);
	ASSERT_EQ(5, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("moved", buf);
}

TEST_F_TIMEOUT(cluster, asked_key_of_migrating_slot_is_followed, 300)
{
	NEEDS_SETUP();
	char buf[32], idt[64];
	int from, to, i;
	long long slot;

	ASSERT_EQ(0, cset(self->m, self->key, "asked"));
	slot = slot_of(self->m[0], self->key);
	/* Migrating: the key is on the target already, the slot not yet. */
	ASSERT_EQ(0, move_slot(self->m, self->key, false, &from, &to));
	ASSERT_EQ(5, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("asked", buf);
	node_id(self->m[to], idt);
	for (i = 0; i < NMASTERS; i++) {
		ASSERT_EQ(0, rdo(self->m[i], "CLUSTER SETSLOT %lld NODE %s",
				  slot, idt));
	}
}

TEST_F_TIMEOUT(cluster, writes_on_every_master_invalidate_kernel_copies, 300)
{
	NEEDS_SETUP();
	char k[NMASTERS][80], buf[32];
	int seen[NMASTERS] = { 0 }, n = 0, i, o;
	struct kcache_tier_stats inv;

	/* One key on each master. */
	for (i = 0; n < NMASTERS && i < 1000; i++) {
		char cand[80];

		snprintf(cand, sizeof(cand), "%s:i%d", self->key, i);
		o = owner(self->m, cand);
		if (o < 0 || seen[o])
			continue;
		seen[o] = 1;
		snprintf(k[n++], sizeof(k[0]), "%s", cand);
	}
	ASSERT_EQ(NMASTERS, n);
	for (i = 0; i < NMASTERS; i++) {
		ASSERT_EQ(0, cset(self->m, k[i], "old"));
		ASSERT_EQ(3, tget(self->t, k[i], buf, sizeof(buf)));
		ASSERT_EQ(3, kget(self->c, k[i], buf, sizeof(buf)));
		inv = tstats(self->t);
		ASSERT_EQ(0, cset(self->m, k[i], "newer"));
		ASSERT_TRUE(wait_delivered(self->t, inv, 10000));
		EXPECT_EQ(-ENOENT, kget(self->c, k[i], buf, sizeof(buf)));
		ASSERT_EQ(5, tget(self->t, k[i], buf, sizeof(buf)));
		EXPECT_STREQ("newer", buf);
	}
}

/*
 * A master dies: the agent loses it, fences the tier and clears the
 * cache; nothing stale is served; the master comes back (same node, same
 * slots) and so does the service.
 */
TEST_F_TIMEOUT(cluster, master_killed_fences_then_service_resumes, 600)
{
	NEEDS_SETUP();
	const char *tmp = getenv("TIER_TMP");
	char conf[512], pidf[512], buf[32], log[512];
	char *argv[] = { "/usr/bin/redis-server", conf, NULL };
	int victim, port, i;
	pid_t p;
	uint64_t end;
	FILE *f;
	int pid = 0;

	if (!tmp)
		SKIP(return, "TIER_TMP not set");
	ASSERT_EQ(0, cset(self->m, self->key, "before"));
	ASSERT_EQ(6, tget(self->t, self->key, buf, sizeof(buf)));
	victim = owner(self->m, self->key);
	ASSERT_LE(0, victim);
	port = self->m[victim]->tcp.port;
	snprintf(pidf, sizeof(pidf), "%s/cluster-%d/redis.pid", tmp, port);
	snprintf(conf, sizeof(conf), "%s/cluster-%d/redis.conf", tmp, port);
	f = fopen(pidf, "r");
	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(1, fscanf(f, "%d", &pid));
	fclose(f);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_TRUE(wait_usable(self->t, 0, 10000));
	/* Fenced, and the cache was cleared. */
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	EXPECT_GT(0, tget(self->t, self->key, buf, sizeof(buf)));
	/* Back, from its nodes.conf: same id, same slots. */
	snprintf(log, sizeof(log), "%s/restart-%d.log", tmp, port);
	p = spawn(log, argv);
	ASSERT_LT(0, p);
	waitpid(p, NULL, 0);	/* it daemonizes */
	redisFree(self->m[victim]);
	self->m[victim] = NULL;
	end = now_ms() + 20000;
	while (now_ms() < end) {
		self->m[victim] = rconnect(self->addr[victim]);
		if (self->m[victim] && !self->m[victim]->err &&
		    !rdo(self->m[victim], "PING"))
			break;
		redisFree(self->m[victim]);
		self->m[victim] = NULL;
		msleep(100);
	}
	ASSERT_TRUE(self->m[victim] != NULL);
	/* The restarted master is empty (no persistence): write anew. */
	end = now_ms() + 30000;
	while (now_ms() < end &&
	       rdo(self->m[victim], "SET %s after", self->key))
		msleep(100);
	ASSERT_TRUE(wait_usable(self->t, 1, 30000));
	for (i = 0; i < 100; i++) {
		ssize_t n = tget(self->t, self->key, buf, sizeof(buf));

		if (n == 5)
			break;
		ASSERT_NE(6, n) {
			TH_LOG("the old value was served");
		}
		msleep(100);
	}
	EXPECT_STREQ("after", buf);
}

TEST_HARNESS_MAIN
