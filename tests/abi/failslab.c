// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, injected one at a time with failslab and
 * /proc/thread-self/fail-nth (Documentation/fault-injection/
 * fault-injection.rst): writing N makes the N-th slab allocation of this
 * thread fail; reading it back gives 0 once that fault was injected, or
 * what was left of N if the operation made fewer allocations.
 *
 * For N = 1, 2, ... each operation (OPEN+CREATE, a SET of a new key, a SET
 * replacing a value with a bigger one, a BATCH of sets) runs with its N-th
 * allocation failing, until it completes with the fault unused. Every
 * result must be success or -ENOMEM, and the cache must be left as it was:
 * no half-created cache, the old value after a failed replace, entries and
 * bytes equal to what the keys present hold. Leaks show up in the kmemleak
 * scan that the debug kernel run does after rmmod.
 *
 * Needs a kernel with CONFIG_FAILSLAB and debugfs (the debug kernel of
 * tests/vm); skipped elsewhere. GFP_KERNEL allocations can sleep, so
 * failslab's ignore-gfp-wait is set to N for the test (and verbose to 0:
 * no stack dump per fault in the kernel log), then restored.
 */
#include "kselftest_harness.h"
#include "abi.h"

#include <sys/stat.h>

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define IGNORE_WAIT	FAILSLAB "/ignore-gfp-wait"
#define VERBOSE		FAILSLAB "/verbose"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_NTH		200

#define OLD		"old"
#define BIG_LEN		2000

FIXTURE(fs) {
	int fd;
	int nth;		/* FAIL_NTH, open */
	char name[LRUCACHE_NAME_MAX];
	char saved_wait[16], saved_verbose[16];
	bool changed;
	uint64_t ov;
	char big[BIG_LEN];
};

FIXTURE_SETUP(fs)
{
	self->fd = -1;
	self->nth = -1;
	unique_name(self->name, "failslab");
	memset(self->big, 'B', sizeof(self->big));
}

FIXTURE_TEARDOWN(fs)
{
	if (self->nth >= 0) {
		/* Disarm, whatever happened. */
		if (pwrite(self->nth, "0", 1, 0) != 1)
			TH_LOG("cannot disarm " FAIL_NTH);
		close(self->nth);
	}
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
	if (self->changed) {
		if (write_file(IGNORE_WAIT, self->saved_wait) ||
		    write_file(VERBOSE, self->saved_verbose))
			TH_LOG("cannot restore " FAILSLAB " settings");
	}
}

/*
 * SKIP unless failslab is there; otherwise open fail-nth, save failslab's
 * settings and make it fail sleeping allocations, silently.
 */
#define FAILSLAB_SETUP() do {						\
	struct stat __sb;						\
	if (stat(FAILSLAB, &__sb))					\
		SKIP(return, FAILSLAB " missing: no CONFIG_FAILSLAB or debugfs"); \
	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);			\
	if (self->nth < 0)						\
		SKIP(return, "cannot open " FAIL_NTH ": %s",		\
		     strerror(errno));					\
	ASSERT_LT(0, read_file(IGNORE_WAIT, self->saved_wait,		\
			       sizeof(self->saved_wait)));		\
	ASSERT_LT(0, read_file(VERBOSE, self->saved_verbose,		\
			       sizeof(self->saved_verbose)));		\
	self->changed = true;						\
	ASSERT_EQ(0, write_file(IGNORE_WAIT, "N"));			\
	ASSERT_EQ(0, write_file(VERBOSE, "0"));				\
	ASSERT_EQ(0, entry_overhead(&self->ov));			\
} while (0)

/* Make the @n-th slab allocation of this thread fail. */
static int arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Disarm; returns what was left of the count (0: the fault was injected),
 * or -errno.
 */
static int disarm(int nth)
{
	char buf[16];
	ssize_t r = pread(nth, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return r < 0 ? -errno : -EIO;
	buf[r] = 0;
	if (pwrite(nth, "0", 1, 0) != 1)
		return -errno;
	return atoi(buf);
}

/*
 * The keys the tests use; the cache must hold exactly the ones EXISTS
 * reports, with entries and bytes to match (every value read back).
 */
static const char *const all_keys[] = {
	"base0", "base1", "base2", "new", "r", "b0", "b1", "b2", "b3", "b4",
};
#define NR_KEYS	(sizeof(all_keys) / sizeof(all_keys[0]))

static int consistent(int fd, uint64_t ov, char *why, size_t size)
{
	static char buf[4096];
	struct lrucache_check check;
	struct lrucache_stats st;
	uint64_t entries = 0, bytes = 0, expiring = 0;
	unsigned int i;
	uint32_t len;
	int ret;

	for (i = 0; i < NR_KEYS; i++) {
		ret = str_exists(fd, all_keys[i]);
		if (ret < 0) {
			snprintf(why, size, "EXISTS %s: %d", all_keys[i], ret);
			return -1;
		}
		if (!ret)
			continue;
		len = sizeof(buf);
		ret = kv_get(fd, all_keys[i], strlen(all_keys[i]), buf, &len);
		if (ret < 0) {
			snprintf(why, size, "GET %s: %d after EXISTS",
				 all_keys[i], ret);
			return -1;
		}
		entries++;
		bytes += ov + strlen(all_keys[i]) + (uint64_t)ret;
		/* "new" and the b<digit> keys are set with a TTL. */
		expiring += !strcmp(all_keys[i], "new") ||
			    (all_keys[i][0] == 'b' && all_keys[i][1] != 'a');
	}
	ret = cache_stats(fd, &st);
	if (ret) {
		snprintf(why, size, "STATS: %d", ret);
		return -1;
	}
	if (st.entries != entries || st.bytes != bytes ||
	    st.expiring != expiring) {
		snprintf(why, size,
			 "STATS entries %llu bytes %llu expiring %llu; keys present: %llu, %llu bytes, %llu with a TTL",
			 (unsigned long long)st.entries,
			 (unsigned long long)st.bytes,
			 (unsigned long long)st.expiring,
			 (unsigned long long)entries,
			 (unsigned long long)bytes,
			 (unsigned long long)expiring);
		return -1;
	}
	/* And the kernel's own walk of its list, table and buckets. */
	memset(&check, 0xa5, sizeof(check));
	if (ioctl(fd, LRUCACHE_IOC_CHECK, &check)) {
		snprintf(why, size, "CHECK: %d", -errno);
		return -1;
	}
	if (check.problems || check.entries != entries ||
	    check.bytes != bytes || check.expiring != expiring) {
		snprintf(why, size,
			 "CHECK problems %llu entries %llu bytes %llu expiring %llu",
			 (unsigned long long)check.problems,
			 (unsigned long long)check.entries,
			 (unsigned long long)check.bytes,
			 (unsigned long long)check.expiring);
		return -1;
	}
	return 0;
}

#define ASSERT_CONSISTENT(n) do {					\
	char __why[256];						\
	ASSERT_EQ(0, consistent(self->fd, self->ov, __why,		\
				sizeof(__why))) {			\
		TH_LOG("fault %u: %s", (n), __why);			\
	}								\
} while (0)

#define ASSERT_OK_OR_ENOMEM(n, ret) do {				\
	ASSERT_TRUE((ret) == 0 || (ret) == -ENOMEM) {			\
		TH_LOG("fault %u: result %d", (n), (ret));		\
	}								\
} while (0)

/* GET @key into a buffer and compare it with @val/@vlen: 0 if equal. */
static int value_is(int fd, const char *key, const void *val, uint32_t vlen)
{
	static char buf[4096];
	uint32_t len = sizeof(buf);
	int ret = kv_get(fd, key, strlen(key), buf, &len);

	if (ret < 0)
		return ret;
	return (uint32_t)ret == vlen && !memcmp(buf, val, vlen) ? 0 : -EBADMSG;
}

/* A cache with three entries without a TTL and "r" = OLD. */
#define CREATE_BASE() do {						\
	self->fd = cache_create_ex(self->name, 1000, 0, 0, 0);		\
	ASSERT_LE(0, self->fd);						\
	ASSERT_EQ(0, str_set(self->fd, "base0", "zero"));		\
	ASSERT_EQ(0, str_set(self->fd, "base1", "one"));		\
	ASSERT_EQ(0, str_set(self->fd, "base2", "two"));		\
	ASSERT_EQ(0, kv_set(self->fd, "r", 1, OLD, strlen(OLD),		\
			    LRUCACHE_TTL_NONE, 0));			\
	ASSERT_CONSISTENT(0U);						\
} while (0)

TEST_F_TIMEOUT(fs, create_fails_cleanly, 300)
{
	static const char *const files[] = {
		"stats", "health", "cleanup_interval_ms", "reap",
	};
	char dir[256], path[300];
	struct lrucache_stats st;
	struct stat sb;
	unsigned int n, i, injected = 0, silent = 0;
	int fd, ret, left = 0;

	FAILSLAB_SETUP();
	snprintf(dir, sizeof(dir), SYSFS_ROOT "/caches/%s", self->name);
	for (n = 1; n <= MAX_NTH; n++) {
		fd = dev_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, arm(self->nth, n));
		ret = cache_open_ex(fd, self->name, LRUCACHE_OPEN_CREATE |
				    LRUCACHE_OPEN_EXCL, 100, 0, 0,
				    LRUCACHE_CLEANUP_INTERVAL_MIN_MS);
		left = disarm(self->nth);
		ASSERT_LE(0, left);
		ASSERT_OK_OR_ENOMEM(n, ret);
		if (ret == 0) {
			/* A whole cache, with all its sysfs files. */
			for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
				snprintf(path, sizeof(path), "%s/%s", dir,
					 files[i]);
				ASSERT_EQ(0, stat(path, &sb)) {
					TH_LOG("fault %u: no %s", n, path);
				}
			}
			ASSERT_EQ(0, kv_set(fd, "k", 1, "v", 1, 1000, 0));
			ASSERT_EQ(1, str_exists(fd, "k"));
			ASSERT_EQ(0, cache_stats(fd, &st));
			ASSERT_EQ(1U, st.entries);
			ASSERT_EQ(1U, st.expiring);
			silent += !left;
			close(fd);
			ASSERT_EQ(0, cache_destroy(self->name));
		} else {
			injected++;
			/* Nothing: the descriptor is unbound, no cache, no sysfs. */
			ASSERT_EQ(-EBADFD, cache_stats(fd, &st));
			close(fd);
			ASSERT_EQ(-ENOENT, cache_attach(self->name));
			ASSERT_EQ(-1, stat(dir, &sb)) {
				TH_LOG("fault %u: %s left behind", n, dir);
			}
			ASSERT_EQ(-ENOENT, cache_destroy(self->name));
		}
		if (left)
			break;
	}
	ASSERT_NE(0, left) {
		TH_LOG("OPEN+CREATE still hit the fault at %d allocations",
		       MAX_NTH);
	}
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned, %u absorbed", n - 1,
	       injected, silent);
}

TEST_F_TIMEOUT(fs, set_new_key_fails_cleanly, 300)
{
	unsigned int n, injected = 0;
	int ret, left = 0;

	FAILSLAB_SETUP();
	CREATE_BASE();
	for (n = 1; n <= MAX_NTH; n++) {
		ASSERT_EQ(0, arm(self->nth, n));
		ret = kv_set(self->fd, "new", 3, self->big, 100, 60000, 0);
		left = disarm(self->nth);
		ASSERT_LE(0, left);
		ASSERT_OK_OR_ENOMEM(n, ret);
		ASSERT_CONSISTENT(n);
		if (ret == 0) {
			ASSERT_EQ(0, value_is(self->fd, "new", self->big, 100));
			ASSERT_EQ(0, kv_delete(self->fd, "new", 3));
		} else {
			injected++;
			ASSERT_EQ(0, str_exists(self->fd, "new"));
		}
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

TEST_F_TIMEOUT(fs, failed_replace_keeps_the_old_value, 300)
{
	unsigned int n, injected = 0;
	int ret, left = 0;

	FAILSLAB_SETUP();
	CREATE_BASE();
	for (n = 1; n <= MAX_NTH; n++) {
		ASSERT_EQ(0, arm(self->nth, n));
		ret = kv_set(self->fd, "r", 1, self->big, BIG_LEN,
			     LRUCACHE_TTL_NONE, 0);
		left = disarm(self->nth);
		ASSERT_LE(0, left);
		ASSERT_OK_OR_ENOMEM(n, ret);
		ASSERT_CONSISTENT(n);
		if (ret == 0) {
			ASSERT_EQ(0, value_is(self->fd, "r", self->big,
					      BIG_LEN));
			ASSERT_EQ(0, kv_set(self->fd, "r", 1, OLD, strlen(OLD),
					    LRUCACHE_TTL_NONE, 0));
		} else {
			injected++;
			ASSERT_EQ(0, value_is(self->fd, "r", OLD, strlen(OLD))) {
				TH_LOG("fault %u: r lost its old value", n);
			}
		}
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

#define NR_OPS	6

TEST_F_TIMEOUT(fs, batch_of_sets_fails_cleanly, 300)
{
	static const char *const bkeys[NR_OPS - 1] = {
		"b0", "b1", "b2", "b3", "b4",
	};
	struct lrucache_op ops[NR_OPS];
	unsigned int n, i, injected = 0;
	int ret, left = 0, r_ret;

	FAILSLAB_SETUP();
	CREATE_BASE();
	for (n = 1; n <= MAX_NTH; n++) {
		for (i = 0; i < NR_OPS - 1; i++) {
			ops[i] = (struct lrucache_op){
				.opcode = LRUCACHE_OP_SET,
				.result = 12345,
				.key = (uintptr_t)bkeys[i], .key_len = 2,
				.value = (uintptr_t)self->big,
				.value_len = 50 + 100 * i,
				.ttl_ms = 60000,
			};
		}
		/* Last, a replace of r by a bigger value. */
		ops[i] = (struct lrucache_op){
			.opcode = LRUCACHE_OP_SET,
			.result = 12345,
			.key = (uintptr_t)"r", .key_len = 1,
			.value = (uintptr_t)self->big,
			.value_len = BIG_LEN,
			.ttl_ms = LRUCACHE_TTL_NONE,
		};
		ASSERT_EQ(0, arm(self->nth, n));
		ret = batch_run(self->fd, ops, NR_OPS);
		left = disarm(self->nth);
		ASSERT_LE(0, left);
		ASSERT_TRUE(ret == NR_OPS || ret == -ENOMEM) {
			TH_LOG("fault %u: batch returned %d", n, ret);
		}
		ASSERT_CONSISTENT(n);
		if (ret == -ENOMEM)
			injected++;
		if (ret == NR_OPS) {
			for (i = 0; i < NR_OPS - 1; i++) {
				ASSERT_OK_OR_ENOMEM(n, ops[i].result);
				injected += ops[i].result != 0;
				ASSERT_EQ(!ops[i].result,
					  str_exists(self->fd, bkeys[i])) {
					TH_LOG("fault %u: %s result %d", n,
					       bkeys[i], ops[i].result);
				}
				if (!ops[i].result) {
					ASSERT_EQ(0, value_is(self->fd, bkeys[i],
							      self->big,
							      50 + 100 * i));
				}
			}
			r_ret = ops[NR_OPS - 1].result;
			ASSERT_OK_OR_ENOMEM(n, r_ret);
			injected += r_ret != 0;
			if (r_ret) {
				ASSERT_EQ(0, value_is(self->fd, "r", OLD,
						      strlen(OLD)));
			} else {
				ASSERT_EQ(0, value_is(self->fd, "r", self->big,
						      BIG_LEN));
			}
		} else {
			/* Whatever ran, r holds one of its two values. */
			ASSERT_TRUE(!value_is(self->fd, "r", OLD, strlen(OLD)) ||
				    !value_is(self->fd, "r", self->big, BIG_LEN));
		}
		/* Back to the start. */
		for (i = 0; i < NR_OPS - 1; i++)
			kv_delete(self->fd, bkeys[i], 2);
		ASSERT_EQ(0, kv_set(self->fd, "r", 1, OLD, strlen(OLD),
				    LRUCACHE_TTL_NONE, 0));
		ASSERT_CONSISTENT(n);
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_EQ(NR_OPS, ret);
	for (i = 0; i < NR_OPS; i++)
		ASSERT_EQ(0, ops[i].result);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

TEST_HARNESS_MAIN
