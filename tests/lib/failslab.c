// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_deserialize() under allocation failures, injected one at a time
 * with failslab and /proc/thread-self/fail-nth (see tests/abi/failslab.c
 * for the mechanism): for N = 1, 2, ... the N-th kernel allocation made
 * by this thread during the restore fails. fail-nth counts across system
 * calls, so it is armed around the one library call: the restore's
 * system calls are then its batched sets (LRUCACHE_BATCH_MAX per ioctl),
 * whatever user-space work the library does between them (jansson's and
 * the library's malloc() make no system call once the heap has grown to
 * the restore's size, which a first restore does; and the process's
 * memory is locked, so no page fault allocates either).
 *
 * Each restore must return the number of entries or -ENOMEM, and do what
 * kcache.h promises: the entries before the one that failed are stored,
 * that one is not, the others of its batch are (the kernel runs a batch
 * to its end and only one allocation fails), no later batch is sent, the
 * cache's other entries stay, and the kernel's own check of the cache
 * (LRUCACHE_IOC_CHECK) finds nothing wrong. Leaks show in the kmemleak
 * scan of the debug kernel run.
 *
 * A document of 40 entries (one batch) is walked at every allocation; one
 * of LRUCACHE_BATCH_MAX + 6 entries (two batches) at every allocation of
 * its first and last 16 (counted beforehand, with fail-nth as a counter),
 * of the 16 either side of the start of the second batch, and every 61st
 * in between; then on until the fault goes unused.
 *
 * kcache_add_hook() is walked the same way, at every allocation: it opens
 * the handle's events socket, resolves the family through libnl and
 * subscribes. It must succeed (the hook then gets the next SET's event)
 * or fail with -ENOMEM, -ENOBUFS or -ENFILE (socket(2) when the socket's
 * inode cannot be allocated), leaving no hook, no events socket and no
 * descriptor behind.
 *
 * Needs CONFIG_FAILSLAB and debugfs (the debug kernel); skipped elsewhere.
 */
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "lib.h"
#include "../failnth.h"

#define NR_SMALL	40
#define NR_LARGE	(LRUCACHE_BATCH_MAX + 6)
#define NR_PRE		3
#define EDGE		16
#define STRIDE		61
#define COUNT_ALL	1000000U	/* more than any restore allocates */
/*
 * How many more allocations than counted a restore may make: the hash
 * table's resizes, some in the caller's thread, depend on its size at the
 * start, which its own work item changes in between.
 */
#define SLACK		200
#define MAX_NTH		400

static void item_key(char key[16], unsigned int i)
{
	snprintf(key, 16, "k%05u", i);
}

/*
 * Entry @i's value: text for even @i, bytes that are not UTF-8 (written
 * as base64) for odd @i; some empty.
 */
static size_t item_value(unsigned char val[64], unsigned int i)
{
	size_t len = (i * 7) % 60;

	memset(val, i % 2 ? 0x80 | (i & 0x3f) : 'a' + i % 26, len);
	return len;
}

static const char *const pre_keys[NR_PRE] = { "pre0", "pre1", "pre2" };

FIXTURE(fs) {
	struct failnth fn;
	char src_name[LRUCACHE_NAME_MAX], dst_name[LRUCACHE_NAME_MAX];
	struct kcache *src, *dst;
	char *json;
	size_t len;
};

FIXTURE_SETUP(fs)
{
	self->fn = (struct failnth)FAILNTH_INIT;
	self->src = self->dst = NULL;
	self->json = NULL;
	unique_name(self->src_name, "fs-src");
	unique_name(self->dst_name, "fs-dst");
}

FIXTURE_TEARDOWN(fs)
{
	/* Disarmed first, whatever happened: the cleanup allocates too. */
	if (failnth_end(&self->fn))
		TH_LOG("cannot disarm " FAIL_NTH " or restore " FAILSLAB);
	free(self->json);
	kcache_close(self->src);
	kcache_close(self->dst);
	kcache_destroy(self->src_name);
	kcache_destroy(self->dst_name);
}

/*
 * SKIP without failslab; else fail sleeping allocations, silently; keep
 * the heap from shrinking (no brk() between restores) and lock memory.
 */
#define FAILSLAB_SETUP() do {						\
	FAILNTH_BEGIN_OR_SKIP(&self->fn);				\
	ASSERT_EQ(1, mallopt(M_TRIM_THRESHOLD, 1 << 30));		\
	ASSERT_EQ(1, mallopt(M_MMAP_THRESHOLD, 32 << 20));		\
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));		\
} while (0)

/* The dump of @nr entries k00000.. into self->json. */
#define MAKE_DOC(nr) do {						\
	KCACHE_OPTS(__o, .max_size = 2 * NR_LARGE);			\
	unsigned char __v[64];						\
	char __k[16];							\
	unsigned int __i;						\
									\
	ASSERT_EQ(0, kcache_open(self->src_name, &__o, &self->src));	\
	ASSERT_EQ(0, kcache_open(self->dst_name, &__o, &self->dst));	\
	for (__i = 0; __i < (nr); __i++) {				\
		item_key(__k, __i);					\
		ASSERT_EQ(0, kcache_set(self->src, __k, strlen(__k), __v, \
					item_value(__v, __i),		\
					KCACHE_TTL_NONE));		\
	}								\
	ASSERT_EQ(0, kcache_serialize(self->src, &self->json,		\
				      &self->len));			\
} while (0)

/* The destination: just its own entries, not in the document. */
static int reset_dst(struct kcache *c)
{
	unsigned int i;
	int ret = kcache_clear(c);

	for (i = 0; !ret && i < NR_PRE; i++)
		ret = kcache_set(c, pre_keys[i], 4, "mine", 4, KCACHE_TTL_NONE);
	return ret;
}

/*
 * Checks the destination after a restore of @nr entries that stored all
 * of them (@failed == NONE_FAILED), none (NOTHING_STORED), or failed at
 * entry @failed: 0, or -1 with @why.
 */
#define NONE_FAILED	-1
#define NOTHING_STORED	-2

static int check_dst(struct kcache *c, unsigned int nr, int failed,
		     char *why, size_t size)
{
	unsigned char want[64], got[64];
	struct lrucache_check chk;
	unsigned int i, batch_end;
	uint64_t present = NR_PRE;
	size_t wlen;
	ssize_t r;
	char key[16];

	for (i = 0; i < NR_PRE; i++) {
		r = kcache_get(c, pre_keys[i], 4, got, sizeof(got));
		if (r != 4 || memcmp(got, "mine", 4)) {
			snprintf(why, size, "%s lost: %zd", pre_keys[i], r);
			return -1;
		}
	}
	if (failed == NONE_FAILED)
		batch_end = nr;
	else if (failed == NOTHING_STORED)
		batch_end = 0;
	else
		batch_end = ((unsigned int)failed / LRUCACHE_BATCH_MAX + 1) *
			    LRUCACHE_BATCH_MAX;
	for (i = 0; i < nr; i++) {
		item_key(key, i);
		wlen = item_value(want, i);
		r = kcache_get(c, key, strlen(key), got, sizeof(got));
		if ((int)i == failed || i >= batch_end) {
			if (r != -ENOENT) {
				snprintf(why, size, "%s stored (%zd), failed at %d",
					 key, r, failed);
				return -1;
			}
			continue;
		}
		if (r != (ssize_t)wlen || memcmp(got, want, wlen)) {
			snprintf(why, size, "%s: %zd, failed at %d", key, r,
				 failed);
			return -1;
		}
		present++;
	}
	memset(&chk, 0xa5, sizeof(chk));
	if (ioctl(kcache_fd(c), LRUCACHE_IOC_CHECK, &chk)) {
		snprintf(why, size, "CHECK: %s", strerror(errno));
		return -1;
	}
	if (chk.problems || chk.entries != present) {
		snprintf(why, size, "CHECK: %llu problems, %llu entries, want %llu",
			 (unsigned long long)chk.problems,
			 (unsigned long long)chk.entries,
			 (unsigned long long)present);
		return -1;
	}
	return 0;
}

/*
 * Restores the document with the @n-th allocation failing and checks the
 * outcome. Counts failures in *@injected; returns what fail-nth had left
 * (0: the fault was used), or -1 on an assertion failure.
 */
static int restore_with_fault(struct __test_metadata *_metadata,
			      FIXTURE_DATA(fs) *self, unsigned int nr,
			      unsigned int n, unsigned int *injected)
{
	struct kcache_json_error jerr;
	char why[160];
	int ret, left, failed = NONE_FAILED;
	size_t idx;

	if (reset_dst(self->dst)) {
		TH_LOG("resetting the destination failed");
		return -1;
	}
	if (failnth_arm(&self->fn, n))
		return -1;
	ret = kcache_deserialize_ex(self->dst, self->json, self->len, 0,
				    &jerr);
	left = failnth_disarm(&self->fn);
	if (left < 0)
		return -1;
	if (ret != (int)nr && ret != -ENOMEM) {
		TH_LOG("fault %u: restore gave %d (%s)", n, ret, jerr.text);
		return -1;
	}
	if (ret == -ENOMEM) {
		(*injected)++;
		/* A failed set names its entry; else nothing was stored. */
		if (sscanf(jerr.text, "entries[%zu]", &idx) == 1)
			failed = (int)idx;
		else
			failed = NOTHING_STORED;
	}
	if (check_dst(self->dst, nr, failed, why, sizeof(why))) {
		TH_LOG("fault %u: %s", n, why);
		return -1;
	}
	return left;
}

/* The allocations one restore makes: fail-nth as a counter. */
static int count_sites(FIXTURE_DATA(fs) *self, unsigned int nr)
{
	int ret, left;

	if (reset_dst(self->dst) || failnth_arm(&self->fn, COUNT_ALL))
		return -1;
	ret = kcache_deserialize(self->dst, self->json, self->len, 0);
	left = failnth_disarm(&self->fn);
	if (ret != (int)nr || left <= 0)
		return -1;
	return COUNT_ALL - left;
}

TEST_F_TIMEOUT(fs, restore_of_one_batch_fails_cleanly, 300)
{
	unsigned int n, injected = 0;
	int left = 0, sites;

	FAILSLAB_SETUP();
	MAKE_DOC(NR_SMALL);
	/* Once unarmed: the heap grows to what a restore needs. */
	ASSERT_EQ(NR_SMALL, kcache_deserialize(self->dst, self->json,
					       self->len, 0));
	sites = count_sites(self, NR_SMALL);
	ASSERT_LT(0, sites);
	for (n = 1; n <= (unsigned int)sites + SLACK; n++) {
		left = restore_with_fault(_metadata, self, NR_SMALL, n,
					  &injected);
		ASSERT_LE(0, left);
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_LT(0U, injected);
	TH_LOG("%d entries: %u allocations (%d counted before), %u failures returned",
	       NR_SMALL, n - 1, sites, injected);
}

TEST_F_TIMEOUT(fs, restore_of_two_batches_fails_cleanly, 300)
{
	unsigned int n, injected = 0, walked = 0;
	int left = 0, sites, first2;

	FAILSLAB_SETUP();
	MAKE_DOC(NR_LARGE);
	ASSERT_EQ(NR_LARGE, kcache_deserialize(self->dst, self->json,
					       self->len, 0));
	sites = count_sites(self, NR_LARGE);
	ASSERT_LT(0, sites);
	/*
	 * Where the second batch starts: the first one alone allocates
	 * what the whole minus the last 6 entries does, in proportion.
	 */
	first2 = (int)((uint64_t)sites * LRUCACHE_BATCH_MAX / NR_LARGE);
	for (n = 1; n <= (unsigned int)sites + SLACK; n++) {
		if (n > EDGE && n + EDGE <= (unsigned int)sites &&
		    (n + EDGE < (unsigned int)first2 ||
		     n > (unsigned int)first2 + EDGE) && n % STRIDE)
			continue;
		left = restore_with_fault(_metadata, self, NR_LARGE, n,
					  &injected);
		ASSERT_LE(0, left);
		if (left)
			break;
		walked++;
	}
	ASSERT_NE(0, left);
	/* A fault may be absorbed (a fallback); most must show. */
	ASSERT_LT(0U, injected);
	TH_LOG("%d entries: %u allocations (%d counted before), %u of them failed in turn, %u failures returned",
	       NR_LARGE, n - 1, sites, walked, injected);
}

static void count_set(const struct kcache_event *ev, void *arg)
{
	(void)ev;
	(*(unsigned int *)arg)++;
}

static const struct kcache_hook_ops set_hook = { .on_set = count_set };

/* Dispatches events until one SET reached the hook, for at most 5 s. */
static int wait_for_set(struct kcache *c, const unsigned int *sets)
{
	struct pollfd pfd;
	int i, ret, fd = kcache_events_fd(c);

	if (fd < 0)
		return fd;
	for (i = 0; i < 50 && !*sets; i++) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 100) < 0)
			return -errno;
		ret = kcache_events_dispatch(c);
		if (ret < 0)
			return ret;
	}
	return *sets ? 0 : -ETIMEDOUT;
}

TEST_F_TIMEOUT(fs, add_hook_fails_cleanly, 300)
{
	KCACHE_OPTS(opts, .max_size = 100);
	unsigned int n, injected = 0, sets = 0;
	int ret, left = 0, fds;

	FAILSLAB_SETUP();
	ASSERT_EQ(0, kcache_open(self->dst_name, &opts, &self->dst));
	/* Once unarmed: libnl's and the library's buffers grow. */
	ASSERT_EQ(0, kcache_add_hook(self->dst, &set_hook, &sets));
	ASSERT_EQ(0, kcache_remove_hook(self->dst, &set_hook, &sets));
	for (n = 1; n <= MAX_NTH; n++) {
		fds = count_fds();
		ASSERT_LT(0, fds);
		sets = 0;
		ASSERT_EQ(0, failnth_arm(&self->fn, n));
		ret = kcache_add_hook(self->dst, &set_hook, &sets);
		left = failnth_disarm(&self->fn);
		ASSERT_LE(0, left);
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM || ret == -ENOBUFS ||
			    ret == -ENFILE) {
			TH_LOG("fault %u: kcache_add_hook: %d (%s)", n, ret,
			       kcache_strerror(ret));
		}
		if (ret == 0) {
			ASSERT_EQ(fds + 1, count_fds());
			ASSERT_EQ(0, kcache_set(self->dst, "k", 1, "v", 1,
						KCACHE_TTL_NONE));
			ASSERT_EQ(0, wait_for_set(self->dst, &sets)) {
				TH_LOG("fault %u: the hook got no event", n);
			}
			ASSERT_EQ(0, kcache_remove_hook(self->dst, &set_hook,
							&sets));
		} else {
			injected++;
			/* No hook, no socket. */
			ASSERT_EQ(-ENOENT, kcache_events_fd(self->dst));
			ASSERT_EQ(-ENOENT, kcache_remove_hook(self->dst,
							      &set_hook,
							      &sets));
		}
		ASSERT_EQ(fds, count_fds()) {
			TH_LOG("fault %u: a descriptor leaked", n);
		}
		if (left)
			break;
	}
	ASSERT_NE(0, left);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0U, injected);
	TH_LOG("%u allocations, %u failures returned", n - 1, injected);
}

TEST_HARNESS_MAIN
