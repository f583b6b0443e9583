// SPDX-License-Identifier: GPL-2.0
/*
 * The TTL reaper through the raw ioctls and sysfs: the per-cache timer frees
 * expired entries nobody touches, LRUCACHE_IOC_REAP runs it on demand (a
 * bucket walk or a full scan), expiry respects the TTL order and never lets
 * an expired value out, the cleanup interval is checked at OPEN and in
 * sysfs, and the old (version 0) structures still work.
 *
 * Nothing here depends on exact timing: the tests poll with bounded loops
 * (POLL_LIMIT_MS, far beyond what the slowest emulated VM needs) and assert
 * invariants that hold whatever the scheduling. The clock is CLOCK_BOOTTIME,
 * the kernel's expiry clock: an entry set between user-space readings
 * t_before and t_after with a TTL of ttl expires at some E with
 * t_before + ttl <= E <= t_after + ttl.
 *
 * The program doubles as a filler for tests/vm/modcycle: started with
 * LRUCACHE_TEST_FILL_CACHE set, it fills that cache and exits before the
 * harness runs (see fill_helper()).
 */
#include "kselftest_harness.h"
#include "abi.h"

#include <sys/stat.h>
#include <sys/wait.h>

#define POLL_LIMIT_MS	30000
/* Per-test timeout: the poll limit plus room for a slow (emulated) VM. */
#define TIMEOUT_S	120

#define INTERVAL_MIN	LRUCACHE_CLEANUP_INTERVAL_MIN_MS
#define INTERVAL_MAX	LRUCACHE_CLEANUP_INTERVAL_MAX_MS
#define INTERVAL_DFLT	LRUCACHE_CLEANUP_INTERVAL_DEFAULT_MS
#define DAY_MS		(24ULL * 3600 * 1000)

/* Every value the tests store is this one; keys are "<prefix><5 digits>". */
#define VAL		"v-0123456789"
#define VAL_LEN		((uint32_t)(sizeof(VAL) - 1))

/* Older structures: version 0 sizes in the command number. */
#define IOC_OPEN_V0	_IOC(_IOC_WRITE, LRUCACHE_IOC_MAGIC, 0x40, \
			     LRUCACHE_OPEN_SIZE_VER0)
#define IOC_STATS_V0	_IOC(_IOC_READ, LRUCACHE_IOC_MAGIC, 0x47, \
			     LRUCACHE_STATS_SIZE_VER0)
#define IOC_INFO_V0	_IOC(_IOC_READ, LRUCACHE_IOC_MAGIC, 0x4b, \
			     LRUCACHE_INFO_SIZE_VER0)

/* --- filler mode for tests/vm/modcycle ------------------------------------ */

#define ENV_FILL_CACHE		"LRUCACHE_TEST_FILL_CACHE"
#define ENV_FILL_COUNT		"LRUCACHE_TEST_FILL_COUNT"
#define ENV_FILL_TTL		"LRUCACHE_TEST_FILL_TTL_MS"
#define ENV_FILL_INTERVAL	"LRUCACHE_TEST_FILL_INTERVAL_MS"

/*
 * With LRUCACHE_TEST_FILL_CACHE=NAME in the environment, create (or attach
 * to) cache NAME with room for LRUCACHE_TEST_FILL_COUNT entries (default
 * 10000) and cleanup interval LRUCACHE_TEST_FILL_INTERVAL_MS (default 10),
 * fill it with that many entries whose TTLs are spread over 1 to
 * LRUCACHE_TEST_FILL_TTL_MS (default 1000) ms, in batches, and exit 0 (1
 * on any failure, with a message on stderr). The harness never runs.
 */
static void __attribute__((constructor)) fill_helper(void)
{
	const char *name = getenv(ENV_FILL_CACHE);
	uint64_t count = env_u64(ENV_FILL_COUNT, 10000);
	uint64_t ttl_max = env_u64(ENV_FILL_TTL, 1000);
	uint64_t interval = env_u64(ENV_FILL_INTERVAL, INTERVAL_MIN);
	static struct lrucache_op ops[LRUCACHE_BATCH_MAX];
	static char keys[LRUCACHE_BATCH_MAX][16];
	uint64_t i = 0;
	uint32_t n, j;
	int fd, err;

	if (!name)
		return;
	if (!ttl_max)
		ttl_max = 1;
	fd = dev_open();
	if (fd < 0) {
		fprintf(stderr, "fill: %s: %s\n", LRUCACHE_DEVICE_PATH,
			strerror(-fd));
		_exit(1);
	}
	err = cache_open_ex(fd, name, LRUCACHE_OPEN_CREATE, count, 0, 0,
			    interval);
	if (err) {
		fprintf(stderr, "fill: open %s: %s\n", name, strerror(-err));
		_exit(1);
	}
	while (i < count) {
		n = count - i > LRUCACHE_BATCH_MAX ? LRUCACHE_BATCH_MAX :
						     (uint32_t)(count - i);
		for (j = 0; j < n; j++, i++) {
			snprintf(keys[j], sizeof(keys[j]), "f%llu",
				 (unsigned long long)i);
			ops[j] = (struct lrucache_op){
				.opcode = LRUCACHE_OP_SET,
				.key = (uintptr_t)keys[j],
				.key_len = strlen(keys[j]),
				.value = (uintptr_t)VAL,
				.value_len = VAL_LEN,
				/* Spread evenly, in an order that mixes. */
				.ttl_ms = 1 + (i * 7919) % ttl_max,
			};
		}
		err = batch_run(fd, ops, n);
		if (err != (int)n) {
			fprintf(stderr, "fill: batch: %d\n", err);
			_exit(1);
		}
		for (j = 0; j < n; j++) {
			if (ops[j].result) {
				fprintf(stderr, "fill: set %s: %s\n", keys[j],
					strerror(-ops[j].result));
				_exit(1);
			}
		}
	}
	close(fd);
	_exit(0);
}

/* --- helpers ------------------------------------------------------------- */

static uint32_t key_of(char buf[32], const char *prefix, int i)
{
	return (uint32_t)snprintf(buf, 32, "%s%05d", prefix, i);
}

/* Bytes charged for one entry of key prefix @prefix holding VAL. */
static uint64_t charge_of(const struct lrucache_stats *st, const char *prefix)
{
	return entry_charge(st->entry_overhead, strlen(prefix) + 5, VAL_LEN);
}

/* SET keys <prefix>00000 to <prefix><count - 1> to VAL: 0 or the error. */
static int set_range(int fd, const char *prefix, int count, uint64_t ttl_ms)
{
	char key[32];
	int i, err;

	for (i = 0; i < count; i++) {
		err = kv_set(fd, key, key_of(key, prefix, i), VAL, VAL_LEN,
			     ttl_ms, 0);
		if (err)
			return err;
	}
	return 0;
}

/* How many of keys <prefix>0.. <prefix><count - 1> EXISTS reports, or -errno. */
static int count_present(int fd, const char *prefix, int count)
{
	int i, ret, present = 0;
	char key[32];

	for (i = 0; i < count; i++) {
		ret = kv_exists(fd, key, key_of(key, prefix, i));
		if (ret < 0)
			return ret;
		present += ret;
	}
	return present;
}

/*
 * Poll EXISTS (which never removes anything) until none of the keys
 * <prefix>0.. is reported: 0, -ETIMEDOUT after POLL_LIMIT_MS, or -errno.
 */
static int wait_absent(int fd, const char *prefix, int count)
{
	uint64_t start = boottime_ms();
	int ret;

	for (;;) {
		ret = count_present(fd, prefix, count);
		if (ret <= 0)
			return ret;
		if (boottime_ms() - start > POLL_LIMIT_MS)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
}

/*
 * Poll STATS (which touches nothing) until entries == @want. 0 with the
 * last STATS in @st, -ETIMEDOUT after POLL_LIMIT_MS, or -errno.
 */
static int wait_entries(int fd, uint64_t want, struct lrucache_stats *st)
{
	uint64_t start = boottime_ms();
	int err;

	for (;;) {
		err = cache_stats(fd, st);
		if (err)
			return err;
		if (st->entries == want)
			return 0;
		if (boottime_ms() - start > POLL_LIMIT_MS)
			return -ETIMEDOUT;
		sleep_ms(10);
	}
}

/*
 * After wait_entries() saw the reaper's removals: the reaper counts its
 * run (reaper_runs, reaper_ns) at the run's end, after its last removal,
 * so wait, bounded, for that count too. 0, or -ETIMEDOUT.
 */
static int wait_run_counted(int fd, struct lrucache_stats *st)
{
	uint64_t start = boottime_ms();
	int err;

	while (!st->reaper_runs) {
		if (boottime_ms() - start > POLL_LIMIT_MS)
			return -ETIMEDOUT;
		sleep_ms(10);
		err = cache_stats(fd, st);
		if (err)
			return err;
	}
	return 0;
}

/* Wait for @pid; its exit status, or -1 if it did not exit normally. */
static int reap_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A full scan walks the hash table, which resizes itself (its own work
 * item, after inserts or removals) whenever it likes: a walk that meets a
 * resize starts over and sees some entries twice. It sees each one at
 * least once, which is what its "visited" promises; "freed" stays exact.
 */
#define EXPECT_FULL_SCAN_VISITED(n, r) do {				\
	EXPECT_LE((uint64_t)(n), (r).visited);				\
} while (0)

FIXTURE(reaper) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	char dir[256];
};

FIXTURE_SETUP(reaper)
{
	self->fd = -1;
	unique_name(self->name, "reaper");
	snprintf(self->dir, sizeof(self->dir), SYSFS_ROOT "/caches/%s",
		 self->name);
}

FIXTURE_TEARDOWN(reaper)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

#define CREATE(max_entries, interval_ms) do {				\
	self->fd = cache_create_ex(self->name, (max_entries), 0, 0,	\
				   (interval_ms));			\
	ASSERT_LE(0, self->fd) {					\
		TH_LOG("cannot create %s: %s", self->name,		\
		       strerror(-self->fd));				\
	}								\
} while (0)

/* --- (a) the timer ----------------------------------------------------- */

#define A_EXPIRING	200
#define A_KEPT		50

TEST_F_TIMEOUT(reaper, timer_frees_expired_entries_without_access, TIMEOUT_S)
{
	struct lrucache_stats st;
	uint64_t runs;
	int err;

	CREATE(1000, 50);
	ASSERT_EQ(0, set_range(self->fd, "exp", A_EXPIRING, 100));
	ASSERT_EQ(0, set_range(self->fd, "keep", A_KEPT, LRUCACHE_TTL_NONE));

	/* Only STATS from here on: nothing but the timer can free them. */
	err = wait_entries(self->fd, A_KEPT, &st);
	ASSERT_EQ(0, err) {
		TH_LOG("entries %llu, expected %d after %d ms (%d); reaped %llu, runs %llu",
		       (unsigned long long)st.entries, A_KEPT, POLL_LIMIT_MS,
		       err, (unsigned long long)st.reaped,
		       (unsigned long long)st.reaper_runs);
	}
	ASSERT_EQ(0, wait_run_counted(self->fd, &st));
	EXPECT_EQ((uint64_t)A_EXPIRING, st.reaped);
	EXPECT_EQ((uint64_t)A_EXPIRING, st.expirations);
	EXPECT_EQ(0U, st.expiring);
	EXPECT_EQ(A_KEPT * charge_of(&st, "keep"), st.bytes);
	EXPECT_LT(0U, st.reaper_runs);
	EXPECT_LT(0U, st.reaper_ns);
	EXPECT_EQ(0U, st.hits);
	EXPECT_EQ(0U, st.misses);
	EXPECT_EQ(0U, st.evictions);
	EXPECT_EQ((uint64_t)(A_EXPIRING + A_KEPT), st.sets);

	/*
	 * Nothing can expire any more: the timer is no longer armed. One run
	 * may already have been queued; 500 ms are 10 intervals.
	 */
	runs = st.reaper_runs;
	sleep_ms(500);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_GE(runs + 1, st.reaper_runs) {
		TH_LOG("reaper ran %llu times in 500 ms with nothing to expire",
		       (unsigned long long)(st.reaper_runs - runs));
	}
	EXPECT_EQ((uint64_t)A_KEPT, st.entries);
	ASSERT_EQ(A_KEPT, count_present(self->fd, "keep", A_KEPT));
}

TEST_F_TIMEOUT(reaper, timer_is_idle_without_expiring_entries, TIMEOUT_S)
{
	struct lrucache_stats st;

	CREATE(1000, INTERVAL_MIN);
	ASSERT_EQ(0, set_range(self->fd, "keep", 20, LRUCACHE_TTL_NONE));
	/* 50 intervals of 10 ms: an armed timer would have run. */
	sleep_ms(500);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(0U, st.reaper_runs);
	EXPECT_EQ(0U, st.expiring);
	EXPECT_EQ(20U, st.entries);
}

/* --- (b) LRUCACHE_IOC_REAP --------------------------------------------- */

#define B_EXPIRING	100
#define B_KEPT		10

TEST_F_TIMEOUT(reaper, manual_reap_frees_what_expired, TIMEOUT_S)
{
	struct lrucache_stats st;
	struct lrucache_reap r;
	int err;

	/* A day between runs: the timer will not fire during the test. */
	CREATE(1000, INTERVAL_MAX);
	ASSERT_EQ(0, set_range(self->fd, "exp", B_EXPIRING, 100));
	ASSERT_EQ(0, set_range(self->fd, "keep", B_KEPT, LRUCACHE_TTL_NONE));
	err = wait_absent(self->fd, "exp", B_EXPIRING);
	ASSERT_EQ(0, err) {
		TH_LOG("entries with a 100 ms TTL still there (%d)", err);
	}

	/* Expired but not freed: EXISTS removes nothing, no timer ran. */
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ((uint64_t)(B_EXPIRING + B_KEPT), st.entries);
	EXPECT_EQ((uint64_t)B_EXPIRING, st.expiring);
	EXPECT_EQ(0U, st.reaped);
	EXPECT_EQ(0U, st.expirations);
	EXPECT_EQ(0U, st.reaper_runs);

	ASSERT_EQ(0, cache_reap(self->fd, 0, &r));
	EXPECT_EQ((uint64_t)B_EXPIRING, r.freed);
	EXPECT_LE(r.freed, r.visited);
	EXPECT_EQ(0U, r.flags);
	EXPECT_EQ(0U, r.reserved);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ((uint64_t)B_KEPT, st.entries);
	EXPECT_EQ(B_KEPT * charge_of(&st, "keep"), st.bytes);
	EXPECT_EQ((uint64_t)B_EXPIRING, st.reaped);
	EXPECT_EQ((uint64_t)B_EXPIRING, st.expirations);
	EXPECT_EQ(0U, st.expiring);
	EXPECT_EQ(1U, st.reaper_runs);
	EXPECT_LT(0U, st.reaper_ns);

	/* Nothing left to free. */
	ASSERT_EQ(0, cache_reap(self->fd, 0, &r));
	EXPECT_EQ(0U, r.freed);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ((uint64_t)B_KEPT, st.entries);
	EXPECT_EQ((uint64_t)B_EXPIRING, st.reaped);
	EXPECT_EQ(2U, st.reaper_runs);
	EXPECT_EQ(B_KEPT, count_present(self->fd, "keep", B_KEPT));
}

TEST_F(reaper, reap_without_expiring_entries_frees_nothing)
{
	struct lrucache_stats st;
	struct lrucache_reap r;

	CREATE(1000, INTERVAL_MAX);
	ASSERT_EQ(0, cache_reap(self->fd, 0, &r));
	EXPECT_EQ(0U, r.freed);
	EXPECT_EQ(0U, r.visited);
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	EXPECT_EQ(0U, r.freed);
	EXPECT_EQ(0U, r.visited);

	ASSERT_EQ(0, set_range(self->fd, "keep", 30, LRUCACHE_TTL_NONE));
	ASSERT_EQ(0, cache_reap(self->fd, 0, &r));
	EXPECT_EQ(0U, r.freed);
	/* Entries without a TTL sit on no expiry bucket. */
	EXPECT_EQ(0U, r.visited);
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	EXPECT_EQ(0U, r.freed);
	EXPECT_FULL_SCAN_VISITED(30, r);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(30U, st.entries);
	EXPECT_EQ(0U, st.reaped);
	EXPECT_EQ(4U, st.reaper_runs);
}

/* --- (c) expiry order -------------------------------------------------- */

#define C_KEYS		8
#define C_STEP_MS	150

TEST_F_TIMEOUT(reaper, entries_expire_in_ttl_order, TIMEOUT_S)
{
	uint64_t t_before[C_KEYS], ttl[C_KEYS], start, now;
	bool gone[C_KEYS] = { false };
	int i, ret, live, polls = 0;
	char key[32];

	CREATE(1000, INTERVAL_MIN);
	/*
	 * Key i is set after key i - 1 with a longer TTL, so it expires
	 * strictly later.
	 */
	for (i = 0; i < C_KEYS; i++) {
		ttl[i] = (uint64_t)C_STEP_MS * (i + 1);
		t_before[i] = boottime_ms();
		ASSERT_EQ(0, kv_set(self->fd, key, key_of(key, "ord", i), VAL,
				    VAL_LEN, ttl[i], 0));
	}

	start = boottime_ms();
	do {
		/*
		 * Longest TTL first: a key found gone was checked before
		 * every shorter-lived key of the same poll, so seeing one
		 * of those still live afterwards is a real inversion.
		 */
		live = 0;
		for (i = C_KEYS - 1; i >= 0; i--) {
			ret = kv_exists(self->fd, key, key_of(key, "ord", i));
			now = boottime_ms();
			ASSERT_LE(0, ret);
			if (ret) {
				ASSERT_FALSE(gone[i]) {
					TH_LOG("key %d came back", i);
				}
				for (int j = i + 1; j < C_KEYS; j++) {
					ASSERT_FALSE(gone[j]) {
						TH_LOG("key %d (TTL %llu ms) gone while key %d (TTL %llu ms) is live",
						       j, (unsigned long long)ttl[j],
						       i, (unsigned long long)ttl[i]);
					}
				}
				live++;
			} else if (!gone[i]) {
				gone[i] = true;
				/* Never before its TTL. */
				ASSERT_LE(t_before[i] + ttl[i], now) {
					TH_LOG("key %d gone %llu ms after its set, TTL %llu ms",
					       i, (unsigned long long)(now - t_before[i]),
					       (unsigned long long)ttl[i]);
				}
			}
		}
		polls++;
		if (live)
			sleep_ms(5);
	} while (live && boottime_ms() - start < POLL_LIMIT_MS);
	ASSERT_EQ(0, live) {
		TH_LOG("%d keys still live after %d ms", live, POLL_LIMIT_MS);
	}
	TH_LOG("%d polls", polls);
}

/* --- (d) GET never returns an expired value ---------------------------- */

TEST_F_TIMEOUT(reaper, get_never_returns_an_expired_value, TIMEOUT_S)
{
	static const uint64_t ttls[] = { 1, 3, 10, 30, 60, 100 };
	uint64_t t_before, t_after, t0, t1, ttl_ns, deadline;
	unsigned int round, k;
	bool missed;
	uint32_t len;
	char key[32], buf[64];
	int ret, hits, gets;

	CREATE(1000, INTERVAL_MIN);
	for (round = 0; round < 4; round++) {
		for (k = 0; k < sizeof(ttls) / sizeof(ttls[0]); k++) {
			uint32_t klen = key_of(key, "get", (int)(round * 10 + k));

			ttl_ns = ttls[k] * 1000000ULL;
			t_before = boottime_ns();
			ASSERT_EQ(0, kv_set(self->fd, key, klen, VAL, VAL_LEN,
					    ttls[k], 0));
			t_after = boottime_ns();
			missed = false;
			hits = gets = 0;
			deadline = t_after + (uint64_t)POLL_LIMIT_MS * 1000000;
			for (;;) {
				len = sizeof(buf);
				t0 = boottime_ns();
				ret = kv_get(self->fd, key, klen, buf, &len);
				t1 = boottime_ns();
				gets++;
				if (ret == -ENOENT) {
					/* Not before the TTL ran out. */
					ASSERT_LE(t_before + ttl_ns, t1) {
						TH_LOG("TTL %llu ms: miss %llu us after the set",
						       (unsigned long long)ttls[k],
						       (unsigned long long)((t1 - t_before) / 1000));
					}
					missed = true;
				} else {
					ASSERT_EQ((int)VAL_LEN, ret);
					ASSERT_EQ(0, memcmp(buf, VAL, VAL_LEN));
					ASSERT_FALSE(missed) {
						TH_LOG("TTL %llu ms: value back after a miss",
						       (unsigned long long)ttls[k]);
					}
					/* The entry had expired before the GET began. */
					ASSERT_GT(t_after + ttl_ns, t0) {
						TH_LOG("TTL %llu ms: hit %llu us after the set returned",
						       (unsigned long long)ttls[k],
						       (unsigned long long)((t0 - t_after) / 1000));
					}
					hits++;
				}
				/* A few GETs after expiry, then the next key. */
				if (missed && t0 > t_after + ttl_ns + 20000000ULL)
					break;
				ASSERT_GT(deadline, t1) {
					TH_LOG("TTL %llu ms: still there", (unsigned long long)ttls[k]);
				}
				if (ttls[k] >= 30)
					sleep_ms(1);
			}
			ASSERT_LT(hits, gets);
		}
	}
}

/* --- (e) full scan and bucket walk ------------------------------------- */

TEST_F_TIMEOUT(reaper, full_scan_frees_the_same_and_visits_all, TIMEOUT_S)
{
	struct lrucache_stats st;
	struct lrucache_reap r;

	CREATE(1000, INTERVAL_MAX);
	ASSERT_EQ(0, set_range(self->fd, "exp", 50, 50));
	ASSERT_EQ(0, set_range(self->fd, "keep", 30, LRUCACHE_TTL_NONE));
	ASSERT_EQ(0, set_range(self->fd, "day", 20, DAY_MS));
	ASSERT_EQ(0, wait_absent(self->fd, "exp", 50));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(100U, st.entries);
	ASSERT_EQ(70U, st.expiring);

	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	EXPECT_EQ(50U, r.freed);
	EXPECT_FULL_SCAN_VISITED(100, r);
	EXPECT_EQ((uint32_t)LRUCACHE_REAP_FULL_SCAN, r.flags);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(50U, st.entries);
	EXPECT_EQ(20U, st.expiring);
	EXPECT_EQ(50U, st.reaped);
	EXPECT_EQ(50U, st.expirations);
	EXPECT_EQ(1U, st.reaper_runs);
	EXPECT_EQ(30 * charge_of(&st, "keep") + 20 * charge_of(&st, "day"),
		  st.bytes);

	/* Both walks agree that nothing else has expired. */
	ASSERT_EQ(0, cache_reap(self->fd, 0, &r));
	EXPECT_EQ(0U, r.freed);
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	EXPECT_EQ(0U, r.freed);
	EXPECT_FULL_SCAN_VISITED(50, r);
	EXPECT_EQ(30, count_present(self->fd, "keep", 30));
	EXPECT_EQ(20, count_present(self->fd, "day", 20));
}

/*
 * 1000 entries without a TTL sit on no bucket; 1000 with a TTL of a day
 * sit about 80466 slots ahead, i.e. 82 or 83 buckets away from the slots
 * that passed during the test (a few seconds, a few slots): a bucket walk
 * never reaches them. 10 entries of 50 ms are due.
 */
TEST_F_TIMEOUT(reaper, bucket_walk_visits_only_due_buckets, TIMEOUT_S)
{
	struct lrucache_stats st;
	struct lrucache_reap r;

	CREATE(4096, INTERVAL_MAX);
	ASSERT_EQ(0, set_range(self->fd, "keep", 1000, LRUCACHE_TTL_NONE));
	ASSERT_EQ(0, set_range(self->fd, "day", 1000, DAY_MS));
	ASSERT_EQ(0, set_range(self->fd, "exp", 10, 50));
	ASSERT_EQ(0, wait_absent(self->fd, "exp", 10));

	/* A full scan first: it examines every entry. */
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	EXPECT_EQ(10U, r.freed);
	EXPECT_FULL_SCAN_VISITED(2010, r);

	/* Then the same situation again for the bucket walk. */
	ASSERT_EQ(0, set_range(self->fd, "exp2", 10, 50));
	ASSERT_EQ(0, wait_absent(self->fd, "exp2", 10));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(2010U, st.entries);
	ASSERT_EQ(0, cache_reap(self->fd, 0, &r));
	EXPECT_EQ(10U, r.freed);
	EXPECT_LE(10U, r.visited);
	EXPECT_GT(1000U, r.visited) {
		TH_LOG("a bucket walk examined %llu entries",
		       (unsigned long long)r.visited);
	}

	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	EXPECT_EQ(0U, r.freed);
	EXPECT_FULL_SCAN_VISITED(2000, r);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(2000U, st.entries);
	EXPECT_EQ(1000U, st.expiring);
	EXPECT_EQ(20U, st.reaped);
	EXPECT_EQ(3U, st.reaper_runs);
}

/* --- (f) concurrency --------------------------------------------------- */

#define F_PROCS		4
#define F_OPS		3000
#define F_KEYS		32

struct f_counts {
	uint64_t sets, hits, misses, bad;
	int bad_ret, bad_op;
};

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* One child's work: random SET (TTL 1..30 ms) / GET on shared keys. */
static void f_worker(const char *name, struct f_counts *c, uint32_t seed)
{
	char key[32], val[160], buf[256];
	uint32_t klen, vlen, len, r;
	int fd = cache_attach(name), i, ret;

	if (fd < 0) {
		c->bad++;
		c->bad_ret = fd;
		return;
	}
	for (i = 0; i < F_OPS; i++) {
		r = xorshift(&seed);
		klen = key_of(key, "c", (int)(r % F_KEYS));
		if ((r >> 8) & 1) {
			/* The value starts with its key: "<key>:" + padding. */
			vlen = klen + 1 + (r >> 16) % 100;
			memset(val, 'x', vlen);
			memcpy(val, key, klen);
			val[klen] = ':';
			ret = kv_set(fd, key, klen, val, vlen,
				     1 + (r >> 9) % 30, 0);
			if (ret == 0) {
				c->sets++;
				continue;
			}
		} else {
			len = sizeof(buf);
			ret = kv_get(fd, key, klen, buf, &len);
			if (ret == -ENOENT) {
				c->misses++;
				continue;
			}
			if (ret > (int)klen && ret <= (int)sizeof(buf) &&
			    len == (uint32_t)ret && !memcmp(buf, key, klen) &&
			    buf[klen] == ':') {
				c->hits++;
				continue;
			}
		}
		c->bad++;
		c->bad_ret = ret;
		c->bad_op = i;
	}
	close(fd);
}

TEST_F_TIMEOUT(reaper, concurrent_set_get_with_short_ttls, TIMEOUT_S)
{
	struct f_counts *counts, sum = { 0 };
	struct lrucache_stats st;
	pid_t pids[F_PROCS];
	int p, err;

	counts = mmap(NULL, sizeof(*counts) * F_PROCS, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, counts);
	memset(counts, 0, sizeof(*counts) * F_PROCS);
	CREATE(1000, INTERVAL_MIN);

	for (p = 0; p < F_PROCS; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			f_worker(self->name, &counts[p],
				 0x9e3779b9U * (uint32_t)(p + 1) ^
				 (uint32_t)getpid());
			_exit(0);
		}
	}
	for (p = 0; p < F_PROCS; p++) {
		ASSERT_EQ(0, reap_child(pids[p]));
	}
	for (p = 0; p < F_PROCS; p++) {
		EXPECT_EQ(0U, counts[p].bad) {
			TH_LOG("process %d: op %d returned %d", p,
			       counts[p].bad_op, counts[p].bad_ret);
		}
		sum.sets += counts[p].sets;
		sum.hits += counts[p].hits;
		sum.misses += counts[p].misses;
	}
	ASSERT_EQ((uint64_t)F_PROCS * F_OPS, sum.sets + sum.hits + sum.misses);

	/* Every entry has a TTL of 30 ms at most: the reaper empties the cache. */
	err = wait_entries(self->fd, 0, &st);
	ASSERT_EQ(0, err) {
		TH_LOG("%llu entries left (%d)", (unsigned long long)st.entries,
		       err);
	}
	ASSERT_EQ(0, wait_run_counted(self->fd, &st));
	EXPECT_EQ(0U, st.bytes);
	EXPECT_EQ(0U, st.expiring);
	EXPECT_LT(0U, st.reaper_runs);
	EXPECT_EQ(sum.sets, st.sets);
	EXPECT_EQ(sum.hits, st.hits);
	EXPECT_EQ(sum.misses, st.misses);
	EXPECT_EQ(0U, st.evictions);
	EXPECT_LT(0U, st.expirations);
	EXPECT_GE(st.expirations, st.reaped);
	munmap(counts, sizeof(*counts) * F_PROCS);
}

/* --- (g) sysfs and argument checks ------------------------------------- */

TEST_F(reaper, sysfs_cleanup_interval_reads_and_writes)
{
	static const char *const bad[] = {
		"0", "5", "9", "86400001", "abc", "-1", "10abc",
		"18446744073709551616",
	};
	struct lrucache_info info;
	char path[300];
	uint64_t val;
	unsigned int i;

	CREATE(1000, 1234);
	snprintf(path, sizeof(path), "%s/cleanup_interval_ms", self->dir);
	ASSERT_EQ(0, read_u64_file(path, &val));
	EXPECT_EQ(1234U, val);
	ASSERT_EQ(0, cache_info(self->fd, &info));
	EXPECT_EQ(1234U, info.cleanup_interval_ms);

	ASSERT_EQ(0, write_file(path, "500"));
	ASSERT_EQ(0, read_u64_file(path, &val));
	EXPECT_EQ(500U, val);
	ASSERT_EQ(0, cache_info(self->fd, &info));
	EXPECT_EQ(500U, info.cleanup_interval_ms);
	snprintf(path, sizeof(path), "%s/stats", self->dir);
	ASSERT_EQ(0, flat_keyed(path, "cleanup_interval_ms", &val));
	EXPECT_EQ(500U, val);

	snprintf(path, sizeof(path), "%s/cleanup_interval_ms", self->dir);
	ASSERT_EQ(0, write_file(path, "10\n"));
	ASSERT_EQ(0, read_u64_file(path, &val));
	EXPECT_EQ(10U, val);
	ASSERT_EQ(0, write_file(path, "86400000\n"));
	ASSERT_EQ(0, read_u64_file(path, &val));
	EXPECT_EQ(86400000U, val);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, write_file(path, bad[i])) {
			TH_LOG("writing '%s'", bad[i]);
		}
		ASSERT_EQ(0, read_u64_file(path, &val));
		EXPECT_EQ(86400000U, val);
	}
	ASSERT_EQ(0, cache_info(self->fd, &info));
	EXPECT_EQ(86400000U, info.cleanup_interval_ms);
}

TEST_F_TIMEOUT(reaper, sysfs_interval_change_rearms_the_timer, TIMEOUT_S)
{
	struct lrucache_stats st;
	char path[300];
	int err;

	CREATE(1000, INTERVAL_MAX);
	ASSERT_EQ(0, set_range(self->fd, "exp", 20, 50));
	ASSERT_EQ(0, set_range(self->fd, "keep", 5, LRUCACHE_TTL_NONE));
	ASSERT_EQ(0, wait_absent(self->fd, "exp", 20));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(25U, st.entries);
	ASSERT_EQ(0U, st.reaper_runs);

	/* The timer was due in a day; now in 10 ms. */
	snprintf(path, sizeof(path), "%s/cleanup_interval_ms", self->dir);
	ASSERT_EQ(0, write_file(path, "10"));
	err = wait_entries(self->fd, 5, &st);
	ASSERT_EQ(0, err) {
		TH_LOG("%llu entries after the interval became 10 ms (%d)",
		       (unsigned long long)st.entries, err);
	}
	ASSERT_EQ(0, wait_run_counted(self->fd, &st));
	EXPECT_EQ(20U, st.reaped);
	EXPECT_LT(0U, st.reaper_runs);
	EXPECT_EQ(0U, st.expiring);
}

TEST_F_TIMEOUT(reaper, sysfs_reap_runs_the_reaper, TIMEOUT_S)
{
	static const char *const bad[] = { "0", "2", "abc", "11", "-1" };
	struct lrucache_stats st;
	struct lrucache_reap r;
	char path[300];
	uint64_t val;
	unsigned int i;

	CREATE(1000, INTERVAL_MAX);
	snprintf(path, sizeof(path), "%s/reap", self->dir);
	/* No run yet: zeros. */
	ASSERT_EQ(0, flat_keyed(path, "freed", &val));
	EXPECT_EQ(0U, val);
	ASSERT_EQ(0, flat_keyed(path, "visited", &val));
	EXPECT_EQ(0U, val);
	ASSERT_EQ(0, flat_keyed(path, "elapsed_ns", &val));

	ASSERT_EQ(0, set_range(self->fd, "exp", 20, 50));
	ASSERT_EQ(0, set_range(self->fd, "keep", 5, LRUCACHE_TTL_NONE));
	ASSERT_EQ(0, wait_absent(self->fd, "exp", 20));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, write_file(path, bad[i])) {
			TH_LOG("writing '%s'", bad[i]);
		}
	}
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(0U, st.reaper_runs);
	EXPECT_EQ(25U, st.entries);

	ASSERT_EQ(0, write_file(path, "1"));
	ASSERT_EQ(0, flat_keyed(path, "freed", &val));
	EXPECT_EQ(20U, val);
	ASSERT_EQ(0, flat_keyed(path, "visited", &val));
	EXPECT_LE(20U, val);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(5U, st.entries);
	EXPECT_EQ(20U, st.reaped);
	EXPECT_EQ(1U, st.reaper_runs);

	/* "1\n" works too, and frees nothing now. */
	ASSERT_EQ(0, write_file(path, "1\n"));
	ASSERT_EQ(0, flat_keyed(path, "freed", &val));
	EXPECT_EQ(0U, val);

	/* The file shows the last run, whoever ran it. */
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	ASSERT_EQ(0, flat_keyed(path, "freed", &val));
	EXPECT_EQ(r.freed, val);
	ASSERT_EQ(0, flat_keyed(path, "visited", &val));
	EXPECT_EQ(5U, val);
	EXPECT_EQ(r.visited, val);
	ASSERT_EQ(0, flat_keyed(path, "elapsed_ns", &val));
	EXPECT_EQ(r.elapsed_ns, val);
}

TEST_F_TIMEOUT(reaper, sysfs_stats_have_reaper_lines, TIMEOUT_S)
{
	static const char *const gkeys[] = {
		"reaped", "reclaimed", "reaper_runs", "reaper_ns", "expiring",
	};
	uint64_t before[5], after[5], val, gval;
	struct lrucache_info info;
	struct lrucache_stats st;
	struct lrucache_reap r;
	char path[300];
	unsigned int i;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, flat_keyed(SYSFS_ROOT "/stats", gkeys[i],
					&before[i])) {
			TH_LOG("global stats: no '%s' line", gkeys[i]);
		}
	}
	CREATE(1000, 777);
	ASSERT_EQ(0, set_range(self->fd, "exp", 12, 50));
	ASSERT_EQ(0, set_range(self->fd, "day", 3, DAY_MS));
	ASSERT_EQ(0, wait_absent(self->fd, "exp", 12));
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0, cache_info(self->fd, &info));
	/* Sanity: what the sequence did. */
	ASSERT_EQ(12U, st.reaped);
	ASSERT_EQ(3U, st.expiring);

	snprintf(path, sizeof(path), "%s/stats", self->dir);
#define CHECK_LINE(file, key, expect) do {				\
	ASSERT_EQ(0, flat_keyed(file, key, &val)) {			\
		TH_LOG("%s: no '%s' line", file, key);			\
	}								\
	EXPECT_EQ((uint64_t)(expect), val) {				\
		TH_LOG("%s: %s", file, key);				\
	}								\
} while (0)
	CHECK_LINE(path, "reaped", st.reaped);
	CHECK_LINE(path, "reclaimed", st.reclaimed);
	CHECK_LINE(path, "reaper_runs", st.reaper_runs);
	CHECK_LINE(path, "reaper_ns", st.reaper_ns);
	CHECK_LINE(path, "expiring", st.expiring);
	CHECK_LINE(path, "cleanup_interval_ms", 777);
	CHECK_LINE(path, "expirations", st.expirations);
	EXPECT_EQ(777U, info.cleanup_interval_ms);

	/* The global file sums over caches; only this one changed. */
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, flat_keyed(SYSFS_ROOT "/stats", gkeys[i],
					&after[i]));
	EXPECT_EQ(st.reaped, after[0] - before[0]);
	EXPECT_EQ(st.reclaimed, after[1] - before[1]);
	EXPECT_EQ(st.reaper_runs, after[2] - before[2]);
	EXPECT_EQ(st.reaper_ns, after[3] - before[3]);
	EXPECT_EQ(st.expiring, after[4] - before[4]);

	ASSERT_EQ(0, flat_keyed(SYSFS_ROOT "/stats", "max_total_bytes", &gval)) {
		TH_LOG("global stats: no 'max_total_bytes' line");
	}
	ASSERT_EQ(0, read_u64_file(PARAM_ROOT "/max_total_bytes", &val));
	EXPECT_EQ(val, gval);
	EXPECT_LT(0U, gval);
}

TEST_F(reaper, reap_with_bad_flags_or_reserved_is_einval)
{
	struct lrucache_stats st;
	struct lrucache_reap r;

	CREATE(1000, INTERVAL_MAX);
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, VAL, VAL_LEN, 1, 0));
	sleep_ms(20);
	ASSERT_EQ(0, str_exists(self->fd, "k"));

	EXPECT_EQ(-EINVAL, cache_reap(self->fd, 1U << 1, &r));
	EXPECT_EQ(-EINVAL, cache_reap(self->fd, 1U << 31, &r));
	EXPECT_EQ(-EINVAL, cache_reap(self->fd, ~0U, &r));
	memset(&r, 0, sizeof(r));
	r.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_REAP, &r));

	/* None of them ran. */
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(0U, st.reaper_runs);
	EXPECT_EQ(1U, st.entries);
	ASSERT_EQ(0, cache_reap(self->fd, 0, &r));
	EXPECT_EQ(1U, r.freed);
}

TEST(reap_on_unbound_or_destroyed_cache)
{
	char name[LRUCACHE_NAME_MAX];
	struct lrucache_reap r;
	int fd = dev_open(), fd2;

	ASSERT_LE(0, fd);
	memset(&r, 0xa5, sizeof(r));
	r.flags = 0;
	r.reserved = 0;
	EXPECT_EQ(-EBADFD, xioctl(fd, LRUCACHE_IOC_REAP, &r));
	EXPECT_EQ(-EBADFD, cache_reap(fd, LRUCACHE_REAP_FULL_SCAN, &r));
	close(fd);

	unique_name(name, "reaper-gone");
	fd2 = cache_create_ex(name, 0, 0, 0, 0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cache_destroy(name));
	EXPECT_EQ(-EIDRM, cache_reap(fd2, 0, &r));
	close(fd2);
}

TEST(reap_with_bad_pointer_is_efault)
{
	char name[LRUCACHE_NAME_MAX];
	void *bad = fault_page();
	int fd;

	ASSERT_NE(NULL, bad);
	unique_name(name, "reaper-fault");
	fd = cache_create_ex(name, 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, xioctl(fd, LRUCACHE_IOC_REAP, bad));
	close(fd);
	EXPECT_EQ(0, cache_destroy(name));
}

/* --- (h) the interval at OPEN, and version 0 structures --------------- */

TEST(open_checks_cleanup_interval)
{
	static const uint64_t bad[] = {
		1, 5, INTERVAL_MIN - 1, INTERVAL_MAX + 1, UINT64_MAX,
	};
	static const uint64_t good[] = { INTERVAL_MIN, 12345, INTERVAL_MAX };
	char name[LRUCACHE_NAME_MAX], path[300];
	struct lrucache_info info;
	struct stat sb;
	uint64_t val;
	unsigned int i;
	int fd;

	unique_name(name, "reaper-open");
	snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s", name);
	fd = dev_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, cache_open_ex(fd, name, LRUCACHE_OPEN_CREATE,
						 0, 0, 0, bad[i])) {
			TH_LOG("cleanup_interval_ms %llu",
			       (unsigned long long)bad[i]);
		}
		EXPECT_EQ(-1, stat(path, &sb));
		EXPECT_EQ(-ENOENT, cache_destroy(name));
	}
	close(fd);

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		fd = cache_create_ex(name, 0, 0, 0, good[i]);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, cache_info(fd, &info));
		EXPECT_EQ(good[i], info.cleanup_interval_ms);
		snprintf(path, sizeof(path),
			 SYSFS_ROOT "/caches/%s/cleanup_interval_ms", name);
		ASSERT_EQ(0, read_u64_file(path, &val));
		EXPECT_EQ(good[i], val);
		close(fd);
		ASSERT_EQ(0, cache_destroy(name));
	}

	/* 0 selects the default. */
	fd = cache_create_ex(name, 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cache_info(fd, &info));
	EXPECT_EQ((uint64_t)INTERVAL_DFLT, info.cleanup_interval_ms);
	ASSERT_EQ(0, read_u64_file(path, &val));
	EXPECT_EQ((uint64_t)INTERVAL_DFLT, val);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

TEST(version_0_structures_still_work)
{
	char name[LRUCACHE_NAME_MAX];
	struct lrucache_open op;
	struct lrucache_stats st_full, st_v0;
	struct lrucache_info info_full, info_v0;
	int fd;

	/* A version 0 OPEN: 96 bytes, no cleanup_interval_ms. */
	unique_name(name, "reaper-v0");
	fd = dev_open();
	ASSERT_LE(0, fd);
	memset(&op, 0, sizeof(op));
	put_name(op.name, name);
	op.flags = LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL;
	op.max_entries = 7;
	op.default_ttl_ms = 4321;
	/* Past the version 0 size: must not be read. */
	op.cleanup_interval_ms = 1;
	ASSERT_EQ(0, xioctl(fd, IOC_OPEN_V0, &op));
	ASSERT_EQ(0, str_set(fd, "k", "v"));

	ASSERT_EQ(0, cache_info(fd, &info_full));
	EXPECT_EQ((uint64_t)INTERVAL_DFLT, info_full.cleanup_interval_ms);
	EXPECT_EQ(7U, info_full.max_entries);
	EXPECT_EQ(4321U, info_full.default_ttl_ms);

	/* Version 0 results: the known fields, nothing written beyond. */
	ASSERT_EQ(0, cache_stats(fd, &st_full));
	memset(&st_v0, 0xa5, sizeof(st_v0));
	ASSERT_EQ(0, xioctl(fd, IOC_STATS_V0, &st_v0));
	EXPECT_EQ(0, memcmp(&st_full, &st_v0, LRUCACHE_STATS_SIZE_VER0));
	EXPECT_EQ(0U, bytes_not((char *)&st_v0 + LRUCACHE_STATS_SIZE_VER0,
				sizeof(st_v0) - LRUCACHE_STATS_SIZE_VER0,
				0xa5));
	EXPECT_EQ(1U, st_v0.entries);

	memset(&info_v0, 0xa5, sizeof(info_v0));
	ASSERT_EQ(0, xioctl(fd, IOC_INFO_V0, &info_v0));
	EXPECT_EQ(0, memcmp(&info_full, &info_v0, LRUCACHE_INFO_SIZE_VER0));
	EXPECT_EQ(0U, bytes_not((char *)&info_v0 + LRUCACHE_INFO_SIZE_VER0,
				sizeof(info_v0) - LRUCACHE_INFO_SIZE_VER0,
				0xa5));
	close(fd);
	EXPECT_EQ(0, cache_destroy(name));
}

/* --- (i) caches without metrics --------------------------------------- */

TEST_F_TIMEOUT(reaper, no_metrics_cache_is_reaped_without_counting, TIMEOUT_S)
{
	struct lrucache_stats st;
	struct lrucache_reap r;
	int err;

	self->fd = dev_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, cache_open_ex(self->fd, self->name, LRUCACHE_OPEN_CREATE |
				   LRUCACHE_OPEN_EXCL | LRUCACHE_OPEN_NO_METRICS,
				   1000, 0, 0, INTERVAL_MIN));
	ASSERT_EQ(0, set_range(self->fd, "exp", 40, 50));
	ASSERT_EQ(0, set_range(self->fd, "keep", 10, LRUCACHE_TTL_NONE));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(40U, st.expiring);
	err = wait_entries(self->fd, 10, &st);
	ASSERT_EQ(0, err) {
		TH_LOG("%llu entries left (%d)", (unsigned long long)st.entries,
		       err);
	}
	EXPECT_EQ(0U, st.expiring);
	EXPECT_EQ(10 * charge_of(&st, "keep"), st.bytes);
	EXPECT_EQ(0U, st.reaped);
	EXPECT_EQ(0U, st.expirations);
	EXPECT_EQ(0U, st.reaper_runs);
	EXPECT_EQ(0U, st.reaper_ns);
	EXPECT_EQ(0U, st.reclaimed);
	EXPECT_EQ(0U, st.sets);

	/* REAP still reports what it did. */
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	EXPECT_EQ(0U, r.freed);
	EXPECT_FULL_SCAN_VISITED(10, r);
}

TEST_HARNESS_MAIN
