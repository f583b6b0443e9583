// SPDX-License-Identifier: GPL-2.0
/*
 * An agent that tracks prefixes (CLIENT TRACKING ... BCAST PREFIX p:
 * PREFIX q:) receives the invalidations of those keys only: a write to
 * a tracked key drops its copy, a write to another key does not (the
 * documented rule: keys outside every prefix must not be read through
 * the tier). Own redis-server and agent, as restart.c.
 */
#include "kselftest_harness.h"
#include "tier_test.h"

#define PORT 6396

FIXTURE(prefix) {
	struct kcache *c;
	struct kcache_tier *t;
	redisContext *w;
	pid_t redis, agent;
	char conf[512], log[512], name[64];
};

FIXTURE_SETUP(prefix)
{
	const char *tmp = getenv("TIER_TMP");
	FILE *f;

	if (!tmp || !getenv("TIER_AGENT") || !getenv("KCACHE_TIER_DIR"))
		SKIP(return, "TIER_TMP/TIER_AGENT not set (run tests/vm/tier)");
	snprintf(self->name, sizeof(self->name), "tp-%d", (int)getpid());
	snprintf(self->conf, sizeof(self->conf), "%s/%s.conf", tmp, self->name);
	snprintf(self->log, sizeof(self->log), "%s/%s.log", tmp, self->name);
	self->redis = start_redis(self->log, PORT);
	ASSERT_LT(0, self->redis);
	f = fopen(self->conf, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "cache = %s\nbackend = redis\nservers = 127.0.0.1:%d\n"
		"prefix = p:\nprefix = q:\ntimeout = 5s\nfence_after = 10s\n"
		"state_dir = %s\n", self->name, PORT, getenv("KCACHE_TIER_DIR"));
	fclose(f);
	self->agent = start_agent(self->conf, self->log);
	ASSERT_LT(0, self->agent);
	for (int i = 0; i < 300 && kcache_open(self->name, NULL, &self->c); i++)
		msleep(100);
	ASSERT_TRUE(self->c != NULL);
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS,
			 .servers = "127.0.0.1:6396", .timeout_ms = 5000);
	ASSERT_EQ(0, kcache_tier_open(self->c, &o, &self->t));
	ASSERT_TRUE(wait_usable(self->t, 1, 30000));
	self->w = redisConnect("127.0.0.1", PORT);
	ASSERT_TRUE(self->w && !self->w->err);
}

FIXTURE_TEARDOWN(prefix)
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

TEST_F_TIMEOUT(prefix, only_tracked_prefixes_are_invalidated, 600)
{
	char buf[16];

	NEEDS_SETUP();
	ASSERT_EQ(0, wdo(self->t, self->w, "SET p:k 1"));
	ASSERT_EQ(0, wdo(self->t, self->w, "SET q:k 1"));
	ASSERT_EQ(0, rdo(self->w, "SET other:k 1"));	/* nothing comes */
	ASSERT_EQ(1, tget(self->t, "p:k", buf, sizeof(buf)));
	ASSERT_EQ(1, tget(self->t, "q:k", buf, sizeof(buf)));
	ASSERT_EQ(1, tget(self->t, "other:k", buf, sizeof(buf)));
	/* Written in this order: once q:k's is in, other:k's would be too. */
	ASSERT_EQ(0, rdo(self->w, "SET other:k 22"));
	ASSERT_EQ(0, wdo(self->t, self->w, "SET p:k 22"));
	ASSERT_EQ(0, wdo(self->t, self->w, "SET q:k 22"));
	EXPECT_EQ(-ENOENT, kget(self->c, "p:k", buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, kget(self->c, "q:k", buf, sizeof(buf)));
	EXPECT_EQ(1, kget(self->c, "other:k", buf, sizeof(buf)));
	EXPECT_EQ(4U, tstats(self->t).invalidations);	/* p:k, q:k twice */
}

TEST_HARNESS_MAIN
