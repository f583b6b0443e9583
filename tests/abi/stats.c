// SPDX-License-Identifier: GPL-2.0
/*
 * LRUCACHE_IOC_STATS after known sequences of operations. Every expected
 * number is derived from the documented semantics, step by step, in the
 * comments; entry_overhead is read from the kernel, never assumed.
 */
#include "kselftest_harness.h"
#include "abi.h"

FIXTURE(stats) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	char other[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(stats)
{
	self->fd = -1;
	unique_name(self->name, "stats");
	unique_name(self->other, "stats-other");
	self->fd = cache_create(self->name, 2, 0, 0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(stats)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
	cache_destroy(self->other);
}

TEST_F(stats, fresh_cache_counts_nothing)
{
	struct lrucache_stats st;

	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.hits);
	ASSERT_EQ(0U, st.misses);
	ASSERT_EQ(0U, st.sets);
	ASSERT_EQ(0U, st.deletes);
	ASSERT_EQ(0U, st.evictions);
	ASSERT_EQ(0U, st.expirations);
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.bytes);
	ASSERT_EQ(2U, st.max_entries);
	ASSERT_EQ(0U, st.default_ttl_ms);
	ASSERT_LT(0U, st.max_bytes);
}

TEST_F(stats, counters_follow_a_known_sequence)
{
	struct lrucache_stats st;
	uint32_t len = 0;
	char out[256];
	int fd = self->fd;

	/* max_entries is 2. LRU order is written least recent first. */
	ASSERT_EQ(0, str_set(fd, "a", "1"));		/* sets 1: [a] */
	ASSERT_EQ(0, str_set(fd, "b", "22"));		/* sets 2: [a b] */
	ASSERT_EQ(1, str_get(fd, "a", out));		/* hits 1: [b a] */
	ASSERT_EQ(-ENOENT, str_get(fd, "c", out));	/* misses 1 */
	ASSERT_EQ(0, str_set(fd, "a", "333"));		/* sets 3: [b a] */
	ASSERT_EQ(0, str_set(fd, "c", "4444"));		/* sets 4, evict b */
	ASSERT_EQ(-ENOENT, str_get(fd, "b", out));	/* misses 2: [a c] */
	ASSERT_EQ(1, str_exists(fd, "a"));		/* counts nothing */
	ASSERT_EQ(0, str_exists(fd, "b"));		/* counts nothing */
	ASSERT_EQ(0, kv_delete(fd, "c", 1));		/* deletes 1: [a] */
	ASSERT_EQ(-ENOENT, kv_delete(fd, "c", 1));	/* counts nothing */
	ASSERT_EQ(3, kv_get(fd, "a", 1, NULL, &len));	/* hits 2 (probe) */
	ASSERT_EQ(0, kv_set(fd, "d", 1, "5", 1, LRUCACHE_TTL_NONE,
			    LRUCACHE_SET_NX));		/* sets 5: [a d] */
	ASSERT_EQ(-EEXIST, kv_set(fd, "d", 1, "6", 1, LRUCACHE_TTL_NONE,
				  LRUCACHE_SET_NX));	/* counts nothing */
	ASSERT_EQ(-ENOENT, kv_set(fd, "e", 1, "7", 1, LRUCACHE_TTL_NONE,
				  LRUCACHE_SET_XX));	/* counts nothing */

	ASSERT_EQ(0, cache_stats(fd, &st));
	EXPECT_EQ(2U, st.hits);
	EXPECT_EQ(2U, st.misses);
	EXPECT_EQ(5U, st.sets);
	EXPECT_EQ(1U, st.deletes);
	EXPECT_EQ(1U, st.evictions);
	EXPECT_EQ(0U, st.expirations);
	EXPECT_EQ(2U, st.entries);
	/* a = "333", d = "5" */
	EXPECT_EQ(entry_charge(st.entry_overhead, 1, 3) +
		  entry_charge(st.entry_overhead, 1, 1), st.bytes);
	EXPECT_EQ((1 + 3 + st.entry_overhead) + (1 + 1 + st.entry_overhead),
		  st.data_bytes);

	/* CLEAR empties the cache without counting deletes or evictions. */
	ASSERT_EQ(0, cache_clear(fd));
	ASSERT_EQ(0, cache_stats(fd, &st));
	EXPECT_EQ(2U, st.hits);
	EXPECT_EQ(2U, st.misses);
	EXPECT_EQ(5U, st.sets);
	EXPECT_EQ(1U, st.deletes);
	EXPECT_EQ(1U, st.evictions);
	EXPECT_EQ(0U, st.entries);
	EXPECT_EQ(0U, st.bytes);
}

/*
 * "bytes" is what the entries' allocations take (entry_charge() in abi.h:
 * kmalloc's size class of overhead + key + value, or vmalloc's pages and
 * its overhead beyond 8 KiB); "data_bytes" is overhead + key + value,
 * summed. Both follow sets, replaces and deletes exactly.
 */
TEST_F(stats, bytes_are_allocation_sizes_and_data_bytes_their_contents)
{
	struct lrucache_stats st;
	char key[64], val[512];
	uint64_t expect = 0, data = 0, ov;
	int fd, i;

	fd = cache_create(self->other, 100, 0, 0);
	ASSERT_LE(0, fd);
	memset(key, 'k', sizeof(key));
	memset(val, 'v', sizeof(val));
	ASSERT_EQ(0, cache_stats(fd, &st));
	ov = st.entry_overhead;
	for (i = 1; i <= 20; i++) {
		/* Key i (i bytes of 'k'), value 25 * i bytes. */
		ASSERT_EQ(0, kv_set(fd, key, i, val, 25 * i,
				    LRUCACHE_TTL_NONE, 0));
		expect += entry_charge(ov, i, 25 * i);
		data += ov + i + 25 * i;
	}
	ASSERT_EQ(0, cache_stats(fd, &st));
	ASSERT_EQ(20U, st.entries);
	ASSERT_EQ(expect, st.bytes);
	ASSERT_EQ(data, st.data_bytes);

	/* Replacing key 5's value (125 bytes) with 3 bytes. */
	ASSERT_EQ(0, kv_set(fd, key, 5, val, 3, LRUCACHE_TTL_NONE, 0));
	expect += entry_charge(ov, 5, 3) - entry_charge(ov, 5, 125);
	data -= 125 - 3;
	ASSERT_EQ(0, cache_stats(fd, &st));
	ASSERT_EQ(expect, st.bytes);
	ASSERT_EQ(data, st.data_bytes);

	/* Deleting key 7. */
	ASSERT_EQ(0, kv_delete(fd, key, 7));
	expect -= entry_charge(ov, 7, 175);
	data -= ov + 7 + 175;
	ASSERT_EQ(0, cache_stats(fd, &st));
	ASSERT_EQ(expect, st.bytes);
	ASSERT_EQ(data, st.data_bytes);
	ASSERT_EQ(19U, st.entries);
	close(fd);
}

/*
 * Across kmalloc's size classes and into vmalloc: each entry alone is
 * charged what the rule says, 96 bytes the least, at most twice its size
 * up to 8 KiB, and above that its whole pages and less than 2% and 512
 * bytes more than them (1.5 times the size just above 8 KiB).
 */
TEST_F(stats, charge_follows_the_allocation_rule)
{
	static const uint64_t sizes[] = {
		65, 96, 97, 128, 129, 192, 193, 256, 257, 1000, 4096, 4097,
		8192, 8193, 12288, 65536, 1 << 20,
	};
	static char val[(1 << 20) + 1];
	struct lrucache_stats st;
	unsigned int i;
	uint64_t ov, n, c;
	int fd;

	fd = cache_create(self->other, 100, 4 << 20, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cache_stats(fd, &st));
	ov = st.entry_overhead;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		ASSERT_EQ(0, kv_set(fd, "k", 1, val, n - ov - 1,
				    LRUCACHE_TTL_NONE, 0));
		ASSERT_EQ(0, cache_stats(fd, &st));
		c = alloc_charge(n);
		EXPECT_EQ(c, st.bytes) {
			TH_LOG("an entry of %llu bytes", (unsigned long long)n);
		}
		EXPECT_EQ(n, st.data_bytes);
		EXPECT_LE(96U, st.bytes);
		if (n <= KMALLOC_MAX_CACHE) {
			EXPECT_GE(2 * n, st.bytes);
		} else {
			uint64_t pages = (n + 4095) / 4096 * 4096;

			EXPECT_LE(pages, st.bytes);
			EXPECT_GE(pages + pages / 50 + 512, st.bytes);
		}
	}
	close(fd);
}
TEST_F(stats, stats_are_per_cache)
{
	struct lrucache_stats st;
	char out[256];
	int fd;

	fd = cache_create(self->other, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, str_set(fd, "k", "v"));
	ASSERT_EQ(1, str_get(fd, "k", out));
	ASSERT_EQ(-ENOENT, str_get(fd, "x", out));
	ASSERT_EQ(0, kv_delete(fd, "k", 1));

	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.hits);
	ASSERT_EQ(0U, st.misses);
	ASSERT_EQ(0U, st.sets);
	ASSERT_EQ(0U, st.deletes);
	close(fd);
}

TEST_F(stats, all_descriptors_see_the_same_stats)
{
	struct lrucache_stats st1, st2;
	char out[256];
	int fd;

	fd = cache_attach(self->name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	ASSERT_EQ(1, str_get(fd, "k", out));
	ASSERT_EQ(0, cache_stats(self->fd, &st1));
	ASSERT_EQ(0, cache_stats(fd, &st2));
	ASSERT_EQ(0, memcmp(&st1, &st2, sizeof(st1)));
	ASSERT_EQ(1U, st1.hits);
	ASSERT_EQ(1U, st1.sets);
	close(fd);
}

TEST_F(stats, rejected_requests_count_nothing)
{
	struct lrucache_stats st;
	uint32_t len = 0;

	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1, 0, 0));
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 0, "v", 1,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-EINVAL, kv_get(self->fd, "k", 0, NULL, &len));
	ASSERT_EQ(-EFAULT, kv_set(self->fd, "k", 1, (void *)1, 1,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.hits);
	ASSERT_EQ(0U, st.misses);
	ASSERT_EQ(0U, st.sets);
	ASSERT_EQ(0U, st.entries);
}

TEST_HARNESS_MAIN
