// SPDX-License-Identifier: GPL-2.0
/*
 * Two hosts for real: one side of tests/vm/two-hosts, which boots two VMs
 * joined by a virtual link, each with its own lrucache module, cache and
 * agent; host A also runs the Redis server both share. Skipped unless
 * TIER_ROLE is "a" or "b" (it is then given TIER_REDIS, TIER_ROUNDS).
 *
 * Each round, host B reads key K through its tier (so K is in B's kernel
 * cache), then asks A (a Redis list) to write K through A's tier. B
 * watches its own kernel cache: the time from its request until K is gone
 * is the write's invalidation latency as B sees it (an upper bound: it
 * includes the request's way to A and A's write). Then B's tier must read
 * A's value. A's side only serves the requests.
 */
#include "kselftest_harness.h"
#include "tier_test.h"

#define CACHE	"twohosts"

FIXTURE(two) {
	struct kcache *c;
	struct kcache_tier *t;
	redisContext *r;
	const char *role;
	int rounds;
};

FIXTURE_SETUP(two)
{
	const char *addr = getenv("TIER_REDIS");

	self->role = getenv("TIER_ROLE");
	if (!self->role || !addr)
		SKIP(return, "TIER_ROLE/TIER_REDIS not set (run tests/vm/two-hosts)");
	self->rounds = getenv("TIER_ROUNDS") ? atoi(getenv("TIER_ROUNDS")) : 20;
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS, .servers = addr,
			 .timeout_ms = 5000);
	/* The agent creates the cache: it may not have yet. */
	for (int i = 0; i < 300 && kcache_open(CACHE, NULL, &self->c); i++)
		msleep(100);
	ASSERT_TRUE(self->c != NULL);
	ASSERT_EQ(0, kcache_tier_open(self->c, &o, &self->t));
	ASSERT_TRUE(wait_usable(self->t, 1, 30000));
	self->r = rconnect(addr);
	ASSERT_TRUE(self->r && !self->r->err);
}

FIXTURE_TEARDOWN(two)
{
	if (!self->role || !self->t)
		return;
	redisFree(self->r);
	kcache_tier_close(self->t);
	kcache_close(self->c);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* BRPOP @list: the popped string's integer, or -1 on timeout or error. */
static long pop(redisContext *r, const char *list, int timeout_s)
{
	redisReply *rep = redisCommand(r, "BRPOP %s %d", list, timeout_s);
	long v = -1;

	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2)
		v = strtol(rep->element[1]->str, NULL, 10);
	freeReplyObject(rep);
	return v;
}

TEST_F_TIMEOUT(two, write_on_one_host_leaves_the_others_kernel_cache, 3600)
{
	NEEDS_SETUP();
	char key[64], val[64], buf[64];
	uint64_t *lat, rtt[16], t0, t1;
	struct kcache_tier_stats inv;
	long i;

	if (!strcmp(self->role, "a")) {
		/* Serve B's requests until it says it is done (round 0). */
		for (;;) {
			i = pop(self->r, "twohosts:req", 120);
			ASSERT_LE(0, i);
			if (!i)
				break;
			snprintf(key, sizeof(key), "2h:%ld", i);
			snprintf(val, sizeof(val), "new-%ld", i);
			ASSERT_EQ(0, kcache_tier_set(self->t, key, strlen(key),
						     val, strlen(val),
						     KCACHE_TTL_NONE));
			ASSERT_EQ(0, rdo(self->r, "LPUSH twohosts:ack %ld", i));
		}
		return;
	}
	lat = calloc((size_t)self->rounds, sizeof(*lat));
	ASSERT_TRUE(lat != NULL);
	for (i = 0; i < 16; i++) {
		t0 = now_us();
		ASSERT_EQ(0, rdo(self->r, "PING"));
		rtt[i] = now_us() - t0;
	}
	qsort(rtt, 16, sizeof(rtt[0]), cmp_u64);
	for (i = 1; i <= self->rounds; i++) {
		snprintf(key, sizeof(key), "2h:%ld", i);
		/* K in B's kernel cache, its own write's invalidation past. */
		ASSERT_EQ(0, wdo(self->t, self->r, "SET %s old-%ld", key, i));
		ASSERT_LT(0, tget(self->t, key, buf, sizeof(buf)));
		ASSERT_LT(0, kget(self->c, key, buf, sizeof(buf)));
		inv = tstats(self->t);
		t0 = now_us();
		ASSERT_EQ(0, rdo(self->r, "LPUSH twohosts:req %ld", i));
		t1 = 0;
		while (now_us() - t0 < 30000000) {
			if (kget(self->c, key, buf, sizeof(buf)) == -ENOENT) {
				t1 = now_us();
				break;
			}
		}
		ASSERT_NE(0U, t1) {
			TH_LOG("round %ld: the key stayed in B's kernel cache for 30 s", i);
		}
		lat[i - 1] = t1 - t0;
		ASSERT_EQ(i, pop(self->r, "twohosts:ack", 60));
		EXPECT_LT(inv.invalidations, tstats(self->t).invalidations);
		/* Gone for good, and the tier reads A's value. */
		EXPECT_EQ(-ENOENT, kget(self->c, key, buf, sizeof(buf)));
		snprintf(val, sizeof(val), "new-%ld", i);
		ASSERT_LT(0, tget(self->t, key, buf, sizeof(buf)));
		EXPECT_STREQ(val, buf);
	}
	ASSERT_EQ(0, rdo(self->r, "LPUSH twohosts:req 0"));
	qsort(lat, (size_t)self->rounds, sizeof(*lat), cmp_u64);
	printf("# %d rounds: write on A to key gone from B's kernel cache: "
	       "median %llu us, p90 %llu us, max %llu us; PING B->Redis "
	       "round trip median %llu us\n", self->rounds,
	       (unsigned long long)lat[self->rounds / 2],
	       (unsigned long long)lat[self->rounds * 9 / 10],
	       (unsigned long long)lat[self->rounds - 1],
	       (unsigned long long)rtt[8]);
	fflush(stdout);
	free(lat);
}

TEST_HARNESS_MAIN
