// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_memo(), kcache_memo_opts(), kcache_memo_info() and
 * kcache_memo_clear(): compute once then hit, TTL of the stored value,
 * errors and short buffers, single-flight across processes and threads
 * on the kernel's leases (no entry taken, not lost to eviction or clear,
 * no wait for oneself in a nested call, a dead computer's claim gone at
 * once), the waiters' bound, the lock entries of callers from before
 * leases (1.3 to 1.8, Python's claim) honoured, stale-while-revalidate,
 * and the cache_info/cache_clear equivalents.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "lib.h"

#define TTL_MS		1500
#define POLL_MS		50
#define POLL_LIMIT_MS	20000
#define TIMEOUT_S	60
#define FLIGHTS		4
#define COMPUTE_MS	200

/* What the compute function does; shared between processes when mmap'd. */
struct counter {
	atomic_int calls;
	int sleep_ms;		/* sleep inside the computation */
	atomic_int hold;	/* then wait while this is set */
	int fail;		/* negative errno to return instead */
	size_t len;		/* length of the value written */
};

/* Writes "v:<key>" padded with '.' to ctr->len bytes. */
static ssize_t compute(const void *key, size_t klen, void *buf, size_t buflen,
		       void *arg)
{
	struct counter *ctr = arg;
	char val[256];
	size_t len = ctr->len ? ctr->len : 2 + klen;

	atomic_fetch_add(&ctr->calls, 1);
	if (ctr->sleep_ms)
		sleep_ms(ctr->sleep_ms);
	while (atomic_load(&ctr->hold))
		sleep_ms(1);
	if (ctr->fail)
		return ctr->fail;
	if (len > sizeof(val))
		return -EINVAL;
	memset(val, '.', len);
	memcpy(val, "v:", 2);
	memcpy(val + 2, key, klen < len - 2 ? klen : len - 2);
	if (len > buflen)
		return (ssize_t)len;
	memcpy(buf, val, len);
	return (ssize_t)len;
}

static uint64_t boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Another caller computing @key: a second handle on the cache that holds
 * the key's lease (lasting @lease_ms) and never stores. Returns the
 * handle, or NULL.
 */
static struct kcache *hold_lease(const char *name, const char *key,
				 uint64_t lease_ms, uint64_t *token)
{
	struct kcache_lease lease;
	struct kcache *c;

	if (kcache_open(name, NULL, &c))
		return NULL;
	if (kcache_get_lease(c, key, strlen(key), NULL, 0, lease_ms, 0,
			     &lease) != -ENOENT ||
	    lease.status != KCACHE_LEASE_GRANTED) {
		kcache_close(c);
		return NULL;
	}
	*token = lease.token;
	return c;
}

static uint64_t leases_held(struct kcache *c)
{
	struct kcache_metrics m;

	return kcache_get_metrics(c, &m) ? ~0ULL : m.leases;
}

FIXTURE(memo) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
	struct counter *ctr;	/* MAP_SHARED: visible to forked children */
};

FIXTURE_SETUP(memo)
{
	KCACHE_OPTS(opts, .max_size = 100);
	int err;

	self->c = NULL;
	self->ctr = mmap(NULL, sizeof(*self->ctr), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ctr);
	memset(self->ctr, 0, sizeof(*self->ctr));
	unique_name(self->name, "memo");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
}

FIXTURE_TEARDOWN(memo)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
	if (self->ctr != MAP_FAILED)
		munmap(self->ctr, sizeof(*self->ctr));
}

TEST_F(memo, first_call_computes_second_hits)
{
	struct kcache_memo_info info;
	char buf[64] = "";
	ssize_t n;

	n = kcache_memo(self->c, "k1", 2, compute, self->ctr,
			KCACHE_TTL_NONE, buf, sizeof(buf));
	ASSERT_EQ(4, n);
	ASSERT_EQ(0, memcmp(buf, "v:k1", 4));
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));

	memset(buf, 0, sizeof(buf));
	n = kcache_memo(self->c, "k1", 2, compute, self->ctr,
			KCACHE_TTL_NONE, buf, sizeof(buf));
	ASSERT_EQ(4, n);
	ASSERT_EQ(0, memcmp(buf, "v:k1", 4));
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));

	ASSERT_EQ(0, kcache_memo_info(self->c, &info));
	EXPECT_EQ(1U, info.hits);
	EXPECT_EQ(1U, info.misses);
	EXPECT_EQ(100U, info.maxsize);
	EXPECT_EQ(1U, info.currsize);	/* the lock entry is gone */
	EXPECT_EQ(0U, info.reserved[0]);
}

TEST_F(memo, value_is_readable_with_kcache_get)
{
	char buf[256];

	ASSERT_EQ(4, kcache_memo(self->c, "k2", 2, compute, self->ctr,
				 KCACHE_TTL_NONE, buf, sizeof(buf)));
	ASSERT_EQ(4, sget(self->c, "k2", buf));
	ASSERT_STREQ("v:k2", buf);
}

TEST_F_TIMEOUT(memo, ttl_is_passed_to_the_entry, TIMEOUT_S)
{
	uint64_t start, gone = 0;
	char buf[64];
	int ret, waited;

	start = boot_ms();
	ASSERT_EQ(7, kcache_memo(self->c, "short", 5, compute, self->ctr,
				 TTL_MS, buf, sizeof(buf)));
	ASSERT_EQ(7, kcache_memo(self->c, "never", 5, compute, self->ctr,
				 KCACHE_TTL_NONE, buf, sizeof(buf)));
	for (waited = 0; waited < POLL_LIMIT_MS; waited += POLL_MS) {
		ret = sexists(self->c, "short");
		ASSERT_LE(0, ret);
		if (!ret) {
			gone = boot_ms();
			break;
		}
		sleep_ms(POLL_MS);
	}
	ASSERT_NE(0U, gone) TH_LOG("entry with a %d ms TTL never expired",
				   TTL_MS);
	ASSERT_LE(start + TTL_MS, gone);
	ASSERT_EQ(1, sexists(self->c, "never"));

	/* Expired: the next call computes again. */
	ASSERT_EQ(7, kcache_memo(self->c, "short", 5, compute, self->ctr,
				 TTL_MS, buf, sizeof(buf)));
	ASSERT_EQ(3, atomic_load(&self->ctr->calls));
}

TEST_F(memo, opts_ttl_zero_means_cache_default)
{
	KCACHE_MEMO_OPTS(opts);
	char buf[64];

	ASSERT_EQ(4, kcache_memo_opts(self->c, "k3", 2, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	ASSERT_EQ(4, kcache_memo_opts(self->c, "k3", 2, compute, self->ctr,
				      buf, sizeof(buf), NULL));
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
}

TEST_F(memo, compute_error_propagates_and_stores_nothing)
{
	struct kcache_memo_info info;
	char buf[64];

	self->ctr->fail = -EIO;
	ASSERT_EQ(-EIO, kcache_memo(self->c, "bad", 3, compute, self->ctr,
				    KCACHE_TTL_NONE, buf, sizeof(buf)));
	ASSERT_EQ(0, sexists(self->c, "bad"));
	/* Its claim was given up. */
	ASSERT_EQ(0U, leases_held(self->c));
	ASSERT_EQ(0, kcache_memo_info(self->c, &info));
	ASSERT_EQ(0U, info.currsize);

	/* Not remembered: the next call computes again, and succeeds. */
	self->ctr->fail = 0;
	ASSERT_EQ(5, kcache_memo(self->c, "bad", 3, compute, self->ctr,
				 KCACHE_TTL_NONE, buf, sizeof(buf)));
	ASSERT_EQ(2, atomic_load(&self->ctr->calls));
}

TEST_F(memo, buffer_too_small)
{
	char small[4], big[64];

	self->ctr->len = 10;
	/* Computed value does not fit: its length, nothing stored. */
	ASSERT_EQ(10, kcache_memo(self->c, "big", 3, compute, self->ctr,
				  KCACHE_TTL_NONE, small, sizeof(small)));
	ASSERT_EQ(0, sexists(self->c, "big"));
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));

	/* Retry with the length returned: computed and stored. */
	ASSERT_EQ(10, kcache_memo(self->c, "big", 3, compute, self->ctr,
				  KCACHE_TTL_NONE, big, sizeof(big)));
	ASSERT_EQ(0, memcmp(big, "v:big.....", 10));
	ASSERT_EQ(2, atomic_load(&self->ctr->calls));

	/* Cached value does not fit: its length, buffer untouched. */
	memset(small, 'x', sizeof(small));
	ASSERT_EQ(10, kcache_memo(self->c, "big", 3, compute, self->ctr,
				  KCACHE_TTL_NONE, small, sizeof(small)));
	ASSERT_EQ(0, memcmp(small, "xxxx", 4));
	ASSERT_EQ(2, atomic_load(&self->ctr->calls));
}

TEST_F(memo, bad_arguments)
{
	struct kcache_memo_opts opts;
	char buf[64];

	ASSERT_EQ(-EINVAL, kcache_memo(NULL, "k", 1, compute, self->ctr,
				       KCACHE_TTL_NONE, buf, sizeof(buf)));
	ASSERT_EQ(-EINVAL, kcache_memo(self->c, "k", 1, NULL, self->ctr,
				       KCACHE_TTL_NONE, buf, sizeof(buf)));
	ASSERT_EQ(-EINVAL, kcache_memo(self->c, "k", 0, compute, self->ctr,
				       KCACHE_TTL_NONE, buf, sizeof(buf)));
	ASSERT_EQ(-EINVAL, kcache_memo(self->c, "k", 1, compute, self->ctr,
				       0, buf, sizeof(buf)));
	ASSERT_EQ(-EINVAL, kcache_memo(self->c, "k", 1, compute, self->ctr,
				       KCACHE_TTL_MAX_MS + 1, buf,
				       sizeof(buf)));

	memset(&opts, 0, sizeof(opts));
	opts.sz = offsetof(struct kcache_memo_opts, reserved) +
		  sizeof(opts.reserved) - 1;	/* short of the first version */
	ASSERT_EQ(-EINVAL, kcache_memo_opts(self->c, "k", 1, compute,
					    self->ctr, buf, sizeof(buf),
					    &opts));
	opts.sz = sizeof(opts);
	opts.flags = 1U << 31;
	ASSERT_EQ(-EINVAL, kcache_memo_opts(self->c, "k", 1, compute,
					    self->ctr, buf, sizeof(buf),
					    &opts));
	opts.flags = 0;
	opts.reserved = 1;
	ASSERT_EQ(-EINVAL, kcache_memo_opts(self->c, "k", 1, compute,
					    self->ctr, buf, sizeof(buf),
					    &opts));
	ASSERT_EQ(0, atomic_load(&self->ctr->calls));
	ASSERT_EQ(-EINVAL, kcache_memo_info(self->c, NULL));
	ASSERT_EQ(-EINVAL, kcache_memo_clear(NULL));
}

TEST_F_TIMEOUT(memo, single_flight_across_processes, TIMEOUT_S)
{
	struct kcache_memo_info info;
	char (*vals)[64];
	pid_t pids[FLIGHTS];
	int go[2], i, status;

	vals = mmap(NULL, FLIGHTS * 64, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, vals);
	memset(vals, 0, FLIGHTS * 64);
	self->ctr->sleep_ms = COMPUTE_MS;
	ASSERT_EQ(0, pipe(go));

	for (i = 0; i < FLIGHTS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct kcache *c;
			char byte, buf[64] = "";
			ssize_t n;

			close(go[1]);
			/* Start together: wait for the parent's close. */
			if (read(go[0], &byte, 1) != 0)
				_exit(2);
			if (kcache_open(self->name, NULL, &c))
				_exit(3);
			n = kcache_memo(c, "shared", 6, compute, self->ctr,
					KCACHE_TTL_NONE, buf, sizeof(buf));
			kcache_close(c);
			if (n != 8)
				_exit(4);
			memcpy(vals[i], buf, (size_t)n);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < FLIGHTS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}

	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	for (i = 0; i < FLIGHTS; i++)
		EXPECT_STREQ("v:shared", vals[i]);
	ASSERT_EQ(0U, leases_held(self->c));
	ASSERT_EQ(0, kcache_memo_info(self->c, &info));
	/* Every caller but the one that computed read the value once. */
	EXPECT_EQ(FLIGHTS - 1U, info.hits);
	EXPECT_LE(1U, info.misses);
	EXPECT_GE((uint64_t)FLIGHTS, info.misses);
	EXPECT_EQ(1U, info.currsize);
	munmap(vals, FLIGHTS * 64);
}

struct flight {
	struct kcache *c;
	struct counter *ctr;
	pthread_barrier_t *start;
	ssize_t n;
	char buf[64];
};

static void *flight_thread(void *p)
{
	struct flight *f = p;

	pthread_barrier_wait(f->start);
	f->n = kcache_memo(f->c, "threads", 7, compute, f->ctr,
			   KCACHE_TTL_NONE, f->buf, sizeof(f->buf));
	return NULL;
}

TEST_F_TIMEOUT(memo, single_flight_across_threads, TIMEOUT_S)
{
	struct flight f[FLIGHTS];
	pthread_t tids[FLIGHTS];
	pthread_barrier_t start;
	int i;

	self->ctr->sleep_ms = COMPUTE_MS;
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, FLIGHTS));
	for (i = 0; i < FLIGHTS; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		f[i].c = self->c;
		f[i].ctr = self->ctr;
		f[i].start = &start;
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, flight_thread,
					    &f[i]));
	}
	for (i = 0; i < FLIGHTS; i++)
		ASSERT_EQ(0, pthread_join(tids[i], NULL));
	pthread_barrier_destroy(&start);

	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	for (i = 0; i < FLIGHTS; i++) {
		EXPECT_EQ(9, f[i].n);
		EXPECT_EQ(0, memcmp(f[i].buf, "v:threads", 9));
	}
}

TEST_F_TIMEOUT(memo, waiter_computes_itself_after_its_bound, TIMEOUT_S)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = KCACHE_TTL_NONE, .wait_ms = 300);
	uint64_t start, took, token;
	struct kcache *holder;
	char buf[64];

	/* A computation that never finishes. */
	holder = hold_lease(self->name, "held", 60000, &token);
	ASSERT_NE(NULL, holder);
	start = boot_ms();
	ASSERT_EQ(6, kcache_memo_opts(self->c, "held", 4, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	took = boot_ms() - start;
	ASSERT_EQ(0, memcmp(buf, "v:held", 6));
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_LE(300U, took);
	ASSERT_GT(10000U, took);
	/* It stored its value: the other's late fill no longer lands. */
	ASSERT_EQ(1, sexists(self->c, "held"));
	ASSERT_EQ(-ESTALE, kcache_set_leased(holder, "held", 4, "old", 3,
					     KCACHE_TTL_NONE, token));
	kcache_close(holder);
}

TEST_F_TIMEOUT(memo, a_timed_out_claim_lets_the_waiter_compute, TIMEOUT_S)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = KCACHE_TTL_NONE, .wait_ms = 30000);
	uint64_t start, took, token;
	struct kcache *holder;
	char buf[64];

	/* A hung computer: its lease (300 ms) runs out. */
	holder = hold_lease(self->name, "lease", 300, &token);
	ASSERT_NE(NULL, holder);
	start = boot_ms();
	ASSERT_EQ(7, kcache_memo_opts(self->c, "lease", 5, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	took = boot_ms() - start;
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_LE(300U, took);
	ASSERT_GT(20000U, took);	/* well before the wait bound */
	ASSERT_EQ(0U, leases_held(self->c));
	kcache_close(holder);
}

TEST_F_TIMEOUT(memo, a_dead_computer_releases_its_claim_at_once, TIMEOUT_S)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = KCACHE_TTL_NONE, .wait_ms = 30000,
			 .lease_ms = 60000);
	int ready[2], status;
	uint64_t start;
	char buf[64], c;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint64_t token;
		struct kcache *h = hold_lease(self->name, "dead", 60000,
					      &token);

		if (!h || write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	start = boot_ms();
	kill(pid, SIGKILL);
	ASSERT_EQ(6, kcache_memo_opts(self->c, "dead", 4, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	ASSERT_GT(20000U, boot_ms() - start);
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

/* The lock entry libkcache 1.3 to 1.8 (and Python's claim) plant for @key. */
static size_t old_lock_key(unsigned char *out, const char *key)
{
	size_t klen = strlen(key);

	memcpy(out, KCACHE_MEMO_LOCK_PREFIX, KCACHE_MEMO_LOCK_PREFIX_LEN);
	memcpy(out + KCACHE_MEMO_LOCK_PREFIX_LEN, key, klen);
	return KCACHE_MEMO_LOCK_PREFIX_LEN + klen;
}

TEST_F_TIMEOUT(memo, an_old_claim_is_waited_for_within_the_bound, TIMEOUT_S)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = KCACHE_TTL_NONE, .wait_ms = 300);
	unsigned char lk[64];
	size_t lklen = old_lock_key(lk, "old");
	uint64_t start, took;
	char buf[64];

	/* A 1.8 caller that never finishes: its lock entry stays. */
	ASSERT_EQ(0, kcache_add(self->c, lk, lklen, "x", 1, 60000));
	start = boot_ms();
	ASSERT_EQ(5, kcache_memo_opts(self->c, "old", 3, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	took = boot_ms() - start;
	ASSERT_EQ(0, memcmp(buf, "v:old", 5));
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_LE(300U, took);
	ASSERT_GT(10000U, took);
	/* Stored through its lease, the other caller's lock left alone. */
	ASSERT_EQ(1, sexists(self->c, "old"));
	ASSERT_EQ(1, kcache_exists(self->c, lk, lklen));
	ASSERT_EQ(0U, leases_held(self->c));
}

struct old_claimer {
	const char *name;
	bool store;		/* store the value before unlocking */
	int err;
};

/*
 * A 1.8 caller holding the lock entry of "old": once the memo caller
 * holds the key's lease (it polls the lock entry then), it stores its
 * value (if @store) and deletes its lock entry, in 1.8's order.
 */
static void *old_claimer(void *p)
{
	struct old_claimer *o = p;
	unsigned char lk[64];
	size_t lklen = old_lock_key(lk, "old");
	struct kcache *c;
	int i;

	o->err = kcache_open(o->name, NULL, &c);
	if (o->err)
		return NULL;
	for (i = 0; i < POLL_LIMIT_MS / 5 && leases_held(c) != 1; i++)
		sleep_ms(5);
	o->err = leases_held(c) == 1 ? 0 : -ETIMEDOUT;
	if (!o->err && o->store)
		o->err = kcache_set(c, "old", 3, "theirs", 6, KCACHE_TTL_NONE);
	if (!o->err)
		o->err = kcache_delete(c, lk, lklen);
	kcache_close(c);
	return NULL;
}

TEST_F_TIMEOUT(memo, an_old_claimer_s_value_is_read_not_computed, TIMEOUT_S)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = KCACHE_TTL_NONE, .wait_ms = 30000);
	struct old_claimer o = { .name = self->name, .store = true };
	unsigned char lk[64];
	size_t lklen = old_lock_key(lk, "old");
	char buf[64];
	pthread_t t;

	ASSERT_EQ(0, kcache_add(self->c, lk, lklen, "x", 1, 60000));
	ASSERT_EQ(0, pthread_create(&t, NULL, old_claimer, &o));
	ASSERT_EQ(6, kcache_memo_opts(self->c, "old", 3, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, o.err);
	ASSERT_EQ(0, memcmp(buf, "theirs", 6));
	ASSERT_EQ(0, atomic_load(&self->ctr->calls));
	/* The lease it held while it polled is given back. */
	ASSERT_EQ(0U, leases_held(self->c));
}

TEST_F_TIMEOUT(memo, an_old_claim_gone_without_a_value_lets_it_compute,
	       TIMEOUT_S)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = KCACHE_TTL_NONE, .wait_ms = 30000);
	struct old_claimer o = { .name = self->name, .store = false };
	unsigned char lk[64];
	size_t lklen = old_lock_key(lk, "old");
	uint64_t start;
	char buf[64];
	pthread_t t;

	ASSERT_EQ(0, kcache_add(self->c, lk, lklen, "x", 1, 60000));
	start = boot_ms();
	ASSERT_EQ(0, pthread_create(&t, NULL, old_claimer, &o));
	ASSERT_EQ(5, kcache_memo_opts(self->c, "old", 3, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, o.err);
	ASSERT_GT(20000U, boot_ms() - start);	/* well before the bound */
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_EQ(1, sexists(self->c, "old"));
	ASSERT_EQ(0U, leases_held(self->c));
}

TEST_F(memo, no_single_flight_computes_at_once)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = KCACHE_TTL_NONE,
			 .flags = KCACHE_MEMO_NO_SINGLE_FLIGHT);
	struct kcache *holder;
	uint64_t token;
	char buf[64];

	holder = hold_lease(self->name, "nosf", 60000, &token);
	ASSERT_NE(NULL, holder);
	ASSERT_EQ(6, kcache_memo_opts(self->c, "nosf", 4, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_EQ(1, sexists(self->c, "nosf"));
	kcache_close(holder);
}

/* A function that calls itself, memoized, with the same key once. */
struct nested {
	struct kcache *c;
	struct counter *ctr;
	int depth;
};

static ssize_t compute_nested(const void *key, size_t klen, void *buf,
			      size_t buflen, void *arg)
{
	struct nested *n = arg;

	if (n->depth++ == 0 &&
	    kcache_memo(n->c, key, klen, compute_nested, n, KCACHE_TTL_NONE,
			buf, buflen) < 0)
		return -EIO;
	return compute(key, klen, buf, buflen, n->ctr);
}

TEST_F_TIMEOUT(memo, a_nested_call_does_not_wait_for_itself, TIMEOUT_S)
{
	struct nested n = { .c = self->c, .ctr = self->ctr };
	uint64_t start = boot_ms();
	char buf[64];

	ASSERT_EQ(6, kcache_memo(self->c, "self", 4, compute_nested, &n,
				 KCACHE_TTL_NONE, buf, sizeof(buf)));
	/* Far below the 5 s a wait for its own claim would take. */
	ASSERT_GT(2500U, boot_ms() - start);
	ASSERT_EQ(2, n.depth);
	ASSERT_EQ(2, atomic_load(&self->ctr->calls));
	ASSERT_EQ(0U, leases_held(self->c));
	ASSERT_EQ(1, sexists(self->c, "self"));
}

TEST(a_claim_takes_no_slot_of_the_cache)
{
	KCACHE_OPTS(opts, .max_size = 2);
	struct kcache_memo_info info;
	struct counter ctr = { 0 };
	char name[LRUCACHE_NAME_MAX], buf[64];
	struct kcache *c;

	unique_name(name, "memo-slots");
	ASSERT_EQ(0, kcache_open(name, &opts, &c));
	/* As functools with maxsize=2: two results kept, not one. */
	ASSERT_EQ(3, kcache_memo(c, "a", 1, compute, &ctr, KCACHE_TTL_NONE,
				 buf, sizeof(buf)));
	ASSERT_EQ(3, kcache_memo(c, "b", 1, compute, &ctr, KCACHE_TTL_NONE,
				 buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_memo_info(c, &info));
	ASSERT_EQ(2U, info.currsize);
	ASSERT_EQ(3, kcache_memo(c, "a", 1, compute, &ctr, KCACHE_TTL_NONE,
				 buf, sizeof(buf)));
	ASSERT_EQ(3, kcache_memo(c, "b", 1, compute, &ctr, KCACHE_TTL_NONE,
				 buf, sizeof(buf)));
	ASSERT_EQ(2, atomic_load(&ctr.calls));
	kcache_close(c);
	kcache_destroy(name);
}

struct slow_flight {
	const char *name;
	struct counter *ctr;
	pthread_barrier_t *started;
	ssize_t n;
	char buf[64];
};

static void *slow_memo(void *p)
{
	struct slow_flight *f = p;
	struct kcache *c;

	if (kcache_open(f->name, NULL, &c)) {
		f->n = -1;
		return NULL;
	}
	if (f->started)
		pthread_barrier_wait(f->started);
	f->n = kcache_memo(c, "slow", 4, compute, f->ctr, KCACHE_TTL_NONE,
			   f->buf, sizeof(f->buf));
	kcache_close(c);
	return NULL;
}

TEST_F_TIMEOUT(memo, a_clear_or_evictions_do_not_lose_the_claim, TIMEOUT_S)
{
	struct slow_flight first = { .name = self->name, .ctr = self->ctr };
	struct slow_flight second = { .name = self->name, .ctr = self->ctr };
	pthread_t t1, t2;
	char key[16];
	int i;

	/*
	 * The first caller computes until released below, however slow the
	 * machine: it must not store its value in the middle of the churn,
	 * which would evict it (max_size 100) before the second one looks.
	 */
	atomic_store(&self->ctr->hold, 1);
	ASSERT_EQ(0, pthread_create(&t1, NULL, slow_memo, &first));
	while (leases_held(self->c) != 1)
		sleep_ms(5);
	/* While it computes: the cache is cleared and churned through. */
	ASSERT_EQ(0, kcache_clear(self->c));
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "fill%d", i);
		ASSERT_EQ(0, sset(self->c, key, "x"));
	}
	ASSERT_EQ(0, pthread_create(&t2, NULL, slow_memo, &second));
	/*
	 * Most often the second is waiting on the lease by then; if it has
	 * not looked yet it finds the value: one computation either way.
	 */
	sleep_ms(200);
	atomic_store(&self->ctr->hold, 0);
	ASSERT_EQ(0, pthread_join(t1, NULL));
	ASSERT_EQ(0, pthread_join(t2, NULL));
	/* The second caller waited for the first instead of computing. */
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_EQ(6, first.n);
	ASSERT_EQ(6, second.n);
	ASSERT_EQ(0, memcmp(second.buf, "v:slow", 6));
	/* The clear made the lease stale; the value is stored all the same. */
	ASSERT_EQ(1, sexists(self->c, "slow"));
}

TEST_F_TIMEOUT(memo, stale_values_are_served_while_one_refreshes, TIMEOUT_S)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = 60000, .refresh_ms = 59000);
	KCACHE_MEMO_OPTS(fresh, .ttl_ms = 60000);
	uint64_t ttl;
	char buf[64];

	/*
	 * Computed and stored, then overwritten with 30 s to live: within
	 * the 59 s window, so stale from the start.
	 */
	ASSERT_EQ(6, kcache_memo_opts(self->c, "swr1", 4, compute, self->ctr,
				      buf, sizeof(buf), &fresh));
	ASSERT_EQ(0, kcache_set(self->c, "swr1", 4, "v:OLD!", 6, 30000));
	/* The first reader refreshes it and returns the new value. */
	ASSERT_EQ(6, kcache_memo_opts(self->c, "swr1", 4, compute, self->ctr,
				      buf, sizeof(buf), &opts));
	ASSERT_EQ(0, memcmp(buf, "v:swr1", 6));
	ASSERT_EQ(2, atomic_load(&self->ctr->calls));
	ASSERT_EQ(0, kcache_ttl(self->c, "swr1", 4, &ttl));
	ASSERT_LT(59000U, ttl);
}

struct swr_reader {
	struct kcache *c;
	struct counter *ctr;
	pthread_barrier_t *start;
	ssize_t n;
	uint64_t took_ms;
	char buf[64];
};

static void *swr_read(void *p)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = 60000, .refresh_ms = 59000);
	struct swr_reader *r = p;
	uint64_t start;

	pthread_barrier_wait(r->start);
	start = boot_ms();
	r->n = kcache_memo_opts(r->c, "swr2", 4, compute, r->ctr, r->buf,
				sizeof(r->buf), &opts);
	r->took_ms = boot_ms() - start;
	return NULL;
}

TEST_F_TIMEOUT(memo, one_refreshes_while_the_others_read_the_stale_value,
	       TIMEOUT_S)
{
	struct swr_reader r[FLIGHTS];
	pthread_t t[FLIGHTS];
	pthread_barrier_t start;
	int i, fresh = 0;
	char out[256];

	/* 30 s to live: stale within the readers' 59 s window. */
	ASSERT_EQ(0, kcache_set(self->c, "swr2", 4, "v:OLD!", 6, 30000));
	self->ctr->sleep_ms = 1500;
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, FLIGHTS));
	for (i = 0; i < FLIGHTS; i++) {
		r[i] = (struct swr_reader){ .c = self->c, .ctr = self->ctr,
					    .start = &start };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, swr_read, &r[i]));
	}
	for (i = 0; i < FLIGHTS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		ASSERT_EQ(6, r[i].n);
		if (!memcmp(r[i].buf, "v:swr2", 6)) {
			fresh++;
			ASSERT_LE(1500U, r[i].took_ms);
		} else {
			/* Served at once, not after the refresh. */
			ASSERT_EQ(0, memcmp(r[i].buf, "v:OLD!", 6));
		}
	}
	pthread_barrier_destroy(&start);
	ASSERT_EQ(1, atomic_load(&self->ctr->calls));
	ASSERT_EQ(1, fresh);
	ASSERT_EQ(6, sget(self->c, "swr2", out));
	ASSERT_STREQ("v:swr2", out);
}

TEST_F(memo, info_and_clear)
{
	struct kcache_memo_info info;
	char buf[64];
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(4, kcache_memo(self->c, "i1", 2, compute, self->ctr,
					 KCACHE_TTL_NONE, buf, sizeof(buf)));
		ASSERT_EQ(4, kcache_memo(self->c, "i2", 2, compute, self->ctr,
					 KCACHE_TTL_NONE, buf, sizeof(buf)));
	}
	ASSERT_EQ(2, atomic_load(&self->ctr->calls));
	ASSERT_EQ(0, kcache_memo_info(self->c, &info));
	EXPECT_EQ(4U, info.hits);
	EXPECT_EQ(2U, info.misses);
	EXPECT_EQ(100U, info.maxsize);
	EXPECT_EQ(2U, info.currsize);

	ASSERT_EQ(0, kcache_memo_clear(self->c));
	ASSERT_EQ(0, kcache_memo_info(self->c, &info));
	EXPECT_EQ(0U, info.hits);
	EXPECT_EQ(0U, info.misses);
	EXPECT_EQ(100U, info.maxsize);
	EXPECT_EQ(0U, info.currsize);

	/* Forgotten: computed again. */
	ASSERT_EQ(4, kcache_memo(self->c, "i1", 2, compute, self->ctr,
				 KCACHE_TTL_NONE, buf, sizeof(buf)));
	ASSERT_EQ(3, atomic_load(&self->ctr->calls));
}

TEST_HARNESS_MAIN
