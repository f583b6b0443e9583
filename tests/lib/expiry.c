// SPDX-License-Identifier: GPL-2.0
/*
 * The reaper through libkcache: kcache_cleanup_expired(), kcache_reap(),
 * kcache_options.cleanup_interval_ms and kcache_info.cleanup_interval_ms,
 * and the counters kcache_get_metrics() reports for it (reaped,
 * reaper_runs, reaper_ns, expiring).
 *
 * Entries are made to expire with short TTLs; the tests wait, with bounded
 * polls of kcache_exists() (which never frees an entry), until the kernel
 * reports them absent, and then check counts and invariants, never how
 * long anything took. Caches whose timer must not interfere get the
 * longest interval (a day).
 */
#include "kselftest_harness.h"
#include "lib.h"

#include <stddef.h>

#define CACHE_SYSFS	"/sys/kernel/lrucache/caches"

#define SHORT_TTL_MS	50
#define LONG_TTL_MS	(3600ULL * 1000)	/* outlives any test */
#define POLL_MS		10
#define POLL_LIMIT_MS	30000			/* generous: TCG is slow */

#define N_SHORT		8	/* keys "s0".. with SHORT_TTL_MS */
#define N_LONG		4	/* keys "l0".. with LONG_TTL_MS */
#define N_NONE		5	/* keys "n0".. with KCACHE_TTL_NONE */
#define N_ALL		(N_SHORT + N_LONG + N_NONE)

static void key_of(char key[8], char kind, int i)
{
	snprintf(key, 8, "%c%d", kind, i);
}

/* Store @n keys "<kind>0".. with the value "v" and @ttl_ms. */
static int fill(struct kcache *c, char kind, int n, uint64_t ttl_ms)
{
	char key[8];
	int i, err;

	for (i = 0; i < n; i++) {
		key_of(key, kind, i);
		err = kcache_set(c, key, strlen(key), "v", 1, ttl_ms);
		if (err)
			return err;
	}
	return 0;
}

/* How many of the keys "<kind>0".."<kind>n-1" are present, or -errno. */
static int count_present(struct kcache *c, char kind, int n)
{
	char key[8];
	int i, ret, present = 0;

	for (i = 0; i < n; i++) {
		key_of(key, kind, i);
		ret = kcache_exists(c, key, strlen(key));
		if (ret < 0)
			return ret;
		present += ret;
	}
	return present;
}

/*
 * Poll with kcache_exists() until none of the keys "<kind>0".. is present:
 * 0, -ETIMEDOUT after POLL_LIMIT_MS, or another -errno.
 */
static int wait_absent(struct kcache *c, char kind, int n)
{
	int waited, ret;

	for (waited = 0; waited <= POLL_LIMIT_MS; waited += POLL_MS) {
		ret = count_present(c, kind, n);
		if (ret <= 0)
			return ret;
		sleep_ms(POLL_MS);
	}
	return -ETIMEDOUT;
}

/* Read a cache's sysfs file holding one number: 0 or -errno. */
static int read_cache_u64(struct kcache *c, const char *file, uint64_t *val)
{
	char path[256];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), CACHE_SYSFS "/%s/%s", kcache_name(c),
		 file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	if (n != 1)
		return -EIO;
	*val = v;
	return 0;
}

static int write_cache_file(struct kcache *c, const char *file,
			    const char *text)
{
	char path[256];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), CACHE_SYSFS "/%s/%s", kcache_name(c),
		 file);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

FIXTURE(expiry) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(expiry)
{
	self->c = NULL;
	unique_name(self->name, "expiry");
}

FIXTURE_TEARDOWN(expiry)
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

/* A cache whose timer stays out of the way: it fires once a day. */
#define OPEN_QUIET(...) do {						\
	KCACHE_OPTS(opts_, .flags = KCACHE_OPEN_EXCL,			\
		    .cleanup_interval_ms = KCACHE_CLEANUP_INTERVAL_MAX_MS, \
		    __VA_ARGS__);					\
									\
	OPEN(&opts_);							\
} while (0)

/* Wait until the short keys read absent, failing the test on timeout. */
#define WAIT_SHORT_ABSENT() do {					\
	int ret_ = wait_absent(self->c, 's', N_SHORT);			\
									\
	ASSERT_EQ(0, ret_) {						\
		TH_LOG("short-TTL keys still present after %d ms: %s",	\
		       POLL_LIMIT_MS, kcache_strerror(ret_));		\
	}								\
} while (0)

TEST_F(expiry, cleanup_frees_exactly_the_expired_entries)
{
	struct kcache_metrics m0, m1, m2;
	struct kcache_health h;
	char out[256], key[8];
	int i;

	OPEN_QUIET(.max_size = 100);
	ASSERT_EQ(0, fill(self->c, 'n', N_NONE, KCACHE_TTL_NONE));
	ASSERT_EQ(0, fill(self->c, 'l', N_LONG, LONG_TTL_MS));
	ASSERT_EQ(0, fill(self->c, 's', N_SHORT, SHORT_TTL_MS));

	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	EXPECT_EQ((uint64_t)N_ALL, m0.entries);
	EXPECT_EQ((uint64_t)(N_SHORT + N_LONG), m0.expiring);

	WAIT_SHORT_ABSENT();
	/* kcache_exists() reported them absent but freed none of them. */
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	EXPECT_EQ((uint64_t)N_ALL, m1.entries);
	EXPECT_EQ((uint64_t)(N_SHORT + N_LONG), m1.expiring);
	EXPECT_EQ(m0.bytes, m1.bytes);
	EXPECT_EQ(m0.expirations, m1.expirations);
	EXPECT_EQ(m0.reaped, m1.reaped);
	/* The timer is a day away: it is not late. */
	ASSERT_EQ(0, kcache_health_check(self->c, &h));
	EXPECT_EQ(0U, h.reasons & KCACHE_HEALTH_REAPER_BEHIND);
	EXPECT_EQ(0U, h.reaper_late_ms);

	ASSERT_EQ(N_SHORT, kcache_cleanup_expired(self->c));

	ASSERT_EQ(0, kcache_get_metrics(self->c, &m2));
	EXPECT_EQ((uint64_t)(N_LONG + N_NONE), m2.entries);
	EXPECT_EQ((uint64_t)N_LONG, m2.expiring);
	/* Each short entry charged its overhead, a 2-byte key and "v". */
	EXPECT_EQ(m1.bytes - N_SHORT * entry_charge(m1.entry_overhead, 2, 1),
		  m2.bytes);
	EXPECT_EQ(m1.reaped + N_SHORT, m2.reaped);
	EXPECT_EQ(m1.expirations + N_SHORT, m2.expirations);
	EXPECT_EQ(m1.reaper_runs + 1, m2.reaper_runs);
	EXPECT_LE(m1.reaper_ns, m2.reaper_ns);
	/* Reaping is neither deleting nor evicting, nor a lookup. */
	EXPECT_EQ(m1.deletes, m2.deletes);
	EXPECT_EQ(m1.evictions, m2.evictions);
	EXPECT_EQ(m1.misses, m2.misses);

	/* Nothing left to free; the others are untouched. */
	ASSERT_EQ(0, kcache_cleanup_expired(self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	EXPECT_EQ(m2.reaped, m1.reaped);
	EXPECT_EQ(m2.reaper_runs + 1, m1.reaper_runs);
	EXPECT_EQ((uint64_t)(N_LONG + N_NONE), m1.entries);
	for (i = 0; i < N_LONG; i++) {
		key_of(key, 'l', i);
		EXPECT_EQ(1, sget(self->c, key, out));
	}
	for (i = 0; i < N_NONE; i++) {
		key_of(key, 'n', i);
		EXPECT_EQ(1, sget(self->c, key, out));
	}
}

TEST_F(expiry, full_scan_visits_every_entry_and_frees_the_expired)
{
	struct kcache_reap_result res;
	struct kcache_metrics m0, m1;
	unsigned int i;

	OPEN_QUIET(.max_size = 100);
	ASSERT_EQ(0, fill(self->c, 'n', N_NONE, KCACHE_TTL_NONE));
	ASSERT_EQ(0, fill(self->c, 'l', N_LONG, LONG_TTL_MS));
	ASSERT_EQ(0, fill(self->c, 's', N_SHORT, SHORT_TTL_MS));
	WAIT_SHORT_ABSENT();
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	ASSERT_EQ((uint64_t)N_ALL, m0.entries);

	memset(&res, 0xa5, sizeof(res));
	ASSERT_EQ(0, kcache_reap(self->c, KCACHE_REAP_FULL_SCAN, &res));
	EXPECT_EQ((uint64_t)N_SHORT, res.freed);
	EXPECT_EQ((uint64_t)N_ALL, res.visited);
	for (i = 0; i < sizeof(res.reserved) / sizeof(res.reserved[0]); i++)
		EXPECT_EQ(0U, res.reserved[i]);

	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	EXPECT_EQ((uint64_t)(N_LONG + N_NONE), m1.entries);
	EXPECT_EQ((uint64_t)N_LONG, m1.expiring);
	EXPECT_EQ(m0.reaped + N_SHORT, m1.reaped);
	EXPECT_EQ(m0.reaper_runs + 1, m1.reaper_runs);

	/* Again: every remaining entry visited, none freed. */
	ASSERT_EQ(0, kcache_reap(self->c, KCACHE_REAP_FULL_SCAN, &res));
	EXPECT_EQ(0U, res.freed);
	EXPECT_EQ((uint64_t)(N_LONG + N_NONE), res.visited);
	/* The bucket walk never looks at entries without an expiry. */
	ASSERT_EQ(0, kcache_reap(self->c, 0, &res));
	EXPECT_EQ(0U, res.freed);
	EXPECT_GE((uint64_t)N_LONG, res.visited);
	/* A NULL result is fine. */
	ASSERT_EQ(0, kcache_reap(self->c, 0, NULL));
}

TEST_F(expiry, cleanup_without_expiring_entries_frees_nothing)
{
	struct kcache_metrics m;

	OPEN_QUIET();
	ASSERT_EQ(0, kcache_cleanup_expired(self->c));	/* empty cache */
	ASSERT_EQ(0, fill(self->c, 'n', N_NONE, KCACHE_TTL_NONE));
	/* No default TTL: KCACHE_TTL_DEFAULT means no expiry either. */
	ASSERT_EQ(0, fill(self->c, 'd', 3, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(0U, m.expiring);
	ASSERT_EQ(0, kcache_cleanup_expired(self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ((uint64_t)(N_NONE + 3), m.entries);
	EXPECT_EQ(0U, m.reaped);
	EXPECT_EQ(0U, m.expirations);
}

TEST_F(expiry, expiring_counts_entries_with_a_ttl)
{
	struct kcache_item items[3] = {
		{ .key = "m0", .key_len = 2, .value = "v", .value_len = 1 },
		{ .key = "m1", .key_len = 2, .value = "v", .value_len = 1 },
		{ .key = "m2", .key_len = 2, .value = "v", .value_len = 1 },
	};
	struct kcache_metrics m;

	OPEN_QUIET(.default_ttl_ms = LONG_TTL_MS);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(0U, m.expiring);

	ASSERT_EQ(0, kcache_set(self->c, "a", 1, "1", 1, LONG_TTL_MS));
	ASSERT_EQ(0, kcache_set(self->c, "b", 1, "2", 1, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(0, kcache_set(self->c, "c", 1, "3", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(3U, m.entries);
	EXPECT_EQ(2U, m.expiring);	/* a (explicit) and b (default) */

	/* Replacing moves an entry in and out of the count. */
	ASSERT_EQ(0, kcache_set(self->c, "a", 1, "1", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(1U, m.expiring);
	ASSERT_EQ(0, kcache_replace(self->c, "c", 1, "3", 1, LONG_TTL_MS));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(2U, m.expiring);
	/* Replacing a TTL by a TTL keeps it counted once. */
	ASSERT_EQ(0, kcache_set(self->c, "b", 1, "2", 1, LONG_TTL_MS));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(2U, m.expiring);
	/* A refused add changes nothing. */
	ASSERT_EQ(-EEXIST, kcache_add(self->c, "a", 1, "x", 1, LONG_TTL_MS));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(2U, m.expiring);

	/* Batched sets count the same way. */
	ASSERT_EQ(3, kcache_set_many(self->c, items, 3, LONG_TTL_MS));
	EXPECT_EQ(0, items[0].status);
	EXPECT_EQ(0, items[1].status);
	EXPECT_EQ(0, items[2].status);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(6U, m.entries);
	EXPECT_EQ(5U, m.expiring);

	ASSERT_EQ(0, kcache_delete(self->c, "b", 1));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(4U, m.expiring);

	ASSERT_EQ(0, kcache_clear(self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(0U, m.entries);
	EXPECT_EQ(0U, m.expiring);
}

TEST_F(expiry, eviction_of_an_expiring_entry_leaves_the_count)
{
	struct kcache_metrics m;

	OPEN_QUIET(.max_size = 2);
	ASSERT_EQ(0, kcache_set(self->c, "a", 1, "1", 1, LONG_TTL_MS));
	ASSERT_EQ(0, kcache_set(self->c, "b", 1, "2", 1, LONG_TTL_MS));
	ASSERT_EQ(0, kcache_set(self->c, "c", 1, "3", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(1U, m.evictions);
	EXPECT_EQ(2U, m.entries);
	EXPECT_EQ(1U, m.expiring);	/* a went, b stays */
}

TEST_F(expiry, timer_reaps_untouched_entries_then_stops)
{
	struct kcache_metrics m0, m;
	uint64_t runs, prev;
	int waited;

	{
		KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL,
			    .cleanup_interval_ms = 100);

		OPEN(&opts);
	}
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	ASSERT_EQ(0, fill(self->c, 'n', N_NONE, KCACHE_TTL_NONE));
	ASSERT_EQ(0, fill(self->c, 's', N_SHORT, SHORT_TTL_MS));

	/* No access at all: only the timer can free them. */
	for (waited = 0; waited <= POLL_LIMIT_MS; waited += POLL_MS) {
		ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
		if (m.entries == N_NONE)
			break;
		sleep_ms(POLL_MS);
	}
	ASSERT_EQ((uint64_t)N_NONE, m.entries) {
		TH_LOG("the 100 ms timer left %llu of %d entries after %d ms",
		       (unsigned long long)m.entries - N_NONE, N_SHORT,
		       POLL_LIMIT_MS);
	}
	EXPECT_EQ(0U, m.expiring);
	EXPECT_EQ(m0.reaped + N_SHORT, m.reaped);
	EXPECT_EQ(m0.expirations + N_SHORT, m.expirations);
	EXPECT_LT(m0.reaper_runs, m.reaper_runs);
	EXPECT_EQ(0U, m.misses);

	/*
	 * Nothing can expire any more, so the timer is not armed again:
	 * once a run in flight has finished (runs steady over two
	 * intervals), the count of runs stays put over ten more.
	 */
	prev = m.reaper_runs;
	for (waited = 0; waited <= POLL_LIMIT_MS; waited += 200) {
		sleep_ms(200);
		ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
		if (m.reaper_runs == prev)
			break;
		prev = m.reaper_runs;
	}
	ASSERT_EQ(prev, m.reaper_runs);
	runs = m.reaper_runs;
	sleep_ms(1000);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(runs, m.reaper_runs);
}

/*
 * Create cache @name with @interval, read the interval back through
 * kcache_get_info() and sysfs, destroy it: 0 or -errno.
 */
static int interval_of_new_cache(const char *name, uint64_t interval,
				 uint64_t *from_info, uint64_t *from_sysfs)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL,
		    .cleanup_interval_ms = interval);
	struct kcache_info info;
	struct kcache *c;
	int err;

	err = kcache_open(name, &opts, &c);
	if (err)
		return err;
	memset(&info, 0xa5, sizeof(info));
	err = kcache_get_info(c, &info);
	*from_info = info.cleanup_interval_ms;
	if (!err)
		err = read_cache_u64(c, "cleanup_interval_ms", from_sysfs);
	kcache_close(c);
	kcache_destroy(name);
	return err;
}

TEST_F(expiry, cleanup_interval_round_trips)
{
	static const uint64_t intervals[] = {
		0, KCACHE_CLEANUP_INTERVAL_MIN_MS, 1234,
		KCACHE_CLEANUP_INTERVAL_DEFAULT_MS,
		KCACHE_CLEANUP_INTERVAL_MAX_MS,
	};
	uint64_t info, sysfs, want;
	unsigned int i;

	EXPECT_EQ(60000U, KCACHE_CLEANUP_INTERVAL_DEFAULT_MS);
	for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
		want = intervals[i] ? intervals[i] :
		       KCACHE_CLEANUP_INTERVAL_DEFAULT_MS;
		info = sysfs = 0;
		EXPECT_EQ(0, interval_of_new_cache(self->name, intervals[i],
						   &info, &sysfs));
		EXPECT_EQ(want, info);
		EXPECT_EQ(want, sysfs);
		if (info != want || sysfs != want)
			TH_LOG("created with %llu: info %llu, sysfs %llu",
			       (unsigned long long)intervals[i],
			       (unsigned long long)info,
			       (unsigned long long)sysfs);
	}
}

TEST_F(expiry, attaching_keeps_the_interval_and_sysfs_changes_it)
{
	KCACHE_OPTS(first, .flags = KCACHE_OPEN_EXCL,
		    .cleanup_interval_ms = 1234);
	KCACHE_OPTS(second, .cleanup_interval_ms = 5678);
	struct kcache_info info;
	struct kcache *other = NULL;

	OPEN(&first);
	ASSERT_EQ(0, kcache_open(self->name, &second, &other));
	ASSERT_EQ(0, kcache_get_info(other, &info));
	EXPECT_EQ(1234U, info.cleanup_interval_ms);

	/* Root may change it; every handle sees the new value. */
	ASSERT_EQ(0, write_cache_file(self->c, "cleanup_interval_ms", "2500"));
	ASSERT_EQ(0, kcache_get_info(other, &info));
	EXPECT_EQ(2500U, info.cleanup_interval_ms);
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_EQ(2500U, info.cleanup_interval_ms);
	kcache_close(other);
}

TEST_F(expiry, out_of_range_interval_is_einval)
{
	static const uint64_t bad[] = {
		1, KCACHE_CLEANUP_INTERVAL_MIN_MS - 1,
		KCACHE_CLEANUP_INTERVAL_MAX_MS + 1, UINT32_MAX + 1ULL,
		UINT64_MAX,
	};
	struct kcache *c = (struct kcache *)0x1;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KCACHE_OPTS(opts, .cleanup_interval_ms = bad[i]);

		EXPECT_EQ(-EINVAL, kcache_open(self->name, &opts, &c)) {
			TH_LOG("interval %llu", (unsigned long long)bad[i]);
		}
		EXPECT_EQ((struct kcache *)0x1, c);
		EXPECT_EQ(-ENOENT, kcache_destroy(self->name));
	}
}

TEST_F(expiry, options_of_an_older_caller_leave_the_default_interval)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL,
		    .cleanup_interval_ms = 1);
	struct kcache_info info;

	/*
	 * A caller built against libkcache 1.3 has no cleanup_interval_ms:
	 * whatever follows its structure is not read.
	 */
	opts.sz = offsetof(struct kcache_options, cleanup_interval_ms);
	OPEN(&opts);
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_EQ(KCACHE_CLEANUP_INTERVAL_DEFAULT_MS, info.cleanup_interval_ms);
}

TEST_F(expiry, cache_without_metrics_reaps_without_counting)
{
	struct kcache_reap_result res;
	struct kcache_metrics m;

	{
		KCACHE_OPTS(opts,
			    .flags = KCACHE_OPEN_EXCL | KCACHE_OPEN_NO_METRICS,
			    .cleanup_interval_ms =
				KCACHE_CLEANUP_INTERVAL_MAX_MS);

		OPEN(&opts);
	}
	ASSERT_EQ(0, fill(self->c, 'n', N_NONE, KCACHE_TTL_NONE));
	ASSERT_EQ(0, fill(self->c, 's', N_SHORT, SHORT_TTL_MS));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ((uint64_t)N_SHORT, m.expiring);	/* exact all the same */
	WAIT_SHORT_ABSENT();

	/* The run's own figures are not metrics: they are reported. */
	ASSERT_EQ(0, kcache_reap(self->c, KCACHE_REAP_FULL_SCAN, &res));
	EXPECT_EQ((uint64_t)N_SHORT, res.freed);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ((uint64_t)N_NONE, m.entries);
	EXPECT_EQ(0U, m.expiring);
	EXPECT_EQ(0U, m.reaped);
	EXPECT_EQ(0U, m.expirations);
	EXPECT_EQ(0U, m.reaper_runs);
	EXPECT_EQ(0U, m.reaper_ns);
}

TEST_F(expiry, bad_arguments_and_destroyed_cache)
{
	struct kcache_reap_result res;

	OPEN_QUIET();
	EXPECT_EQ(-EINVAL, kcache_cleanup_expired(NULL));
	EXPECT_EQ(-EINVAL, kcache_reap(NULL, 0, &res));
	EXPECT_EQ(-EINVAL, kcache_reap(self->c, 1U << 1, &res));
	EXPECT_EQ(-EINVAL, kcache_reap(self->c, ~0U, &res));
	ASSERT_EQ(0, kcache_destroy(self->name));
	EXPECT_EQ(-EIDRM, kcache_cleanup_expired(self->c));
	EXPECT_EQ(-EIDRM, kcache_reap(self->c, 0, &res));
	EXPECT_EQ(-EIDRM, kcache_reap(self->c, KCACHE_REAP_FULL_SCAN, NULL));
}

TEST_HARNESS_MAIN
