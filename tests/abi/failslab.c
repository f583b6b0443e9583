// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, injected one at a time with failslab and
 * /proc/thread-self/fail-nth (Documentation/fault-injection/
 * fault-injection.rst): writing N makes the N-th slab allocation of this
 * thread fail; reading it back gives 0 once that fault was injected, or
 * what was left of N if the operation made fewer allocations.
 *
 * For N = 1, 2, ... each operation (OPEN+CREATE, a SET of a new key, a SET
 * replacing a value with a bigger one, a BATCH of sets, a DUMP, a read of
 * the dump's stream, a netlink SUBSCRIBE, a SET whose event is recorded for
 * a subscriber) runs with its N-th allocation failing, until it completes
 * with the fault unused. Every result must be success or -ENOMEM (or the
 * errno netlink gives, see subscribe_fails_cleanly), and the cache must be
 * left as it was: no half-created cache, the old value after a failed
 * replace, entries and bytes equal to what the keys present hold, no
 * descriptor left by a failed DUMP. Leaks show up in the kmemleak scan
 * that the debug kernel run does after rmmod.
 *
 * Needs a kernel with CONFIG_FAILSLAB and debugfs (the debug kernel of
 * tests/vm); skipped elsewhere. GFP_KERNEL allocations can sleep, so
 * failslab's ignore-gfp-wait is set to N for the test (and verbose to 0:
 * no stack dump per fault in the kernel log), then restored.
 */
#include "kselftest_harness.h"
#include "abi.h"
#include "nl.h"
#include "../failnth.h"

#define MAX_NTH		200

#define OLD		"old"
#define BIG_LEN		2000

FIXTURE(fs) {
	int fd;
	struct failnth fn;
	char name[LRUCACHE_NAME_MAX];
	uint64_t ov;
	char big[BIG_LEN];
};

FIXTURE_SETUP(fs)
{
	self->fd = -1;
	self->fn = (struct failnth)FAILNTH_INIT;
	unique_name(self->name, "failslab");
	memset(self->big, 'B', sizeof(self->big));
}

FIXTURE_TEARDOWN(fs)
{
	/* Disarmed first, whatever happened: the cleanup allocates too. */
	if (failnth_end(&self->fn))
		TH_LOG("cannot disarm " FAIL_NTH " or restore " FAILSLAB);
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

/* SKIP without failslab; else fail sleeping allocations, silently. */
#define FAILSLAB_SETUP() do {						\
	FAILNTH_BEGIN_OR_SKIP(&self->fn);				\
	ASSERT_EQ(0, entry_overhead(&self->ov));			\
} while (0)

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
	uint64_t entries = 0, bytes = 0, data = 0, expiring = 0;
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
		bytes += entry_charge(ov, strlen(all_keys[i]), (uint64_t)ret);
		data += ov + strlen(all_keys[i]) + (uint64_t)ret;
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
	    st.data_bytes != data || st.expiring != expiring) {
		snprintf(why, size,
			 "STATS entries %llu bytes %llu data %llu expiring %llu; keys present: %llu, charged %llu, data %llu, %llu with a TTL",
			 (unsigned long long)st.entries,
			 (unsigned long long)st.bytes,
			 (unsigned long long)st.data_bytes,
			 (unsigned long long)st.expiring,
			 (unsigned long long)entries,
			 (unsigned long long)bytes,
			 (unsigned long long)data,
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
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = cache_open_ex(fd, self->name, LRUCACHE_OPEN_CREATE |
				    LRUCACHE_OPEN_EXCL, 100, 0, 0,
				    LRUCACHE_CLEANUP_INTERVAL_MIN_MS);
		left = failnth_disarm(&self->fn);
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
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = kv_set(self->fd, "new", 3, self->big, 100, 60000, 0);
		left = failnth_disarm(&self->fn);
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

/*
 * A mapped cache (LRUCACHE_OPEN_MAPPED) adds the map's allocations to
 * OPEN+CREATE: a failure among them creates nothing.
 */
TEST_F_TIMEOUT(fs, mapped_create_fails_cleanly, 300)
{
	struct lrucache_info info;
	unsigned int n, injected = 0;
	int fd, ret, left = 0;

	FAILSLAB_SETUP();
	for (n = 1; n <= MAX_NTH; n++) {
		fd = dev_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = cache_open(fd, self->name, LRUCACHE_OPEN_CREATE |
				 LRUCACHE_OPEN_EXCL | LRUCACHE_OPEN_MAPPED,
				 100, 0, 0);
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		ASSERT_OK_OR_ENOMEM(n, ret);
		if (ret == 0) {
			ASSERT_EQ(0, cache_info(fd, &info));
			ASSERT_TRUE(!!(info.flags & LRUCACHE_INFO_MAPPED));
			ASSERT_EQ(0, str_set(fd, "k", "v"));
			ASSERT_EQ(1, str_exists(fd, "k"));
			close(fd);
			ASSERT_EQ(0, cache_destroy(self->name));
		} else {
			injected++;
			close(fd);
			ASSERT_EQ(-ENOENT, cache_attach(self->name));
		}
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

/*
 * A SET in a mapped cache may also need a page for the mapping: if that
 * fails the entry is stored unmapped (readers ask the kernel), so the
 * SET succeeds; any other failure leaves the cache as it was.
 */
TEST_F_TIMEOUT(fs, mapped_set_fails_cleanly, 300)
{
	unsigned int n, injected = 0;
	int ret, left = 0;

	FAILSLAB_SETUP();
	self->fd = dev_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE |
				LRUCACHE_OPEN_EXCL | LRUCACHE_OPEN_MAPPED,
				1000, 0, 0));
	ASSERT_EQ(0, str_set(self->fd, "base0", "zero"));
	for (n = 1; n <= MAX_NTH; n++) {
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		/* A size class of its own each time: a page to allocate. */
		ret = kv_set(self->fd, "new", 3, self->big, 100 + 250 * (n % 8),
			     60000, 0);
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		ASSERT_OK_OR_ENOMEM(n, ret);
		ASSERT_CONSISTENT(n);
		if (ret == 0) {
			ASSERT_EQ(0, value_is(self->fd, "new", self->big,
					      100 + 250 * (n % 8)));
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
	ASSERT_EQ(0, value_is(self->fd, "base0", "zero", 4));
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

TEST_F_TIMEOUT(fs, failed_replace_keeps_the_old_value, 300)
{
	unsigned int n, injected = 0;
	int ret, left = 0;

	FAILSLAB_SETUP();
	CREATE_BASE();
	for (n = 1; n <= MAX_NTH; n++) {
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = kv_set(self->fd, "r", 1, self->big, BIG_LEN,
			     LRUCACHE_TTL_NONE, 0);
		left = failnth_disarm(&self->fn);
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

/* INCR "new" by one from @initial (absent) with a TTL, as the others. */
static int incr_new(int fd, int64_t initial)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)"new", .key_len = 3, .ttl_ms = 60000,
		.delta = 1, .number = initial,
	};

	return xioctl(fd, LRUCACHE_IOC_INCR, &kv);
}

/*
 * INCR allocates the entry that takes the old one's place: a failed
 * allocation leaves the counter as it was, or absent as it was.
 */
TEST_F_TIMEOUT(fs, incr_fails_cleanly, 300)
{
	unsigned int n, injected = 0, round;
	int ret, left = 0;

	FAILSLAB_SETUP();
	CREATE_BASE();
	for (round = 0; round < 2; round++) {
		/* Round 0 counts up an existing counter, 1 an absent key. */
		if (!round) {
			ASSERT_EQ(0, kv_set(self->fd, "new", 3, "41", 2, 60000,
					    0));
		}
		for (n = 1; n <= MAX_NTH; n++) {
			ASSERT_EQ(0, failnth_arm(&self->fn, n));
			ret = incr_new(self->fd, 5);
			left = failnth_disarm(&self->fn);
			ASSERT_LE(0, left);
			ASSERT_OK_OR_ENOMEM(n, ret);
			ASSERT_CONSISTENT(n);
			if (ret == 0) {
				ASSERT_EQ(0, value_is(self->fd, "new",
						      round ? "6" : "42",
						      round ? 1 : 2));
				if (round) {
					ASSERT_EQ(0, kv_delete(self->fd, "new",
							       3));
				} else {
					ASSERT_EQ(0, kv_set(self->fd, "new", 3,
							    "41", 2, 60000, 0));
				}
			} else if (round) {
				injected++;
				ASSERT_EQ(0, str_exists(self->fd, "new"));
			} else {
				injected++;
				ASSERT_EQ(0, value_is(self->fd, "new", "41", 2));
			}
			if (left)
				break;
		}
		ASSERT_NE(0, left);
		ASSERT_EQ(0, ret);
		if (!round) {
			ASSERT_EQ(0, kv_delete(self->fd, "new", 3));
		}
	}
	ASSERT_LT(0U, injected);
	TH_LOG("%u failures returned", injected);
}

/*
 * A lease get that misses allocates the lease: a failed allocation grants
 * nothing and leaves no lease behind; a granted one is given back.
 */
TEST_F_TIMEOUT(fs, lease_get_fails_cleanly, 300)
{
	struct lrucache_stats st;
	unsigned int n, injected = 0;
	int ret, left = 0;

	FAILSLAB_SETUP();
	CREATE_BASE();
	for (n = 1; n <= MAX_NTH; n++) {
		struct lrucache_kv kv = {
			.key = (uintptr_t)"new", .key_len = 3,
			.flags = LRUCACHE_GET_LEASE,
			.ttl_ms = LRUCACHE_TTL_DEFAULT,
		};

		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = xioctl(self->fd, LRUCACHE_IOC_GET, &kv);
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		ASSERT_TRUE(ret == -ENOENT || ret == -ENOMEM) {
			TH_LOG("fault %u: result %d", n, ret);
		}
		ASSERT_CONSISTENT(n);
		if (ret == -ENOENT) {
			ASSERT_EQ(LRUCACHE_STATUS_LEASE, kv.status);
			ASSERT_NE(0U, kv.lease);
			kv = (struct lrucache_kv){
				.key = (uintptr_t)"new", .key_len = 3,
				.lease = kv.lease,
			};
			ASSERT_EQ(0, xioctl(self->fd,
					    LRUCACHE_IOC_LEASE_RELEASE, &kv));
		} else {
			injected++;
		}
		ASSERT_EQ(0, cache_stats(self->fd, &st));
		ASSERT_EQ(0U, st.leases);
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_EQ(-ENOENT, ret);
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
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = batch_run(self->fd, ops, NR_OPS);
		left = failnth_disarm(&self->fn);
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

/* --- dump -------------------------------------------------------------- */

/*
 * 600 entries: the snapshot sizes its storage for 600 + 600 / 8 + 16 = 691
 * of them, three page-sized chunks of 254, so the walk meets the
 * snapshot, each of its chunks, and the file behind the new descriptor.
 */
#define NR_DUMP		600U
#define DUMP_BUF	(64 * 1024)

static char dump_buf[DUMP_BUF];

static void dump_key(char key[16], unsigned int i)
{
	snprintf(key, 16, "d%04u", i);
}

static uint32_t dump_vlen(unsigned int i)
{
	return i % 50;			/* empty values too */
}

/*
 * Checks that @len bytes of stream hold the NR_DUMP records of dump_fill(),
 * least recently used (first set) first: 0, or -1 with @why.
 */
static int dump_parse(const char *p, size_t len, char *why, size_t size)
{
	struct lrucache_record rec;
	char key[16];
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < NR_DUMP; i++) {
		dump_key(key, i);
		if (len - off < sizeof(rec)) {
			snprintf(why, size, "stream ends at record %u", i);
			return -1;
		}
		memcpy(&rec, p + off, sizeof(rec));
		off += sizeof(rec);
		if (rec.key_len != strlen(key) ||
		    rec.value_len != dump_vlen(i) ||
		    rec.ttl_ms != LRUCACHE_TTL_NONE ||
		    len - off < (size_t)rec.key_len + rec.value_len ||
		    memcmp(p + off, key, rec.key_len) ||
		    bytes_not(p + off + rec.key_len, rec.value_len, 'V')) {
			snprintf(why, size, "record %u is not %s", i, key);
			return -1;
		}
		off += rec.key_len + rec.value_len;
	}
	if (off != len) {
		snprintf(why, size, "%zu bytes after the last record",
			 len - off);
		return -1;
	}
	return 0;
}

/* Reads a dump descriptor to its end into dump_buf: the length or -errno. */
static ssize_t dump_read_all(int dfd)
{
	size_t len = 0;
	ssize_t r;

	while (len < sizeof(dump_buf)) {
		r = read(dfd, dump_buf + len, sizeof(dump_buf) - len);
		if (r < 0)
			return -errno;
		if (!r)
			break;
		len += r;
	}
	return len;
}

/*
 * A cache of NR_DUMP entries without a TTL (so no reaper runs and nothing
 * changes on its own), and its counters.
 */
#define DUMP_FILL(st) do {							char __k[16], __v[64];							unsigned int __i;																memset(__v, 'V', sizeof(__v));						self->fd = cache_create_ex(self->name, 1000, 0, 0, 0);			ASSERT_LE(0, self->fd);							for (__i = 0; __i < NR_DUMP; __i++) {						dump_key(__k, __i);							ASSERT_EQ(0, kv_set(self->fd, __k, strlen(__k), __v,					    dump_vlen(__i), LRUCACHE_TTL_NONE, 0)); 	}									ASSERT_EQ(0, cache_stats(self->fd, (st)));				ASSERT_EQ(NR_DUMP, (st)->entries);					/* Pages the kernel copies into are there before any fault. */		memset(dump_buf, 0, sizeof(dump_buf));				} while (0)

/*
 * A dump, failed or not, leaves the cache as it was: the same counters
 * (it counts no hit and moves nothing) and a sound structure.
 */
#define ASSERT_DUMP_UNCHANGED(n, before) do {					struct lrucache_stats __st;						struct lrucache_check __c;															ASSERT_EQ(0, cache_stats(self->fd, &__st));				ASSERT_EQ(0, memcmp(&__st, (before), sizeof(__st))) {				TH_LOG("fault %u: the counters changed", (n));			}									ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_CHECK, &__c));		ASSERT_EQ(0U, __c.problems);						ASSERT_EQ(NR_DUMP, __c.entries);				} while (0)

TEST_F_TIMEOUT(fs, dump_fails_cleanly, 300)
{
	struct lrucache_stats before;
	struct lrucache_dump arg;
	unsigned int n, injected = 0;
	char why[128];
	int ret, left = 0, fds;
	ssize_t len;

	FAILSLAB_SETUP();
	DUMP_FILL(&before);
	for (n = 1; n <= MAX_NTH; n++) {
		fds = count_fds();
		ASSERT_LT(0, fds);
		memset(&arg, 0, sizeof(arg));
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = xioctl(self->fd, LRUCACHE_IOC_DUMP, &arg);
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		ASSERT_OK_OR_ENOMEM(n, ret);
		if (ret == 0) {
			ASSERT_LE(0, arg.fd);
			ASSERT_EQ(fds + 1, count_fds());
			ASSERT_EQ(NR_DUMP, arg.entries);
			len = dump_read_all(arg.fd);
			ASSERT_EQ((ssize_t)arg.bytes, len);
			ASSERT_EQ(0, dump_parse(dump_buf, len, why,
						sizeof(why))) {
				TH_LOG("fault %u: %s", n, why);
			}
			close(arg.fd);
		} else {
			injected++;
			/* No descriptor, no snapshot left behind. */
			ASSERT_EQ(fds, count_fds()) {
				TH_LOG("fault %u: a descriptor leaked", n);
			}
		}
		ASSERT_DUMP_UNCHANGED(n, &before);
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

/*
 * Reading the stream: the records were gathered and sized when the
 * snapshot was taken, so the walk shows what read(2) allocates on the way.
 */
TEST_F_TIMEOUT(fs, dump_read_fails_cleanly, 300)
{
	struct lrucache_stats before;
	struct lrucache_dump arg;
	unsigned int n, injected = 0;
	char why[128];
	int left = 0;
	ssize_t r;

	FAILSLAB_SETUP();
	DUMP_FILL(&before);
	for (n = 1; n <= MAX_NTH; n++) {
		memset(&arg, 0, sizeof(arg));
		ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_DUMP, &arg));
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		r = read(arg.fd, dump_buf, sizeof(dump_buf));
		r = r < 0 ? -errno : r;
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		ASSERT_TRUE(r == (ssize_t)arg.bytes || r == -ENOMEM) {
			TH_LOG("fault %u: read %zd of %llu bytes", n, r,
			       (unsigned long long)arg.bytes);
		}
		if (r == -ENOMEM) {
			injected++;
			/* Nothing consumed: the whole stream is still there. */
			r = dump_read_all(arg.fd);
			ASSERT_EQ((ssize_t)arg.bytes, r);
		}
		ASSERT_EQ(0, dump_parse(dump_buf, r, why, sizeof(why))) {
			TH_LOG("fault %u: %s", n, why);
		}
		close(arg.fd);
		ASSERT_DUMP_UNCHANGED(n, &before);
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

/* --- the event stream ------------------------------------------------- */

#define SUB_EVENTS	(LRUCACHE_EVENT_BIT(LRUCACHE_EVENT_SET) |	\
			 LRUCACHE_EVENT_BIT(LRUCACHE_EVENT_DELETE))

static struct nl_sock nl;

/*
 * SUBSCRIBE, in one send(2), is walked: the request's buffer, the
 * attribute table generic netlink parses into, the subscription, the
 * ACK. Its outcome is what the caller learns: 0 (subscribed), -ENOMEM in
 * the ACK (not subscribed), or -ENOBUFS, from send(2) when the request
 * could not be buffered (not subscribed), or from recv(2) when the ACK
 * could not be allocated (the request ran: subscribed or not, which
 * UNSUBSCRIBE then tells). UNSUBSCRIBE's answer (0 or -ENOENT) must match.
 */
TEST_F_TIMEOUT(fs, subscribe_fails_cleanly, 300)
{
	unsigned int n, injected = 0, unknown = 0;
	int ret, un, left = 0;

	FAILSLAB_SETUP();
	CREATE_BASE();
	ret = nl_open(&nl);
	ASSERT_EQ(0, ret) {
		TH_LOG("no family " LRUCACHE_GENL_NAME ": %s", strerror(-ret));
	}
	for (n = 1; n <= MAX_NTH; n++) {
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = nl_request(&nl, nl.family, LRUCACHE_CMD_SUBSCRIBE, 10 + n,
				 self->name, SUB_EVENTS);
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		if (!ret)
			ret = nl_answer(&nl, 10 + n, NULL);
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM || ret == -ENOBUFS) {
			TH_LOG("fault %u: SUBSCRIBE gave %d", n, ret);
		}
		ASSERT_EQ(0, nl_request(&nl, nl.family,
					LRUCACHE_CMD_UNSUBSCRIBE, 1000 + n,
					NULL, 0));
		un = nl_answer(&nl, 1000 + n, NULL);
		ASSERT_TRUE(un == 0 || un == -ENOENT) {
			TH_LOG("fault %u: UNSUBSCRIBE gave %d", n, un);
		}
		if (ret == 0) {
			ASSERT_EQ(0, un);
		} else if (ret == -ENOMEM) {
			ASSERT_EQ(-ENOENT, un);
		} else {
			unknown++;
		}
		injected += ret != 0;
		ASSERT_CONSISTENT(n);
		if (left)
			break;
	}
	close(nl.fd);
	ASSERT_NE(0, left);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned (%u as -ENOBUFS)", n - 1,
	       injected, unknown);
}

/*
 * Read events until the SET of "base0" (the marker): they go into @evs
 * (at most @max): their number, or -errno.
 */
static int events_to_marker(struct nl_sock *s, struct nl_event *evs, int max)
{
	int i, ret;

	for (i = 0; i < max; i++) {
		ret = nl_next_event(s, &evs[i], NL_WAIT_MS);
		if (ret)
			return ret;
		if (evs[i].type == LRUCACHE_EVENT_SET &&
		    !strcmp(evs[i].key, "base0"))
			return i + 1;
	}
	return -E2BIG;
}

/*
 * An event is recorded in the thread that caused it (here the SET, under
 * the cache lock, GFP_NOWAIT); the walk reaches that allocation too (the
 * message is built later by a work item, out of the walk's reach). A
 * record that cannot be allocated is an event lost to the subscriber, and
 * only that: the SET succeeds, the next event shows the gap in its
 * sequence number, at the place of the lost one, and counts it in LOST.
 *
 * Each round: SET "new" with the fault armed, then unarmed DELETE "new"
 * (if it was stored) and SET "base0" as a marker; the events up to the
 * marker must be exactly one of
 *   SET -ENOMEM:          marker(s+1)
 *   SET 0, event sent:    SET new(s+1), DELETE new(s+2), marker(s+3)
 *   SET 0, event lost:    DELETE new(s+2), marker(s+3), lost + 1
 */
TEST_F_TIMEOUT(fs, event_record_failure_is_counted_as_lost, 300)
{
	unsigned int n, injected = 0, lost_events = 0;
	struct nl_event evs[8];
	uint64_t seq = 0, lost = 0;
	int ret, nev, left = 0;

	FAILSLAB_SETUP();
	CREATE_BASE();
	ASSERT_EQ(0, nl_open(&nl));
	ASSERT_EQ(0, nl_request(&nl, nl.family, LRUCACHE_CMD_SUBSCRIBE, 2,
				self->name, SUB_EVENTS));
	ASSERT_EQ(0, nl_answer(&nl, 2, NULL));
	for (n = 1; n <= MAX_NTH; n++) {
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = kv_set(self->fd, "new", 3, self->big, 100, 60000, 0);
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		ASSERT_OK_OR_ENOMEM(n, ret);
		if (!ret) {
			ASSERT_EQ(0, kv_delete(self->fd, "new", 3));
		}
		ASSERT_EQ(0, str_set(self->fd, "base0", "zero"));
		ASSERT_CONSISTENT(n);

		nev = events_to_marker(&nl, evs, 8);
		ASSERT_LT(0, nev) {
			TH_LOG("fault %u: no marker event: %d", n, nev);
		}
		if (ret) {
			injected++;
			ASSERT_EQ(1, nev);
			ASSERT_EQ(seq + 1, evs[0].seq);
		} else if (nev == 3) {
			ASSERT_EQ((uint32_t)LRUCACHE_EVENT_SET, evs[0].type);
			ASSERT_STREQ("new", evs[0].key);
			ASSERT_EQ(seq + 1, evs[0].seq);
			ASSERT_EQ((uint32_t)LRUCACHE_EVENT_DELETE, evs[1].type);
			ASSERT_EQ(seq + 2, evs[1].seq);
		} else {
			/* The SET's message was the allocation that failed. */
			ASSERT_EQ(2, nev) {
				TH_LOG("fault %u: %d events", n, nev);
			}
			ASSERT_EQ((uint32_t)LRUCACHE_EVENT_DELETE, evs[0].type);
			ASSERT_STREQ("new", evs[0].key);
			ASSERT_EQ(seq + 2, evs[0].seq);
			lost++;
			lost_events++;
		}
		ASSERT_EQ(lost, evs[nev - 1].lost) {
			TH_LOG("fault %u: LOST %llu, want %llu", n,
			       (unsigned long long)evs[nev - 1].lost,
			       (unsigned long long)lost);
		}
		/* The marker: every event of the round numbered. */
		ASSERT_EQ(seq + (ret ? 1 : 3), evs[nev - 1].seq);
		seq = evs[nev - 1].seq;
		if (left)
			break;
	}
	close(nl.fd);
	ASSERT_NE(0, left);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	ASSERT_LT(0U, lost_events);
	TH_LOG("%u allocations: %u SETs failed, %u events lost", n - 1,
	       injected, lost_events);
}

TEST_HARNESS_MAIN
