// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_reset_metrics(), kcache_health_check(), kcache_get_info() and
 * KCACHE_OPEN_NO_METRICS: each against known sequences of operations, and
 * against the cache's sysfs files (stats and health), which must tell the
 * same story.
 */
#include "kselftest_harness.h"
#include "lib.h"

#define CACHE_SYSFS	"/sys/kernel/lrucache/caches"

/* Read a whole small file into @buf (NUL-terminated): length or -errno. */
static int slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
	return (int)n;
}

static int cache_file(struct kcache *c, const char *file, char *buf,
		      size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), CACHE_SYSFS "/%s/%s", kcache_name(c),
		 file);
	return slurp(path, buf, size);
}

/* The text the sysfs health file must hold for @h. */
static void health_text(const struct kcache_health *h, char *buf, size_t size)
{
	int at;

	at = snprintf(buf, size, "status %s\n",
		      kcache_health_status_name(h->status));
	if (h->reasons & KCACHE_HEALTH_MEMORY_HIGH)
		at += snprintf(buf + at, size - at, "memory_high %u\n",
			       h->memory_pct);
	if (h->reasons & KCACHE_HEALTH_HIT_RATE_LOW)
		at += snprintf(buf + at, size - at, "hit_rate_low %u\n",
			       h->hit_rate_pct);
	/*
	 * How late the reaper is (reaper_late_ms) changes between the two
	 * reads: the key only.
	 */
	if (h->reasons & KCACHE_HEALTH_REAPER_BEHIND)
		snprintf(buf + at, size - at, "reaper_behind ");
}

/*
 * kcache_health_check() and the sysfs health file agree line by line
 * (status first, then the reasons with the same percentages).
 */
#define ASSERT_HEALTH_MATCHES_SYSFS(c, h) do {				\
	char want_[256], got_[256];					\
									\
	ASSERT_EQ(0, kcache_health_check((c), (h)));			\
	health_text((h), want_, sizeof(want_));				\
	ASSERT_LT(0, cache_file((c), "health", got_, sizeof(got_)));	\
	if ((h)->reasons & KCACHE_HEALTH_REAPER_BEHIND)			\
		got_[strlen(want_)] = 0;	/* drop the figure */	\
	ASSERT_STREQ(want_, got_);					\
} while (0)

/* The kcache_metrics field each key of the sysfs stats file maps to. */
static const struct {
	const char *key;
	size_t off;
} stat_keys[] = {
#define K(f) { #f, offsetof(struct kcache_metrics, f) }
	K(hits), K(misses), K(sets), K(deletes), K(evictions),
	K(expirations), K(entries), K(bytes), K(max_entries), K(max_bytes),
	K(default_ttl_ms), K(entry_overhead), K(reaped), K(reclaimed),
	K(reaper_runs), K(reaper_ns), K(expiring), K(data_bytes), K(leases),
	K(lease_grants), K(stale_fills),
#undef K
};

#define N_STAT_KEYS (sizeof(stat_keys) / sizeof(stat_keys[0]))

/*
 * Compare every key of the sysfs stats file that kcache_metrics has with
 * kcache_get_metrics(): the number of keys compared (all of them expected),
 * or -1 on the first difference (logged).
 */
static int metrics_vs_sysfs(struct __test_metadata *_metadata,
			    struct kcache *c, struct kcache_metrics *m)
{
	char buf[4096], *line, *save = NULL;
	int compared = 0;
	size_t i;

	if (kcache_get_metrics(c, m))
		return -1;
	if (cache_file(c, "stats", buf, sizeof(buf)) <= 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[64];
		unsigned long long val;
		uint64_t mine;

		if (sscanf(line, "%63s %llu", key, &val) != 2)
			continue;
		for (i = 0; i < N_STAT_KEYS; i++)
			if (!strcmp(key, stat_keys[i].key))
				break;
		if (i == N_STAT_KEYS)
			continue;	/* a key the library does not have */
		memcpy(&mine, (char *)m + stat_keys[i].off, sizeof(mine));
		if (mine != val) {
			TH_LOG("%s: kcache_get_metrics %llu, sysfs %llu", key,
			       (unsigned long long)mine, val);
			return -1;
		}
		compared++;
	}
	return compared;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* @n lookups of a key that is never there. */
static int miss_n(struct kcache *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (kcache_get(c, "absent", 6, NULL, 0) != -ENOENT)
			return -1;
	return 0;
}

FIXTURE(health) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(health)
{
	self->c = NULL;
	unique_name(self->name, "health");
}

FIXTURE_TEARDOWN(health)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

/* Create the test's cache (exclusively) with @opts. */
#define OPEN(opts) do {							\
	int err_ = kcache_open(self->name, (opts), &self->c);		\
									\
	ASSERT_EQ(0, err_) {						\
		TH_LOG("kcache_open(%s): %s", self->name,		\
		       kcache_strerror(err_));				\
	}								\
} while (0)

TEST_F(health, null_arguments_are_einval)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache_health h;
	struct kcache_info info;

	OPEN(&opts);
	EXPECT_EQ(-EINVAL, kcache_reset_metrics(NULL));
	EXPECT_EQ(-EINVAL, kcache_health_check(NULL, &h));
	EXPECT_EQ(-EINVAL, kcache_health_check(self->c, NULL));
	EXPECT_EQ(-EINVAL, kcache_get_info(NULL, &info));
	EXPECT_EQ(-EINVAL, kcache_get_info(self->c, NULL));
}

TEST(status_names)
{
	EXPECT_STREQ("healthy", kcache_health_status_name(KCACHE_HEALTHY));
	EXPECT_STREQ("degraded", kcache_health_status_name(KCACHE_DEGRADED));
	EXPECT_STREQ("unhealthy",
		     kcache_health_status_name(KCACHE_UNHEALTHY));
	EXPECT_STREQ("unknown", kcache_health_status_name(3));
	EXPECT_STREQ("unknown", kcache_health_status_name(-1));
}

TEST_F(health, reset_zeroes_counters_and_keeps_entries)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL, .max_size = 2,
		    .max_memory_bytes = 1 << 20, .default_ttl_ms = 60000);
	struct kcache_metrics before, after;
	char out[256];

	OPEN(&opts);
	ASSERT_EQ(0, sset(self->c, "a", "1"));
	ASSERT_EQ(0, sset(self->c, "b", "22"));
	ASSERT_EQ(0, sset(self->c, "c", "333"));	/* evicts a */
	ASSERT_EQ(2, sget(self->c, "b", out));
	ASSERT_EQ(-ENOENT, sget(self->c, "a", out));
	ASSERT_EQ(0, kcache_delete(self->c, "b", 1));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));
	ASSERT_EQ(1U, before.hits);
	ASSERT_EQ(1U, before.misses);
	ASSERT_EQ(3U, before.sets);
	ASSERT_EQ(1U, before.deletes);
	ASSERT_EQ(1U, before.evictions);

	ASSERT_EQ(0, kcache_reset_metrics(self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &after));
	EXPECT_EQ(0U, after.hits);
	EXPECT_EQ(0U, after.misses);
	EXPECT_TRUE(after.hit_rate == 0.0);
	EXPECT_EQ(0U, after.sets);
	EXPECT_EQ(0U, after.deletes);
	EXPECT_EQ(0U, after.evictions);
	EXPECT_EQ(0U, after.expirations);
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(1U, after.entries);
	EXPECT_EQ(before.bytes, after.bytes);
	EXPECT_EQ(entry_charge(after.entry_overhead, 1, 3), after.bytes);
	EXPECT_EQ(2U, after.max_entries);
	EXPECT_EQ(1U << 20, after.max_bytes);
	EXPECT_EQ(60000U, after.default_ttl_ms);
	EXPECT_EQ(before.entry_overhead, after.entry_overhead);
	EXPECT_EQ((int)N_STAT_KEYS,
		  metrics_vs_sysfs(_metadata, self->c, &after));

	/* Counting starts again from zero; the entry is still there. */
	ASSERT_EQ(3, sget(self->c, "c", out));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &after));
	EXPECT_EQ(1U, after.hits);
	EXPECT_EQ(0U, after.misses);
	/* Twice in a row is fine. */
	ASSERT_EQ(0, kcache_reset_metrics(self->c));
	ASSERT_EQ(0, kcache_reset_metrics(self->c));
}

TEST_F(health, reset_is_seen_by_other_handles)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache_metrics m;
	struct kcache *other = NULL;
	char out[256];

	OPEN(&opts);
	ASSERT_EQ(0, kcache_open(self->name, NULL, &other));
	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(1, sget(self->c, "k", out));
	ASSERT_EQ(0, kcache_reset_metrics(other));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	kcache_close(other);
	EXPECT_EQ(0U, m.hits);
	EXPECT_EQ(0U, m.sets);
	EXPECT_EQ(1U, m.entries);
}

TEST_F(health, fresh_cache_is_healthy)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache_health h;

	OPEN(&opts);
	memset(&h, 0xa5, sizeof(h));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_HEALTHY, h.status);
	EXPECT_EQ(0U, h.reasons);
	EXPECT_EQ(0U, h.memory_pct);
	EXPECT_EQ(100U, h.hit_rate_pct);
	EXPECT_EQ(0U, h.reaper_late_ms);
	EXPECT_EQ(0U, h.reserved[0]);
	EXPECT_EQ(0U, h.reserved[1]);
	EXPECT_EQ(0U, h.reserved[2]);
}

TEST_F(health, memory_high_at_95_percent)
{
	struct kcache_metrics m;
	struct kcache_health h;
	struct kcache *probe = NULL;
	char probe_name[LRUCACHE_NAME_MAX], key[8], val[60];
	uint64_t per, overhead;
	int i;

	/* The overhead, from a throwaway cache, sizes the real one. */
	unique_name(probe_name, "health-probe");
	{
		KCACHE_OPTS(popts, .flags = KCACHE_OPEN_EXCL);

		ASSERT_EQ(0, kcache_open(probe_name, &popts, &probe));
	}
	ASSERT_EQ(0, kcache_get_metrics(probe, &m));
	kcache_close(probe);
	kcache_destroy(probe_name);
	overhead = m.entry_overhead;
	per = entry_charge(overhead, 4, sizeof(val)); /* keys "k000".."k019" */

	{
		KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL, .max_size = 100,
			    .max_memory_bytes = 20 * per);

		OPEN(&opts);
	}
	memset(val, 'v', sizeof(val));
	for (i = 0; i < 20; i++) {
		uint32_t want = (uint32_t)((i + 1) * 100 / 20);

		snprintf(key, sizeof(key), "k%03d", i);
		ASSERT_EQ(0, kcache_set(self->c, key, 4, val, sizeof(val),
					KCACHE_TTL_NONE));
		ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
		EXPECT_EQ(want, h.memory_pct);
		if (want < 95) {
			EXPECT_EQ(KCACHE_HEALTHY, h.status);
			EXPECT_EQ(0U, h.reasons);
		} else {
			EXPECT_EQ(KCACHE_DEGRADED, h.status);
			EXPECT_EQ(KCACHE_HEALTH_MEMORY_HIGH, h.reasons);
		}
	}
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(20 * per, m.bytes);
	EXPECT_EQ(0U, m.evictions);

	/*
	 * Under 95%: 18 entries and an empty one, charged its smaller
	 * size class (a value one byte shorter may be charged the same).
	 */
	ASSERT_EQ(0, kcache_clear(self->c));
	for (i = 0; i < 18; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		ASSERT_EQ(0, kcache_set(self->c, key, 4, val, sizeof(val),
					KCACHE_TTL_NONE));
	}
	ASSERT_EQ(0, kcache_set(self->c, "k018", 4, val, 0, KCACHE_TTL_NONE));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ((18 * per + entry_charge(overhead, 4, 0)) * 100 / (20 * per),
		  h.memory_pct);
	EXPECT_GT(95U, h.memory_pct);
	EXPECT_EQ(KCACHE_HEALTHY, h.status);

	/* Memory is not a counter: a reset leaves the rule broken. */
	ASSERT_EQ(0, kcache_set(self->c, "k018", 4, val, sizeof(val),
				KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_reset_metrics(self->c));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(95U, h.memory_pct);
	EXPECT_EQ(KCACHE_DEGRADED, h.status);
	EXPECT_EQ(KCACHE_HEALTH_MEMORY_HIGH, h.reasons);
}

TEST_F(health, hit_rate_low_degraded_then_unhealthy)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache_health h;

	OPEN(&opts);
	ASSERT_EQ(0, miss_n(self->c, 99));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_HEALTHY, h.status);	/* fewer than 100 lookups */
	EXPECT_EQ(0U, h.reasons);
	EXPECT_EQ(0U, h.hit_rate_pct);

	ASSERT_EQ(0, miss_n(self->c, 1));	/* 100 lookups, 0% */
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_DEGRADED, h.status);
	EXPECT_EQ(KCACHE_HEALTH_HIT_RATE_LOW, h.reasons);
	EXPECT_EQ(0U, h.hit_rate_pct);

	ASSERT_EQ(0, miss_n(self->c, 899));	/* 999 lookups */
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_DEGRADED, h.status);
	EXPECT_EQ(KCACHE_HEALTH_HIT_RATE_LOW, h.reasons);

	ASSERT_EQ(0, miss_n(self->c, 1));	/* 1000 lookups, 0% */
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_UNHEALTHY, h.status);
	EXPECT_EQ(KCACHE_HEALTH_HIT_RATE_LOW, h.reasons);
	EXPECT_EQ(0U, h.hit_rate_pct);

	/* The rate is a counter: a reset makes the cache healthy again. */
	ASSERT_EQ(0, kcache_reset_metrics(self->c));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_HEALTHY, h.status);
	EXPECT_EQ(0U, h.reasons);
	EXPECT_EQ(100U, h.hit_rate_pct);
}

TEST_F(health, hit_rate_thresholds)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache_health h;
	char out[256];
	int i;

	OPEN(&opts);
	ASSERT_EQ(0, sset(self->c, "k", "v"));

	/* 50 hits, 50 misses: 50% is not under 50%. */
	for (i = 0; i < 50; i++)
		ASSERT_EQ(1, sget(self->c, "k", out));
	ASSERT_EQ(0, miss_n(self->c, 50));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_HEALTHY, h.status);
	EXPECT_EQ(50U, h.hit_rate_pct);

	/* 50 hits, 51 misses: 49% (rounded down), degraded. */
	ASSERT_EQ(0, miss_n(self->c, 1));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_DEGRADED, h.status);
	EXPECT_EQ(KCACHE_HEALTH_HIT_RATE_LOW, h.reasons);
	EXPECT_EQ(49U, h.hit_rate_pct);

	/* 100 hits, 900 misses: exactly 10% after 1000, still degraded. */
	ASSERT_EQ(0, kcache_reset_metrics(self->c));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(1, sget(self->c, "k", out));
	ASSERT_EQ(0, miss_n(self->c, 900));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_DEGRADED, h.status);
	EXPECT_EQ(10U, h.hit_rate_pct);

	/* 100 hits, 901 misses: 9%, unhealthy. */
	ASSERT_EQ(0, miss_n(self->c, 1));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_UNHEALTHY, h.status);
	EXPECT_EQ(9U, h.hit_rate_pct);
}

TEST_F(health, both_reasons_at_once)
{
	struct kcache_health h;
	char val[100];

	memset(val, 'x', sizeof(val));
	{
		/* Room for exactly one entry: memory at 100%. */
		KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
		struct kcache_metrics m;
		struct kcache *probe = NULL;
		char probe_name[LRUCACHE_NAME_MAX];

		unique_name(probe_name, "health-probe2");
		ASSERT_EQ(0, kcache_open(probe_name, &opts, &probe));
		ASSERT_EQ(0, kcache_get_metrics(probe, &m));
		kcache_close(probe);
		kcache_destroy(probe_name);
		opts.max_memory_bytes = entry_charge(m.entry_overhead, 1,
						     sizeof(val));
		OPEN(&opts);
	}
	ASSERT_EQ(0, kcache_set(self->c, "k", 1, val, sizeof(val),
				KCACHE_TTL_NONE));
	ASSERT_EQ(0, miss_n(self->c, 1000));
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_UNHEALTHY, h.status);
	EXPECT_EQ(KCACHE_HEALTH_MEMORY_HIGH | KCACHE_HEALTH_HIT_RATE_LOW,
		  h.reasons);
	EXPECT_EQ(100U, h.memory_pct);
	EXPECT_EQ(0U, h.hit_rate_pct);
}

TEST_F(health, info_fields)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL, .max_size = 123,
		    .max_memory_bytes = 456789, .default_ttl_ms = 98765);
	struct kcache_metrics m;
	struct kcache_info info;
	uint64_t before, after;
	size_t len, i;

	before = realtime_ns();
	OPEN(&opts);
	after = realtime_ns();

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_STREQ(self->name, info.name);
	len = strlen(self->name);
	for (i = len; i < sizeof(info.name); i++)
		EXPECT_EQ(0, info.name[i]);
	EXPECT_EQ(123U, info.max_entries);
	EXPECT_EQ(456789U, info.max_bytes);
	EXPECT_EQ(98765U, info.default_ttl_ms);
	EXPECT_LT(0U, info.entry_overhead);
	EXPECT_EQ(m.entry_overhead, info.entry_overhead);
	EXPECT_EQ(m.max_entries, info.max_entries);
	EXPECT_EQ(m.max_bytes, info.max_bytes);
	EXPECT_EQ(m.default_ttl_ms, info.default_ttl_ms);
	EXPECT_LE(before, info.created_ns);
	EXPECT_GE(after, info.created_ns);
	EXPECT_EQ((uint32_t)geteuid(), info.owner_uid);
	EXPECT_EQ((uint32_t)getegid(), info.owner_gid);
	EXPECT_EQ((uint32_t)KCACHE_INFO_METRICS, info.flags);
	EXPECT_EQ(1U, info.metrics_enabled);
	EXPECT_EQ(0U, info.reserved_pad);
	/* None given at creation: the module's default. */
	EXPECT_EQ(KCACHE_CLEANUP_INTERVAL_DEFAULT_MS, info.cleanup_interval_ms);
	for (i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]); i++)
		EXPECT_EQ(0U, info.reserved[i]);
}

TEST_F(health, info_is_the_same_from_every_handle)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL, .max_size = 7);
	struct kcache_info a, b;
	struct kcache *other = NULL;

	OPEN(&opts);
	/* Attaching with other options does not change the cache. */
	{
		KCACHE_OPTS(again, .max_size = 9,
			    .flags = KCACHE_OPEN_NO_METRICS);

		ASSERT_EQ(0, kcache_open(self->name, &again, &other));
	}
	ASSERT_EQ(0, kcache_get_info(self->c, &a));
	ASSERT_EQ(0, kcache_get_info(other, &b));
	kcache_close(other);
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(7U, b.max_entries);
	EXPECT_EQ(1U, b.metrics_enabled);
}

TEST_F(health, no_metrics_counts_nothing)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL | KCACHE_OPEN_NO_METRICS,
		    .max_size = 2);
	struct kcache_metrics m;
	struct kcache_health h;
	struct kcache_info info;
	char out[256];

	OPEN(&opts);
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_EQ(0U, info.metrics_enabled);
	EXPECT_EQ(0U, info.flags & KCACHE_INFO_METRICS);

	ASSERT_EQ(0, sset(self->c, "a", "1"));
	ASSERT_EQ(0, sset(self->c, "b", "22"));
	ASSERT_EQ(0, sset(self->c, "c", "333"));	/* evicts a */
	ASSERT_EQ(0, sset(self->c, "c", "4444"));	/* replaces */
	ASSERT_EQ(2, sget(self->c, "b", out));
	ASSERT_EQ(-ENOENT, sget(self->c, "a", out));
	ASSERT_EQ(0, kcache_set(self->c, "t", 1, "5", 1, 1)); /* evicts c */
	sleep_ms(20);
	ASSERT_EQ(-ENOENT, sget(self->c, "t", out));	/* expired */
	ASSERT_EQ(0, miss_n(self->c, 1000));
	ASSERT_EQ(0, kcache_delete(self->c, "b", 1));
	ASSERT_EQ(0, sset(self->c, "d", "55555"));

	ASSERT_EQ((int)N_STAT_KEYS, metrics_vs_sysfs(_metadata, self->c, &m));
	EXPECT_EQ(0U, m.hits);
	EXPECT_EQ(0U, m.misses);
	EXPECT_TRUE(m.hit_rate == 0.0);
	EXPECT_EQ(0U, m.sets);
	EXPECT_EQ(0U, m.deletes);
	EXPECT_EQ(0U, m.evictions);
	EXPECT_EQ(0U, m.expirations);
	/* Only d = "55555" is left. */
	EXPECT_EQ(1U, m.entries);
	EXPECT_EQ(entry_charge(m.entry_overhead, 1, 5), m.bytes);

	/* No counters, no hit-rate rule. */
	ASSERT_HEALTH_MATCHES_SYSFS(self->c, &h);
	EXPECT_EQ(KCACHE_HEALTHY, h.status);
	EXPECT_EQ(100U, h.hit_rate_pct);

	ASSERT_EQ(0, kcache_reset_metrics(self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(1U, m.entries);
}

TEST_F(health, metrics_match_sysfs_after_known_sequence)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL, .max_size = 2,
		    .max_memory_bytes = 1 << 20, .default_ttl_ms = 3600000);
	struct kcache_metrics m;
	struct kcache_info info;
	char out[256];

	OPEN(&opts);
	ASSERT_EQ((int)N_STAT_KEYS, metrics_vs_sysfs(_metadata, self->c, &m));

	ASSERT_EQ(0, sset(self->c, "a", "1"));		/* sets 1 */
	ASSERT_EQ(0, sset(self->c, "b", "22"));		/* sets 2 */
	ASSERT_EQ(1, sget(self->c, "a", out));		/* hits 1 */
	ASSERT_EQ(-ENOENT, sget(self->c, "x", out));	/* misses 1 */
	ASSERT_EQ(0, sset(self->c, "c", "333"));	/* sets 3, evict b */
	ASSERT_EQ(-ENOENT, sget(self->c, "b", out));	/* misses 2 */
	ASSERT_EQ(0, kcache_delete(self->c, "c", 1));	/* deletes 1 */
	ASSERT_EQ(0, kcache_set(self->c, "t", 1, "x", 1, 1)); /* sets 4 */
	sleep_ms(20);
	ASSERT_EQ(-ENOENT, sget(self->c, "t", out));	/* misses 3, exp 1 */

	ASSERT_EQ((int)N_STAT_KEYS, metrics_vs_sysfs(_metadata, self->c, &m));
	EXPECT_EQ(1U, m.hits);
	EXPECT_EQ(3U, m.misses);
	EXPECT_EQ(4U, m.sets);
	EXPECT_EQ(1U, m.deletes);
	EXPECT_EQ(1U, m.evictions);
	EXPECT_EQ(1U, m.expirations);
	EXPECT_EQ(1U, m.entries);
	EXPECT_EQ(entry_charge(m.entry_overhead, 1, 1), m.bytes);

	/* Info and sysfs agree on the limits too (compared above). */
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_EQ(m.max_entries, info.max_entries);
	EXPECT_EQ(m.max_bytes, info.max_bytes);
	EXPECT_EQ(m.default_ttl_ms, info.default_ttl_ms);
	EXPECT_EQ(m.entry_overhead, info.entry_overhead);

	ASSERT_EQ(0, kcache_reset_metrics(self->c));
	ASSERT_EQ((int)N_STAT_KEYS, metrics_vs_sysfs(_metadata, self->c, &m));
	EXPECT_EQ(0U, m.hits);
	EXPECT_EQ(0U, m.misses);
	EXPECT_EQ(1U, m.entries);
}

TEST_F(health, destroyed_cache_is_eidrm)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache_health h;
	struct kcache_info info;

	OPEN(&opts);
	ASSERT_EQ(0, kcache_destroy(self->name));
	EXPECT_EQ(-EIDRM, kcache_reset_metrics(self->c));
	EXPECT_EQ(-EIDRM, kcache_health_check(self->c, &h));
	EXPECT_EQ(-EIDRM, kcache_get_info(self->c, &info));
}

TEST(unknown_open_flag_is_einval)
{
	/* The lowest bit the module does not define. */
	KCACHE_OPTS(opts, .flags = (uint32_t)(1UL << __builtin_ctzl(
					~(unsigned long)LRUCACHE_OPEN_FLAGS)));
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c = NULL;

	unique_name(name, "health-flag");
	EXPECT_EQ(-EINVAL, kcache_open(name, &opts, &c));
	EXPECT_EQ(-ENOENT, kcache_destroy(name));
}

TEST_HARNESS_MAIN
