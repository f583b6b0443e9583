// SPDX-License-Identifier: GPL-2.0
/*
 * The "lrucache" shrinker: `echo 2 > /proc/sys/vm/drop_caches` asks every
 * shrinker to free all it can. Entries it frees are counted as reclaimed
 * (not as evictions), they are the least recently used ones of each cache,
 * the accounting stays exact and the caches keep working afterwards.
 *
 * Needs root (drop_caches); skipped otherwise.
 */
#include "kselftest_harness.h"
#include "abi.h"

#define DROP_CACHES	"/proc/sys/vm/drop_caches"
#define VAL		"0123456789abcdef"
#define VAL_LEN		((uint32_t)(sizeof(VAL) - 1))
#define KEY_LEN		6	/* "s" + 5 digits */
#define BIG		20000
#define SMALL		5000
#define NOMETRICS	2000
#define RECENT		100	/* keys of the big cache read before the drop */

FIXTURE(shrink) {
	int fd[3];
	char name[3][LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(shrink)
{
	int i;

	for (i = 0; i < 3; i++)
		self->fd[i] = -1;
	unique_name(self->name[0], "shrink-big");
	unique_name(self->name[1], "shrink-small");
	unique_name(self->name[2], "shrink-nometrics");
}

FIXTURE_TEARDOWN(shrink)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (self->fd[i] >= 0)
			close(self->fd[i]);
		cache_destroy(self->name[i]);
	}
}

static uint32_t key_of(char buf[16], int i)
{
	return (uint32_t)snprintf(buf, 16, "s%05d", i);
}

/* SET keys s00000.. s<count - 1> to VAL in batches: 0 or an error. */
static int fill(int fd, int count)
{
	static struct lrucache_op ops[LRUCACHE_BATCH_MAX];
	static char keys[LRUCACHE_BATCH_MAX][16];
	int i = 0, n, j, ret;

	while (i < count) {
		n = count - i > LRUCACHE_BATCH_MAX ? LRUCACHE_BATCH_MAX :
						     count - i;
		for (j = 0; j < n; j++, i++) {
			ops[j] = (struct lrucache_op){
				.opcode = LRUCACHE_OP_SET,
				.key = (uintptr_t)keys[j],
				.key_len = key_of(keys[j], i),
				.value = (uintptr_t)VAL,
				.value_len = VAL_LEN,
				.ttl_ms = LRUCACHE_TTL_NONE,
			};
		}
		ret = batch_run(fd, ops, (uint32_t)n);
		if (ret != n)
			return ret < 0 ? ret : -EIO;
		for (j = 0; j < n; j++)
			if (ops[j].result)
				return ops[j].result;
	}
	return 0;
}

/*
 * Check that the keys EXISTS reports, taken in LRU order (least recent
 * first: key order[0], order[1], ...), are exactly the last @want ones.
 * Returns 0, or the position of the first key out of place plus one.
 */
static int suffix_present(int fd, const int *order, int count, uint64_t want)
{
	char key[16];
	int i, ret;

	for (i = 0; i < count; i++) {
		ret = kv_exists(fd, key, key_of(key, order[i]));
		if (ret != ((uint64_t)(count - i) <= want))
			return i + 1;
	}
	return 0;
}

TEST_F_TIMEOUT(shrink, drop_caches_reclaims_lru_entries, 300)
{
	static int order[BIG];
	const int counts[3] = { BIG, SMALL, NOMETRICS };
	struct lrucache_stats before[3], after[3];
	uint64_t g_before, g_after, c;
	char out[256], key[16];
	int i, pos;

	if (geteuid() != 0 || access(DROP_CACHES, W_OK))
		SKIP(return, "needs root to write " DROP_CACHES);

	for (i = 0; i < 3; i++) {
		self->fd[i] = dev_open();
		ASSERT_LE(0, self->fd[i]);
		ASSERT_EQ(0, cache_open(self->fd[i], self->name[i],
					LRUCACHE_OPEN_CREATE |
					LRUCACHE_OPEN_EXCL |
					(i == 2 ? LRUCACHE_OPEN_NO_METRICS : 0),
					2 * BIG, 0, 0));
		ASSERT_EQ(0, fill(self->fd[i], counts[i]));
	}
	/* Reading the first RECENT keys makes them the most recent. */
	for (i = 0; i < RECENT; i++) {
		ASSERT_EQ((int)VAL_LEN, kv_get(self->fd[0], key, key_of(key, i),
					       out, &(uint32_t){ sizeof(out) }));
	}
	for (i = 0; i < BIG - RECENT; i++)
		order[i] = RECENT + i;
	for (i = 0; i < RECENT; i++)
		order[BIG - RECENT + i] = i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, cache_stats(self->fd[i], &before[i]));
		ASSERT_EQ((uint64_t)counts[i], before[i].entries);
		ASSERT_EQ(0U, before[i].reclaimed);
	}
	ASSERT_EQ(0, flat_keyed(SYSFS_ROOT "/stats", "reclaimed", &g_before));

	ASSERT_EQ(0, write_file(DROP_CACHES, "2"));

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, cache_stats(self->fd[i], &after[i]));
	c = entry_charge(after[0].entry_overhead, KEY_LEN, VAL_LEN);
	for (i = 0; i < 2; i++) {
		TH_LOG("cache %d: %llu of %d entries reclaimed", i,
		       (unsigned long long)after[i].reclaimed, counts[i]);
		EXPECT_LT(0U, after[i].reclaimed);
		EXPECT_EQ(before[i].entries - after[i].reclaimed,
			  after[i].entries);
		EXPECT_EQ(before[i].evictions, after[i].evictions);
		EXPECT_EQ(before[i].sets, after[i].sets);
		EXPECT_EQ(0U, after[i].expirations);
		EXPECT_EQ(0U, after[i].deletes);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(after[i].entries * c, after[i].bytes);
		EXPECT_EQ(0U, after[i].expiring);
	}
	/* Without metrics nothing is counted, but entries stay exact. */
	EXPECT_EQ(0U, after[2].reclaimed);
	EXPECT_EQ(0U, after[2].evictions);
	EXPECT_GT(before[2].entries, after[2].entries);

	ASSERT_EQ(0, flat_keyed(SYSFS_ROOT "/stats", "reclaimed", &g_after));
	EXPECT_EQ(after[0].reclaimed + after[1].reclaimed, g_after - g_before);

	/* The least recently used went first, in every cache. */
	pos = suffix_present(self->fd[0], order, BIG, after[0].entries);
	EXPECT_EQ(0, pos) {
		TH_LOG("big cache: key at LRU position %d out of place", pos - 1);
	}
	for (i = 0; i < SMALL; i++)
		order[i] = i;
	pos = suffix_present(self->fd[1], order, SMALL, after[1].entries);
	EXPECT_EQ(0, pos) {
		TH_LOG("small cache: key at LRU position %d out of place", pos - 1);
	}
	pos = suffix_present(self->fd[2], order, NOMETRICS, after[2].entries);
	EXPECT_EQ(0, pos) {
		TH_LOG("cache without metrics: key at LRU position %d out of place",
		       pos - 1);
	}

	/* Still a working cache. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, str_set(self->fd[i], "after", "drop"));
		ASSERT_EQ(4, str_get(self->fd[i], "after", out));
		ASSERT_STREQ("drop", out);
		ASSERT_EQ(0, cache_stats(self->fd[i], &before[i]));
		EXPECT_EQ(after[i].entries + 1, before[i].entries);
		EXPECT_EQ(after[i].bytes +
			  entry_charge(after[i].entry_overhead, 5, 4),
			  before[i].bytes);
	}
}

TEST_HARNESS_MAIN
