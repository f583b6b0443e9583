// SPDX-License-Identifier: GPL-2.0
/*
 * LRU order and eviction through the raw ioctls: by entry count and by
 * bytes charged, what refreshes an entry (set, GET hit, size probe) and
 * what does not (EXISTS, a miss).
 *
 * Byte budgets are computed from stats.entry_overhead and the charging
 * rule (entry_charge() in abi.h): an entry with a one-byte key and a
 * 9-byte value is charged C, what 1 + 9 + overhead bytes take (96), and
 * one with a value of 9 + C bytes is charged exactly 2 C (192).
 */
#include "kselftest_harness.h"
#include "abi.h"

#define VAL9	"123456789"

FIXTURE(lru) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	uint64_t overhead;
	uint64_t charge;	/* of a one-byte key with VAL9 */
};

FIXTURE_SETUP(lru)
{
	int err;

	self->fd = -1;
	unique_name(self->name, "lru");
	err = entry_overhead(&self->overhead);
	ASSERT_EQ(0, err) {
		TH_LOG("cannot read entry_overhead: %s", strerror(-err));
	}
	self->charge = entry_charge(self->overhead, 1, 9);
	ASSERT_EQ(2 * self->charge,
		  entry_charge(self->overhead, 1, 9 + self->charge));
}

FIXTURE_TEARDOWN(lru)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

#define CREATE(max_entries, max_bytes) do {				\
	self->fd = cache_create(self->name, (max_entries), (max_bytes), 0); \
	ASSERT_LE(0, self->fd) {					\
		TH_LOG("cannot create %s: %s", self->name,		\
		       strerror(-self->fd));				\
	}								\
} while (0)

/* Set the one-letter keys of @keys, in order, to VAL9. */
#define SET_KEYS(keys) do {						\
	const char *__k;						\
	for (__k = (keys); *__k; __k++) {				\
		ASSERT_EQ(0, kv_set(self->fd, __k, 1, VAL9, 9,		\
				    LRUCACHE_TTL_NONE, 0));		\
	}								\
} while (0)

/* Exactly the one-letter keys of @present exist among "abcdefgh". */
#define EXPECT_KEYS(present) do {					\
	const char *__k;						\
	for (__k = "abcdefgh"; *__k; __k++) {				\
		EXPECT_EQ(strchr((present), *__k) ? 1 : 0,		\
			  kv_exists(self->fd, __k, 1)) {		\
			TH_LOG("key '%c'", *__k);			\
		}							\
	}								\
} while (0)

TEST_F(lru, lru_evicts_least_recent)
{
	struct lrucache_stats st;

	CREATE(3, 0);
	SET_KEYS("abc");
	EXPECT_KEYS("abc");
	SET_KEYS("d");
	EXPECT_KEYS("bcd");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(3U, st.entries);
	ASSERT_EQ(1U, st.evictions);
	ASSERT_EQ(3 * self->charge, st.bytes);
}

TEST_F(lru, inserts_evict_in_insertion_order)
{
	struct lrucache_stats st;
	uint32_t i;

	CREATE(8, 0);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, kv_set(self->fd, &i, sizeof(i), &i, sizeof(i),
				    LRUCACHE_TTL_NONE, 0));
	}
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(i >= 8 ? 1 : 0, kv_exists(self->fd, &i, sizeof(i)));
	}
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(8U, st.entries);
	ASSERT_EQ(8U, st.evictions);
}

TEST_F(lru, get_hit_makes_entry_most_recent)
{
	char out[256];

	CREATE(3, 0);
	SET_KEYS("abc");
	ASSERT_EQ(9, str_get(self->fd, "a", out));
	SET_KEYS("d");
	EXPECT_KEYS("acd");
}

TEST_F(lru, size_probe_makes_entry_most_recent)
{
	uint32_t len = 0;

	CREATE(3, 0);
	SET_KEYS("abc");
	ASSERT_EQ(9, kv_get(self->fd, "a", 1, NULL, &len));
	SET_KEYS("d");
	EXPECT_KEYS("acd");
}

TEST_F(lru, too_small_get_makes_entry_most_recent)
{
	char buf[4];
	uint32_t len = sizeof(buf);

	CREATE(3, 0);
	SET_KEYS("abc");
	ASSERT_EQ(9, kv_get(self->fd, "a", 1, buf, &len));
	SET_KEYS("d");
	EXPECT_KEYS("acd");
}

TEST_F(lru, exists_does_not_refresh_entry)
{
	CREATE(3, 0);
	SET_KEYS("abc");
	ASSERT_EQ(1, str_exists(self->fd, "a"));
	SET_KEYS("d");
	EXPECT_KEYS("bcd");
}

TEST_F(lru, get_miss_does_not_change_order)
{
	char out[256];

	CREATE(3, 0);
	SET_KEYS("abc");
	ASSERT_EQ(-ENOENT, str_get(self->fd, "z", out));
	SET_KEYS("d");
	EXPECT_KEYS("bcd");
}

TEST_F(lru, replace_makes_entry_most_recent)
{
	CREATE(3, 0);
	SET_KEYS("abc");
	SET_KEYS("a");
	SET_KEYS("d");
	EXPECT_KEYS("acd");
}

TEST_F(lru, replace_at_entry_limit_evicts_nothing)
{
	struct lrucache_stats st;

	CREATE(3, 0);
	SET_KEYS("abcabc");
	EXPECT_KEYS("abc");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.evictions);
	ASSERT_EQ(6U, st.sets);
}

TEST_F(lru, delete_makes_room_without_eviction)
{
	struct lrucache_stats st;

	CREATE(2, 0);
	SET_KEYS("ab");
	ASSERT_EQ(0, kv_delete(self->fd, "a", 1));
	SET_KEYS("c");
	EXPECT_KEYS("bc");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.evictions);
	ASSERT_EQ(1U, st.deletes);
}

TEST_F(lru, byte_limit_evicts_least_recent)
{
	struct lrucache_stats st;

	CREATE(100, 3 * self->charge);
	SET_KEYS("abc");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(3 * self->charge, st.bytes);
	ASSERT_EQ(0U, st.evictions);

	SET_KEYS("d");
	EXPECT_KEYS("bcd");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(3 * self->charge, st.bytes);
	ASSERT_EQ(1U, st.evictions);
	ASSERT_EQ(3U, st.entries);
}

TEST_F(lru, large_entry_evicts_as_many_as_needed)
{
	struct lrucache_stats st;
	size_t vlen = 9 + self->charge;	/* charged 2 * charge */
	char *val = malloc(vlen);

	ASSERT_NE(NULL, val);
	memset(val, 'v', vlen);
	CREATE(100, 3 * self->charge);
	SET_KEYS("abc");
	/* Needs two entries' room: a and b, the least recent, go. */
	ASSERT_EQ(0, kv_set(self->fd, "e", 1, val, vlen,
			    LRUCACHE_TTL_NONE, 0));
	EXPECT_KEYS("ce");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(2U, st.evictions);
	ASSERT_EQ(3 * self->charge, st.bytes);
	free(val);
}

TEST_F(lru, largest_entry_within_budget_evicts_all_others)
{
	struct lrucache_stats st;
	size_t vlen = value_within(self->overhead, 1, 3 * self->charge);
	char *val = malloc(vlen);

	ASSERT_NE(NULL, val);
	memset(val, 'v', vlen);
	CREATE(100, 3 * self->charge);
	SET_KEYS("abc");
	ASSERT_EQ(0, kv_set(self->fd, "e", 1, val, vlen,
			    LRUCACHE_TTL_NONE, 0));
	EXPECT_KEYS("e");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(3U, st.evictions);
	ASSERT_EQ(1U, st.entries);
	ASSERT_EQ(entry_charge(self->overhead, 1, vlen), st.bytes);
	ASSERT_LT(2 * self->charge, st.bytes);
	free(val);
}

TEST_F(lru, entry_over_budget_is_rejected_and_old_value_stays)
{
	struct lrucache_stats st;
	size_t vlen = value_within(self->overhead, 1, 3 * self->charge) + 1;
	char *val = malloc(vlen), out[256];

	ASSERT_NE(NULL, val);
	memset(val, 'v', vlen);
	CREATE(100, 3 * self->charge);
	SET_KEYS("abc");
	ASSERT_EQ(-E2BIG, kv_set(self->fd, "a", 1, val, vlen,
				 LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-E2BIG, kv_set(self->fd, "e", 1, val, vlen,
				 LRUCACHE_TTL_NONE, 0));
	EXPECT_KEYS("abc");
	ASSERT_EQ(9, str_get(self->fd, "a", out));
	ASSERT_STREQ(VAL9, out);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.evictions);
	ASSERT_EQ(3U, st.sets);
	ASSERT_EQ(3 * self->charge, st.bytes);
	free(val);
}

TEST_F(lru, growing_replace_evicts_others_not_itself)
{
	struct lrucache_stats st;
	size_t vlen = 9 + self->charge;	/* charged 2 * charge */
	char *val = malloc(vlen);

	ASSERT_NE(NULL, val);
	memset(val, 'v', vlen);
	CREATE(100, 3 * self->charge);
	SET_KEYS("abc");
	/* a becomes most recent and twice as big: b, now least recent, goes. */
	ASSERT_EQ(0, kv_set(self->fd, "a", 1, val, vlen,
			    LRUCACHE_TTL_NONE, 0));
	EXPECT_KEYS("ac");
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1U, st.evictions);
	ASSERT_EQ(2U, st.entries);
	ASSERT_EQ(3 * self->charge, st.bytes);
	free(val);
}

TEST_F(lru, shrinking_replace_returns_bytes)
{
	struct lrucache_stats st;

	CREATE(100, 0);
	SET_KEYS("a");
	ASSERT_EQ(0, kv_set(self->fd, "a", 1, "x", 1, LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(entry_charge(self->overhead, 1, 1), st.bytes);
	ASSERT_EQ(0, kv_delete(self->fd, "a", 1));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.bytes);
}

TEST_F(lru, both_limits_hold_after_every_insert)
{
	struct lrucache_stats st;
	uint32_t i;

	CREATE(5, 4 * self->charge);
	for (i = 0; i < 50; i++) {
		char key = (char)('A' + i % 26);

		ASSERT_EQ(0, kv_set(self->fd, &key, 1, VAL9, 9,
				    LRUCACHE_TTL_NONE, 0));
		ASSERT_EQ(0, cache_stats(self->fd, &st));
		ASSERT_GE(5U, st.entries);
		ASSERT_GE(4 * self->charge, st.bytes);
		ASSERT_EQ(st.entries * self->charge, st.bytes);
	}
}

TEST_HARNESS_MAIN
