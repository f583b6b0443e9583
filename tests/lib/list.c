// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_list() and kcache_get_totals(): the caches that exist and the
 * sums over them, as the module's sysfs directory shows them to anyone.
 * The programs of tests/run-tests run one at a time, so nothing but this
 * test changes the counters meanwhile (expirations and the reaper's
 * figures aside, which these tests do not compare).
 */
#include "kselftest_harness.h"
#include "lib.h"

/* Index of @name in @names, or -1. */
static int find_name(char **names, const char *name)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

FIXTURE(list) {
	char a[LRUCACHE_NAME_MAX], b[LRUCACHE_NAME_MAX];
	struct kcache *ca, *cb;
};

FIXTURE_SETUP(list)
{
	KCACHE_OPTS(opts, .max_size = 10);

	unique_name(self->a, "list-a");
	unique_name(self->b, "list-b");
	ASSERT_EQ(0, kcache_open(self->b, &opts, &self->cb));
	ASSERT_EQ(0, kcache_open(self->a, &opts, &self->ca));
}

FIXTURE_TEARDOWN(list)
{
	kcache_close(self->ca);
	kcache_close(self->cb);
	kcache_destroy(self->a);
	kcache_destroy(self->b);
}

TEST_F(list, names_every_cache_sorted_and_null_terminated)
{
	char **names = NULL;
	int n, i, ia, ib;

	n = kcache_list(&names);
	ASSERT_GE(n, 2);
	ASSERT_NE(NULL, names);
	EXPECT_NULL(names[n]);
	for (i = 1; i < n; i++)
		EXPECT_LT(strcmp(names[i - 1], names[i]), 0);
	ia = find_name(names, self->a);
	ib = find_name(names, self->b);
	/* Created b first, a second: listed a before b all the same. */
	EXPECT_GE(ia, 0);
	EXPECT_GT(ib, ia);
	free(names);
}

TEST_F(list, destroyed_cache_is_no_longer_listed)
{
	char **names = NULL;
	int before, after;

	before = kcache_list(&names);
	ASSERT_GE(before, 2);
	free(names);
	ASSERT_EQ(0, kcache_destroy(self->b));
	after = kcache_list(&names);
	ASSERT_EQ(before - 1, after);
	EXPECT_EQ(-1, find_name(names, self->b));
	EXPECT_LE(0, find_name(names, self->a));
	free(names);
}

TEST_F(list, unreadable_cache_is_listed_too)
{
	char name[LRUCACHE_NAME_MAX], **names = NULL;
	KCACHE_OPTS(opts, .mode = 0100);	/* owner: admin only */
	struct kcache *c;

	unique_name(name, "list-c");
	ASSERT_EQ(0, kcache_open(name, &opts, &c));
	kcache_close(c);
	ASSERT_GE(kcache_list(&names), 3);
	EXPECT_LE(0, find_name(names, name));
	free(names);
	EXPECT_EQ(0, kcache_destroy(name));
}

TEST(list_rejects_null)
{
	EXPECT_EQ(-EINVAL, kcache_list(NULL));
	EXPECT_EQ(-EINVAL, kcache_get_totals(NULL));
}

TEST_F(list, totals_count_the_operations_of_every_cache)
{
	struct kcache_totals t0, t1;
	struct kcache_metrics m;
	char buf[256];
	char **names = NULL;
	int n;

	memset(&t0, 0xff, sizeof(t0));
	ASSERT_EQ(0, kcache_get_totals(&t0));
	/* Reserved fields zeroed, the limit reported. */
	for (n = 0; n < 17; n++)
		EXPECT_EQ(0ULL, (unsigned long long)t0.reserved[n]);
	EXPECT_GT(t0.max_total_bytes, 0ULL);
	n = kcache_list(&names);
	free(names);
	EXPECT_EQ((uint64_t)n, t0.caches);

	/* Two sets and a hit in a, a set, a miss and a delete in b. */
	ASSERT_EQ(0, sset(self->ca, "k1", "v1"));
	ASSERT_EQ(0, sset(self->ca, "k2", "value2"));
	ASSERT_EQ(2, sget(self->ca, "k1", buf));
	ASSERT_EQ(0, sset(self->cb, "k", "v"));
	ASSERT_EQ(-ENOENT, sget(self->cb, "nothing", buf));
	ASSERT_EQ(0, kcache_delete(self->cb, "k", 1));

	ASSERT_EQ(0, kcache_get_totals(&t1));
	EXPECT_EQ(t0.caches, t1.caches);
	EXPECT_EQ(t0.sets + 3, t1.sets);
	EXPECT_EQ(t0.hits + 1, t1.hits);
	EXPECT_EQ(t0.misses + 1, t1.misses);
	EXPECT_EQ(t0.deletes + 1, t1.deletes);
	EXPECT_EQ(t0.entries + 2, t1.entries);
	ASSERT_EQ(0, kcache_get_metrics(self->ca, &m));
	EXPECT_EQ(t0.bytes + m.bytes, t1.bytes);
	EXPECT_EQ(t0.max_total_bytes, t1.max_total_bytes);
}

TEST_F(list, totals_lose_a_destroyed_cache)
{
	struct kcache_totals t0, t1;

	ASSERT_EQ(0, sset(self->cb, "k", "v"));
	ASSERT_EQ(0, kcache_get_totals(&t0));
	kcache_close(self->cb);
	self->cb = NULL;
	ASSERT_EQ(0, kcache_destroy(self->b));
	ASSERT_EQ(0, kcache_get_totals(&t1));
	EXPECT_EQ(t0.caches - 1, t1.caches);
	EXPECT_EQ(t0.entries - 1, t1.entries);
	EXPECT_EQ(t0.sets - 1, t1.sets);
}

TEST_HARNESS_MAIN
