// SPDX-License-Identifier: GPL-2.0
/*
 * The tier on a pool of two memcached servers (tests/vm/tier starts them):
 * read-, write- and delete-through, batches, keys spread over both servers
 * by consistent hashing, and the staleness bound: with no invalidations,
 * another host's write shows here once the L1 TTL (max_ttl_ms) is over.
 */
#include "kselftest_harness.h"
#include "tier_test.h"

#include <libmemcached/memcached.h>

#define MAX_TTL_MS 600

FIXTURE(mc) {
	struct kcache *c, *c2;
	struct kcache_tier *t, *other;	/* this host, another host */
	char name[64], name2[64];
	char key[64];
};

FIXTURE_SETUP(mc)
{
	const char *servers = getenv("TIER_MEMCACHED");
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_MEMCACHED,
			 .servers = servers, .max_ttl_ms = MAX_TTL_MS,
			 .timeout_ms = 5000);

	if (!servers)
		SKIP(return, "TIER_MEMCACHED not set (run tests/vm/tier)");
	snprintf(self->name, sizeof(self->name), "tm-%d", (int)getpid());
	snprintf(self->name2, sizeof(self->name2), "tm2-%d", (int)getpid());
	ASSERT_EQ(0, tier_open_on(self->name, &o, &self->c, &self->t));
	ASSERT_EQ(0, tier_open_on(self->name2, &o, &self->c2, &self->other));
	snprintf(self->key, sizeof(self->key), "m:%d", (int)getpid());
}

FIXTURE_TEARDOWN(mc)
{
	kcache_tier_close(self->t);
	kcache_tier_close(self->other);
	kcache_close(self->c);
	kcache_close(self->c2);
	kcache_destroy(self->name);
	kcache_destroy(self->name2);
}

TEST_F_TIMEOUT(mc, read_write_and_delete_through, 300)
{
	NEEDS_SETUP();
	char buf[32];

	ASSERT_EQ(-ENOENT, tget(self->t, self->key, buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_tier_set(self->other, self->key, strlen(self->key),
				     "hello", 5, 60000));
	ASSERT_EQ(5, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(5, kget(self->c, self->key, buf, sizeof(buf)));
	EXPECT_EQ(1U, tstats(self->t).fills);
	ASSERT_EQ(5, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_EQ(1U, tstats(self->t).hits);
	/* This host's own write: its copy goes at once. */
	ASSERT_EQ(0, kcache_tier_set(self->t, self->key, strlen(self->key),
				     "mine", 4, KCACHE_TTL_NONE));
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	ASSERT_EQ(4, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("mine", buf);
	ASSERT_EQ(0, kcache_tier_delete(self->t, self->key, strlen(self->key)));
	EXPECT_EQ(-ENOENT, kget(self->c, self->key, buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, kcache_tier_delete(self->t, self->key,
					      strlen(self->key)));
}

TEST_F_TIMEOUT(mc, bad_key_is_einval, 300)
{
	NEEDS_SETUP();
	char buf[8];

	EXPECT_EQ(-EINVAL, kcache_tier_set(self->t, "a b", 3, "x", 1,
					   KCACHE_TTL_NONE));
	EXPECT_EQ(-EINVAL, kcache_tier_get(self->t, "a\nb", 3, buf,
					   sizeof(buf)));
}

/* Which of the two servers holds @key: 0, 1, or -1. */
static int holder(const char *servers, const char *key)
{
	char one[2][64], *comma;
	int i, found = -1;

	snprintf(one[0], sizeof(one[0]), "%s", servers);
	comma = strchr(one[0], ',');
	if (!comma)
		return -1;
	*comma = '\0';
	snprintf(one[1], sizeof(one[1]), "%s", comma + 1);
	for (i = 0; i < 2; i++) {
		char cfg[128];
		memcached_st *m;
		memcached_return_t rc;
		size_t len;
		uint32_t flags;
		char *v;

		snprintf(cfg, sizeof(cfg), "--SERVER=%s", one[i]);
		m = memcached(cfg, strlen(cfg));
		if (!m)
			return -1;
		v = memcached_get(m, key, strlen(key), &len, &flags, &rc);
		if (v) {
			found = found < 0 ? i : 2;
			free(v);
		}
		memcached_free(m);
	}
	return found;
}

TEST_F_TIMEOUT(mc, keys_spread_over_both_servers_once_each, 300)
{
	NEEDS_SETUP();
	const char *servers = getenv("TIER_MEMCACHED");
	int per[2] = { 0 }, i, h;
	char k[80];

	for (i = 0; i < 60; i++) {
		snprintf(k, sizeof(k), "%s:%d", self->key, i);
		ASSERT_EQ(0, kcache_tier_set(self->t, k, strlen(k), "v", 1,
					     60000));
		h = holder(servers, k);
		ASSERT_TRUE(h == 0 || h == 1) {
			TH_LOG("%s on %d servers", k, h == 2 ? 2 : 0);
		}
		per[h]++;
	}
	EXPECT_LT(0, per[0]);
	EXPECT_LT(0, per[1]);
}

TEST_F_TIMEOUT(mc, mget_serves_hits_and_fills_misses, 300)
{
	NEEDS_SETUP();
	struct kcache_item it[6];
	char k[6][80], v[6][16];
	int i;

	for (i = 0; i < 6; i++) {
		snprintf(k[i], sizeof(k[i]), "%s:g%d", self->key, i);
		if (i != 5) {
			ASSERT_EQ(0, kcache_tier_set(self->other, k[i],
						     strlen(k[i]), "vv", 2,
						     60000));
		}
		it[i] = (struct kcache_item){ k[i], strlen(k[i]), v[i],
					      sizeof(v[i]), 0 };
	}
	ASSERT_EQ(2, tget(self->t, k[0], v[0], sizeof(v[0])));
	ASSERT_EQ(5, kcache_tier_mget(self->t, it, 6));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(2, it[i].status);
		EXPECT_EQ(0, memcmp(v[i], "vv", 2));
	}
	EXPECT_EQ(-ENOENT, it[5].status);
	EXPECT_EQ(5U, tstats(self->t).fills);
}

/*
 * memcached pushes no invalidation: another host's write is seen here at
 * the latest when the kernel copy's TTL (max_ttl_ms) runs out.
 */
TEST_F_TIMEOUT(mc, another_hosts_write_seen_within_max_ttl, 300)
{
	NEEDS_SETUP();
	char buf[32];
	uint64_t filled;

	ASSERT_EQ(0, kcache_tier_set(self->other, self->key, strlen(self->key),
				     "one", 3, 60000));
	ASSERT_EQ(3, tget(self->t, self->key, buf, sizeof(buf)));
	/* The fill happened before tget() returned: its TTL ends by then. */
	filled = now_ms();
	ASSERT_EQ(0, kcache_tier_set(self->other, self->key, strlen(self->key),
				     "two", 3, 60000));
	while (now_ms() <= filled + MAX_TTL_MS)
		msleep(20);
	ASSERT_EQ(3, tget(self->t, self->key, buf, sizeof(buf)));
	EXPECT_STREQ("two", buf);
}

TEST_HARNESS_MAIN
