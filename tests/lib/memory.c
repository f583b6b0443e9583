// SPDX-License-Identifier: GPL-2.0
/*
 * Memory limits through libkcache: an entry larger than the cache's
 * max_bytes is -E2BIG and leaves the old value; the module's global limit
 * (max_total_bytes) makes a set evict the same cache's least recently used
 * entries first, and fail with -ENOSPC, changing nothing, when even that
 * cannot make room.
 *
 * The global limit is a module parameter shared by every cache: the tests
 * that lower it put the old value back in their teardown. Test programs
 * run one at a time, so the other caches' bytes stay put meanwhile.
 */
#include "kselftest_harness.h"
#include "lib.h"

#define PARAM_TOTAL	"/sys/module/lrucache/parameters/max_total_bytes"
#define GLOBAL_STATS	"/sys/kernel/lrucache/stats"

#define VLEN		100	/* value length of the ordinary entries */

/* The "KEY N" line of a flat stats file: 0 or -errno. */
static int stats_value(const char *path, const char *key, uint64_t *val)
{
	char line[128], k[64];
	unsigned long long v;
	FILE *f = fopen(path, "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu", k, &v) == 2 && !strcmp(k, key)) {
			*val = v;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

static int write_param(uint64_t val)
{
	FILE *f = fopen(PARAM_TOTAL, "we");
	int err = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%llu\n", (unsigned long long)val) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* The per-entry overhead, from a throwaway cache. */
static int entry_overhead(const char *tag, uint64_t *overhead)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	char name[LRUCACHE_NAME_MAX];
	struct kcache_metrics m;
	struct kcache *c;
	int err;

	unique_name(name, tag);
	err = kcache_open(name, &opts, &c);
	if (err)
		return err;
	err = kcache_get_metrics(c, &m);
	kcache_close(c);
	kcache_destroy(name);
	*overhead = m.entry_overhead;
	return err;
}

FIXTURE(memory) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
	uint64_t saved_total;		/* 0: the parameter was not changed */
};

FIXTURE_SETUP(memory)
{
	self->c = NULL;
	self->saved_total = 0;
	unique_name(self->name, "memory");
}

FIXTURE_TEARDOWN(memory)
{
	if (self->saved_total && write_param(self->saved_total))
		TH_LOG("could not restore max_total_bytes to %llu",
		       (unsigned long long)self->saved_total);
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F(memory, entry_larger_than_max_bytes_is_e2big_and_keeps_old_value)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache_metrics before, after;
	char big[128], out[256];
	uint64_t overhead, fit;

	ASSERT_EQ(0, entry_overhead("memory-probe", &overhead));
	/*
	 * Room for key "k" and a value of 20 bytes: an entry of that size
	 * is charged 96 bytes, kmalloc's size class, so values up to
	 * @fit bytes fit, and none longer.
	 */
	opts.max_memory_bytes = entry_charge(overhead, 1, 20);
	fit = opts.max_memory_bytes - overhead - 1;
	ASSERT_EQ(opts.max_memory_bytes, entry_charge(overhead, 1, fit));
	ASSERT_LT(opts.max_memory_bytes, entry_charge(overhead, 1, fit + 1));
	ASSERT_GT(sizeof(big), fit);
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	memset(big, 'b', sizeof(big));
	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "old", 3, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));

	EXPECT_EQ(-E2BIG, kcache_set(self->c, "k", 1, big, fit + 1,
				     KCACHE_TTL_NONE));
	EXPECT_EQ(-E2BIG, kcache_replace(self->c, "k", 1, big, fit + 1,
					 60000));
	EXPECT_EQ(-E2BIG, kcache_add(self->c, "x", 1, big, fit + 1,
				     KCACHE_TTL_NONE));
	ASSERT_EQ(3, sget(self->c, "k", out));
	EXPECT_STREQ("old", out);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &after));
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(before.bytes, after.bytes);
	EXPECT_EQ(before.sets, after.sets);
	EXPECT_EQ(before.evictions, after.evictions);
	EXPECT_EQ(0U, after.expiring);	/* the refused TTL did not stick */

	/* Exactly max_bytes fits. */
	ASSERT_EQ(0, kcache_set(self->c, "k", 1, big, fit, KCACHE_TTL_NONE));
	ASSERT_EQ((int)fit, sget(self->c, "k", out));
}

/*
 * Lower max_total_bytes to what the other caches hold plus @room bytes;
 * remember the old value for the teardown.
 */
#define LIMIT_TOTAL_TO_ROOM(room) do {					\
	uint64_t total_, others_;					\
									\
	if (stats_value(GLOBAL_STATS, "max_total_bytes", &total_) ||	\
	    access(PARAM_TOTAL, W_OK))					\
		SKIP(return, "no writable max_total_bytes");		\
	ASSERT_EQ(0, stats_value(GLOBAL_STATS, "bytes", &others_));	\
	self->saved_total = total_;					\
	ASSERT_EQ(0, write_param(others_ + (room)));			\
} while (0)

TEST_F(memory, global_limit_evicts_own_lru_then_enospc_keeps_old_value)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL, .max_size = 100);
	struct kcache_metrics before, after;
	char val[VLEN], key[8], out[256], *huge;
	uint64_t overhead, per;
	size_t huge_len;
	int i;

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));
	overhead = before.entry_overhead;
	per = entry_charge(overhead, 2, VLEN);	/* keys "k0".."k9" */
	LIMIT_TOTAL_TO_ROOM(4 * per);

	memset(val, 'v', sizeof(val));
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ASSERT_EQ(0, kcache_set(self->c, key, 2, val, VLEN,
					KCACHE_TTL_NONE));
	}
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));
	EXPECT_EQ(4U, before.entries);
	EXPECT_EQ(0U, before.evictions);

	/* A fifth entry makes room by evicting this cache's LRU, k0. */
	ASSERT_EQ(0, kcache_set(self->c, "k4", 2, val, VLEN,
				KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &after));
	EXPECT_EQ(4U, after.entries);
	EXPECT_EQ(1U, after.evictions);
	EXPECT_EQ(0, sexists(self->c, "k0"));
	EXPECT_EQ(1, sexists(self->c, "k1"));

	/*
	 * A value bigger than all the room there is: even emptying the
	 * cache would not do, so the set fails and nothing changes.
	 */
	huge_len = 5 * per;
	huge = malloc(huge_len);
	ASSERT_NE(NULL, huge);
	memset(huge, 'h', huge_len);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));
	EXPECT_EQ(-ENOSPC, kcache_set(self->c, "k1", 2, huge, huge_len,
				      KCACHE_TTL_NONE));
	EXPECT_EQ(-ENOSPC, kcache_set(self->c, "new", 3, huge, huge_len,
				      KCACHE_TTL_NONE));
	free(huge);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &after));
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(before.bytes, after.bytes);
	EXPECT_EQ(before.evictions, after.evictions);
	EXPECT_EQ(before.sets, after.sets);
	EXPECT_EQ(VLEN, sget(self->c, "k1", out));
	EXPECT_EQ(0, sexists(self->c, "new"));
	for (i = 1; i <= 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		EXPECT_EQ(1, sexists(self->c, key));
	}
	EXPECT_NE(NULL, strstr(kcache_strerror(-ENOSPC), "max_total_bytes"));
}

TEST_HARNESS_MAIN
