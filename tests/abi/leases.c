// SPDX-License-Identifier: GPL-2.0
/*
 * Leases through the raw ioctls: GET with LRUCACHE_GET_LEASE grants one
 * lease per missing key and tells the others (held, own); SET with
 * LRUCACHE_SET_LEASE stores only if no write, delete (of an absent key
 * too), clear or prefix delete came since; RELEASE and WAIT; a closed
 * file, a timeout and a destroy end leases; the per-file and per-cache
 * bounds; stale-while-revalidate; leases are not entries.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "abi.h"

struct lease_res {
	int ret;
	uint32_t status;
	uint64_t token;
	uint64_t version;
};

static struct lease_res lease_get(int fd, const char *key, uint64_t lease_ms,
				  uint64_t refresh_ms, char *buf,
				  uint32_t size)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key, .key_len = strlen(key),
		.value = (uintptr_t)buf, .value_len = buf ? size : 0,
		.flags = LRUCACHE_GET_LEASE, .ttl_ms = lease_ms,
		.refresh_ms = refresh_ms,
	};
	struct lease_res r;

	r.ret = xioctl(fd, LRUCACHE_IOC_GET, &kv);
	r.status = kv.status;
	r.token = kv.lease;
	r.version = kv.cas;
	return r;
}

static int fill(int fd, const char *key, const char *val, uint64_t token)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key, .key_len = strlen(key),
		.value = (uintptr_t)val, .value_len = strlen(val),
		.ttl_ms = LRUCACHE_TTL_NONE, .flags = LRUCACHE_SET_LEASE,
		.lease = token,
	};

	return xioctl(fd, LRUCACHE_IOC_SET, &kv);
}

static int release(int fd, const char *key, uint64_t token)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key, .key_len = strlen(key), .lease = token,
	};

	return xioctl(fd, LRUCACHE_IOC_LEASE_RELEASE, &kv);
}

static int lease_wait(int fd, const char *key, uint64_t timeout_ms)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key, .key_len = strlen(key),
		.ttl_ms = timeout_ms,
	};

	return xioctl(fd, LRUCACHE_IOC_LEASE_WAIT, &kv);
}

static uint64_t stat_leases(int fd)
{
	struct lrucache_stats st;

	return cache_stats(fd, &st) ? ~0ULL : st.leases;
}

FIXTURE(lease) {
	int fd, fd2;
	char name[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(lease)
{
	unique_name(self->name, "lease");
	self->fd = cache_create(self->name, 2, 0, 0);
	ASSERT_LE(0, self->fd);
	self->fd2 = cache_attach(self->name);
	ASSERT_LE(0, self->fd2);
}

FIXTURE_TEARDOWN(lease)
{
	close(self->fd);
	close(self->fd2);
	cache_destroy(self->name);
}

TEST_F(lease, a_miss_grants_one_lease_and_tells_the_others)
{
	struct lease_res a, b, c;
	char buf[16];

	a = lease_get(self->fd, "k", 10000, 0, buf, sizeof(buf));
	ASSERT_EQ(-ENOENT, a.ret);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	ASSERT_NE(0U, a.token);
	/* Another file: held. The same file and thread: its own. */
	b = lease_get(self->fd2, "k", 10000, 0, buf, sizeof(buf));
	ASSERT_EQ(-ENOENT, b.ret);
	ASSERT_EQ(LRUCACHE_STATUS_HELD, b.status);
	ASSERT_EQ(0U, b.token);
	c = lease_get(self->fd, "k", 10000, 0, buf, sizeof(buf));
	ASSERT_EQ(LRUCACHE_STATUS_OWN, c.status);
	ASSERT_EQ(0U, c.token);
	ASSERT_EQ(1U, stat_leases(self->fd));

	/* The holder fills; then everyone hits, no lease involved. */
	ASSERT_EQ(0, fill(self->fd, "k", "value", a.token));
	ASSERT_EQ(0U, stat_leases(self->fd));
	b = lease_get(self->fd2, "k", 10000, 0, buf, sizeof(buf));
	ASSERT_EQ(5, b.ret);
	ASSERT_EQ(LRUCACHE_STATUS_HIT, b.status);
	ASSERT_NE(0U, b.version);
	ASSERT_EQ(0, memcmp(buf, "value", 5));
}

TEST_F(lease, another_thread_of_the_same_file_is_held_off)
{
	struct lease_res a;
	pid_t pid;
	int status;

	a = lease_get(self->fd, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	/* A child shares the file but is another thread. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct lease_res b = lease_get(self->fd, "k", 10000, 0, NULL,
					       0);

		_exit(b.status == LRUCACHE_STATUS_HELD ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* Each way of writing the key, applied with the lease held. */
static int write_key(int fd, int how)
{
	struct lrucache_kv kv = { .key = (uintptr_t)"k", .key_len = 1 };
	char buf[16];

	switch (how) {
	case 0:		/* a plain set */
		return str_set(fd, "k", "other");
	case 1:		/* a delete of the absent key */
		return kv_delete(fd, "k", 1) == -ENOENT ? 0 : -1;
	case 2:		/* a counter */
		kv.delta = 1;
		kv.ttl_ms = LRUCACHE_TTL_NONE;
		return xioctl(fd, LRUCACHE_IOC_INCR, &kv);
	case 3:		/* a clear */
		return cache_clear(fd);
	case 4:		/* a prefix delete covering the key */
		return xioctl(fd, LRUCACHE_IOC_DELETE_PREFIX, &kv) >= 0 ? 0 : -1;
	case 5:		/* a get-and-delete, of the absent key */
		kv.value = (uintptr_t)buf;
		kv.value_len = sizeof(buf);
		return xioctl(fd, LRUCACHE_IOC_GETDEL, &kv) == -ENOENT ? 0 : -1;
	default:	/* a set only if absent */
		return kv_set(fd, "k", 1, "nx", 2, LRUCACHE_TTL_NONE,
			      LRUCACHE_SET_NX);
	}
}

TEST_F(lease, any_write_of_the_key_makes_the_fill_stale)
{
	struct lrucache_stats st;
	struct lease_res a, b;
	char out[256];
	int how;

	for (how = 0; how < 7; how++) {
		ASSERT_EQ(0, cache_clear(self->fd));
		a = lease_get(self->fd, "k", 10000, 0, NULL, 0);
		ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
		ASSERT_EQ(0, write_key(self->fd2, how)) {
			TH_LOG("write %d", how);
		}
		/* Still held: the others keep waiting for the holder. */
		b = lease_get(self->fd2, "k", 10000, 0, NULL, 0);
		if (b.ret == -ENOENT)
			ASSERT_EQ(LRUCACHE_STATUS_HELD, b.status);
		ASSERT_EQ(-ESTALE, fill(self->fd, "k", "stale", a.token)) {
			TH_LOG("write %d", how);
		}
		/* Nothing stored by the fill, and the lease ended. */
		if (str_get(self->fd, "k", out) >= 0)
			ASSERT_STRNE("stale", out);
		ASSERT_EQ(0U, stat_leases(self->fd));
	}
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(7U, st.stale_fills);
	ASSERT_EQ(7U, st.lease_grants);
}

TEST_F(lease, writes_of_other_keys_leave_the_lease_valid)
{
	struct lrucache_kv kv = { .key = (uintptr_t)"kk", .key_len = 2 };
	struct lease_res a;

	a = lease_get(self->fd, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	ASSERT_EQ(0, str_set(self->fd2, "k2", "x"));
	ASSERT_EQ(-ENOENT, kv_delete(self->fd2, "kk", 2));
	/* A prefix the key does not start with. */
	ASSERT_EQ(0, xioctl(self->fd2, LRUCACHE_IOC_DELETE_PREFIX, &kv));
	ASSERT_EQ(0, fill(self->fd, "k", "fresh", a.token));
}

TEST_F(lease, a_wrong_token_fails_and_leaves_the_lease)
{
	struct lease_res a;

	a = lease_get(self->fd, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	ASSERT_EQ(-ESTALE, fill(self->fd, "k", "x", a.token + 1));
	ASSERT_EQ(-ENOENT, release(self->fd, "k", a.token + 1));
	ASSERT_EQ(1U, stat_leases(self->fd));
	/* Any file may fill with the token. */
	ASSERT_EQ(0, fill(self->fd2, "k", "v", a.token));
}

TEST_F(lease, release_lets_the_next_caller_have_it)
{
	struct lease_res a, b;

	a = lease_get(self->fd, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(0, release(self->fd, "k", a.token));
	ASSERT_EQ(-ENOENT, release(self->fd, "k", a.token));
	ASSERT_EQ(-ESTALE, fill(self->fd, "k", "late", a.token));
	b = lease_get(self->fd2, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, b.status);
	ASSERT_NE(a.token, b.token);
}

TEST_F(lease, closing_the_file_ends_its_leases)
{
	struct lease_res a, b;
	int fd3 = cache_attach(self->name);

	ASSERT_LE(0, fd3);
	a = lease_get(fd3, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	close(fd3);
	ASSERT_EQ(0U, stat_leases(self->fd));
	b = lease_get(self->fd, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, b.status);
}

TEST_F(lease, a_killed_holder_does_not_block_the_waiter)
{
	struct lease_res b;
	uint64_t start;
	int ready[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = cache_attach(self->name);
		struct lease_res a = lease_get(fd, "k", 60000, 0, NULL, 0);

		if (a.status != LRUCACHE_STATUS_LEASE)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	b = lease_get(self->fd, "k", 60000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_HELD, b.status);
	start = boottime_ms();
	kill(pid, SIGKILL);
	ASSERT_EQ(0, lease_wait(self->fd, "k", 30000));
	ASSERT_GT(25000U, boottime_ms() - start);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	b = lease_get(self->fd, "k", 60000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, b.status);
}

TEST_F(lease, a_lease_times_out)
{
	struct lease_res a, b;
	uint64_t start = boottime_ms();

	a = lease_get(self->fd, "k", 200, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	/* The waiter wakes when the lease runs out, not at its timeout. */
	ASSERT_EQ(0, lease_wait(self->fd2, "k", 30000));
	ASSERT_LE(200U, boottime_ms() - start);
	ASSERT_GT(25000U, boottime_ms() - start);
	b = lease_get(self->fd2, "k", 10000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, b.status);
	ASSERT_EQ(-ESTALE, fill(self->fd, "k", "late", a.token));
	ASSERT_EQ(0, fill(self->fd2, "k", "v", b.token));
}

struct waiter {
	const char *name;
	int ret;
	struct lease_res after;
	char buf[16];
};

static void *wait_then_get(void *p)
{
	struct waiter *w = p;
	int fd = cache_attach(w->name);

	if (fd < 0) {
		w->ret = fd;
		return NULL;
	}
	w->ret = lease_wait(fd, "k", 30000);
	w->after = lease_get(fd, "k", 10000, 0, w->buf, sizeof(w->buf));
	close(fd);
	return NULL;
}

TEST_F(lease, waiters_sleep_until_the_fill)
{
	struct waiter w[3];
	struct lease_res a;
	pthread_t t[3];
	int i;

	a = lease_get(self->fd, "k", 30000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	for (i = 0; i < 3; i++) {
		w[i] = (struct waiter){ .name = self->name };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, wait_then_get, &w[i]));
	}
	sleep_ms(100);
	ASSERT_EQ(0, fill(self->fd, "k", "filled", a.token));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		ASSERT_EQ(0, w[i].ret);
		ASSERT_EQ(6, w[i].after.ret);
		ASSERT_EQ(0, memcmp(w[i].buf, "filled", 6));
	}
}

TEST_F(lease, wait_times_out_and_refuses_to_wait_for_oneself)
{
	struct lease_res a;
	uint64_t start;

	ASSERT_EQ(0, lease_wait(self->fd2, "k", 0));	/* nothing held */
	a = lease_get(self->fd, "k", 30000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	ASSERT_EQ(-EDEADLK, lease_wait(self->fd, "k", 100));
	ASSERT_EQ(-ETIMEDOUT, lease_wait(self->fd2, "k", 0));
	start = boottime_ms();
	ASSERT_EQ(-ETIMEDOUT, lease_wait(self->fd2, "k", 150));
	ASSERT_LE(150U, boottime_ms() - start);
	ASSERT_EQ(-EINVAL, lease_wait(self->fd2, "k",
				      LRUCACHE_LEASE_MAX_MS + 1));
}

TEST_F(lease, destroy_wakes_the_waiters)
{
	struct waiter w = { .name = self->name };
	struct lease_res a;
	pthread_t t;

	a = lease_get(self->fd, "k", 30000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_then_get, &w));
	sleep_ms(100);
	ASSERT_EQ(0, cache_destroy(self->name));
	ASSERT_EQ(0, pthread_join(t, NULL));
	/* Woken by the destroy (or it never slept): -EIDRM either way. */
	ASSERT_EQ(-EIDRM, w.ret);
	ASSERT_EQ(-EIDRM, fill(self->fd, "k", "v", a.token));
}

TEST_F(lease, leases_take_no_entry_and_outlive_clear_and_eviction)
{
	struct lrucache_stats st;
	struct lease_res a, b;
	char out[256];

	/* The cache holds two entries: both stay with a lease held. */
	a = lease_get(self->fd, "k", 30000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	ASSERT_EQ(0, str_set(self->fd, "x", "1"));
	ASSERT_EQ(0, str_set(self->fd, "y", "2"));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(2U, st.entries);
	ASSERT_EQ(0U, st.evictions);
	ASSERT_EQ(1U, st.leases);
	/* Evictions of entries leave it held and valid. */
	ASSERT_EQ(0, str_set(self->fd, "z", "3"));
	b = lease_get(self->fd2, "k", 30000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_HELD, b.status);
	/* A clear invalidates it, but it stays held until its holder ends. */
	ASSERT_EQ(0, cache_clear(self->fd2));
	b = lease_get(self->fd2, "k", 30000, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_HELD, b.status);
	ASSERT_EQ(-ESTALE, fill(self->fd, "k", "v", a.token));
	ASSERT_EQ(-ENOENT, str_get(self->fd, "k", out));
}

TEST_F(lease, stale_while_revalidate_gives_one_refresher)
{
	struct lease_res a, b, c;
	char buf[16];

	ASSERT_EQ(0, kv_set(self->fd, "hot", 3, "old", 3, 10000, 0));
	/* Far from expiry: a plain hit. */
	a = lease_get(self->fd, "hot", 10000, 1000, buf, sizeof(buf));
	ASSERT_EQ(3, a.ret);
	ASSERT_EQ(LRUCACHE_STATUS_HIT, a.status);
	/* Within 20 s of its expiry: stale, served, one lease. */
	a = lease_get(self->fd, "hot", 10000, 20000, buf, sizeof(buf));
	ASSERT_EQ(3, a.ret);
	ASSERT_EQ(LRUCACHE_STATUS_HIT | LRUCACHE_STATUS_STALE |
		  LRUCACHE_STATUS_LEASE, a.status);
	ASSERT_NE(0U, a.token);
	b = lease_get(self->fd2, "hot", 10000, 20000, buf, sizeof(buf));
	ASSERT_EQ(3, b.ret);
	ASSERT_EQ(LRUCACHE_STATUS_HIT | LRUCACHE_STATUS_STALE |
		  LRUCACHE_STATUS_HELD, b.status);
	ASSERT_EQ(0, memcmp(buf, "old", 3));
	/* The refresh replaces the stale value. */
	ASSERT_EQ(0, fill(self->fd, "hot", "new", a.token));
	c = lease_get(self->fd2, "hot", 10000, 20000, buf, sizeof(buf));
	ASSERT_EQ(3, c.ret);
	ASSERT_EQ(LRUCACHE_STATUS_HIT, c.status);	/* no TTL now */
	ASSERT_EQ(0, memcmp(buf, "new", 3));
}

TEST_F(lease, arguments_are_checked)
{
	struct lease_res a;
	struct lrucache_kv kv = {
		.key = (uintptr_t)"k", .key_len = 1, .ttl_ms = 100,
		.flags = LRUCACHE_GET_LEASE, .lease = 5,
	};

	a = lease_get(self->fd, "k", 0, 0, NULL, 0);
	ASSERT_EQ(-EINVAL, a.ret);
	a = lease_get(self->fd, "k", LRUCACHE_LEASE_MAX_MS + 1, 0, NULL, 0);
	ASSERT_EQ(-EINVAL, a.ret);
	a = lease_get(self->fd, "k", LRUCACHE_TTL_NONE, 0, NULL, 0);
	ASSERT_EQ(-EINVAL, a.ret);
	a = lease_get(self->fd, "k", 100, LRUCACHE_TTL_MAX_MS + 1, NULL, 0);
	ASSERT_EQ(-EINVAL, a.ret);
	/* A GET takes no token. */
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_GET, &kv));
	/* The default duration. */
	a = lease_get(self->fd, "k", LRUCACHE_TTL_DEFAULT, 0, NULL, 0);
	ASSERT_EQ(LRUCACHE_STATUS_LEASE, a.status);
	/* Leases and NX do not combine. */
	kv = (struct lrucache_kv){ .key = (uintptr_t)"k", .key_len = 1,
		.ttl_ms = LRUCACHE_TTL_NONE, .lease = a.token,
		.flags = LRUCACHE_SET_LEASE | LRUCACHE_SET_NX };
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_SET, &kv));
}

TEST(leases_are_bounded_per_file_and_per_cache)
{
	char name[LRUCACHE_NAME_MAX], key[32];
	uint64_t per_file = module_param("max_owner_leases", 256);
	uint64_t per_cache = module_param("max_leases", 1024);
	struct lease_res r;
	int fd, fd2, n, i;

	unique_name(name, "lease-bound");
	fd = cache_create(name, 10, 0, 0);
	ASSERT_LE(0, fd);
	for (i = 0; i < (int)per_file; i++) {
		snprintf(key, sizeof(key), "a%d", i);
		r = lease_get(fd, key, 30000, 0, NULL, 0);
		ASSERT_EQ(LRUCACHE_STATUS_LEASE, r.status);
	}
	/* One more for this file: a miss with no lease. */
	r = lease_get(fd, "one-more", 30000, 0, NULL, 0);
	ASSERT_EQ(-ENOENT, r.ret);
	ASSERT_EQ(0U, r.status);
	/* Other files fill the cache's bound. */
	for (n = (int)per_file, i = 0; n < (int)per_cache; i++) {
		int j;

		fd2 = cache_attach(name);
		ASSERT_LE(0, fd2);
		for (j = 0; j < (int)per_file && n < (int)per_cache; j++, n++) {
			snprintf(key, sizeof(key), "b%d-%d", i, j);
			r = lease_get(fd2, key, 30000, 0, NULL, 0);
			ASSERT_EQ(LRUCACHE_STATUS_LEASE, r.status);
		}
		/* Left open on purpose: closing would end its leases. */
	}
	fd2 = cache_attach(name);
	ASSERT_LE(0, fd2);
	r = lease_get(fd2, "over", 30000, 0, NULL, 0);
	ASSERT_EQ(-ENOENT, r.ret);
	ASSERT_EQ(0U, r.status);
	ASSERT_EQ(per_cache, stat_leases(fd));
	ASSERT_EQ(0, cache_destroy(name));
}

TEST_HARNESS_MAIN
