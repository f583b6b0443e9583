// SPDX-License-Identifier: GPL-2.0
/*
 * reap-bench: what the TTL reaper's bucket walk costs, as a ratio to a
 * plain full scan of the same cache, measured in the same run.
 *
 * Every run builds a fresh cache with raw ioctls on /dev/lrucache (sets
 * batched with LRUCACHE_IOC_BATCH; cleanup_interval_ms at the maximum so
 * that the timer stays out of the way), reaps it once with
 * LRUCACHE_IOC_REAP, and destroys it. Each scenario is run REPS times
 * (-r, default 5) with flags 0 (the bucket walk, as the timer does) and
 * REPS times with LRUCACHE_REAP_FULL_SCAN, alternating, on identically
 * built caches. The figure of merit is median(bucket elapsed_ns) /
 * median(full elapsed_ns), both measured by the kernel.
 *
 *   scenario1  N entries with a short TTL plus N without; wait until the
 *              short ones have expired (EXISTS on the last one set turns
 *              0, bounded); reap
 *   scenario2  a tick with nothing due: N entries with a TTL of one hour
 *              plus N without; reap at once
 *   scenario3  N entries with a short TTL only; wait; reap
 *
 * Before any reap, at least SETTLE ms (-s, default 2 s) pass after the last
 * set, in both modes alike: the sets end by growing the hash table, which
 * the kernel does in a worker, and a full scan that runs into that resize
 * is slower and sees some entries twice (marked '*' in the table). "At
 * once" in scenario 2 means after that settle time, with nothing due.
 *
 * Times inside QEMU TCG are emulated: only ratios within one run mean
 * anything, so the output never gives an absolute time as a result (-v
 * adds the raw nanoseconds to the table, for debugging). This is a
 * measurement, not a test: it has no threshold. It does check what must
 * hold whatever the timing (both modes free the same entries, the full
 * scan visits every entry at least once, the entry counts add up) and
 * fails if not.
 *
 * Run as root, with the module loaded, e.g.
 *   tools/vm-run --kernel stock --mem 2048 -- build/bench/reap-bench
 * If the module parameter max_total_bytes (the global byte limit) is below
 * the cache's max_bytes, it is raised for the run and restored afterwards.
 *
 * Exit status: 0 measured, 1 an invariant was broken (a kernel bug; the
 * details are on stderr), 2 could not run (usage, no device, an ioctl
 * failed).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/lrucache.h>

#define EXIT_BUG	1
#define EXIT_SETUP	2

#define PARAM_MAX_TOTAL	"/sys/module/lrucache/parameters/max_total_bytes"

#define DEFAULT_N	100000U
#define DEFAULT_REPS	5U
#define MAX_REPS	15U
#define SHORT_TTL_MS	200U
#define LONG_TTL_MS	3600000U	/* an hour: far beyond any bucket due now */
#define EXPIRY_WAIT_MS	30000U		/* bound on waiting for the short TTL */
#define POLL_MS		10U
#define DEFAULT_SETTLE_MS 2000U		/* after the sets, before any reap */
#define CACHE_MAX_BYTES	(256ULL << 20)
#define VALUE_LEN	8U
#define KEY_MAX		16U

static const char *prog = "reap-bench";

enum mode { MODE_BUCKET, MODE_FULL, NR_MODES };

static const char *const mode_name[NR_MODES] = { "bucket", "full" };
static const uint32_t mode_flags[NR_MODES] = { 0, LRUCACHE_REAP_FULL_SCAN };

struct scenario {
	const char *name;
	const char *what;
	uint32_t n_ttl;		/* entries with a TTL, set last */
	uint64_t ttl_ms;
	uint32_t n_plain;	/* entries without a TTL, set first */
	bool wait_expiry;	/* wait until the TTL entries have expired */
};

struct run {
	uint64_t entries_before;
	uint64_t expiring_before;
	uint64_t entries_after;
	uint64_t freed;
	uint64_t visited;
	uint64_t elapsed_ns;
	uint64_t reap_slot;	/* boottime >> 30 just before the reap */
	uint64_t expiry_slot;	/* expiry slot of the last TTL entry set */
};

struct bench {
	uint32_t n;
	unsigned int reps;
	unsigned int settle_ms;
	bool verbose;
	unsigned int seq;	/* makes cache names unique */
	int bugs;		/* invariants broken so far */
	bool limit_raised;
	unsigned long long saved_limit;
	struct lrucache_op ops[LRUCACHE_BATCH_MAX];
	char keys[LRUCACHE_BATCH_MAX][KEY_MAX];
};

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --- the global byte limit -------------------------------------------- */

static int read_ull(const char *path, unsigned long long *val)
{
	char buf[64], *end;
	ssize_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	if (len < 0) {
		len = -errno;
		close(fd);
		return (int)len;
	}
	close(fd);
	buf[len] = 0;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static int write_ull(const char *path, unsigned long long val)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%llu\n", val);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, buf, (size_t)len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret < 0 ? (int)ret : 0;
}

/* Make sure the global limit cannot bind before the cache's own does. */
static int raise_global_limit(struct bench *b, unsigned long long need)
{
	unsigned long long cur = 0;
	int err = read_ull(PARAM_MAX_TOTAL, &cur);

	if (err == -ENOENT) {
		if (b->verbose)
			printf("%s: no %s (module without a global limit)\n",
			       prog, PARAM_MAX_TOTAL);
		return 0;
	}
	if (err) {
		fprintf(stderr, "%s: read %s: %s\n", prog, PARAM_MAX_TOTAL,
			strerror(-err));
		return err;
	}
	if (cur >= need)
		return 0;
	err = write_ull(PARAM_MAX_TOTAL, need);
	if (err) {
		fprintf(stderr, "%s: raise %s from %llu to %llu: %s\n", prog,
			PARAM_MAX_TOTAL, cur, need, strerror(-err));
		return err;
	}
	b->saved_limit = cur;
	b->limit_raised = true;
	printf("%s: max_total_bytes raised from %llu to %llu for the run\n",
	       prog, cur, need);
	return 0;
}

static void restore_global_limit(struct bench *b)
{
	int err;

	if (!b->limit_raised)
		return;
	err = write_ull(PARAM_MAX_TOTAL, b->saved_limit);
	if (err)
		fprintf(stderr, "%s: could not restore %s to %llu: %s\n", prog,
			PARAM_MAX_TOTAL, b->saved_limit, strerror(-err));
	else
		printf("%s: max_total_bytes restored to %llu\n", prog,
		       b->saved_limit);
	b->limit_raised = false;
}

/* --- one cache --------------------------------------------------------- */

static int cache_create(const char *name, uint64_t max_entries)
{
	struct lrucache_open op;
	int fd, err;

	fd = open(LRUCACHE_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "%s: open %s: %s\n", prog, LRUCACHE_DEVICE_PATH,
			strerror(errno));
		return err;
	}
	memset(&op, 0, sizeof(op));
	snprintf(op.name, sizeof(op.name), "%s", name);
	op.flags = LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL;
	op.max_entries = max_entries;
	op.max_bytes = CACHE_MAX_BYTES;
	op.default_ttl_ms = 0;
	op.cleanup_interval_ms = LRUCACHE_CLEANUP_INTERVAL_MAX_MS;
	err = xioctl(fd, LRUCACHE_IOC_OPEN, &op);
	if (err) {
		fprintf(stderr, "%s: create cache %s: %s\n", prog, name,
			strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

static void cache_destroy(int fd, const char *name)
{
	struct lrucache_destroy d;
	int err;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	err = xioctl(fd, LRUCACHE_IOC_DESTROY, &d);
	if (err)
		fprintf(stderr, "%s: destroy cache %s: %s\n", prog, name,
			strerror(-err));
	close(fd);
}

static int cache_stats(int fd, struct lrucache_stats *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	err = xioctl(fd, LRUCACHE_IOC_STATS, st);
	if (err)
		fprintf(stderr, "%s: stats: %s\n", prog, strerror(-err));
	return err;
}

static int key_fmt(char *buf, char prefix, uint32_t i)
{
	return snprintf(buf, KEY_MAX, "%c%07" PRIu32, prefix, i);
}

/* Set keys <prefix>0000000 .. <prefix>(count-1), LRUCACHE_BATCH_MAX a time. */
static int fill(struct bench *b, int fd, char prefix, uint32_t count,
		uint64_t ttl_ms)
{
	static const char value[VALUE_LEN] = "vvvvvvvv";
	uint32_t done = 0;

	while (done < count) {
		uint32_t n = count - done, i;
		struct lrucache_batch batch;
		int ret;

		if (n > LRUCACHE_BATCH_MAX)
			n = LRUCACHE_BATCH_MAX;
		memset(b->ops, 0, n * sizeof(b->ops[0]));
		for (i = 0; i < n; i++) {
			struct lrucache_op *op = &b->ops[i];

			op->opcode = LRUCACHE_OP_SET;
			op->key = (uintptr_t)b->keys[i];
			op->key_len = (uint32_t)key_fmt(b->keys[i], prefix,
							done + i);
			op->value = (uintptr_t)value;
			op->value_len = VALUE_LEN;
			op->ttl_ms = ttl_ms;
		}
		memset(&batch, 0, sizeof(batch));
		batch.ops = (uintptr_t)b->ops;
		batch.count = n;
		batch.op_size = sizeof(b->ops[0]);
		ret = xioctl(fd, LRUCACHE_IOC_BATCH, &batch);
		if (ret < 0) {
			fprintf(stderr, "%s: batch set: %s\n", prog,
				strerror(-ret));
			return ret;
		}
		if ((uint32_t)ret != n) {
			fprintf(stderr, "%s: batch set ran %d of %" PRIu32
				" operations\n", prog, ret, n);
			return -EIO;
		}
		for (i = 0; i < n; i++) {
			if (b->ops[i].result) {
				fprintf(stderr, "%s: set %s: %s\n", prog,
					b->keys[i], strerror(-b->ops[i].result));
				return b->ops[i].result < 0 ?
				       b->ops[i].result : -EIO;
			}
		}
		done += n;
	}
	return 0;
}

/* Wait (bounded) until EXISTS no longer reports @key. */
static int wait_expired(int fd, const char *key)
{
	uint64_t deadline = boottime_ns() + EXPIRY_WAIT_MS * 1000000ULL;
	struct lrucache_kv kv;
	int ret;

	for (;;) {
		memset(&kv, 0, sizeof(kv));
		kv.key = (uintptr_t)key;
		kv.key_len = (uint32_t)strlen(key);
		ret = xioctl(fd, LRUCACHE_IOC_EXISTS, &kv);
		if (ret < 0) {
			fprintf(stderr, "%s: exists %s: %s\n", prog, key,
				strerror(-ret));
			return ret;
		}
		if (ret == 0)
			return 0;
		if (boottime_ns() > deadline) {
			fprintf(stderr, "%s: %s still present %u ms after its "
				"TTL should have run out\n", prog, key,
				EXPIRY_WAIT_MS);
			return -ETIMEDOUT;
		}
		sleep_ms(POLL_MS);
	}
}

static void bug(struct bench *b, const struct scenario *sc, enum mode m,
		unsigned int rep, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void bug(struct bench *b, const struct scenario *sc, enum mode m,
		unsigned int rep, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: BUG: %s %s rep %u: ", prog, sc->name,
		mode_name[m], rep + 1);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	b->bugs++;
}

/* Build a fresh cache as @sc says, reap it once in mode @m, destroy it. */
static int one_run(struct bench *b, const struct scenario *sc, enum mode m,
		   unsigned int rep, struct run *r)
{
	uint64_t total = (uint64_t)sc->n_ttl + sc->n_plain;
	char name[LRUCACHE_NAME_MAX], last[KEY_MAX];
	struct lrucache_stats st;
	struct lrucache_reap reap;
	uint64_t set_end, settle_ns, now;
	int fd, err;

	memset(r, 0, sizeof(*r));
	snprintf(name, sizeof(name), "reap-bench-%d-%u", (int)getpid(),
		 b->seq++);
	fd = cache_create(name, total);
	if (fd < 0)
		return fd;

	/* Entries without TTL first: the expiry clock starts as late as possible. */
	err = fill(b, fd, 'p', sc->n_plain, LRUCACHE_TTL_NONE);
	if (!err)
		err = fill(b, fd, 'e', sc->n_ttl, sc->ttl_ms);
	if (err)
		goto out;
	set_end = boottime_ns();
	r->expiry_slot = (set_end + sc->ttl_ms * 1000000ULL) >> 30;

	if (sc->wait_expiry && sc->n_ttl) {
		key_fmt(last, 'e', sc->n_ttl - 1);
		err = wait_expired(fd, last);
		if (err)
			goto out;
	}
	/*
	 * Let the hash table's deferred resize (a kernel worker, queued as
	 * the last sets crossed its growth threshold) finish: a full scan
	 * that runs into it is slower and sees entries twice.
	 */
	settle_ns = set_end + b->settle_ms * 1000000ULL;
	now = boottime_ns();
	if (now < settle_ns)
		sleep_ms((unsigned int)((settle_ns - now) / 1000000ULL) + 1);

	err = cache_stats(fd, &st);
	if (err)
		goto out;
	r->entries_before = st.entries;
	r->expiring_before = st.expiring;
	if (st.entries != total)
		bug(b, sc, m, rep, "%" PRIu64 " entries after %" PRIu64
		    " distinct sets into a cache with room for all",
		    (uint64_t)st.entries, total);
	if (st.expiring != sc->n_ttl)
		bug(b, sc, m, rep, "stats.expiring %" PRIu64 ", expected %"
		    PRIu32, (uint64_t)st.expiring, sc->n_ttl);

	memset(&reap, 0, sizeof(reap));
	reap.flags = mode_flags[m];
	r->reap_slot = boottime_ns() >> 30;
	err = xioctl(fd, LRUCACHE_IOC_REAP, &reap);
	if (err) {
		fprintf(stderr, "%s: LRUCACHE_IOC_REAP (flags %#x): %s%s\n",
			prog, mode_flags[m], strerror(-err),
			err == -ENOTTY ? " (module without the reaper ioctl)" :
			"");
		goto out;
	}
	r->freed = reap.freed;
	r->visited = reap.visited;
	r->elapsed_ns = reap.elapsed_ns;

	err = cache_stats(fd, &st);
	if (err)
		goto out;
	r->entries_after = st.entries;

	/* What must hold whatever the timing. */
	if (r->entries_after != r->entries_before - r->freed)
		bug(b, sc, m, rep, "entries %" PRIu64 " -> %" PRIu64
		    " but freed %" PRIu64, r->entries_before,
		    r->entries_after, r->freed);
	if (r->visited < r->freed)
		bug(b, sc, m, rep, "visited %" PRIu64 " < freed %" PRIu64,
		    r->visited, r->freed);
	/*
	 * A full scan visits every entry at least once; a resize of the hash
	 * table during the walk can show it some twice (the kernel documents
	 * that): more is noted in the table, fewer is a bug.
	 */
	if (m == MODE_FULL && r->visited < r->entries_before)
		bug(b, sc, m, rep, "full scan visited %" PRIu64
		    " of %" PRIu64 " entries", r->visited, r->entries_before);
	/* With the wait, every TTL entry has expired; without, none has. */
	if (m == MODE_FULL &&
	    r->freed != (sc->wait_expiry ? sc->n_ttl : 0))
		bug(b, sc, m, rep, "full scan freed %" PRIu64 ", expected %"
		    PRIu32, r->freed, sc->wait_expiry ? sc->n_ttl : 0);
out:
	cache_destroy(fd, name);
	return err;
}

/* --- statistics and output --------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t median(const struct run *runs, unsigned int n,
		       size_t field_off)
{
	uint64_t v[MAX_REPS];
	unsigned int i;

	for (i = 0; i < n; i++)
		memcpy(&v[i], (const char *)&runs[i] + field_off, sizeof(v[i]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MEDIAN(runs, n, field) median(runs, n, offsetof(struct run, field))

/* A ratio, readable whatever its size: 0.52, 1.30, 4.87e-05; n/a if den 0. */
static const char *fmt_ratio(char buf[32], uint64_t num, uint64_t den)
{
	double r;

	if (!den)
		return "n/a";
	r = (double)num / (double)den;
	snprintf(buf, 32, r >= 0.095 || r == 0 ? "%.2f" : "%.3g", r);
	return buf;
}

static int run_scenario(struct bench *b, const struct scenario *sc)
{
	struct run runs[NR_MODES][MAX_REPS];
	uint64_t med_ns[NR_MODES], med_visited[NR_MODES];
	unsigned int rep, m, resized = 0;
	char rbuf[32];
	int err;

	printf("\n%s: %s\n", sc->name, sc->what);
	fflush(stdout);

	/* Alternate the modes so that drift hits both alike. */
	for (rep = 0; rep < b->reps; rep++) {
		for (m = 0; m < NR_MODES; m++) {
			err = one_run(b, sc, m, rep, &runs[m][rep]);
			if (err)
				return err;
		}
	}

	for (m = 0; m < NR_MODES; m++) {
		med_ns[m] = MEDIAN(runs[m], b->reps, elapsed_ns);
		med_visited[m] = MEDIAN(runs[m], b->reps, visited);
	}

	/* Freed must not depend on how the reaper walks. */
	for (rep = 0; rep < b->reps; rep++) {
		const struct run *bk = &runs[MODE_BUCKET][rep];
		const struct run *fu = &runs[MODE_FULL][rep];

		if (bk->freed == fu->freed)
			continue;
		bug(b, sc, MODE_BUCKET, rep, "freed %" PRIu64
		    " but the full scan freed %" PRIu64 " (reap at slot %"
		    PRIu64 ", last TTL entry due in slot %" PRIu64
		    "; slot = boottime_ns >> 30)", bk->freed, fu->freed,
		    bk->reap_slot, bk->expiry_slot);
	}

	printf("%-10s %-6s %3s %8s %8s %8s %8s %10s",
	       "scenario", "mode", "rep", "entries", "expiring", "freed",
	       "visited", "time/full");
	if (b->verbose)
		printf(" %14s", "raw_ns(TCG)");
	printf("\n");
	for (m = 0; m < NR_MODES; m++) {
		for (rep = 0; rep < b->reps; rep++) {
			const struct run *r = &runs[m][rep];

			printf("%-10s %-6s %3u %8" PRIu64 " %8" PRIu64
			       " %8" PRIu64 " %8" PRIu64 "     ",
			       sc->name, mode_name[m], rep + 1,
			       r->entries_before, r->expiring_before,
			       r->freed, r->visited);
			printf("%6s", fmt_ratio(rbuf, r->elapsed_ns,
						med_ns[MODE_FULL]));
			if (b->verbose)
				printf(" %14" PRIu64, r->elapsed_ns);
			if (m == MODE_FULL && r->visited > r->entries_before) {
				printf("  *");
				resized++;
			}
			printf("\n");
		}
	}
	printf("(time/full: elapsed_ns of the run / median elapsed_ns of "
	       "the full scans of this scenario)\n");
	if (resized)
		printf("(*: visited > entries: the hash table was resized "
		       "during the full scan, which\n   then costs more than a "
		       "plain scan; a longer -s settles it first)\n");

	/* The spread: each repetition's pair on its own. */
	printf("%s bucket/full per repetition:", sc->name);
	for (rep = 0; rep < b->reps; rep++)
		printf(" %s", fmt_ratio(rbuf, runs[MODE_BUCKET][rep].elapsed_ns,
					runs[MODE_FULL][rep].elapsed_ns));
	printf("\n");

	printf("reap-bench: %s bucket/full = %s", sc->name,
	       fmt_ratio(rbuf, med_ns[MODE_BUCKET], med_ns[MODE_FULL]));
	printf(" (freed %" PRIu64 ", visited %" PRIu64 " vs %" PRIu64 ")\n",
	       MEDIAN(runs[MODE_BUCKET], b->reps, freed),
	       med_visited[MODE_BUCKET], med_visited[MODE_FULL]);
	fflush(stdout);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: %s [-n ENTRIES] [-r REPS] [-s MS] [-v]\n"
"\n"
"Measure LRUCACHE_IOC_REAP's bucket walk against a full scan, as a ratio of\n"
"kernel-measured times in the same run (absolute times under emulation mean\n"
"nothing). Needs root and the lrucache module.\n"
"\n"
"  -n ENTRIES  entries per group (default %u): scenario 1 and 2 hold twice\n"
"              that many, half with a TTL\n"
"  -r REPS     runs per scenario and mode, median taken (default %u, max %u)\n"
"  -s MS       wait at least MS ms after the last set before reaping, so\n"
"              that the hash table's deferred resize is over (default %u)\n"
"  -v          also print the raw kernel nanoseconds of every run\n"
"\n"
"Exit status: 0 measured, 1 an invariant broke (a kernel bug), 2 could not\n"
"run.\n",
		prog, DEFAULT_N, DEFAULT_REPS, MAX_REPS, DEFAULT_SETTLE_MS);
}

static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

int main(int argc, char **argv)
{
	static struct bench bench;	/* the op and key arrays are large */
	struct bench *b = &bench;
	struct scenario scenarios[3];
	unsigned long val;
	unsigned int i;
	int opt, err = 0;

	b->n = DEFAULT_N;
	b->reps = DEFAULT_REPS;
	b->settle_ms = DEFAULT_SETTLE_MS;
	while ((opt = getopt(argc, argv, "n:r:s:vh")) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_uint(optarg, 1, 5000000, &val)) {
				fprintf(stderr, "%s: bad -n %s\n", prog, optarg);
				return EXIT_SETUP;
			}
			b->n = (uint32_t)val;
			break;
		case 'r':
			if (!parse_uint(optarg, 1, MAX_REPS, &val)) {
				fprintf(stderr, "%s: bad -r %s\n", prog, optarg);
				return EXIT_SETUP;
			}
			b->reps = (unsigned int)val;
			break;
		case 's':
			if (!parse_uint(optarg, 0, 600000, &val)) {
				fprintf(stderr, "%s: bad -s %s\n", prog, optarg);
				return EXIT_SETUP;
			}
			b->settle_ms = (unsigned int)val;
			break;
		case 'v':
			b->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_SETUP;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_SETUP;
	}

	scenarios[0] = (struct scenario){
		.name = "scenario1",
		.what = "N short-TTL entries expired plus N without TTL",
		.n_ttl = b->n, .ttl_ms = SHORT_TTL_MS, .n_plain = b->n,
		.wait_expiry = true,
	};
	scenarios[1] = (struct scenario){
		.name = "scenario2",
		.what = "a tick with nothing due: N entries with a one-hour TTL "
			"plus N without",
		.n_ttl = b->n, .ttl_ms = LONG_TTL_MS, .n_plain = b->n,
		.wait_expiry = false,
	};
	scenarios[2] = (struct scenario){
		.name = "scenario3",
		.what = "N short-TTL entries expired, nothing else",
		.n_ttl = b->n, .ttl_ms = SHORT_TTL_MS, .n_plain = 0,
		.wait_expiry = true,
	};

	printf("%s: N = %" PRIu32 ", %u runs per scenario and mode, a fresh "
	       "cache each; short TTL %u ms, settle %u ms\n", prog, b->n,
	       b->reps, SHORT_TTL_MS, b->settle_ms);
	printf("%s: times are emulated (QEMU TCG): only the ratios mean "
	       "anything; no pass/fail threshold\n", prog);

	err = raise_global_limit(b, CACHE_MAX_BYTES);
	if (err)
		return EXIT_SETUP;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		err = run_scenario(b, &scenarios[i]);
		if (err)
			break;
	}

	restore_global_limit(b);
	if (err)
		return EXIT_SETUP;
	if (b->bugs) {
		fprintf(stderr, "%s: %d invariant(s) broken, see above\n",
			prog, b->bugs);
		return EXIT_BUG;
	}
	return 0;
}
