// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_get_metrics(): the kernel's counters and limits, the derived hit
 * rate, and the reserved tail, after known sequences of operations.
 */
#include "kselftest_harness.h"
#include "lib.h"

FIXTURE(metrics) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(metrics)
{
	KCACHE_OPTS(opts, .max_size = 2, .max_memory_bytes = 1 << 20,
		    .default_ttl_ms = 3600 * 1000);
	int err;

	self->c = NULL;
	unique_name(self->name, "metrics");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
}

FIXTURE_TEARDOWN(metrics)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F(metrics, limits_are_reported)
{
	struct kcache_metrics m;

	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(2U, m.max_entries);
	ASSERT_EQ(1U << 20, m.max_bytes);
	ASSERT_EQ(3600U * 1000, m.default_ttl_ms);
	ASSERT_LT(0U, m.entry_overhead);
}

TEST_F(metrics, fresh_cache_has_zero_hit_rate)
{
	struct kcache_metrics m;

	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(0U, m.hits);
	ASSERT_EQ(0U, m.misses);
	ASSERT_TRUE(m.hit_rate == 0.0);
	ASSERT_EQ(0U, m.entries);
	ASSERT_EQ(0U, m.bytes);
	ASSERT_EQ(0U, m.data_bytes);
}

TEST_F(metrics, counters_follow_a_known_sequence)
{
	struct kcache_metrics m;
	char out[256];

	/* max_size 2; LRU order least recent first. */
	ASSERT_EQ(0, sset(self->c, "a", "1"));		/* sets 1: [a] */
	ASSERT_EQ(0, sset(self->c, "b", "22"));		/* sets 2: [a b] */
	ASSERT_EQ(1, sget(self->c, "a", out));		/* hits 1: [b a] */
	ASSERT_EQ(-ENOENT, sget(self->c, "x", out));	/* misses 1 */
	ASSERT_EQ(0, sset(self->c, "c", "333"));	/* sets 3, evict b */
	ASSERT_EQ(-ENOENT, sget(self->c, "b", out));	/* misses 2 */
	ASSERT_EQ(3, sget(self->c, "c", out));		/* hits 2: [a c] */
	ASSERT_EQ(1, sget(self->c, "a", out));		/* hits 3: [c a] */
	ASSERT_EQ(0, kcache_delete(self->c, "c", 1));	/* deletes 1: [a] */

	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(3U, m.hits);
	EXPECT_EQ(2U, m.misses);
	EXPECT_TRUE(m.hit_rate > 0.5999 && m.hit_rate < 0.6001);
	EXPECT_EQ(3U, m.sets);
	EXPECT_EQ(1U, m.deletes);
	EXPECT_EQ(1U, m.evictions);
	EXPECT_EQ(0U, m.expirations);
	EXPECT_EQ(1U, m.entries);
	EXPECT_EQ(entry_charge(m.entry_overhead, 1, 1), m.bytes);
	/* The bytes themselves, without the allocator's rounding (1.10). */
	EXPECT_EQ(m.entry_overhead + 1 + 1, m.data_bytes);
	/* a has the cache's default TTL; nothing was reaped. */
	EXPECT_EQ(1U, m.expiring);
	EXPECT_EQ(0U, m.reaped);
}

TEST_F(metrics, expired_entry_counts_as_expiration_and_miss)
{
	struct kcache_metrics m;
	char out[256];
	int tries;

	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, 1));
	for (tries = 0; tries < 200; tries++) {
		sleep_ms(10);
		if (sget(self->c, "k", out) == -ENOENT)
			break;
	}
	ASSERT_GT(200, tries);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(1U, m.expirations);
	ASSERT_EQ(1U, m.misses);
	ASSERT_EQ(0U, m.entries);
	/* The lookup freed it, not the reaper (its timer is a minute away). */
	ASSERT_EQ(0U, m.reaped);
	ASSERT_EQ(0U, m.expiring);
}

TEST_F(metrics, reserved_tail_is_zeroed)
{
	struct kcache_metrics m;
	unsigned int i;

	memset(&m, 0xff, sizeof(m));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	for (i = 0; i < sizeof(m.reserved) / sizeof(m.reserved[0]); i++) {
		ASSERT_EQ(0U, m.reserved[i]);
	}
}

TEST_F(metrics, handles_of_one_cache_report_the_same)
{
	struct kcache_metrics m1, m2;
	struct kcache *c2;
	char out[256];

	ASSERT_EQ(0, kcache_open(self->name, NULL, &c2));
	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(1, sget(c2, "k", out));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	ASSERT_EQ(0, kcache_get_metrics(c2, &m2));
	ASSERT_EQ(0, memcmp(&m1, &m2, sizeof(m1)));
	ASSERT_EQ(1U, m1.hits);
	kcache_close(c2);
}

TEST_HARNESS_MAIN
