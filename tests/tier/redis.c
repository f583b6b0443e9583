// SPDX-License-Identifier: GPL-2.0
/*
 * The tier on a standalone Redis, with the host's agent tracking it
 * (tests/vm/tier starts both): read-through and its TTL, write-through,
 * delete-through, batches, invalidations from another host's writes, and
 * the fill that races a write, which the kernel's lease refuses.
 */
#include "kselftest_harness.h"
#include "tier_test.h"

FIXTURE(redis) {
	struct kcache *c;
	struct kcache_tier *t;
	redisContext *w;	/* another host's writer */
	char key[64];
};

FIXTURE_SETUP(redis)
{
	const char *addr = getenv("TIER_REDIS");
	const char *name = getenv("TIER_CACHE_R");

	if (!addr || !name)
		SKIP(return, "TIER_REDIS/TIER_CACHE_R not set (run tests/vm/tier)");
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS, .servers = addr,
			 .timeout_ms = 5000);
	ASSERT_EQ(0, tier_open_on(name, &o, &self->c, &self->t));
	self->w = rconnect(addr);
	ASSERT_TRUE(self->w && !self->w->err);
	ASSERT_TRUE(wait_usable(self->t, 1, 10000));
	snprintf(self->key, sizeof(self->key), "t:%d", (int)getpid());
}

FIXTURE_TEARDOWN(redis)
{
	if (self->w)
		redisFree(self->w);
	kcache_tier_close(self->t);
	kcache_close(self->c);
}

TEST_F_TIMEOUT(redis, miss_reads_backend_and_fills_kernel_cache, 300)
{
	NEEDS_SETUP();
	char buf[64];
	struct kcache_tier_stats s;

	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s v1", self->key));
	ASSERT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	ASSERT_EQ(2, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_STREQ("v1", buf);
	s = tstats(self->t);
	EXPECT_EQ(1U, s.backend_reads);
	EXPECT_EQ(1U, s.fills);
	/* Now in the kernel cache, and the next read is a hit. */
	ASSERT_EQ(2, kget(self->c, self->key, buf, sizeof(buf)));
	ASSERT_EQ(2, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_EQ(1U, tstats(self->t).hits);
	EXPECT_EQ(1U, tstats(self->t).backend_reads);
}

TEST_F_TIMEOUT(redis, absent_key_is_enoent_and_not_cached, 300)
{
	NEEDS_SETUP();
	char buf[16];

	ASSERT_EQ(-ENOENT, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	EXPECT_EQ(0U, tstats(self->t).fills);
}

TEST_F_TIMEOUT(redis, value_too_long_for_buffer_reports_length_copies_nothing, 300)
{
	NEEDS_SETUP();
	char buf[4] = "xyz";

	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s 0123456789", self->key));
	ASSERT_EQ(10, kcache_tier_get(self->t, self->key, strlen(self->key),
				      buf, 3));
	EXPECT_STREQ("xyz", buf);
	/* Still filled: the next, large enough, read is a hit. */
	char big[16];

	ASSERT_EQ(10, tget(self->t, self->key, big, sizeof(big)));
	EXPECT_STREQ("0123456789", big);
	EXPECT_EQ(1U, tstats(self->t).hits);
}

/*
 * The L1 copy expires no later than the backend's: once Redis says the key
 * is gone (PTTL -2), the kernel cache must miss too.
 */
TEST_F_TIMEOUT(redis, kernel_copy_expires_no_later_than_backend_pttl, 300)
{
	NEEDS_SETUP();
	char buf[16];
	uint64_t end = now_ms() + 10000;
	redisReply *r;
	long long pttl = 0;

	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s short PX 700", self->key));
	ASSERT_EQ(5, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(5, kget(self->c, self->key, buf, sizeof(buf)));
	while (now_ms() < end) {
		r = redisCommand(self->w, "PTTL %s", self->key);
		ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER);
		pttl = r->integer;
		freeReplyObject(r);
		if (pttl == -2)
			break;
		msleep(5);
	}
	ASSERT_EQ(-2, pttl);
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
}

/* A key without a TTL gets max_ttl_ms in the kernel cache. */
TEST_F_TIMEOUT(redis, key_without_ttl_gets_max_ttl, 300)
{
	NEEDS_SETUP();
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .servers = getenv("TIER_REDIS"), .timeout_ms = 5000, .max_ttl_ms = 300);
	struct kcache_tier *t2;
	char buf[16];
	uint64_t filled;

	ASSERT_EQ(0, kcache_tier_open(self->c, &o, &t2));
	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s forever", self->key));
	ASSERT_EQ(7, tget(t2, self->key, buf, sizeof(buf)));
	filled = now_ms();	/* the fill happened before this */
	while (now_ms() < filled + 400)
		msleep(10);
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	kcache_tier_close(t2);
}

TEST_F_TIMEOUT(redis, write_through_sets_backend_and_drops_kernel_copy, 300)
{
	NEEDS_SETUP();
	char buf[16];
	redisReply *r;

	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s old", self->key));
	ASSERT_EQ(3, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_tier_set(self->t, self->key, strlen(self->key),
				     "new", 3, 60000));
	r = redisCommand(self->w, "GET %s", self->key);
	ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
	EXPECT_STREQ("new", r->str);
	freeReplyObject(r);
	r = redisCommand(self->w, "PTTL %s", self->key);
	ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER);
	EXPECT_GT(r->integer, 0);
	EXPECT_LE(r->integer, 60000);
	freeReplyObject(r);
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	ASSERT_EQ(3, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("new", buf);
	EXPECT_EQ(1U, tstats(self->t).writes);
	EXPECT_EQ(-EINVAL, kcache_tier_set(self->t, self->key,
					   strlen(self->key), "x", 1,
					   KCACHE_TTL_DEFAULT));
}

TEST_F_TIMEOUT(redis, delete_through_removes_everywhere, 300)
{
	NEEDS_SETUP();
	char buf[16];

	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s doomed", self->key));
	ASSERT_EQ(6, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_tier_delete(self->t, self->key, strlen(self->key)));
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, kcache_tier_delete(self->t, self->key,
					      strlen(self->key)));
}

TEST_F_TIMEOUT(redis, mget_serves_hits_and_fills_misses, 300)
{
	NEEDS_SETUP();
	char k[4][80], v[4][16];
	struct kcache_metrics m0, m1;
	struct kcache_item it[4];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(k[i], sizeof(k[i]), "%s:%d", self->key, i);
		if (i != 3)
			ASSERT_EQ(0, wdo(self->t, self->w, "SET %s val%d", k[i], i));
	}
	/* k0 already in the kernel cache; k1, k2 in Redis only; k3 nowhere. */
	ASSERT_EQ(4, tget(self->t, k[0], v[0], sizeof(v[0])));
	for (i = 0; i < 4; i++)
		it[i] = (struct kcache_item){ k[i], strlen(k[i]), v[i],
					      sizeof(v[i]), 0 };
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	ASSERT_EQ(3, kcache_tier_mget(self->t, it, 4));
	/* Each key looked up once in the kernel: one hit, three misses. */
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	EXPECT_EQ(1U, m1.hits - m0.hits);
	EXPECT_EQ(3U, m1.misses - m0.misses);
	EXPECT_EQ(0U, m1.leases);
	EXPECT_EQ(0U, tstats(self->t).bypass_reads);
	for (i = 0; i < 3; i++) {
		char want[16];

		snprintf(want, sizeof(want), "val%d", i);
		ASSERT_EQ(4, it[i].status);
		EXPECT_EQ(0, memcmp(v[i], want, 4));
	}
	EXPECT_EQ(-ENOENT, it[3].status);
	EXPECT_EQ(3U, tstats(self->t).fills);	/* k0 earlier, k1, k2 */
	EXPECT_EQ(4, kget(self->c, k[2], v[2], sizeof(v[2])));
}

/* Another host writes straight to Redis: the agent drops our copy. */
TEST_F_TIMEOUT(redis, another_hosts_write_invalidates_kernel_copy, 300)
{
	NEEDS_SETUP();
	char buf[16];
	struct kcache_tier_stats inv;

	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s before", self->key));
	ASSERT_EQ(6, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(6, kget(self->c, self->key, buf, sizeof(buf)));
	inv = tstats(self->t);
	ASSERT_EQ(0, rdo(self->w, "SET %s after", self->key));
	ASSERT_TRUE(wait_delivered(self->t, inv, 10000));
	/*
	 * The count moved: some invalidation was applied. Ours, since the
	 * agent applies them in order and this is the only writer of the
	 * key; the copy must be gone.
	 */
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	ASSERT_EQ(5, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("after", buf);
}

/* FLUSHALL: the agent gets a null invalidation and clears the cache. */
TEST_F_TIMEOUT(redis, flushall_clears_kernel_cache, 300)
{
	NEEDS_SETUP();
	char buf[16];
	uint64_t end = now_ms() + 10000;

	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s x", self->key));
	ASSERT_EQ(1, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(0, rdo(self->w, "FLUSHALL"));
	while (now_ms() < end &&
	       kget(self->c, self->key, buf, sizeof(buf)) >= 0)
		msleep(2);
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
}

/*
 * The race a near cache must not lose: the fill reads the old value, a
 * write from elsewhere lands and its invalidation is applied, and only
 * then would the fill store. The fill hook puts the write exactly there.
 */
struct race {
	redisContext *w;
	struct kcache_tier *t;
	const char *key;
	int done;
	int delivered;
};

static void write_during_fill(void *arg, const void *key, size_t klen)
{
	struct race *r = arg;
	struct kcache_tier_stats inv;

	(void)key;
	(void)klen;
	if (r->done++)
		return;
	inv = tstats(r->t);
	rdo(r->w, "SET %s new", r->key);
	r->delivered = wait_delivered(r->t, inv, 10000);
}

TEST_F_TIMEOUT(redis, fill_racing_a_write_is_refused, 300)
{
	NEEDS_SETUP();
	struct race r = { .w = self->w, .key = self->key };
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .servers = getenv("TIER_REDIS"), .timeout_ms = 5000,
			 .fill_hook = write_during_fill, .fill_hook_arg = &r);
	struct kcache_tier *t2;
	char buf[16];

	struct kcache_metrics m0, m1;

	ASSERT_EQ(0, kcache_tier_open(self->c, &o, &t2));
	r.t = t2;
	ASSERT_EQ(0, wdo(t2, self->w, "SET %s old", self->key));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	/* The read returns what it read: the old value, as of its start. */
	ASSERT_EQ(3, tget(t2, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("old", buf);
	ASSERT_TRUE(r.delivered);
	/* But it stored nothing: the kernel refused its lease. */
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	EXPECT_EQ(1U, tstats(t2).fill_refusals);
	EXPECT_EQ(0U, tstats(t2).fills);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	EXPECT_EQ(m0.stale_fills + 1, m1.stale_fills);
	ASSERT_EQ(3, tget(t2, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("new", buf);
	kcache_tier_close(t2);
}

/* The same race with a write-through of this host instead of another's. */
struct local_race {
	struct kcache_tier *writer;
	const char *key;
	int done;
};

static void local_write_during_fill(void *arg, const void *key, size_t klen)
{
	struct local_race *r = arg;

	if (!r->done++)
		kcache_tier_set(r->writer, key, klen, "mine", 4,
				KCACHE_TTL_NONE);
}

TEST_F_TIMEOUT(redis, fill_racing_a_local_write_through_is_refused, 300)
{
	NEEDS_SETUP();
	struct local_race r = { .writer = self->t, .key = self->key };
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .servers = getenv("TIER_REDIS"), .timeout_ms = 5000,
			 .fill_hook = local_write_during_fill,
			 .fill_hook_arg = &r);
	struct kcache_tier *t2;
	char buf[16];

	ASSERT_EQ(0, kcache_tier_open(self->c, &o, &t2));
	ASSERT_EQ(0, wdo(t2, self->w, "SET %s old", self->key));
	ASSERT_EQ(3, tget(t2, self->key, buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	EXPECT_EQ(1U, tstats(t2).fill_refusals);
	ASSERT_EQ(4, tget(t2, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("mine", buf);
	kcache_tier_close(t2);
}

/*
 * While one reader fills a key (it holds the key's lease), another
 * process's reader of the same key reads the backend itself and stores
 * nothing: only the lease's holder may store. The fill hook makes the
 * second read happen exactly then, through its own handle of the cache.
 */
struct second_reader {
	struct kcache_tier *t;
	const char *key;
	ssize_t n;
	char buf[16];
};

static void read_during_fill(void *arg, const void *key, size_t klen)
{
	struct second_reader *r = arg;

	(void)key;
	(void)klen;
	if (!r->n)
		r->n = tget(r->t, r->key, r->buf, sizeof(r->buf));
}

TEST_F_TIMEOUT(redis, reader_during_anothers_fill_reads_backend_stores_nothing, 300)
{
	NEEDS_SETUP();
	struct second_reader r = { .key = self->key };
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .servers = getenv("TIER_REDIS"), .timeout_ms = 5000,
			 .fill_hook = read_during_fill, .fill_hook_arg = &r);
	KCACHE_TIER_OPTS(o3, .backend = KCACHE_TIER_REDIS,
			 .servers = getenv("TIER_REDIS"), .timeout_ms = 5000);
	struct kcache_tier *t2;
	struct kcache *c3;
	char buf[16];

	ASSERT_EQ(0, kcache_tier_open(self->c, &o, &t2));
	/* Another open file of the cache: another owner of leases. */
	ASSERT_EQ(0, kcache_open(getenv("TIER_CACHE_R"), NULL, &c3));
	ASSERT_EQ(0, kcache_tier_open(c3, &o3, &r.t));
	ASSERT_EQ(0, wdo(t2, self->w, "SET %s v7", self->key));
	ASSERT_EQ(2, tget(t2, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("v7", buf);
	/* The second reader got the value from the backend... */
	ASSERT_EQ(2, r.n);
	EXPECT_STREQ("v7", r.buf);
	EXPECT_EQ(1U, tstats(r.t).backend_reads);
	/* ... and stored nothing; the holder stored its value. */
	EXPECT_EQ(0U, tstats(r.t).fills);
	EXPECT_EQ(0U, tstats(r.t).fill_refusals);
	EXPECT_EQ(1U, tstats(t2).fills);
	EXPECT_EQ(2, kget(self->c, self->key, buf, sizeof(buf)));
	kcache_tier_close(r.t);
	kcache_close(c3);
	kcache_tier_close(t2);
}

/*
 * A fill with nothing to store (no such key in the backend) gives its
 * lease back at once: the next reader is granted the key's lease, instead
 * of finding it held until the lease runs out.
 */
TEST_F_TIMEOUT(redis, fill_of_absent_key_releases_its_lease, 300)
{
	NEEDS_SETUP();
	struct kcache_lease l;
	struct kcache *c2;
	char buf[16];

	ASSERT_EQ(-ENOENT, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_EQ(1U, tstats(self->t).backend_reads);
	ASSERT_EQ(0, kcache_open(getenv("TIER_CACHE_R"), NULL, &c2));
	EXPECT_EQ(-ENOENT, kcache_get_lease(c2, self->key, strlen(self->key),
					    buf, sizeof(buf), 0, 0, &l));
	EXPECT_EQ((uint32_t)KCACHE_LEASE_GRANTED, l.status);
	if (l.token)
		EXPECT_EQ(0, kcache_lease_release(c2, self->key,
						  strlen(self->key), l.token));
	kcache_close(c2);
}

/*
 * A process that may read the cache but not write it cannot take leases
 * (kcache_get_lease() needs write permission): it gets the hits it finds,
 * reads its misses from the backend, and stores nothing. The reader runs
 * as another user, on a cache of mode 0704 made for the test.
 */
static int read_only_reader(const char *name,
			    const struct kcache_tier_options *o,
			    const char *hit, const char *miss)
{
	struct kcache_tier_stats s;
	struct kcache_tier *t;
	struct kcache *c;
	char buf[16];

	if (setgid(65534) || setuid(65534))
		return 10;
	if (kcache_open(name, NULL, &c) || kcache_tier_open(c, o, &t))
		return 11;
	if (tget(t, hit, buf, sizeof(buf)) != 3 || strcmp(buf, "one"))
		return 12;
	if (tget(t, miss, buf, sizeof(buf)) != 3 || strcmp(buf, "two"))
		return 13;
	s = tstats(t);
	if (s.hits != 1 || s.backend_reads != 1 || s.fills || s.fill_refusals)
		return 14;
	kcache_tier_close(t);
	kcache_close(c);
	return 0;
}

TEST_F_TIMEOUT(redis, reader_without_write_permission_gets_hits_stores_nothing, 300)
{
	NEEDS_SETUP();
	KCACHE_OPTS(co, .max_size = 100, .mode = 0704);
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .flags = KCACHE_TIER_NO_AGENT,
			 .servers = getenv("TIER_REDIS"), .timeout_ms = 5000);
	char name[32], hit[80], miss[80], buf[16];
	struct kcache_tier *t;
	struct kcache *c;
	int status;
	pid_t pid;

	snprintf(name, sizeof(name), "tk-ro-%d", (int)getpid());
	snprintf(hit, sizeof(hit), "%s:hit", self->key);
	snprintf(miss, sizeof(miss), "%s:miss", self->key);
	ASSERT_EQ(0, rdo(self->w, "SET %s one", hit));
	ASSERT_EQ(0, rdo(self->w, "SET %s two", miss));
	ASSERT_EQ(0, kcache_open(name, &co, &c));
	ASSERT_EQ(0, kcache_tier_open(c, &o, &t));
	ASSERT_EQ(3, tget(t, hit, buf, sizeof(buf)));	/* filled as root */
	ASSERT_EQ(3, kget(c, hit, buf, sizeof(buf)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(read_only_reader(name, &o, hit, miss));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-ENOENT, kget(c, miss, buf, sizeof(buf)));
	kcache_tier_close(t);
	kcache_close(c);
	EXPECT_EQ(0, kcache_destroy(name));
}

TEST_F_TIMEOUT(redis, open_rejects_bad_options, 300)
{
	NEEDS_SETUP();
	struct kcache_tier *t2;
	KCACHE_TIER_OPTS(o, .backend = 99, .servers = "127.0.0.1:1");

	EXPECT_EQ(-EINVAL, kcache_tier_open(self->c, &o, &t2));
	o.backend = KCACHE_TIER_REDIS;
	o.servers = "no-port";
	EXPECT_EQ(-EINVAL, kcache_tier_open(self->c, &o, &t2));
	o.servers = "127.0.0.1:1,127.0.0.1:2";
	EXPECT_EQ(-EINVAL, kcache_tier_open(self->c, &o, &t2));
	o.servers = "127.0.0.1:1";	/* nobody listens */
	EXPECT_EQ(-ECONNREFUSED, kcache_tier_open(self->c, &o, &t2));
	EXPECT_EQ(-EINVAL, kcache_tier_open(NULL, &o, &t2));
}

/* Without options, the tier takes its backend from the agent's state. */
TEST_F_TIMEOUT(redis, open_without_options_uses_agents_backend, 300)
{
	NEEDS_SETUP();
	struct kcache_tier *t2;
	char buf[16];

	ASSERT_EQ(0, kcache_tier_open(self->c, NULL, &t2));
	ASSERT_EQ(0, wdo(self->t, self->w, "SET %s fromstate", self->key));
	EXPECT_EQ(9, tget(t2, self->key, buf, sizeof(buf)));
	kcache_tier_close(t2);
}

TEST_HARNESS_MAIN
