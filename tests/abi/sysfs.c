// SPDX-License-Identifier: GPL-2.0
/*
 * The sysfs view: /sys/kernel/lrucache/{stats,health}, one directory per
 * cache under caches/ with its own stats and health, and the module
 * parameters. The stats files are flat keyed ("name value" per line) and
 * must agree with LRUCACHE_IOC_STATS after a known sequence.
 *
 * The global file sums over all caches, so the tests compare differences
 * taken around their own operations; they assume nothing else uses the
 * module meanwhile (tests/run-tests runs one program at a time).
 */
#include "kselftest_harness.h"
#include "abi.h"

#include <sys/stat.h>

static const char *const cache_keys[] = {
	"hits", "misses", "sets", "deletes", "evictions", "expirations",
	"entries", "bytes", "max_entries", "max_bytes", "default_ttl_ms",
	"entry_overhead",
};

static const char *const global_keys[] = {
	"caches", "hits", "misses", "sets", "deletes", "evictions",
	"expirations", "entries", "bytes",
};

#define NR_CACHE_KEYS	(sizeof(cache_keys) / sizeof(cache_keys[0]))
#define NR_GLOBAL_KEYS	(sizeof(global_keys) / sizeof(global_keys[0]))

FIXTURE(sysfs) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	char other[LRUCACHE_NAME_MAX];
	char dir[256];
};

FIXTURE_SETUP(sysfs)
{
	self->fd = -1;
	unique_name(self->name, "sysfs");
	unique_name(self->other, "sysfs-other");
	snprintf(self->dir, sizeof(self->dir), SYSFS_ROOT "/caches/%s",
		 self->name);
	self->fd = cache_create(self->name, 3, 0, 0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(sysfs)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
	cache_destroy(self->other);
}

/* The value of stats field @key in @st. */
static uint64_t stats_field(const struct lrucache_stats *st, const char *key)
{
	if (!strcmp(key, "hits"))
		return st->hits;
	if (!strcmp(key, "misses"))
		return st->misses;
	if (!strcmp(key, "sets"))
		return st->sets;
	if (!strcmp(key, "deletes"))
		return st->deletes;
	if (!strcmp(key, "evictions"))
		return st->evictions;
	if (!strcmp(key, "expirations"))
		return st->expirations;
	if (!strcmp(key, "entries"))
		return st->entries;
	if (!strcmp(key, "bytes"))
		return st->bytes;
	if (!strcmp(key, "max_entries"))
		return st->max_entries;
	if (!strcmp(key, "max_bytes"))
		return st->max_bytes;
	if (!strcmp(key, "default_ttl_ms"))
		return st->default_ttl_ms;
	if (!strcmp(key, "entry_overhead"))
		return st->entry_overhead;
	return UINT64_MAX;
}

/*
 * Check that every line of @path is "name value" with a lowercase name and
 * a decimal value. Returns the number of lines, or -errno / -EINVAL.
 */
static int flat_keyed_lines(const char *path)
{
	char buf[4096], *line, *save = NULL, *p;
	int ret = read_file(path, buf, sizeof(buf)), lines = 0;

	if (ret < 0)
		return ret;
	if (ret == 0 || buf[ret - 1] != '\n')
		return -EINVAL;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (p = line; (*p >= 'a' && *p <= 'z') || *p == '_' ||
			       (*p >= '0' && *p <= '9'); p++)
			;
		if (p == line || *p++ != ' ' || !*p)
			return -EINVAL;
		for (; *p; p++)
			if (*p < '0' || *p > '9')
				return -EINVAL;
		lines++;
	}
	return lines;
}

/* Read all global counters. */
static int read_global(uint64_t vals[NR_GLOBAL_KEYS])
{
	unsigned int i;
	int err;

	for (i = 0; i < NR_GLOBAL_KEYS; i++) {
		err = flat_keyed(SYSFS_ROOT "/stats", global_keys[i], &vals[i]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * First line of a health file: "status healthy|degraded|unhealthy".
 * Returns 0, 1 or 2 for those, -EINVAL for anything else, or -errno.
 */
static int health_status(const char *path)
{
	static const char *const names[] = {
		"healthy", "degraded", "unhealthy",
	};
	char buf[4096], *nl;
	int ret = read_file(path, buf, sizeof(buf)), i;

	if (ret < 0)
		return ret;
	nl = strchr(buf, '\n');
	if (!nl || strncmp(buf, "status ", 7))
		return -EINVAL;
	*nl = 0;
	for (i = 0; i < 3; i++)
		if (!strcmp(buf + 7, names[i]))
			return i;
	return -EINVAL;
}

/* A known sequence on a cache with max_entries 3. */
static int known_sequence(int fd)
{
	char out[256];

	if (str_set(fd, "a", "1") || str_set(fd, "b", "2") ||
	    str_set(fd, "c", "3") || str_set(fd, "d", "4"))	/* evicts a */
		return -1;
	if (str_get(fd, "b", out) != 1 || str_get(fd, "a", out) != -ENOENT)
		return -1;
	if (kv_delete(fd, "c", 1) || str_set(fd, "b", "22"))
		return -1;
	return 0;
}

TEST_F(sysfs, cache_stats_file_matches_ioctl)
{
	struct lrucache_stats st;
	char path[300];
	uint64_t val;
	unsigned int i;

	ASSERT_EQ(0, known_sequence(self->fd));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	/* Sanity: the sequence did what it says. */
	ASSERT_EQ(5U, st.sets);
	ASSERT_EQ(1U, st.evictions);
	ASSERT_EQ(1U, st.hits);
	ASSERT_EQ(1U, st.misses);
	ASSERT_EQ(1U, st.deletes);
	ASSERT_EQ(2U, st.entries);

	snprintf(path, sizeof(path), "%s/stats", self->dir);
	ASSERT_LE((int)NR_CACHE_KEYS, flat_keyed_lines(path));
	for (i = 0; i < NR_CACHE_KEYS; i++) {
		ASSERT_EQ(0, flat_keyed(path, cache_keys[i], &val)) {
			TH_LOG("%s: no '%s' line", path, cache_keys[i]);
		}
		EXPECT_EQ(stats_field(&st, cache_keys[i]), val) {
			TH_LOG("%s: %s", path, cache_keys[i]);
		}
	}
}

TEST_F(sysfs, cache_directory_follows_cache_lifetime)
{
	char dir[256], path[300];
	struct stat sb;
	int fd;

	snprintf(dir, sizeof(dir), SYSFS_ROOT "/caches/%s", self->other);
	ASSERT_EQ(-1, stat(dir, &sb));
	fd = cache_create(self->other, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stat(dir, &sb));
	ASSERT_TRUE(S_ISDIR(sb.st_mode));
	snprintf(path, sizeof(path), "%s/stats", dir);
	ASSERT_EQ(0, stat(path, &sb));
	snprintf(path, sizeof(path), "%s/health", dir);
	ASSERT_EQ(0, stat(path, &sb));

	ASSERT_EQ(0, cache_destroy(self->other));
	ASSERT_EQ(-1, stat(dir, &sb));
	ASSERT_EQ(ENOENT, errno);
	close(fd);
}

TEST_F(sysfs, global_stats_sum_over_caches)
{
	uint64_t before[NR_GLOBAL_KEYS], after[NR_GLOBAL_KEYS];
	struct lrucache_stats st1, st2;
	unsigned int i;
	int fd;

	ASSERT_LE((int)NR_GLOBAL_KEYS, flat_keyed_lines(SYSFS_ROOT "/stats"));
	/* The fixture's cache exists already and is still empty. */
	ASSERT_EQ(0, read_global(before));
	fd = cache_create(self->other, 3, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, known_sequence(self->fd));
	ASSERT_EQ(0, known_sequence(fd));
	ASSERT_EQ(0, str_set(fd, "extra", "entry"));
	ASSERT_EQ(0, cache_stats(self->fd, &st1));
	ASSERT_EQ(0, cache_stats(fd, &st2));
	ASSERT_EQ(0, read_global(after));

	for (i = 0; i < NR_GLOBAL_KEYS; i++) {
		uint64_t expect = !strcmp(global_keys[i], "caches") ? 1 :
			stats_field(&st1, global_keys[i]) +
			stats_field(&st2, global_keys[i]);

		EXPECT_EQ(expect, after[i] - before[i]) {
			TH_LOG("global %s: before %llu after %llu",
			       global_keys[i],
			       (unsigned long long)before[i],
			       (unsigned long long)after[i]);
		}
	}

	/* Destroying the second cache takes its entries and bytes away. */
	ASSERT_EQ(0, cache_destroy(self->other));
	ASSERT_EQ(0, read_global(after));
	for (i = 0; i < NR_GLOBAL_KEYS; i++) {
		if (!strcmp(global_keys[i], "caches")) {
			EXPECT_EQ(before[i], after[i]);
		} else if (!strcmp(global_keys[i], "entries") ||
			   !strcmp(global_keys[i], "bytes")) {
			EXPECT_EQ(stats_field(&st1, global_keys[i]),
				  after[i] - before[i]);
		}
	}
	close(fd);
}

TEST_F(sysfs, health_files_start_with_status)
{
	char path[300];

	ASSERT_LE(0, health_status(SYSFS_ROOT "/health"));
	snprintf(path, sizeof(path), "%s/health", self->dir);
	ASSERT_LE(0, health_status(path));
	ASSERT_EQ(0, known_sequence(self->fd));
	ASSERT_LE(0, health_status(path));
}

TEST_F(sysfs, module_parameters_are_readable)
{
	static const char *const params[] = {
		"max_key_len", "max_value_len", "default_max_entries",
		"default_max_bytes",
	};
	struct lrucache_stats st;
	char path[256];
	uint64_t val;
	unsigned int i;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		snprintf(path, sizeof(path), PARAM_ROOT "/%s", params[i]);
		ASSERT_EQ(0, read_u64_file(path, &val)) {
			TH_LOG("cannot read %s", path);
		}
		ASSERT_LT(0U, val);
	}
	/* The fixture's cache was created with max_bytes 0: the default. */
	ASSERT_EQ(0, read_u64_file(PARAM_ROOT "/default_max_bytes", &val));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(val, st.max_bytes);
}

TEST_HARNESS_MAIN
