// SPDX-License-Identifier: GPL-2.0
/*
 * Mapped caches through libkcache (KCACHE_OPEN_MAPPED, kcache_mapped(),
 * kcache_get() reading the mapping): that hits are read without a system
 * call, that the answers are the ioctl's (values, misses, expiry), that
 * mapped hits count in the metrics, and, with a writer and readers in
 * several processes at once, that no read is torn, stale after the write
 * returned, or of a deleted entry.
 *
 * The raw layout and the kernel's refusals are tests/abi/mapped.c's.
 */
#include "kselftest_harness.h"
#include "lib.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* How many of the @n bytes at @p are not @c. */
static size_t bytes_differ(const void *p, char c, size_t n)
{
	const char *b = p;
	size_t i, diff = 0;

	for (i = 0; i < n; i++)
		diff += b[i] != c;
	return diff;
}

static int open_cache(const char *name, uint32_t flags, uint64_t max_size,
		      struct kcache **c)
{
	KCACHE_OPTS(opts, .flags = flags | KCACHE_OPEN_EXCL,
		    .max_size = max_size);

	return kcache_open(name, &opts, c);
}

FIXTURE(mapped) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(mapped)
{
	unique_name(self->name, "map");
	ASSERT_EQ(0, open_cache(self->name, KCACHE_OPEN_MAPPED, 1000,
				&self->c));
}

FIXTURE_TEARDOWN(mapped)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F(mapped, a_mapped_cache_is_mapped_and_a_plain_one_is_not)
{
	struct kcache_info info;
	char plain[LRUCACHE_NAME_MAX];
	struct kcache *p, *again;

	ASSERT_EQ(1, kcache_mapped(self->c));
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_TRUE(!!(info.flags & KCACHE_INFO_MAPPED));

	/* Any handle on a mapped cache maps it, with or without the flag. */
	ASSERT_EQ(0, kcache_open(self->name, NULL, &again));
	EXPECT_EQ(1, kcache_mapped(again));
	kcache_close(again);

	unique_name(plain, "plain");
	ASSERT_EQ(0, open_cache(plain, 0, 1000, &p));
	EXPECT_EQ(0, kcache_mapped(p));
	ASSERT_EQ(0, kcache_get_info(p, &info));
	EXPECT_FALSE(!!(info.flags & KCACHE_INFO_MAPPED));
	kcache_close(p);
	kcache_destroy(plain);
	EXPECT_EQ(0, kcache_mapped(NULL));
}

/*
 * With every ioctl refused by a seccomp filter, a hit is still answered
 * (from the mapping) and a miss fails with the filter's errno (it went
 * to the kernel).
 */
/*
 * What a child with every ioctl refused by a seccomp filter gets: 0 if a
 * hit was answered (from the mapping), a too-small buffer got the length
 * and nothing copied, and a miss failed with the filter's errno (it went
 * to the kernel); 2 if the kernel has no seccomp filters; 1 otherwise.
 */
static int read_without_ioctls(struct kcache *c)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]), .filter = insns,
	};
	char buf[64];

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return 1;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return errno == EINVAL ? 2 : 1;
	if (kcache_get(c, "k", 1, buf, sizeof(buf)) != 5 ||
	    memcmp(buf, "value", 5))
		return 1;
	memset(buf, 'x', sizeof(buf));
	if (kcache_get(c, "k", 1, buf, 4) != 5 ||
	    bytes_differ(buf, 'x', sizeof(buf)))
		return 1;
	return kcache_get(c, "absent", 6, buf, sizeof(buf)) == -EPERM ? 0 : 1;
}

/* In a child, so that this process keeps its ioctls for the teardown. */
TEST_F(mapped, hits_are_read_without_a_system_call)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "value", 5,
				KCACHE_TTL_NONE));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(read_without_ioctls(self->c));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		SKIP(return, "this kernel has no seccomp filters");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(mapped, answers_are_the_ioctls_for_sets_replaces_and_deletes)
{
	char big[2000], buf[4096];
	ssize_t n;

	memset(big, 'b', sizeof(big));
	ASSERT_EQ(0, kcache_set(self->c, "a", 1, "1", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_set(self->c, "e", 1, "", 0, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_set(self->c, "big", 3, big, sizeof(big),
				KCACHE_TTL_NONE));
	EXPECT_EQ(1, kcache_get(self->c, "a", 1, buf, sizeof(buf)));
	EXPECT_EQ('1', buf[0]);
	EXPECT_EQ(0, kcache_get(self->c, "e", 1, buf, sizeof(buf)));
	n = kcache_get(self->c, "big", 3, buf, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(big), n);
	EXPECT_EQ(0, memcmp(buf, big, sizeof(big)));

	ASSERT_EQ(0, kcache_set(self->c, "a", 1, "22", 2, KCACHE_TTL_NONE));
	n = kcache_get(self->c, "a", 1, buf, sizeof(buf));
	ASSERT_EQ(2, n);
	EXPECT_EQ(0, memcmp(buf, "22", 2));

	ASSERT_EQ(0, kcache_delete(self->c, "a", 1));
	EXPECT_EQ(-ENOENT, kcache_get(self->c, "a", 1, buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_clear(self->c));
	EXPECT_EQ(-ENOENT, kcache_get(self->c, "big", 3, buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, kcache_get(self->c, "e", 1, buf, sizeof(buf)));
}

/* A value too large for any slot is stored unmapped and read by ioctl. */
TEST_F(mapped, a_value_larger_than_a_slot_is_read_through_the_kernel)
{
	static char big[10000], buf[10000];

	memset(big, 'z', sizeof(big));
	ASSERT_EQ(0, kcache_set(self->c, "huge", 4, big, sizeof(big),
				KCACHE_TTL_NONE));
	ASSERT_EQ((ssize_t)sizeof(big),
		  kcache_get(self->c, "huge", 4, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, big, sizeof(big)));
}

TEST_F(mapped, mapped_hits_count_in_the_metrics)
{
	struct kcache_metrics before, after;
	char buf[8];
	int i;

	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));
	for (i = 0; i < 25; i++)
		ASSERT_EQ(1, kcache_get(self->c, "k", 1, buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, kcache_get(self->c, "nope", 4, buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &after));
	EXPECT_EQ(before.hits + 25, after.hits);
	EXPECT_EQ(before.misses + 1, after.misses);
}

/*
 * An entry read after its expiry time is a miss, counted as an
 * expiration, as through the ioctl. The wait is a bounded poll of the
 * clock the kernel uses, from after the set returned.
 */
TEST_F(mapped, an_expired_entry_is_never_read_from_the_mapping)
{
	const uint64_t ttl_ms = 200;
	struct kcache_metrics m;
	uint64_t t0, t1;
	char buf[8];
	ssize_t n;

	t0 = now_ns();
	ASSERT_EQ(0, kcache_set(self->c, "t", 1, "v", 1, ttl_ms));
	n = kcache_get(self->c, "t", 1, buf, sizeof(buf));
	t1 = now_ns();
	/* Before its TTL ran out (unless the VM stalled that long). */
	if (t1 < t0 + ttl_ms * 1000000)
		EXPECT_EQ(1, n);
	while (now_ns() <= t1 + ttl_ms * 1000000)
		sleep_ms(10);
	EXPECT_EQ(-ENOENT, kcache_get(self->c, "t", 1, buf, sizeof(buf)));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(1U, m.expirations);
}

/* After destroy, a mapped handle gets -EIDRM as any other. */
TEST_F(mapped, a_destroyed_cache_is_not_read_from_the_mapping)
{
	char buf[8];

	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_destroy(self->name));
	EXPECT_EQ(-EIDRM, kcache_get(self->c, "k", 1, buf, sizeof(buf)));
}

/* A child after fork() reads through the mapping it inherited. */
TEST_F(mapped, a_child_reads_through_the_inherited_mapping)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, KCACHE_TTL_NONE));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char buf[8];

		_exit(kcache_mapped(self->c) == 1 &&
		      kcache_get(self->c, "k", 1, buf, sizeof(buf)) == 1 &&
		      buf[0] == 'v' ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * The model: one writer sets (values of 8 to 700 bytes, so several slot
 * classes; one in four with a TTL of 20 ms), replaces, deletes and clears
 * 32 keys in a cache of 24 (evictions), and after each call returns
 * publishes, per key, the write number it made and whether it deleted,
 * and for a write with a TTL the time by which it has surely expired. Readers in three processes look
 * keys up through their own mapped handles and check each hit: its bytes
 * are exactly those of one write of that key (not torn), and its write
 * number is at least the one published before the get started (not stale),
 * and above it if that was a delete or a clear; and the get did not start
 * after the write's entry had expired.
 */
#define MODEL_KEYS	32
#define MODEL_READERS	3
#define MODEL_WRITES	6000
/* The writer stops early past this (a debug kernel under TCG is slow). */
#define MODEL_BUDGET_NS	(60ULL * 1000000000)
#define MODEL_TIMEOUT_S	300

/* Writes with a TTL: one in MODEL_TTL_EVERY, of MODEL_TTL_MS. */
#define MODEL_TTL_EVERY	4
#define MODEL_TTL_MS	20
#define MODEL_DEADLINES	64

struct model {
	_Atomic uint64_t committed[MODEL_KEYS];	/* write << 1 | deleted */
	/*
	 * For a write with a TTL: the write number, and CLOCK_BOOTTIME when
	 * the set returned plus the TTL, by which the entry has expired.
	 */
	struct {
		_Atomic uint64_t write;
		_Atomic uint64_t by;
	} deadline[MODEL_KEYS][MODEL_DEADLINES];
	_Atomic int done;
	_Atomic uint64_t bad;
	_Atomic uint64_t hits;
	_Atomic uint64_t gets;
	_Atomic uint64_t expired_checks;
	char why[256];
};

static size_t model_len(unsigned int k, uint64_t w)
{
	return 8 + (k * 131 + w * 37) % 693;
}

/* Write @w of key @k: "k,w," then bytes that depend on both. */
static size_t model_value(char *buf, unsigned int k, uint64_t w)
{
	size_t len = model_len(k, w), i;
	int head = snprintf(buf, 32, "%u,%llu,", k, (unsigned long long)w);

	for (i = head; i < len; i++)
		buf[i] = (char)('a' + (k + w + i) % 26);
	return len;
}

static void model_fail(struct model *m, const char *why)
{
	if (atomic_fetch_add(&m->bad, 1) == 0)
		snprintf(m->why, sizeof(m->why), "%s", why);
}

static void model_read(struct model *m, const char *name, unsigned int seed)
{
	char buf[1025], want[1024], key[8], why[200];
	uint64_t c, rng = seed, start, by;
	unsigned int k, got_k;
	unsigned long long w;
	struct kcache *c_h;
	ssize_t n;

	if (kcache_open(name, NULL, &c_h) || kcache_mapped(c_h) != 1) {
		model_fail(m, "reader: open or not mapped");
		return;
	}
	while (!atomic_load(&m->done)) {
		k = splitmix64(&rng) % MODEL_KEYS;
		snprintf(key, sizeof(key), "k%u", k);
		c = atomic_load_explicit(&m->committed[k], memory_order_acquire);
		start = now_ns();
		n = kcache_get(c_h, key, strlen(key), buf, sizeof(buf) - 1);
		atomic_fetch_add(&m->gets, 1);
		if (n == -ENOENT)
			continue;
		if (n < 0 || n >= (ssize_t)sizeof(buf)) {
			model_fail(m, "reader: get failed");
			continue;
		}
		buf[n] = '\0';
		atomic_fetch_add(&m->hits, 1);
		if (sscanf(buf, "%u,%llu,", &got_k, &w) != 2 || got_k != k ||
		    (size_t)n != model_len(k, w) ||
		    model_value(want, k, w) != (size_t)n ||
		    memcmp(buf, want, n)) {
			snprintf(why, sizeof(why), "torn or foreign value for %s",
				 key);
			model_fail(m, why);
			continue;
		}
		/* Expired when the get started: it must have missed. */
		if (atomic_load(&m->deadline[k][w % MODEL_DEADLINES].write) ==
		    w) {
			by = atomic_load(&m->deadline[k][w % MODEL_DEADLINES].by);
			if (by)
				atomic_fetch_add(&m->expired_checks, 1);
			if (by && start >= by &&
			    atomic_load(&m->deadline[k][w % MODEL_DEADLINES].write)
			    == w) {
				snprintf(why, sizeof(why),
					 "%s: write %llu read after its expiry",
					 key, w);
				model_fail(m, why);
				continue;
			}
		}
		if (w < (c >> 1) || ((c & 1) && w == (c >> 1))) {
			snprintf(why, sizeof(why),
				 "%s: read write %llu after write %llu%s returned",
				 key, w, (unsigned long long)(c >> 1),
				 c & 1 ? " (a delete)" : "");
			model_fail(m, why);
		}
	}
	kcache_close(c_h);
}

FIXTURE(model) {
	int unused;
};

FIXTURE_SETUP(model)
{
}

FIXTURE_TEARDOWN(model)
{
}

TEST_F_TIMEOUT(model, no_mapped_read_is_torn_stale_or_of_a_deleted_entry,
	       MODEL_TIMEOUT_S)
{
	char name[LRUCACHE_NAME_MAX], buf[1024], key[8];
	uint64_t writes[MODEL_KEYS] = { 0 }, rng = 42, r, end;
	pid_t readers[MODEL_READERS];
	struct kcache *c;
	struct model *m;
	unsigned int i, k, done;
	int status;
	size_t len;

	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0, sizeof(*m));
	unique_name(name, "model");
	ASSERT_EQ(0, open_cache(name, KCACHE_OPEN_MAPPED, 24, &c));

	for (i = 0; i < MODEL_READERS; i++) {
		readers[i] = fork();
		ASSERT_GE(readers[i], 0);
		if (!readers[i]) {
			model_read(m, name, i + 1);
			_exit(0);
		}
	}
	end = now_ns() + MODEL_BUDGET_NS;
	for (i = 0; i < MODEL_WRITES && !atomic_load(&m->bad) &&
	     (i % 64 || now_ns() < end); i++) {
		r = splitmix64(&rng);
		k = r % MODEL_KEYS;
		snprintf(key, sizeof(key), "k%u", k);
		if ((r >> 32) % 500 == 0) {
			ASSERT_EQ(0, kcache_clear(c));
			for (k = 0; k < MODEL_KEYS; k++)
				atomic_store_explicit(&m->committed[k],
						      writes[k] << 1 | 1,
						      memory_order_release);
		} else if ((r >> 32) % 10 == 0) {
			int ret = kcache_delete(c, key, strlen(key));

			ASSERT_TRUE(ret == 0 || ret == -ENOENT);
			atomic_store_explicit(&m->committed[k],
					      writes[k] << 1 | 1,
					      memory_order_release);
		} else {
			bool ttl = (r >> 16) % MODEL_TTL_EVERY == 0;
			unsigned int d;

			len = model_value(buf, k, ++writes[k]);
			d = writes[k] % MODEL_DEADLINES;
			/* Not a deadline of this write until it is known. */
			atomic_store(&m->deadline[k][d].by, 0);
			atomic_store(&m->deadline[k][d].write, writes[k]);
			ASSERT_EQ(0, kcache_set(c, key, strlen(key), buf, len,
						ttl ? MODEL_TTL_MS :
						KCACHE_TTL_NONE));
			if (ttl)
				atomic_store(&m->deadline[k][d].by, now_ns() +
					     MODEL_TTL_MS * 1000000ULL);
			atomic_store_explicit(&m->committed[k], writes[k] << 1,
					      memory_order_release);
		}
	}
	done = i;
	atomic_store(&m->done, 1);
	for (i = 0; i < MODEL_READERS; i++) {
		ASSERT_EQ(readers[i], waitpid(readers[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	TH_LOG("%u writes, %llu gets, %llu hits (%llu with a TTL), %llu bad",
	       done, (unsigned long long)atomic_load(&m->gets),
	       (unsigned long long)atomic_load(&m->hits),
	       (unsigned long long)atomic_load(&m->expired_checks),
	       (unsigned long long)atomic_load(&m->bad));
	EXPECT_EQ(0U, atomic_load(&m->bad)) {
		TH_LOG("first: %s", m->why);
	}
	/* The readers did read, and found entries. */
	EXPECT_GT(atomic_load(&m->hits), 0U);
	kcache_close(c);
	kcache_destroy(name);
	munmap(m, sizeof(*m));
}

TEST_HARNESS_MAIN
