// SPDX-License-Identifier: GPL-2.0
/*
 * The agent and the backend die and come back: the tier is fenced
 * meanwhile (reads go to Redis, the kernel cache is not used), no stale
 * value is served, and the service resumes. Each test starts its own
 * redis-server and agent (TIER_AGENT), so it may kill them.
 */
#include "kselftest_harness.h"
#include "tier_test.h"

#define PORT 6395

FIXTURE(restart) {
	struct kcache *c;
	struct kcache_tier *t;
	redisContext *w;
	pid_t redis, agent;
	char conf[512], log[512], name[64];
};

FIXTURE_SETUP(restart)
{
	const char *tmp = getenv("TIER_TMP");
	FILE *f;

	if (!tmp || !getenv("TIER_AGENT") || !getenv("KCACHE_TIER_DIR"))
		SKIP(return, "TIER_TMP/TIER_AGENT not set (run tests/vm/tier)");
	snprintf(self->name, sizeof(self->name), "tk-%d", (int)getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/%s.conf", tmp, self->name);
	snprintf(self->log, sizeof(self->log), "%s/%s.log", tmp, self->name);
	self->redis = start_redis(self->log, PORT);
	ASSERT_LT(0, self->redis);
	f = fopen(self->conf, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "cache = %s\nbackend = redis\nservers = 127.0.0.1:%d\n"
		"ping_interval = 300ms\ntimeout = 2s\nfence_after = 3s\n"
		"backoff_min = 50ms\nbackoff_max = 500ms\nstate_dir = %s\n",
		self->name, PORT, getenv("KCACHE_TIER_DIR"));
	fclose(f);
	self->agent = start_agent(self->conf, self->log);
	ASSERT_LT(0, self->agent);
	/* The agent makes the cache and its state file. */
	for (int i = 0; i < 100 && kcache_open(self->name, NULL, &self->c); i++)
		msleep(100);
	ASSERT_TRUE(self->c != NULL);
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .servers = "127.0.0.1:6395", .timeout_ms = 2000);
	ASSERT_EQ(0, kcache_tier_open(self->c, &o, &self->t));
	ASSERT_TRUE(wait_usable(self->t, 1, 30000));
	self->w = redisConnect("127.0.0.1", PORT);
	ASSERT_TRUE(self->w && !self->w->err);
}

FIXTURE_TEARDOWN(restart)
{
	if (!self->name[0])
		return;
	reap(self->agent, SIGTERM);
	reap(self->redis, SIGKILL);
	redisFree(self->w);
	kcache_tier_close(self->t);
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F_TIMEOUT(restart, killed_agent_fences_readers_and_restarted_agent_resumes, 600)
{
	NEEDS_SETUP();
	char buf[16];

	ASSERT_EQ(0, wdo(self->t, self->w, "SET k old"));
	ASSERT_EQ(3, tget(self->t, "k", buf, sizeof(buf)));
	ASSERT_EQ(3, kget(self->c, "k", buf, sizeof(buf)));
	/* Killed: no invalidation will come, nor a clear. */
	reap(self->agent, SIGKILL);
	self->agent = 0;
	ASSERT_EQ(0, rdo(self->w, "SET k new"));
	/* Its heartbeat stops: readers fence themselves after fence_after. */
	ASSERT_TRUE(wait_usable(self->t, 0, 30000));
	EXPECT_EQ(3, kget(self->c, "k", buf, sizeof(buf)));	/* stale, unused */
	ASSERT_EQ(3, tget(self->t, "k", buf, sizeof(buf)));
	EXPECT_STREQ("new", buf);
	EXPECT_LT(0U, tstats(self->t).bypass_reads);
	/* Back: the cache is cleared before readers use it again. */
	self->agent = start_agent(self->conf, self->log);
	ASSERT_TRUE(wait_usable(self->t, 1, 30000));
	EXPECT_EQ(-ENOENT, kget(self->c, "k", buf, sizeof(buf)));
	ASSERT_EQ(3, tget(self->t, "k", buf, sizeof(buf)));
	EXPECT_STREQ("new", buf);
	EXPECT_EQ(3, kget(self->c, "k", buf, sizeof(buf))) {
		struct kcache_tier_stats s = tstats(self->t);

		TH_LOG("fills %llu refusals %llu usable %llu epoch %llu",
		       (unsigned long long)s.fills,
		       (unsigned long long)s.fill_refusals,
		       (unsigned long long)s.usable,
		       (unsigned long long)s.epoch);
	}
}

TEST_F_TIMEOUT(restart, stopped_agent_fences_at_once, 600)
{
	NEEDS_SETUP();
	char buf[16];

	ASSERT_EQ(0, wdo(self->t, self->w, "SET k v"));
	ASSERT_EQ(1, tget(self->t, "k", buf, sizeof(buf)));
	reap(self->agent, SIGTERM);
	self->agent = 0;
	EXPECT_EQ(0U, tstats(self->t).usable);
	EXPECT_EQ(-ENOENT, kget(self->c, "k", buf, sizeof(buf)));
}

TEST_F_TIMEOUT(restart, killed_backend_fences_clears_and_service_resumes, 600)
{
	NEEDS_SETUP();
	char buf[16];
	uint64_t end;
	ssize_t n;

	ASSERT_EQ(0, wdo(self->t, self->w, "SET k old"));
	ASSERT_EQ(3, tget(self->t, "k", buf, sizeof(buf)));
	reap(self->redis, SIGKILL);
	self->redis = 0;
	ASSERT_TRUE(wait_usable(self->t, 0, 30000));
	/* The agent cleared the cache; a read fails rather than be stale. */
	EXPECT_EQ(-ENOENT, kget(self->c, "k", buf, sizeof(buf)));
	n = tget(self->t, "k", buf, sizeof(buf));
	EXPECT_GT(0, n);
	EXPECT_LT(0U, tstats(self->t).backend_errors);
	/* Back, empty (no persistence), and written anew. */
	self->redis = start_redis(self->log, PORT);
	ASSERT_LT(0, self->redis);
	redisFree(self->w);
	self->w = redisConnect("127.0.0.1", PORT);
	ASSERT_EQ(0, rdo(self->w, "SET k new"));
	ASSERT_TRUE(wait_usable(self->t, 1, 20000));
	/* The tier's own connection reconnects on its next call. */
	end = now_ms() + 10000;
	do {
		n = tget(self->t, "k", buf, sizeof(buf));
		if (n == 3)
			break;
		msleep(50);
	} while (now_ms() < end);
	ASSERT_EQ(3, n);
	EXPECT_STREQ("new", buf);
	/* Filled by now (the read above may have raced the connection). */
	ASSERT_EQ(3, tget(self->t, "k", buf, sizeof(buf)));
	ASSERT_EQ(3, tget(self->t, "k", buf, sizeof(buf)));
	EXPECT_LT(0U, tstats(self->t).hits);
}

/*
 * The cache is destroyed and made again under the agent: its deletes on
 * the old one would reach nothing. It notices at the next invalidation,
 * fences, opens the new cache, clears it, and tracks it from then on.
 */
TEST_F_TIMEOUT(restart, destroyed_cache_is_opened_again_by_the_agent, 600)
{
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .servers = "127.0.0.1:6395", .timeout_ms = 2000);
	KCACHE_OPTS(co, .max_size = 1000);
	struct kcache_tier_stats before;
	struct kcache_tier *t2;
	struct kcache *c2;
	char buf[16];

	NEEDS_SETUP();
	ASSERT_EQ(0, wdo(self->t, self->w, "SET k old"));
	ASSERT_EQ(3, tget(self->t, "k", buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_destroy(self->name));
	ASSERT_EQ(0, kcache_open(self->name, &co, &c2));
	ASSERT_EQ(0, kcache_tier_open(c2, &o, &t2));
	before = tstats(t2);
	ASSERT_EQ(0, rdo(self->w, "SET k mid"));
	/* The agent's delete hit the old cache: it starts over (new epoch). */
	for (int i = 0; i < 300 && tstats(t2).epoch == before.epoch; i++)
		msleep(100);
	ASSERT_NE(before.epoch, tstats(t2).epoch);
	ASSERT_TRUE(wait_usable(t2, 1, 30000));
	ASSERT_EQ(3, tget(t2, "k", buf, sizeof(buf)));
	EXPECT_STREQ("mid", buf);
	ASSERT_EQ(0, wdo(t2, self->w, "SET k new"));
	EXPECT_EQ(-ENOENT, kget(c2, "k", buf, sizeof(buf)));
	ASSERT_EQ(3, tget(t2, "k", buf, sizeof(buf)));
	EXPECT_STREQ("new", buf);
	kcache_tier_close(t2);
	kcache_close(c2);
}

TEST_HARNESS_MAIN
