// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the lrucache engine, through its exported API only.
 *
 * Expiry is tested on a frozen cache clock that only
 * lrucache_test_advance_clock() moves, never by sleeping: a slow machine
 * cannot make an entry expire early.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/lrucache.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

/* The namespace of the test hooks, as this kernel spells it. */
#include "compat.h"

#define TEST_CACHE	"kunit-cache"

struct lrucache_test {
	struct lrucache *cache;
	struct lrucache_stats st;
};

/* Creates TEST_CACHE with the given limits for the running test. */
static struct lrucache *make_cache(struct kunit *test, u64 max_entries,
				   u64 max_bytes, u64 default_ttl_ms)
{
	struct lrucache_test *t = test->priv;
	struct lrucache_params p = {
		.max_entries = max_entries,
		.max_bytes = max_bytes,
		.default_ttl_ms = default_ttl_ms,
		/* The reaper runs when a test says so, not on a timer. */
		.cleanup_interval_ms = LRUCACHE_CLEANUP_INTERVAL_MAX_MS,
	};

	KUNIT_ASSERT_EQ(test, 0, lrucache_open(TEST_CACHE, &p,
					       LRUCACHE_OPEN_CREATE |
					       LRUCACHE_OPEN_EXCL, &t->cache));
	/* Expiry follows lrucache_test_advance_clock() alone. */
	lrucache_test_freeze_clock(t->cache);
	return t->cache;
}

/*
 * What an entry of a small key and value is charged: kmalloc's size class
 * of its header, key and value (entries up to 8 KiB come from kmalloc()).
 */
static u64 charge(u64 overhead, size_t key_len, size_t value_len)
{
	return kmalloc_size_roundup(overhead + key_len + value_len);
}

static struct lrucache_stats *stats(struct kunit *test)
{
	struct lrucache_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, lrucache_get_stats(t->cache, &t->st));
	return &t->st;
}

/* The cache's list, table, buckets and counters agree. */
static void expect_consistent(struct kunit *test, struct lrucache *c)
{
	struct lrucache_check check;

	KUNIT_ASSERT_EQ(test, 0, lrucache_check(c, &check));
	KUNIT_EXPECT_EQ(test, 0ULL, check.problems);
	KUNIT_EXPECT_EQ(test, check.entries, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, check.bytes, stats(test)->bytes);
}

static int set_str(struct lrucache *c, const char *key, const char *value)
{
	return lrucache_set(c, key, strlen(key), value, strlen(value),
			    LRUCACHE_TTL_DEFAULT, 0);
}

/* Returns the value length, and the value NUL-terminated in @buf[32]. */
static ssize_t get_str(struct lrucache *c, const char *key, char *buf)
{
	ssize_t ret = lrucache_get(c, key, strlen(key), buf, 31);

	if (ret >= 0 && ret < 32)
		buf[ret] = '\0';
	return ret;
}

static bool has(struct lrucache *c, const char *key)
{
	return lrucache_exists(c, key, strlen(key)) == 1;
}

static void set_then_get_returns_value(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	char buf[32];

	KUNIT_EXPECT_EQ(test, 0, set_str(c, "k", "hello"));
	KUNIT_EXPECT_EQ(test, 5, get_str(c, "k", buf));
	KUNIT_EXPECT_STREQ(test, buf, "hello");
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->hits);
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->sets);
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->entries);
}

static void get_missing_is_miss(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	char buf[32];

	KUNIT_EXPECT_EQ(test, -ENOENT, get_str(c, "nope", buf));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->misses);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->hits);
}

static void binary_key_and_value_round_trip(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	u8 key[4] = { 0, 1, 0, 255 }, value[256], out[256];
	int i;

	for (i = 0; i < 256; i++)
		value[i] = i;
	KUNIT_EXPECT_EQ(test, 0, lrucache_set(c, key, sizeof(key), value,
					      sizeof(value),
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_EQ(test, 256, lrucache_get(c, key, sizeof(key), out,
						sizeof(out)));
	KUNIT_EXPECT_EQ(test, 0, memcmp(value, out, sizeof(value)));
	/* A key that differs only in its last byte is another key. */
	key[3] = 254;
	KUNIT_EXPECT_EQ(test, -ENOENT, lrucache_get(c, key, sizeof(key), out,
						    sizeof(out)));
}

static void replace_updates_value_and_bytes(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	u64 overhead;
	char buf[32];

	KUNIT_ASSERT_EQ(test, 0, set_str(c, "k", "short"));
	overhead = stats(test)->entry_overhead;
	KUNIT_EXPECT_EQ(test, charge(overhead, 1, 5), stats(test)->bytes);
	KUNIT_EXPECT_EQ(test, overhead + 1 + 5, stats(test)->data_bytes);
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "k", "much longer"));
	KUNIT_EXPECT_EQ(test, 11, get_str(c, "k", buf));
	KUNIT_EXPECT_STREQ(test, buf, "much longer");
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, charge(overhead, 1, 11), stats(test)->bytes);
	KUNIT_EXPECT_EQ(test, overhead + 1 + 11, stats(test)->data_bytes);
	KUNIT_EXPECT_EQ(test, 2ULL, stats(test)->sets);
}

static void lru_evicts_least_recent(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 3, 0, 0);
	char buf[32];

	set_str(c, "a", "1");
	set_str(c, "b", "2");
	set_str(c, "c", "3");
	/* a becomes the most recent: b is now the least recent. */
	KUNIT_EXPECT_EQ(test, 1, get_str(c, "a", buf));
	set_str(c, "d", "4");
	KUNIT_EXPECT_FALSE(test, has(c, "b"));
	KUNIT_EXPECT_TRUE(test, has(c, "a"));
	KUNIT_EXPECT_TRUE(test, has(c, "c"));
	KUNIT_EXPECT_TRUE(test, has(c, "d"));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->evictions);
	/* A replace also refreshes: c goes after it, then the oldest, a. */
	set_str(c, "a", "x");
	set_str(c, "e", "5");
	KUNIT_EXPECT_FALSE(test, has(c, "c"));
	set_str(c, "f", "6");
	KUNIT_EXPECT_FALSE(test, has(c, "d"));
	KUNIT_EXPECT_TRUE(test, has(c, "a"));
	KUNIT_EXPECT_EQ(test, 3ULL, stats(test)->entries);
}

static void exists_does_not_refresh(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 2, 0, 0);

	set_str(c, "a", "1");
	set_str(c, "b", "2");
	KUNIT_EXPECT_TRUE(test, has(c, "a"));
	set_str(c, "c", "3");
	KUNIT_EXPECT_FALSE(test, has(c, "a"));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->hits + stats(test)->misses);
}

static void max_bytes_evicts_until_it_fits(struct kunit *test)
{
	u64 overhead, entry;
	struct lrucache *c;
	char value[17];
	char big[32];

	/*
	 * Room for exactly three entries of a 1-byte key and 16-byte value
	 * (charged 96 bytes each, kmalloc's class for 81 bytes).
	 */
	c = make_cache(test, 100, 1, 0);
	overhead = stats(test)->entry_overhead;
	lrucache_put(c);
	KUNIT_ASSERT_EQ(test, 0, lrucache_destroy(TEST_CACHE));
	entry = charge(overhead, 1, 16);
	c = make_cache(test, 100, 3 * entry, 0);

	memset(value, 'v', 16);
	value[16] = '\0';
	set_str(c, "a", value);
	set_str(c, "b", value);
	set_str(c, "c", value);
	KUNIT_EXPECT_EQ(test, 3 * entry, stats(test)->bytes);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->evictions);
	set_str(c, "d", value);
	KUNIT_EXPECT_FALSE(test, has(c, "a"));
	KUNIT_EXPECT_EQ(test, 3 * entry, stats(test)->bytes);
	/* A value twice as large (charged 128) needs b and c to go. */
	memset(big, 'w', sizeof(big));
	KUNIT_EXPECT_EQ(test, 0, lrucache_set(c, "e", 1, big, sizeof(big),
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_FALSE(test, has(c, "b"));
	KUNIT_EXPECT_FALSE(test, has(c, "c"));
	KUNIT_EXPECT_TRUE(test, has(c, "d"));
	KUNIT_EXPECT_EQ(test, 3ULL, stats(test)->evictions);
	KUNIT_EXPECT_LE(test, stats(test)->bytes, 3 * entry);
}

/*
 * An entry is refused if what it would be charged exceeds max_bytes: with
 * max_bytes 96 (kmalloc's class of 65 to 96 bytes), a 1-byte key takes a
 * value of at most 96 - overhead - 1 bytes.
 */
static void entry_over_max_bytes_is_refused(struct kunit *test)
{
	char value[64], buf[64];
	struct lrucache *c;
	size_t fit;

	c = make_cache(test, 10, 96, 0);
	fit = 96 - stats(test)->entry_overhead - 1;
	KUNIT_ASSERT_LT(test, fit + 1, sizeof(value));
	memset(value, 'v', sizeof(value));
	KUNIT_EXPECT_EQ(test, 0, lrucache_set(c, "k", 1, value, fit,
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_EQ(test, -E2BIG, lrucache_set(c, "k", 1, value, fit + 1,
						   LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_EQ(test, (ssize_t)fit, lrucache_get(c, "k", 1, buf,
							 sizeof(buf)));
	KUNIT_EXPECT_EQ(test, 96ULL, stats(test)->bytes);
}

static void key_and_value_limits(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	char *big;

	KUNIT_EXPECT_EQ(test, -EINVAL, lrucache_set(c, "", 0, "v", 1,
						    LRUCACHE_TTL_NONE, 0));
	big = kvzalloc(SZ_2M, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_EQ(test, -E2BIG, lrucache_set(c, big, 4096, "v", 1,
						   LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_EQ(test, -E2BIG, lrucache_set(c, "k", 1, big, SZ_2M,
						   LRUCACHE_TTL_NONE, 0));
	/* A 1 MiB value (the default limit) is stored and read back. */
	memset(big, 0x5a, SZ_1M);
	KUNIT_EXPECT_EQ(test, 0, lrucache_set(c, "k", 1, big, SZ_1M,
					      LRUCACHE_TTL_NONE, 0));
	memset(big, 0, SZ_1M);
	KUNIT_EXPECT_EQ(test, (ssize_t)SZ_1M, lrucache_get(c, "k", 1, big,
							   SZ_2M));
	KUNIT_EXPECT_EQ(test, 0x5a, big[SZ_1M - 1]);
	kvfree(big);
}

static void small_buffer_gets_length_only(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	char buf[4] = "zzz";

	set_str(c, "k", "hello");
	KUNIT_EXPECT_EQ(test, 5, lrucache_get(c, "k", 1, buf, 3));
	KUNIT_EXPECT_STREQ(test, buf, "zzz");
	KUNIT_EXPECT_EQ(test, 5, lrucache_get(c, "k", 1, NULL, 0));
}

static void delete_removes_entry(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);

	set_str(c, "k", "v");
	KUNIT_EXPECT_EQ(test, 0, lrucache_delete(c, "k", 1));
	KUNIT_EXPECT_FALSE(test, has(c, "k"));
	KUNIT_EXPECT_EQ(test, -ENOENT, lrucache_delete(c, "k", 1));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->deletes);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->bytes);
}

static void clear_removes_everything(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 1000, 0, 0);
	char key[8];
	int i;

	for (i = 0; i < 600; i++) {
		snprintf(key, sizeof(key), "%d", i);
		KUNIT_ASSERT_EQ(test, 0, set_str(c, key, "v"));
	}
	KUNIT_EXPECT_EQ(test, 600ULL, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, 0, lrucache_clear(c));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->bytes);
	KUNIT_EXPECT_FALSE(test, has(c, "0"));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->deletes);
}

static void expired_entry_is_miss(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	char buf[32];

	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "k", 1, "v", 1, 1000, 0));
	lrucache_test_advance_clock(c, 999 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 1, get_str(c, "k", buf));
	lrucache_test_advance_clock(c, 1 * NSEC_PER_MSEC);
	KUNIT_EXPECT_FALSE(test, has(c, "k"));
	KUNIT_EXPECT_EQ(test, -ENOENT, get_str(c, "k", buf));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->expirations);
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->misses);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->entries);
}

static void default_ttl_applies_and_none_overrides(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 500);

	set_str(c, "d", "v");
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "n", 1, "v", 1,
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "l", 1, "v", 1, 2000, 0));
	KUNIT_EXPECT_EQ(test, 500ULL, stats(test)->default_ttl_ms);
	lrucache_test_advance_clock(c, 600 * NSEC_PER_MSEC);
	KUNIT_EXPECT_FALSE(test, has(c, "d"));
	KUNIT_EXPECT_TRUE(test, has(c, "n"));
	KUNIT_EXPECT_TRUE(test, has(c, "l"));
	lrucache_test_advance_clock(c, 1000ULL * 1000 * NSEC_PER_MSEC);
	KUNIT_EXPECT_TRUE(test, has(c, "n"));
	KUNIT_EXPECT_FALSE(test, has(c, "l"));
}

static void bad_ttls_are_refused(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);

	KUNIT_EXPECT_EQ(test, -EINVAL, lrucache_set(c, "k", 1, "v", 1, 0, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_set(c, "k", 1, "v", 1,
				     LRUCACHE_TTL_MAX_MS + 1, 0));
	KUNIT_EXPECT_EQ(test, 0, lrucache_set(c, "k", 1, "v", 1,
					      LRUCACHE_TTL_MAX_MS, 0));
}

static void eviction_of_expired_counts_as_expiration(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 1, 0, 0);

	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "a", 1, "v", 1, 10, 0));
	lrucache_test_advance_clock(c, 20 * NSEC_PER_MSEC);
	set_str(c, "b", "v");
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->expirations);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->evictions);
}

static void set_nx_and_xx(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	char buf[32];

	KUNIT_EXPECT_EQ(test, -ENOENT, lrucache_set(c, "k", 1, "1", 1,
						    LRUCACHE_TTL_NONE,
						    LRUCACHE_SET_XX));
	KUNIT_EXPECT_EQ(test, 0, lrucache_set(c, "k", 1, "2", 1,
					      LRUCACHE_TTL_NONE,
					      LRUCACHE_SET_NX));
	KUNIT_EXPECT_EQ(test, -EEXIST, lrucache_set(c, "k", 1, "3", 1,
						    LRUCACHE_TTL_NONE,
						    LRUCACHE_SET_NX));
	KUNIT_EXPECT_EQ(test, 0, lrucache_set(c, "k", 1, "4", 1,
					      LRUCACHE_TTL_NONE,
					      LRUCACHE_SET_XX));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_set(c, "k", 1, "5", 1, LRUCACHE_TTL_NONE,
				     LRUCACHE_SET_NX | LRUCACHE_SET_XX));
	KUNIT_EXPECT_EQ(test, 1, get_str(c, "k", buf));
	KUNIT_EXPECT_STREQ(test, buf, "4");
}

static void open_flags_and_names(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0), *c2;

	KUNIT_EXPECT_EQ(test, -EEXIST,
			lrucache_open(TEST_CACHE, NULL, LRUCACHE_OPEN_CREATE |
				      LRUCACHE_OPEN_EXCL, &c2));
	KUNIT_ASSERT_EQ(test, 0, lrucache_open(TEST_CACHE, NULL, 0, &c2));
	KUNIT_EXPECT_PTR_EQ(test, c, c2);
	lrucache_put(c2);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			lrucache_open("kunit-missing", NULL, 0, &c2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_open("kunit-x", NULL, LRUCACHE_OPEN_EXCL, &c2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_open("", NULL, LRUCACHE_OPEN_CREATE, &c2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_open("a/b", NULL, LRUCACHE_OPEN_CREATE, &c2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_open(".hidden", NULL, LRUCACHE_OPEN_CREATE,
				      &c2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_open("tab\there", NULL, LRUCACHE_OPEN_CREATE,
				      &c2));
	KUNIT_EXPECT_STREQ(test, lrucache_name(c), TEST_CACHE);
}

static void destroyed_cache_refuses_operations(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0), *c2;
	struct lrucache_stats st;
	char buf[32];

	set_str(c, "k", "v");
	KUNIT_ASSERT_EQ(test, 0, lrucache_destroy(TEST_CACHE));
	KUNIT_EXPECT_EQ(test, -EIDRM, set_str(c, "k", "v"));
	KUNIT_EXPECT_EQ(test, -EIDRM, get_str(c, "k", buf));
	KUNIT_EXPECT_EQ(test, -EIDRM, lrucache_exists(c, "k", 1));
	KUNIT_EXPECT_EQ(test, -EIDRM, lrucache_delete(c, "k", 1));
	KUNIT_EXPECT_EQ(test, -EIDRM, lrucache_clear(c));
	KUNIT_EXPECT_EQ(test, -EIDRM, lrucache_get_stats(c, &st));
	KUNIT_EXPECT_EQ(test, -ENOENT, lrucache_destroy(TEST_CACHE));
	/* The name is free again at once. */
	KUNIT_ASSERT_EQ(test, 0, lrucache_open(TEST_CACHE, NULL,
					       LRUCACHE_OPEN_CREATE |
					       LRUCACHE_OPEN_EXCL, &c2));
	KUNIT_EXPECT_PTR_NE(test, c, c2);
	lrucache_put(c2);
}

static void reset_stats_keeps_contents(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	char buf[32];

	set_str(c, "k", "v");
	get_str(c, "k", buf);
	get_str(c, "x", buf);
	KUNIT_EXPECT_EQ(test, 0, lrucache_reset_stats(c));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->hits + stats(test)->misses +
			stats(test)->sets);
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, 1, get_str(c, "k", buf));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->hits);
}

static void no_metrics_counts_nothing(struct kunit *test)
{
	struct lrucache_test *t = test->priv;
	struct lrucache_info info;
	struct lrucache_params p = { .max_entries = 1 };
	struct lrucache_stats *st;
	char buf[32];

	KUNIT_ASSERT_EQ(test, 0, lrucache_open(TEST_CACHE, &p,
					       LRUCACHE_OPEN_CREATE |
					       LRUCACHE_OPEN_NO_METRICS,
					       &t->cache));
	set_str(t->cache, "a", "v");
	set_str(t->cache, "b", "v");		/* evicts a */
	get_str(t->cache, "b", buf);
	get_str(t->cache, "a", buf);
	lrucache_delete(t->cache, "b", 1);
	st = stats(test);
	KUNIT_EXPECT_EQ(test, 0ULL, st->hits + st->misses + st->sets +
			st->deletes + st->evictions + st->expirations);
	KUNIT_EXPECT_EQ(test, 0ULL, st->entries);
	KUNIT_ASSERT_EQ(test, 0, lrucache_get_info(t->cache, &info));
	KUNIT_EXPECT_EQ(test, 0U, info.flags & LRUCACHE_INFO_METRICS);
}

static void health_follows_the_rules(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct lrucache_health h;
	char buf[32];
	int i;

	KUNIT_ASSERT_EQ(test, 0, lrucache_get_health(c, &h));
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_HEALTHY, h.status);
	KUNIT_EXPECT_EQ(test, 0U, h.reasons);
	/* 99 misses: not yet enough lookups to judge the hit rate. */
	for (i = 0; i < 99; i++)
		get_str(c, "x", buf);
	lrucache_get_health(c, &h);
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_HEALTHY, h.status);
	get_str(c, "x", buf);
	lrucache_get_health(c, &h);
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_DEGRADED, h.status);
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_HEALTH_HIT_RATE_LOW, h.reasons);
	KUNIT_EXPECT_EQ(test, 0U, h.hit_rate_pct);
	for (i = 0; i < 900; i++)
		get_str(c, "x", buf);
	lrucache_get_health(c, &h);
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_UNHEALTHY, h.status);
}

static void info_describes_the_cache(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 7, 4096, 1500);
	struct lrucache_info info;

	KUNIT_ASSERT_EQ(test, 0, lrucache_get_info(c, &info));
	KUNIT_EXPECT_STREQ(test, info.name, TEST_CACHE);
	KUNIT_EXPECT_EQ(test, 7ULL, info.max_entries);
	KUNIT_EXPECT_EQ(test, 4096ULL, info.max_bytes);
	KUNIT_EXPECT_EQ(test, 1500ULL, info.default_ttl_ms);
	KUNIT_EXPECT_EQ(test, stats(test)->entry_overhead, info.entry_overhead);
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_INFO_METRICS, info.flags);
	KUNIT_EXPECT_LE(test, info.created_ns, ktime_get_real_ns());
	KUNIT_EXPECT_GT(test, info.created_ns, 0ULL);
}

struct hammer {
	struct lrucache *cache;
	struct completion done;
	unsigned int seed;
	int errors;
};

static int hammer_fn(void *data)
{
	struct hammer *h = data;
	unsigned int i, r;
	char key[8], value[64], buf[64];
	ssize_t n;

	for (i = 0; i < 3000; i++) {
		h->seed = h->seed * 1103515245 + 12345;
		r = h->seed;
		snprintf(key, sizeof(key), "%u", (r >> 8) % 64);
		memset(value, key[0], sizeof(value));
		switch ((r >> 20) % 4) {
		case 0:
		case 1:
			n = lrucache_get(h->cache, key, strlen(key), buf,
					 sizeof(buf));
			/* Every value is its key's first byte, repeated. */
			if (n >= 0 && (n > (ssize_t)sizeof(buf) || buf[0] != key[0]))
				h->errors++;
			else if (n < 0 && n != -ENOENT)
				h->errors++;
			break;
		case 2:
			if (lrucache_set(h->cache, key, strlen(key), value,
					 1 + (r % 63), LRUCACHE_TTL_NONE, 0))
				h->errors++;
			break;
		default:
			n = lrucache_delete(h->cache, key, strlen(key));
			if (n && n != -ENOENT)
				h->errors++;
			break;
		}
		cond_resched();
	}
	complete(&h->done);
	return 0;
}

static void concurrent_operations_stay_consistent(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 32, 0, 0);
	struct task_struct *task[3];
	struct lrucache_stats *st;
	struct hammer h[3];
	int i;

	for (i = 0; i < ARRAY_SIZE(h); i++) {
		h[i].cache = c;
		h[i].seed = i + 1;
		h[i].errors = 0;
		init_completion(&h[i].done);
		task[i] = kthread_run(hammer_fn, &h[i], "lrucache-kunit-%d", i);
		KUNIT_EXPECT_FALSE(test, IS_ERR(task[i]));
	}
	for (i = 0; i < ARRAY_SIZE(h); i++) {
		if (IS_ERR(task[i]))
			continue;
		wait_for_completion(&h[i].done);
		KUNIT_EXPECT_EQ(test, 0, h[i].errors);
	}
	st = stats(test);
	KUNIT_EXPECT_LE(test, st->entries, 32ULL);
	/* Every entry is charged at least its overhead, key and value. */
	KUNIT_EXPECT_GE(test, st->bytes, st->entries * (st->entry_overhead + 2));
	KUNIT_EXPECT_LE(test, st->bytes,
			st->entries * charge(st->entry_overhead, 1, 64));
	expect_consistent(test, c);
	KUNIT_EXPECT_EQ(test, 0, lrucache_clear(c));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->bytes);
	expect_consistent(test, c);
}

/* A cache that takes several batches of lrucache_check() to walk. */
#define CHECK_ENTRIES	1500

static void fill_for_check(struct kunit *test, struct lrucache *c)
{
	char key[8];
	int i;

	/* Every other entry can expire: the walk visits it twice. */
	for (i = 0; i < CHECK_ENTRIES; i++) {
		snprintf(key, sizeof(key), "%d", i);
		KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, key, strlen(key), "v",
						      1, i % 2 ? 60000 :
						      LRUCACHE_TTL_NONE, 0));
	}
}

static void check_walks_a_large_cache_in_batches(struct kunit *test)
{
	struct lrucache *c = make_cache(test, CHECK_ENTRIES, 0, 0);
	struct lrucache_check check;

	fill_for_check(test, c);
	KUNIT_ASSERT_EQ(test, 0, lrucache_check(c, &check));
	KUNIT_EXPECT_EQ(test, 0ULL, check.problems);
	KUNIT_EXPECT_EQ(test, (u64)CHECK_ENTRIES, check.entries);
	KUNIT_EXPECT_EQ(test, (u64)CHECK_ENTRIES / 2, check.expiring);
	KUNIT_EXPECT_EQ(test, stats(test)->bytes, check.bytes);
}

struct churn {
	struct lrucache *cache;
	struct completion done;
	unsigned int ops;		/* done so far, read by the test */
	unsigned int errors;
	bool stop;
};

/*
 * Replaces and deletes entries of the cache fill_for_check() filled until
 * the test says stop (at most 1000000 operations).
 */
static int churn_fn(void *data)
{
	struct churn *ch = data;
	char key[8];
	int i, ret;

	for (i = 0; i < 1000000 && !READ_ONCE(ch->stop); i++) {
		snprintf(key, sizeof(key), "%d", (i * 7) % CHECK_ENTRIES);
		if (i % 3)
			ret = lrucache_set(ch->cache, key, strlen(key), "vv", 2,
					   i % 2 ? 60000 : LRUCACHE_TTL_NONE,
					   0);
		else
			ret = lrucache_delete(ch->cache, key, strlen(key));
		if (ret && ret != -ENOENT)
			ch->errors++;
		WRITE_ONCE(ch->ops, i + 1);
		if (i % 64 == 0)
			cond_resched();
	}
	complete(&ch->done);
	return 0;
}

/* Checks made while the cache changes, and changes made meanwhile. */
#define CHURN_CHECKS	20
#define CHURN_OPS	64

/*
 * The walk drops the lock between batches: whatever changes meanwhile,
 * it must either start over (and at last say -EAGAIN) or report figures
 * that agree with the counters, never a problem that is not there. A
 * writer gets the lock between two batches (a walk holds it for one batch
 * at a time), so the changes interleave with the walks however slow the
 * machine; the test counts checks and changes, never time.
 */
static void check_under_changes_finds_no_false_problem(struct kunit *test)
{
	struct lrucache *c = make_cache(test, CHECK_ENTRIES, 0, 0);
	struct lrucache_check check;
	struct task_struct *task;
	struct churn ch = { .cache = c };
	unsigned int checks = 0;
	int ret;

	fill_for_check(test, c);
	init_completion(&ch.done);
	task = kthread_run(churn_fn, &ch, "lrucache-kunit-churn");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	do {
		ret = lrucache_check(c, &check);
		KUNIT_EXPECT_TRUE(test, ret == 0 || ret == -EAGAIN);
		KUNIT_EXPECT_EQ(test, 0ULL, check.problems);
		checks++;
	} while ((checks < CHURN_CHECKS || READ_ONCE(ch.ops) < CHURN_OPS) &&
		 checks < 100 * CHURN_CHECKS && !completion_done(&ch.done));
	WRITE_ONCE(ch.stop, true);
	wait_for_completion(&ch.done);
	KUNIT_EXPECT_GE(test, ch.ops, (unsigned int)CHURN_OPS);
	KUNIT_EXPECT_EQ(test, 0U, ch.errors);
	expect_consistent(test, c);
}

static int lrucache_test_init(struct kunit *test)
{
	struct lrucache_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	test->priv = t;
	return 0;
}

static int set_ttl(struct lrucache *c, const char *key, u64 ttl_ms)
{
	return lrucache_set(c, key, strlen(key), "v", 1, ttl_ms, 0);
}

/* Runs the reaper (bucket walk unless @flags says otherwise). */
static struct lrucache_reap reap(struct kunit *test, struct lrucache *c,
				 u32 flags)
{
	struct lrucache_reap r = { .flags = flags };

	KUNIT_EXPECT_EQ(test, 0, lrucache_reap(c, &r));
	return r;
}

static void reaper_frees_due_entries_in_order(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct lrucache_stats *st;

	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "a", 100));
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "b", 2000));
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "c", 5000));
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "d", LRUCACHE_TTL_NONE));
	KUNIT_EXPECT_EQ(test, 3ULL, stats(test)->expiring);

	KUNIT_EXPECT_EQ(test, 0ULL, reap(test, c, 0).freed);
	lrucache_test_advance_clock(c, 100 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 1ULL, reap(test, c, 0).freed);
	KUNIT_EXPECT_EQ(test, 3ULL, stats(test)->entries);
	lrucache_test_advance_clock(c, 1899 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 0ULL, reap(test, c, 0).freed);
	lrucache_test_advance_clock(c, 1 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 1ULL, reap(test, c, 0).freed);
	lrucache_test_advance_clock(c, 3000 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 1ULL, reap(test, c, 0).freed);

	/* Nothing was looked up: the reaper alone freed them. */
	st = stats(test);
	KUNIT_EXPECT_EQ(test, 1ULL, st->entries);
	KUNIT_EXPECT_EQ(test, 0ULL, st->expiring);
	KUNIT_EXPECT_EQ(test, 3ULL, st->reaped);
	KUNIT_EXPECT_EQ(test, 3ULL, st->expirations);
	KUNIT_EXPECT_EQ(test, 5ULL, st->reaper_runs);
	KUNIT_EXPECT_EQ(test, 0ULL, st->hits + st->misses);
	KUNIT_EXPECT_EQ(test, charge(st->entry_overhead, 1, 1), st->bytes);
	KUNIT_EXPECT_TRUE(test, has(c, "d"));
}

static void reaper_visits_only_due_buckets(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 1000, 0, 0);
	struct lrucache_reap r;
	char key[16];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "none%d", i);
		KUNIT_ASSERT_EQ(test, 0, set_ttl(c, key, LRUCACHE_TTL_NONE));
		snprintf(key, sizeof(key), "hour%d", i);
		KUNIT_ASSERT_EQ(test, 0, set_ttl(c, key, 3600 * 1000));
	}
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "short%d", i);
		KUNIT_ASSERT_EQ(test, 0, set_ttl(c, key, 100));
	}
	lrucache_test_advance_clock(c, 200 * NSEC_PER_MSEC);

	/*
	 * The hour-long entries sit 3355 slots ahead, 283 or 284 buckets
	 * round the ring from the due ones: the walk does not see them.
	 */
	r = reap(test, c, 0);
	KUNIT_EXPECT_EQ(test, 10ULL, r.freed);
	KUNIT_EXPECT_EQ(test, 10ULL, r.visited);

	r = reap(test, c, LRUCACHE_REAP_FULL_SCAN);
	KUNIT_EXPECT_EQ(test, 0ULL, r.freed);
	KUNIT_EXPECT_GE(test, r.visited, 200ULL);
	KUNIT_EXPECT_EQ(test, 200ULL, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, 100ULL, stats(test)->expiring);
}

static void full_scan_frees_what_the_buckets_free(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 1000, 0, 0);
	struct lrucache_reap r;
	char key[16];
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		KUNIT_ASSERT_EQ(test, 0, set_ttl(c, key, i % 3 ? 1000 :
						 LRUCACHE_TTL_NONE));
	}
	lrucache_test_advance_clock(c, 1000 * NSEC_PER_MSEC);
	r = reap(test, c, LRUCACHE_REAP_FULL_SCAN);
	KUNIT_EXPECT_EQ(test, 200ULL, r.freed);
	/* A table resize during the walk may show it some entries twice. */
	KUNIT_EXPECT_GE(test, r.visited, 300ULL);
	KUNIT_EXPECT_EQ(test, 0ULL, reap(test, c, 0).freed);
	KUNIT_EXPECT_EQ(test, 100ULL, stats(test)->entries);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->expiring);
	expect_consistent(test, c);
}

static void reaper_comes_round_the_ring(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct lrucache_reap r;

	/* 600 s is beyond the ring's 512 slots of 1.07 s. */
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "far", 600 * 1000));
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "near", 1000));
	lrucache_test_advance_clock(c, 2 * NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, 1ULL, reap(test, c, 0).freed);

	/* A whole turn of the ring: "far"'s bucket is walked, it stays. */
	lrucache_test_advance_clock(c, 558 * NSEC_PER_SEC);
	r = reap(test, c, 0);
	KUNIT_EXPECT_EQ(test, 0ULL, r.freed);
	KUNIT_EXPECT_EQ(test, 1ULL, r.visited);
	KUNIT_EXPECT_TRUE(test, has(c, "far"));

	lrucache_test_advance_clock(c, 40 * NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, 1ULL, reap(test, c, 0).freed);
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->entries);
	expect_consistent(test, c);
}

static void replace_and_delete_leave_the_buckets(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);

	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "k", 100));
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "k", LRUCACHE_TTL_NONE));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->expiring);
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "j", 100));
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "j", 300));
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "x", 100));
	KUNIT_ASSERT_EQ(test, 0, lrucache_delete(c, "x", 1));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->expiring);

	lrucache_test_advance_clock(c, 200 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 0ULL, reap(test, c, 0).freed);
	KUNIT_EXPECT_TRUE(test, has(c, "k"));
	KUNIT_EXPECT_TRUE(test, has(c, "j"));
	lrucache_test_advance_clock(c, 100 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 1ULL, reap(test, c, 0).freed);
	KUNIT_EXPECT_EQ(test, 0, lrucache_clear(c));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->expiring);
	expect_consistent(test, c);
}

/*
 * A replace charges only the difference in size, moves the entry on or
 * off the expiry buckets as its TTL says, and makes it the most recent.
 */
static void replace_charges_the_difference(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 2, 0, 0);
	u64 overhead;

	KUNIT_ASSERT_EQ(test, 0, set_str(c, "a", "12345"));
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "b", "x"));
	overhead = stats(test)->entry_overhead;
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "a", "54321"));
	KUNIT_EXPECT_EQ(test, charge(overhead, 1, 5) + charge(overhead, 1, 1),
			stats(test)->bytes);
	KUNIT_EXPECT_EQ(test, 2 * overhead + 2 + 5 + 1,
			stats(test)->data_bytes);
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "b", 100));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->expiring);
	KUNIT_EXPECT_EQ(test, 2 * overhead + 2 + 5 + 1,
			stats(test)->data_bytes);
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "b", "a longer one"));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->expiring);
	KUNIT_EXPECT_EQ(test, 2 * overhead + 2 + 5 + 12,
			stats(test)->data_bytes);
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "a", 100));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->expiring);
	KUNIT_EXPECT_EQ(test, charge(overhead, 1, 1) + charge(overhead, 1, 12),
			stats(test)->bytes);
	KUNIT_EXPECT_EQ(test, 2 * overhead + 2 + 1 + 12,
			stats(test)->data_bytes);
	KUNIT_EXPECT_EQ(test, 2ULL, stats(test)->entries);
	expect_consistent(test, c);
	/* a was replaced last: b is the least recent and goes first. */
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "c", "3"));
	KUNIT_EXPECT_FALSE(test, has(c, "b"));
	KUNIT_EXPECT_TRUE(test, has(c, "a"));
	expect_consistent(test, c);
}

static void reap_refuses_bad_arguments(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct lrucache_reap r = { .flags = 2 };

	KUNIT_EXPECT_EQ(test, -EINVAL, lrucache_reap(c, &r));
	r.flags = 0;
	r.reserved = 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, lrucache_reap(c, &r));
	KUNIT_EXPECT_EQ(test, -EINVAL, lrucache_set_cleanup_interval(c, 9));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			lrucache_set_cleanup_interval(c, 86400001));
}

/*
 * The timer runs the reaper again and again while entries can expire
 * (the frozen clock keeps them from expiring), and destroying the cache
 * with the timer armed is safe (KASAN and lockdep watch the debug run).
 */
static void timer_runs_the_reaper_while_entries_can_expire(struct kunit *test)
{
	struct lrucache_test *t = test->priv;
	struct lrucache_params p = { .cleanup_interval_ms = 10 };
	struct lrucache_info info;
	int i;

	KUNIT_ASSERT_EQ(test, 0, lrucache_open(TEST_CACHE, &p,
					       LRUCACHE_OPEN_CREATE |
					       LRUCACHE_OPEN_EXCL, &t->cache));
	lrucache_test_freeze_clock(t->cache);
	KUNIT_ASSERT_EQ(test, 0, lrucache_get_info(t->cache, &info));
	KUNIT_EXPECT_EQ(test, 10ULL, info.cleanup_interval_ms);
	KUNIT_ASSERT_EQ(test, 0, set_ttl(t->cache, "k", 1000));
	for (i = 0; i < 1500 && stats(test)->reaper_runs < 3; i++)
		msleep(20);
	KUNIT_EXPECT_GE(test, stats(test)->reaper_runs, 3ULL);
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->entries);
}

static void shrinker_takes_least_recent_first(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 1000, 0, 0);
	struct lrucache_stats *st;
	char key[16];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		KUNIT_ASSERT_EQ(test, 0, set_ttl(c, key, LRUCACHE_TTL_NONE));
	}
	/* This suite's cache is the only one: it gives up all 10. */
	KUNIT_EXPECT_EQ(test, 10UL, lrucache_test_reclaim(10));
	KUNIT_EXPECT_FALSE(test, has(c, "k0"));
	KUNIT_EXPECT_FALSE(test, has(c, "k9"));
	KUNIT_EXPECT_TRUE(test, has(c, "k10"));
	st = stats(test);
	KUNIT_EXPECT_EQ(test, 10ULL, st->reclaimed);
	KUNIT_EXPECT_EQ(test, 0ULL, st->evictions);
	KUNIT_EXPECT_EQ(test, 90ULL, st->entries);
}

static void health_reports_a_late_reaper(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct lrucache_health h;

	/* Nothing can expire: no timer, nothing to be late for. */
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "none", LRUCACHE_TTL_NONE));
	lrucache_test_advance_clock(c, 3ULL * 86400 * NSEC_PER_SEC);
	KUNIT_ASSERT_EQ(test, 0, lrucache_get_health(c, &h));
	KUNIT_EXPECT_EQ(test, 0U, h.reasons);

	/* Armed for a day from now; on time until a day past due. */
	KUNIT_ASSERT_EQ(test, 0, set_ttl(c, "k", 1000));
	lrucache_test_advance_clock(c, 2ULL * 86400 * NSEC_PER_SEC);
	KUNIT_ASSERT_EQ(test, 0, lrucache_get_health(c, &h));
	KUNIT_EXPECT_EQ(test, 0U, h.reasons);
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_HEALTHY, h.status);

	lrucache_test_advance_clock(c, 5 * NSEC_PER_SEC);
	KUNIT_ASSERT_EQ(test, 0, lrucache_get_health(c, &h));
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_HEALTH_REAPER_BEHIND, h.reasons);
	KUNIT_EXPECT_EQ(test, (u32)LRUCACHE_DEGRADED, h.status);
	KUNIT_EXPECT_EQ(test, 86405000ULL, h.reaper_late_ms);
}

/* Reads a whole snapshot stream, @step bytes per read. */
static size_t read_stream(struct kunit *test, struct lrucache_snapshot *snap,
			  u8 *buf, size_t size, size_t step)
{
	struct iov_iter to;
	struct kvec kv;
	size_t got = 0;
	ssize_t n;

	do {
		kv.iov_base = buf + got;
		kv.iov_len = min(step, size - got);
		iov_iter_kvec(&to, ITER_DEST, &kv, 1, kv.iov_len);
		n = lrucache_snapshot_read(snap, &to);
		KUNIT_ASSERT_GE(test, n, 0);
		got += n;
	} while (n > 0 && got < size);
	return got;
}

/* Checks the record at *@at and moves past it. */
static void expect_record(struct kunit *test, const u8 *buf, size_t *at,
			  const char *key, const char *value, u64 ttl_ms)
{
	struct lrucache_record rec;

	memcpy(&rec, buf + *at, sizeof(rec));
	*at += sizeof(rec);
	KUNIT_EXPECT_EQ(test, (u32)strlen(key), rec.key_len);
	KUNIT_EXPECT_EQ(test, (u32)strlen(value), rec.value_len);
	KUNIT_EXPECT_EQ(test, ttl_ms, rec.ttl_ms);
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf + *at, key, strlen(key)));
	*at += rec.key_len;
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf + *at, value, strlen(value)));
	*at += rec.value_len;
}

static void snapshot_is_one_instant_in_lru_order(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct lrucache_snapshot *snap;
	size_t at = 0, len;
	char buf[32];
	u8 *stream;

	KUNIT_ASSERT_EQ(test, 0, set_str(c, "a", "1"));
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "b", 1, "22", 2, 1500, 0));
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "c", "333"));
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "x", 1, "gone", 4, 10, 0));
	KUNIT_ASSERT_EQ(test, 1, get_str(c, "a", buf));
	lrucache_test_advance_clock(c, 100 * NSEC_PER_MSEC);

	snap = lrucache_snapshot(c);
	KUNIT_ASSERT_FALSE(test, IS_ERR(snap));
	KUNIT_EXPECT_EQ(test, 3ULL, lrucache_snapshot_entries(snap));
	len = 3 * sizeof(struct lrucache_record) + 3 + 1 + 2 + 3;
	KUNIT_EXPECT_EQ(test, (u64)len, lrucache_snapshot_bytes(snap));

	/* Later changes do not reach the snapshot. */
	KUNIT_ASSERT_EQ(test, 0, lrucache_delete(c, "b", 1));
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "c", "changed"));
	KUNIT_ASSERT_EQ(test, 0, set_str(c, "d", "new"));

	stream = kunit_kzalloc(test, len + 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, stream);
	/* Odd-sized reads split headers, keys and values. */
	KUNIT_EXPECT_EQ(test, len, read_stream(test, snap, stream, len + 8, 5));
	expect_record(test, stream, &at, "b", "22", 1400);
	expect_record(test, stream, &at, "c", "333", LRUCACHE_TTL_NONE);
	expect_record(test, stream, &at, "a", "1", LRUCACHE_TTL_NONE);
	KUNIT_EXPECT_EQ(test, len, at);
	lrucache_snapshot_free(snap);

	/* The snapshot's references went with it. */
	KUNIT_EXPECT_EQ(test, 7, get_str(c, "c", buf));
	KUNIT_EXPECT_EQ(test, 0, lrucache_clear(c));
	KUNIT_EXPECT_EQ(test, 0ULL, stats(test)->bytes);
}

static void snapshot_outlives_its_cache(struct kunit *test)
{
	struct lrucache_test *t = test->priv;
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct lrucache_snapshot *snap;
	size_t at = 0;
	u8 stream[64];

	KUNIT_ASSERT_EQ(test, 0, set_str(c, "k", "v"));
	snap = lrucache_snapshot(c);
	KUNIT_ASSERT_FALSE(test, IS_ERR(snap));
	KUNIT_ASSERT_EQ(test, 0, lrucache_destroy(TEST_CACHE));
	KUNIT_EXPECT_EQ(test, -EIDRM, PTR_ERR(lrucache_snapshot(c)));
	lrucache_put(c);
	t->cache = NULL;

	KUNIT_EXPECT_EQ(test, sizeof(struct lrucache_record) + 2,
			read_stream(test, snap, stream, sizeof(stream), 64));
	expect_record(test, stream, &at, "k", "v", LRUCACHE_TTL_NONE);
	lrucache_snapshot_free(snap);
}

/* CAS: a store only on the version read; the version moves each write. */
static void cas_stores_only_on_the_version_read(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	u64 v1 = 0, v2 = 0, v3 = 0;
	s64 val = 0;
	char buf[32];

	KUNIT_ASSERT_EQ(test, 0, lrucache_incr(c, "n", 1, 5, 10,
					       LRUCACHE_TTL_NONE, &val, &v1));
	KUNIT_EXPECT_EQ(test, 15LL, val);
	KUNIT_EXPECT_NE(test, 0ULL, v1);
	KUNIT_EXPECT_EQ(test, 0, lrucache_cas(c, "n", 1, "20", 2,
					      LRUCACHE_TTL_NONE, v1, &v2));
	KUNIT_EXPECT_GT(test, v2, v1);
	KUNIT_EXPECT_EQ(test, -ESTALE, lrucache_cas(c, "n", 1, "30", 2,
						    LRUCACHE_TTL_NONE, v1,
						    &v3));
	KUNIT_EXPECT_EQ(test, 2, get_str(c, "n", buf));
	KUNIT_EXPECT_STREQ(test, "20", buf);
	KUNIT_EXPECT_EQ(test, -ENOENT, lrucache_cas(c, "x", 1, "1", 1,
						    LRUCACHE_TTL_NONE, v2,
						    &v3));
	expect_consistent(test, c);
}

/* INCR: text counters, -EINVAL for others, overflow changes nothing. */
static void incr_refuses_non_counters_and_overflow(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	s64 val = 0;
	u64 v = 0;
	char buf[32];

	set_str(c, "s", "abc");
	KUNIT_EXPECT_EQ(test, -EINVAL, lrucache_incr(c, "s", 1, 1, 0,
						     LRUCACHE_TTL_NONE,
						     &val, &v));
	KUNIT_EXPECT_EQ(test, -EOVERFLOW, lrucache_incr(c, "m", 1, 1, S64_MAX,
							LRUCACHE_TTL_NONE,
							&val, &v));
	KUNIT_EXPECT_FALSE(test, has(c, "m"));
	KUNIT_ASSERT_EQ(test, 0, lrucache_incr(c, "m", 1, 1, S64_MAX - 1,
					       LRUCACHE_TTL_NONE, &val, &v));
	KUNIT_EXPECT_EQ(test, S64_MAX, val);
	KUNIT_EXPECT_EQ(test, -EOVERFLOW, lrucache_incr(c, "m", 1, 1, 0,
							LRUCACHE_TTL_NONE,
							&val, &v));
	KUNIT_EXPECT_EQ(test, 19, get_str(c, "m", buf));
	KUNIT_EXPECT_STREQ(test, "9223372036854775807", buf);
	KUNIT_ASSERT_EQ(test, 0, lrucache_incr(c, "m", 1, S64_MIN, 0,
					       LRUCACHE_TTL_NONE, &val, &v));
	KUNIT_EXPECT_EQ(test, -1LL, val);
	expect_consistent(test, c);
}

/* TOUCH and TTL on the frozen clock: the time left, to the millisecond. */
static void touch_and_ttl_follow_the_clock(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	u64 left = 0;

	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "k", 1, "v", 1, 1000, 0));
	lrucache_test_advance_clock(c, 400 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 0, lrucache_ttl(c, "k", 1, &left));
	KUNIT_EXPECT_EQ(test, 600ULL, left);
	KUNIT_EXPECT_EQ(test, 0, lrucache_touch(c, "k", 1, 5000));
	KUNIT_EXPECT_EQ(test, 0, lrucache_ttl(c, "k", 1, &left));
	KUNIT_EXPECT_EQ(test, 5000ULL, left);
	lrucache_test_advance_clock(c, 4999 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 0, lrucache_ttl(c, "k", 1, &left));
	KUNIT_EXPECT_EQ(test, 1ULL, left);
	KUNIT_EXPECT_EQ(test, 0, lrucache_touch(c, "k", 1, LRUCACHE_TTL_NONE));
	lrucache_test_advance_clock(c, 10000 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, 0, lrucache_ttl(c, "k", 1, &left));
	KUNIT_EXPECT_EQ(test, (u64)LRUCACHE_TTL_NONE, left);
	KUNIT_EXPECT_EQ(test, -ENOENT, lrucache_touch(c, "x", 1, 1000));
	KUNIT_EXPECT_EQ(test, -ENOENT, lrucache_ttl(c, "x", 1, &left));
	expect_consistent(test, c);
}

static void entry_overhead_is_64_bytes(struct kunit *test)
{
	make_cache(test, 10, 0, 0);
	/* struct lrucache_entry's layout; a change must be deliberate. */
	KUNIT_EXPECT_EQ(test, 64ULL, stats(test)->entry_overhead);
}

static void lrucache_test_exit(struct kunit *test)
{
	struct lrucache_test *t = test->priv;

	if (t->cache) {
		lrucache_destroy(TEST_CACHE);
		lrucache_put(t->cache);
	}
}

struct hook_log {
	atomic_t count[LRUCACHE_EVENT_MAX + 1];
	atomic_t inside;	/* callbacks running now */
	char last_evicted[8];
	bool slow;
};

static void log_event(const struct lrucache_event *ev, void *priv)
{
	struct hook_log *log = priv;

	atomic_inc(&log->inside);
	if (ev->type <= LRUCACHE_EVENT_MAX)
		atomic_inc(&log->count[ev->type]);
	if (ev->type == LRUCACHE_EVENT_EVICT &&
	    ev->key_len < sizeof(log->last_evicted))
		memcpy(log->last_evicted, ev->key, ev->key_len);
	if (log->slow)
		udelay(5);	/* atomic context: no sleeping */
	atomic_dec(&log->inside);
}

static const struct lrucache_hook_ops log_ops = {
	.hit = log_event,
	.miss = log_event,
	.set = log_event,
	.del = log_event,
	.evict = log_event,
	.expire = log_event,
	.reclaim = log_event,
};

static int logged(struct hook_log *log, u32 type)
{
	return atomic_read(&log->count[type]);
}

static void hooks_see_each_event(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 2, 0, 0);
	struct hook_log *log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	struct lrucache_hook hook = { .ops = &log_ops };
	char buf[32];

	KUNIT_ASSERT_NOT_NULL(test, log);
	hook.priv = log;
	KUNIT_ASSERT_EQ(test, 0, lrucache_hook_register(c, &hook));

	set_str(c, "a", "1");
	set_str(c, "b", "2");
	get_str(c, "a", buf);
	get_str(c, "zz", buf);
	set_str(c, "c", "3");			/* evicts b */
	lrucache_delete(c, "a", 1);
	set_ttl(c, "t", 100);
	lrucache_test_advance_clock(c, 100 * NSEC_PER_MSEC);
	reap(test, c, 0);			/* expires t */
	KUNIT_EXPECT_EQ(test, 1UL, lrucache_test_reclaim(1));	/* c */

	KUNIT_EXPECT_EQ(test, 4, logged(log, LRUCACHE_EVENT_SET));
	KUNIT_EXPECT_EQ(test, 1, logged(log, LRUCACHE_EVENT_HIT));
	KUNIT_EXPECT_EQ(test, 1, logged(log, LRUCACHE_EVENT_MISS));
	KUNIT_EXPECT_EQ(test, 1, logged(log, LRUCACHE_EVENT_EVICT));
	KUNIT_EXPECT_EQ(test, 1, logged(log, LRUCACHE_EVENT_DELETE));
	KUNIT_EXPECT_EQ(test, 1, logged(log, LRUCACHE_EVENT_EXPIRE));
	KUNIT_EXPECT_EQ(test, 1, logged(log, LRUCACHE_EVENT_RECLAIM));
	KUNIT_EXPECT_STREQ(test, "b", log->last_evicted);

	lrucache_hook_unregister(c, &hook);
	set_str(c, "d", "4");
	KUNIT_EXPECT_EQ(test, 4, logged(log, LRUCACHE_EVENT_SET));
}

/* Unregistering returns only once no callback of the hook is running. */
static void unregister_waits_for_callbacks(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 32, 0, 0);
	struct hook_log *log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	struct lrucache_hook hook = { .ops = &log_ops };
	struct task_struct *task;
	struct hammer h = { .cache = c, .seed = 7 };
	int rounds = 0;

	KUNIT_ASSERT_NOT_NULL(test, log);
	log->slow = true;
	hook.priv = log;
	init_completion(&h.done);
	task = kthread_run(hammer_fn, &h, "lrucache-kunit-hooks");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	while (!completion_done(&h.done) && rounds < 10000) {
		KUNIT_ASSERT_EQ(test, 0, lrucache_hook_register(c, &hook));
		usleep_range(100, 200);
		lrucache_hook_unregister(c, &hook);
		KUNIT_EXPECT_EQ(test, 0, atomic_read(&log->inside));
		rounds++;
	}
	wait_for_completion(&h.done);
	KUNIT_EXPECT_EQ(test, 0, h.errors);
	KUNIT_EXPECT_GT(test, rounds, 0);
	expect_consistent(test, c);
}

static void hooks_need_a_live_cache(struct kunit *test)
{
	struct lrucache_test *t = test->priv;
	struct lrucache *c = make_cache(test, 2, 0, 0);
	struct lrucache_hook hook = { .ops = &log_ops };
	struct lrucache_hook no_ops = { };

	KUNIT_EXPECT_EQ(test, -EINVAL, lrucache_hook_register(c, &no_ops));
	KUNIT_ASSERT_EQ(test, 0, lrucache_destroy(TEST_CACHE));
	KUNIT_EXPECT_EQ(test, -EIDRM, lrucache_hook_register(c, &hook));
	lrucache_put(c);
	t->cache = NULL;
}

struct replacer {
	struct lrucache *cache;
	struct completion done;
	int errors;
};

static int replacer_fn(void *data)
{
	struct replacer *r = data;
	char value[16];
	int i, len;

	for (i = 0; i < 20000; i++) {
		len = snprintf(value, sizeof(value), "v%d", i);
		if (lrucache_set(r->cache, "hot", 3, value, len,
				 LRUCACHE_TTL_NONE, 0))
			r->errors++;
		/* Another key now and then, so "hot" is not always the head. */
		if (i % 4 == 0 && set_str(r->cache, "other", "x"))
			r->errors++;
		/* A kernel without preemption runs nothing else meanwhile. */
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

/* A key that is always present is never missed while a set replaces it. */
static void get_never_misses_a_key_being_replaced(struct kunit *test)
{
	struct lrucache *c = make_cache(test, 10, 0, 0);
	struct replacer r = { .cache = c };
	struct task_struct *task;
	int gets = 0, misses = 0;
	char buf[32];

	KUNIT_ASSERT_EQ(test, 0, set_str(c, "hot", "v"));
	init_completion(&r.done);
	task = kthread_run(replacer_fn, &r, "lrucache-kunit-replace");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	while (!completion_done(&r.done) && gets < 1000000) {
		if (get_str(c, "hot", buf) < 0)
			misses++;
		gets++;
		cond_resched();
	}
	wait_for_completion(&r.done);
	KUNIT_EXPECT_EQ(test, 0, r.errors);
	KUNIT_EXPECT_EQ(test, 0, misses);
	KUNIT_EXPECT_GT(test, gets, 0);
	expect_consistent(test, c);
}

/* --- mapped caches (map.c, Documentation/lrucache/mapped.rst) --- */

static struct lrucache *make_mapped_cache(struct kunit *test, u64 max_entries)
{
	struct lrucache_test *t = test->priv;
	struct lrucache_params p = {
		.max_entries = max_entries,
		.cleanup_interval_ms = LRUCACHE_CLEANUP_INTERVAL_MAX_MS,
	};

	KUNIT_ASSERT_EQ(test, 0, lrucache_open(TEST_CACHE, &p,
					       LRUCACHE_OPEN_CREATE |
					       LRUCACHE_OPEN_EXCL |
					       LRUCACHE_OPEN_MAPPED,
					       &t->cache));
	lrucache_test_freeze_clock(t->cache);
	return t->cache;
}

/*
 * The live slot of @key found as a reader finds it (its bucket's chain),
 * its unit in *@unit; NULL if none. Also counts the chain's slots that
 * hold @key, live or not, in *@copies.
 */
static const struct lrucache_map_slot *
map_find(struct lrucache *c, const char *key, u32 *unit, unsigned int *copies)
{
	const struct lrucache_map_header *h = lrucache_test_map_header(c);
	const struct lrucache_map_slot *s, *live = NULL;
	size_t len = strlen(key);
	const u32 *buckets = (const void *)h + h->index_off;
	u32 next, n = 0;

	next = buckets[lrucache_map_hash(key, len, h->seed) &
		       ((1U << h->bucket_shift) - 1)];
	*copies = 0;
	while (next && n++ < LRUCACHE_MAP_CHAIN_MAX) {
		s = lrucache_test_map_slot(c, next - 1);
		if (s->key_len == len && !memcmp(s + 1, key, len)) {
			(*copies)++;
			if (s->seq && !(s->seq & 1)) {
				live = s;
				*unit = next - 1;
			}
		}
		next = s->next;
	}
	return live;
}

static void map_header_describes_the_mapping(struct kunit *test)
{
	struct lrucache *c = make_mapped_cache(test, 1000);
	const struct lrucache_map_header *h = lrucache_test_map_header(c);
	struct lrucache_info info;

	KUNIT_ASSERT_NOT_NULL(test, h);
	KUNIT_EXPECT_EQ(test, LRUCACHE_MAP_MAGIC, h->magic);
	KUNIT_EXPECT_EQ(test, LRUCACHE_MAP_VERSION, h->version);
	KUNIT_EXPECT_EQ(test, 0U, h->flags);
	/* 1000 entries: 1024 buckets, after the header page. */
	KUNIT_EXPECT_EQ(test, 10U, h->bucket_shift);
	KUNIT_EXPECT_EQ(test, (u64)LRUCACHE_MAP_PAGE, h->index_off);
	KUNIT_EXPECT_EQ(test, 0ULL, h->arena_off % LRUCACHE_MAP_PAGE);
	KUNIT_EXPECT_GE(test, h->arena_off, h->index_off + 1024 * 4);
	KUNIT_EXPECT_EQ(test, h->map_size,
			h->arena_off + h->arena_pages * LRUCACHE_MAP_PAGE);
	KUNIT_EXPECT_GE(test, h->use_size, h->arena_pages * 64 * 4);
	KUNIT_EXPECT_LE(test, h->arena_pages, 1000ULL);
	KUNIT_EXPECT_EQ(test, 0ULL, h->ready_pages);
	KUNIT_ASSERT_EQ(test, 0, lrucache_get_info(c, &info));
	KUNIT_EXPECT_TRUE(test, info.flags & LRUCACHE_INFO_MAPPED);
}

static void map_slot_follows_set_replace_and_delete(struct kunit *test)
{
	struct lrucache *c = make_mapped_cache(test, 100);
	const struct lrucache_map_slot *s, *old;
	unsigned int copies;
	u64 seq;
	u32 unit;

	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "key", 3, "one", 3,
					      LRUCACHE_TTL_NONE, 0));
	s = map_find(c, "key", &unit, &copies);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, 3U, s->value_len);
	KUNIT_EXPECT_EQ(test, 0, memcmp((const u8 *)(s + 1) + 3, "one", 3));
	KUNIT_EXPECT_EQ(test, 0ULL, s->expires);
	KUNIT_EXPECT_EQ(test, 1U, copies);
	old = s;
	seq = s->seq;

	/* A replace: the old slot dies, one live slot holds the new value. */
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "key", 3, "second", 6,
					      LRUCACHE_TTL_NONE, 0));
	s = map_find(c, "key", &unit, &copies);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, 6U, s->value_len);
	KUNIT_EXPECT_EQ(test, 0, memcmp((const u8 *)(s + 1) + 3, "second", 6));
	KUNIT_EXPECT_EQ(test, 1U, copies);
	KUNIT_EXPECT_NE(test, seq, old->seq);

	KUNIT_ASSERT_EQ(test, 0, lrucache_delete(c, "key", 3));
	KUNIT_EXPECT_NULL(test, map_find(c, "key", &unit, &copies));
	KUNIT_EXPECT_TRUE(test, s->seq & 1);
	expect_consistent(test, c);
}

static void map_slot_follows_touch_and_clear(struct kunit *test)
{
	struct lrucache *c = make_mapped_cache(test, 100);
	const struct lrucache_map_slot *s;
	unsigned int copies;
	u64 expires;
	u32 unit;

	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "t", 1, "v", 1, 1000, 0));
	s = map_find(c, "t", &unit, &copies);
	KUNIT_ASSERT_NOT_NULL(test, s);
	expires = s->expires;
	KUNIT_EXPECT_NE(test, 0ULL, expires);
	lrucache_test_advance_clock(c, 500 * NSEC_PER_MSEC);
	KUNIT_ASSERT_EQ(test, 0, lrucache_touch(c, "t", 1, 1000));
	/* The new expiry is 500 ms later than the first. */
	KUNIT_EXPECT_EQ(test, expires + 500 * NSEC_PER_MSEC, s->expires);
	KUNIT_EXPECT_EQ(test, 0ULL, s->seq & 1);

	KUNIT_ASSERT_EQ(test, 0, lrucache_clear(c));
	KUNIT_EXPECT_NULL(test, map_find(c, "t", &unit, &copies));
}

static void map_leaves_out_what_a_slot_cannot_hold(struct kunit *test)
{
	struct lrucache *c = make_mapped_cache(test, 100);
	unsigned int copies;
	char *big;
	u32 unit;

	big = kunit_kzalloc(test, 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "big", 3, big, 5000,
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_NULL(test, map_find(c, "big", &unit, &copies));
	/* It is in the cache all the same. */
	KUNIT_EXPECT_EQ(test, 5000L, (long)lrucache_get(c, "big", 3, big,
							5000));
	/* The largest that fits: a whole page, 32 bytes of it the header. */
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "p", 1, big,
					      LRUCACHE_MAP_PAGE - 33,
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_NOT_NULL(test, map_find(c, "p", &unit, &copies));
	expect_consistent(test, c);
}

static void map_counters_count_as_hits(struct kunit *test)
{
	struct lrucache *c = make_mapped_cache(test, 100);
	unsigned int copies;
	u64 hits;
	u32 unit;

	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "k", 1, "v", 1,
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_ASSERT_NOT_NULL(test, map_find(c, "k", &unit, &copies));
	hits = stats(test)->hits;
	WRITE_ONCE(*lrucache_test_map_counter(c, unit), 7);
	KUNIT_EXPECT_EQ(test, hits + 7, stats(test)->hits);
	/* Counted once: the counter was taken. */
	KUNIT_EXPECT_EQ(test, hits + 7, stats(test)->hits);
	KUNIT_EXPECT_EQ(test, 0U, READ_ONCE(*lrucache_test_map_counter(c,
								       unit)));
}

/*
 * a, b, c, d set in that order (a least recent); a read through the
 * mapping: setting e evicts b, the least recent entry not read since,
 * and a becomes the most recent (then c, d and e go before it).
 */
static void map_hit_gives_a_second_chance(struct kunit *test)
{
	struct lrucache *c = make_mapped_cache(test, 4);
	unsigned int copies, i;
	u32 unit;

	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, &"abcd"[i], 1, "v", 1,
						      LRUCACHE_TTL_NONE, 0));
	KUNIT_ASSERT_NOT_NULL(test, map_find(c, "a", &unit, &copies));
	WRITE_ONCE(*lrucache_test_map_counter(c, unit), 1);
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "e", 1, "v", 1,
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_EQ(test, 1, lrucache_exists(c, "a", 1));
	KUNIT_EXPECT_EQ(test, 0, lrucache_exists(c, "b", 1));
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->evictions);
	/* The read counted once: as a hit, and used up by the eviction. */
	KUNIT_EXPECT_EQ(test, 1ULL, stats(test)->hits);
	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "f", 1, "v", 1,
					      LRUCACHE_TTL_NONE, 0));
	KUNIT_EXPECT_EQ(test, 0, lrucache_exists(c, "c", 1));
	KUNIT_EXPECT_EQ(test, 1, lrucache_exists(c, "a", 1));
	expect_consistent(test, c);
}

static void map_destroy_marks_the_header_dead(struct kunit *test)
{
	struct lrucache_test *t = test->priv;
	struct lrucache *c = make_mapped_cache(test, 10);
	const struct lrucache_map_header *h = lrucache_test_map_header(c);
	const struct lrucache_map_slot *s;
	unsigned int copies;
	u32 unit;

	KUNIT_ASSERT_EQ(test, 0, lrucache_set(c, "k", 1, "v", 1,
					      LRUCACHE_TTL_NONE, 0));
	s = map_find(c, "k", &unit, &copies);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, 0, lrucache_destroy(TEST_CACHE));
	/* The reference held here keeps the map (and the cache) alive. */
	KUNIT_EXPECT_TRUE(test, h->flags & LRUCACHE_MAP_DEAD);
	KUNIT_EXPECT_TRUE(test, s->seq & 1);
	lrucache_put(c);
	t->cache = NULL;
}

static struct kunit_case lrucache_test_cases[] = {
	KUNIT_CASE(set_then_get_returns_value),
	KUNIT_CASE(get_missing_is_miss),
	KUNIT_CASE(binary_key_and_value_round_trip),
	KUNIT_CASE(replace_updates_value_and_bytes),
	KUNIT_CASE(replace_charges_the_difference),
	KUNIT_CASE(lru_evicts_least_recent),
	KUNIT_CASE(exists_does_not_refresh),
	KUNIT_CASE(max_bytes_evicts_until_it_fits),
	KUNIT_CASE(entry_over_max_bytes_is_refused),
	KUNIT_CASE(key_and_value_limits),
	KUNIT_CASE(small_buffer_gets_length_only),
	KUNIT_CASE(delete_removes_entry),
	KUNIT_CASE(clear_removes_everything),
	KUNIT_CASE(expired_entry_is_miss),
	KUNIT_CASE(default_ttl_applies_and_none_overrides),
	KUNIT_CASE(bad_ttls_are_refused),
	KUNIT_CASE(eviction_of_expired_counts_as_expiration),
	KUNIT_CASE(set_nx_and_xx),
	KUNIT_CASE(open_flags_and_names),
	KUNIT_CASE(destroyed_cache_refuses_operations),
	KUNIT_CASE(reset_stats_keeps_contents),
	KUNIT_CASE(no_metrics_counts_nothing),
	KUNIT_CASE(health_follows_the_rules),
	KUNIT_CASE(info_describes_the_cache),
	KUNIT_CASE(concurrent_operations_stay_consistent),
	KUNIT_CASE(check_walks_a_large_cache_in_batches),
	KUNIT_CASE(check_under_changes_finds_no_false_problem),
	KUNIT_CASE(get_never_misses_a_key_being_replaced),
	KUNIT_CASE(reaper_frees_due_entries_in_order),
	KUNIT_CASE(reaper_visits_only_due_buckets),
	KUNIT_CASE(full_scan_frees_what_the_buckets_free),
	KUNIT_CASE(reaper_comes_round_the_ring),
	KUNIT_CASE(replace_and_delete_leave_the_buckets),
	KUNIT_CASE(reap_refuses_bad_arguments),
	KUNIT_CASE(timer_runs_the_reaper_while_entries_can_expire),
	KUNIT_CASE(shrinker_takes_least_recent_first),
	KUNIT_CASE(health_reports_a_late_reaper),
	KUNIT_CASE(snapshot_is_one_instant_in_lru_order),
	KUNIT_CASE(snapshot_outlives_its_cache),
	KUNIT_CASE(hooks_see_each_event),
	KUNIT_CASE(unregister_waits_for_callbacks),
	KUNIT_CASE(hooks_need_a_live_cache),
	KUNIT_CASE(entry_overhead_is_64_bytes),
	KUNIT_CASE(cas_stores_only_on_the_version_read),
	KUNIT_CASE(incr_refuses_non_counters_and_overflow),
	KUNIT_CASE(touch_and_ttl_follow_the_clock),
	KUNIT_CASE(map_header_describes_the_mapping),
	KUNIT_CASE(map_slot_follows_set_replace_and_delete),
	KUNIT_CASE(map_slot_follows_touch_and_clear),
	KUNIT_CASE(map_leaves_out_what_a_slot_cannot_hold),
	KUNIT_CASE(map_counters_count_as_hits),
	KUNIT_CASE(map_hit_gives_a_second_chance),
	KUNIT_CASE(map_destroy_marks_the_header_dead),
	{}
};

static struct kunit_suite lrucache_test_suite = {
	.name = "lrucache",
	.init = lrucache_test_init,
	.exit = lrucache_test_exit,
	.test_cases = lrucache_test_cases,
};

kunit_test_suite(lrucache_test_suite);

MODULE_IMPORT_NS(LRUCACHE_TEST_NS);
MODULE_DESCRIPTION("KUnit tests for the lrucache engine");
MODULE_LICENSE("GPL");
