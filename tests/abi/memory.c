// SPDX-License-Identifier: GPL-2.0
/*
 * Memory limits through the raw ioctls: a cache's max_bytes (an entry alone
 * larger than it is -E2BIG and changes nothing; inserts and replaces evict
 * least recently used entries, never the key being set) and the module's
 * global max_total_bytes (a set first evicts its own cache's LRU entries;
 * if even emptying that cache could not make room it is -ENOSPC and
 * nothing changes).
 *
 * Expected outcomes come from a small model of one cache (LRU order and the
 * charge of each entry: what an allocation of entry_overhead + key +
 * value bytes takes, entry_charge() in abi.h) that evicts as little as
 * the limit requires. After every step the
 * tests compare the model with the kernel: the keys EXISTS reports, the
 * entry count, the exact byte count and the eviction count.
 *
 * The global limit tests lower /sys/module/lrucache/parameters/max_total_bytes
 * and put the old value back in the teardown, even after a failure; a
 * guard process restores it if the test is killed (timeout).
 */
#include "kselftest_harness.h"
#include "abi.h"

#include <sys/wait.h>

#define TOTAL_PARAM	PARAM_ROOT "/max_total_bytes"
#define GLOBAL_STATS	SYSFS_ROOT "/stats"
#define LIMIT		(256ULL << 10)
#define MODEL_MAX	1024

/* --- the model ----------------------------------------------------------- */

struct model {
	int n;				/* entries, index 0 least recent */
	char key[MODEL_MAX][16];
	uint64_t charge[MODEL_MAX];
	uint64_t bytes, evictions;
	/* Every key ever set, to check that the absent ones are absent. */
	int nseen;
	char seen[MODEL_MAX][16];
};

static int model_find(const struct model *m, const char *key)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->key[i], key))
			return i;
	return -1;
}

static void model_remove(struct model *m, int i)
{
	m->bytes -= m->charge[i];
	memmove(&m->key[i], &m->key[i + 1], sizeof(m->key[0]) * (m->n - i - 1));
	memmove(&m->charge[i], &m->charge[i + 1],
		sizeof(m->charge[0]) * (m->n - i - 1));
	m->n--;
}

/*
 * A SET of @key with an entry charge of @charge in a cache that may hold
 * @cap bytes: the entry being replaced does not count, the least recent
 * others are evicted until the new one fits. Returns 0, or -ENOSPC if it
 * cannot fit even alone (the model is then unchanged).
 */
static int model_set(struct model *m, const char *key, uint64_t charge,
		     uint64_t cap)
{
	int i = model_find(m, key), s;

	if (charge > cap)
		return -ENOSPC;
	if (i >= 0)
		model_remove(m, i);
	while (m->bytes + charge > cap) {
		model_remove(m, 0);
		m->evictions++;
	}
	snprintf(m->key[m->n], sizeof(m->key[0]), "%s", key);
	m->charge[m->n++] = charge;
	m->bytes += charge;
	for (s = 0; s < m->nseen; s++)
		if (!strcmp(m->seen[s], key))
			return 0;
	snprintf(m->seen[m->nseen++], sizeof(m->seen[0]), "%s", key);
	return 0;
}

static void model_delete(struct model *m, const char *key)
{
	int i = model_find(m, key);

	if (i >= 0)
		model_remove(m, i);
}

/*
 * Compare the cache on @fd with the model: entries, bytes, evictions since
 * @evictions0 and the presence of every key the model has seen. Returns 0,
 * or the first mismatch described in @why.
 */
static int model_check(const struct model *m, int fd, uint64_t evictions0,
		       char *why, size_t size)
{
	struct lrucache_stats st;
	int s, ret, err = cache_stats(fd, &st);

	if (err) {
		snprintf(why, size, "STATS: %d", err);
		return -1;
	}
	if (st.entries != (uint64_t)m->n || st.bytes != m->bytes ||
	    st.evictions - evictions0 != m->evictions) {
		snprintf(why, size,
			 "entries %llu bytes %llu evictions %llu, model %d %llu %llu",
			 (unsigned long long)st.entries,
			 (unsigned long long)st.bytes,
			 (unsigned long long)(st.evictions - evictions0), m->n,
			 (unsigned long long)m->bytes,
			 (unsigned long long)m->evictions);
		return -1;
	}
	for (s = 0; s < m->nseen; s++) {
		ret = str_exists(fd, m->seen[s]);
		if (ret != (model_find(m, m->seen[s]) >= 0)) {
			snprintf(why, size, "key %s: EXISTS %d, model %s",
				 m->seen[s], ret,
				 model_find(m, m->seen[s]) >= 0 ?
				 "present" : "absent");
			return -1;
		}
	}
	return 0;
}

#define ASSERT_MODEL(m, fd, ev0) do {					\
	char __why[160];						\
	ASSERT_EQ(0, model_check((m), (fd), (ev0), __why,		\
				 sizeof(__why))) {			\
		TH_LOG("%s", __why);					\
	}								\
} while (0)

/* A value of @len bytes of @c (static storage, up to 1 MiB). */
static const char *filler(size_t len, char c)
{
	static char buf[1 << 20];

	if (len > sizeof(buf))
		len = sizeof(buf);
	memset(buf, c, len);
	return buf;
}

static int set_len(int fd, const char *key, size_t vlen, char c)
{
	return kv_set(fd, key, strlen(key), filler(vlen, c), vlen,
		      LRUCACHE_TTL_NONE, 0);
}

/* GET @key and check that it holds @vlen bytes of @c: 0 if so. */
static int check_value(int fd, const char *key, size_t vlen, char c)
{
	static char buf[1 << 20];
	uint32_t len = sizeof(buf);
	int ret = kv_get(fd, key, strlen(key), buf, &len);

	if (ret < 0)
		return ret;
	if ((size_t)ret != vlen || bytes_not(buf, vlen, (unsigned char)c))
		return -EBADMSG;
	return 0;
}

/* --- the fixture ----------------------------------------------------------- */

FIXTURE(mem) {
	int fd, fd2;
	char name[LRUCACHE_NAME_MAX];
	char other[LRUCACHE_NAME_MAX];
	uint64_t overhead;
	uint64_t saved_total;	/* max_total_bytes before the test */
	bool total_changed;
	pid_t guard;		/* restores saved_total if we are killed */
	int guard_fd;		/* its pipe: a byte means "done, nothing to do" */
};

FIXTURE_SETUP(mem)
{
	self->fd = -1;
	self->fd2 = -1;
	self->guard = -1;
	self->guard_fd = -1;
	unique_name(self->name, "mem");
	unique_name(self->other, "mem-other");
	ASSERT_EQ(0, entry_overhead(&self->overhead));
}

/* Put max_total_bytes back: 0 or -errno. */
static int restore_total(FIXTURE_DATA(mem) *self)
{
	int err = 0, status;

	if (self->total_changed)
		err = write_u64_file(TOTAL_PARAM, self->saved_total);
	if (self->guard_fd >= 0) {
		if (write(self->guard_fd, "d", 1) != 1)
			err = err ?: -errno;
		close(self->guard_fd);
		self->guard_fd = -1;
	}
	if (self->guard > 0) {
		waitpid(self->guard, &status, 0);
		self->guard = -1;
	}
	if (!err)
		self->total_changed = false;
	return err;
}

FIXTURE_TEARDOWN(mem)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	cache_destroy(self->name);
	cache_destroy(self->other);
	if (restore_total(self))
		TH_LOG("could not restore " TOTAL_PARAM " to %llu",
		       (unsigned long long)self->saved_total);
}

/*
 * Save max_total_bytes and start the guard: a process outside the test's
 * process group (which the harness kills on a timeout) that waits for the
 * pipe and, if it closes without a byte, writes the saved value back.
 */
static int save_total(FIXTURE_DATA(mem) *self)
{
	int fds[2], err;
	char c;

	err = read_u64_file(TOTAL_PARAM, &self->saved_total);
	if (err)
		return err;
	if (pipe(fds))
		return -errno;
	self->guard = fork();
	if (self->guard < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (self->guard == 0) {
		setpgid(0, 0);
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			write_u64_file(TOTAL_PARAM, self->saved_total);
		_exit(0);
	}
	close(fds[0]);
	self->guard_fd = fds[1];
	return 0;
}

static int set_total(FIXTURE_DATA(mem) *self, uint64_t limit)
{
	uint64_t val;
	int err;

	self->total_changed = true;
	err = write_u64_file(TOTAL_PARAM, limit);
	if (err)
		return err;
	err = read_u64_file(TOTAL_PARAM, &val);
	if (err)
		return err;
	return val == limit ? 0 : -EIO;
}

static uint64_t global_bytes(void)
{
	uint64_t val = UINT64_MAX;

	flat_keyed(GLOBAL_STATS, "bytes", &val);
	return val;
}

/*
 * Lower max_total_bytes to LIMIT for this test; SKIP unless we may write
 * the parameter. Other caches must hold next to nothing (tests run one at
 * a time and destroy their caches).
 */
#define LOWER_TOTAL_LIMIT() do {					\
	uint64_t __g;							\
	if (access(TOTAL_PARAM, W_OK))					\
		SKIP(return, TOTAL_PARAM " is not writable (not root?)"); \
	__g = global_bytes();						\
	ASSERT_GT(LIMIT / 8, __g) {					\
		TH_LOG("other caches hold %llu bytes",			\
		       (unsigned long long)__g);			\
	}								\
	ASSERT_EQ(0, save_total(self));					\
	ASSERT_EQ(0, set_total(self, LIMIT));				\
	ASSERT_EQ(0, flat_keyed(GLOBAL_STATS, "max_total_bytes", &__g)); \
	ASSERT_EQ(LIMIT, __g);						\
} while (0)

#define CREATE(fdp, name, max_entries, max_bytes) do {			\
	*(fdp) = cache_create((name), (max_entries), (max_bytes), 0);	\
	ASSERT_LE(0, *(fdp)) {						\
		TH_LOG("cannot create %s: %s", (name), strerror(-*(fdp)));\
	}								\
} while (0)

/* --- a cache's max_bytes ------------------------------------------------- */

TEST_F(mem, entry_larger_than_max_bytes_is_e2big)
{
	const uint64_t max = 4096, ov = self->overhead;
	struct lrucache_stats st, st0;

	CREATE(&self->fd, self->name, 100, max);
	ASSERT_EQ(0, set_len(self->fd, "k", 9, 'o'));
	ASSERT_EQ(0, cache_stats(self->fd, &st0));

	/* Replace: one byte too many (ov + 1 + value == max + 1). */
	ASSERT_EQ(-E2BIG, set_len(self->fd, "k", max - ov, 'n'));
	ASSERT_EQ(0, check_value(self->fd, "k", 9, 'o'));
	/* A new key, likewise; and far too large. */
	ASSERT_EQ(-E2BIG, set_len(self->fd, "n", max - ov, 'n'));
	ASSERT_EQ(-E2BIG, set_len(self->fd, "n", 100000, 'n'));
	ASSERT_EQ(0, str_exists(self->fd, "n"));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(1U, st.entries);
	EXPECT_EQ(entry_charge(ov, 1, 9), st.bytes);
	EXPECT_EQ(st0.sets, st.sets);
	EXPECT_EQ(0U, st.evictions);

	/* Exactly max_bytes fits, alone: k goes. */
	ASSERT_EQ(0, set_len(self->fd, "j", max - ov - 1, 'j'));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(1U, st.entries);
	EXPECT_EQ(max, st.bytes);
	EXPECT_EQ(1U, st.evictions);
	ASSERT_EQ(0, str_exists(self->fd, "k"));
	ASSERT_EQ(0, check_value(self->fd, "j", max - ov - 1, 'j'));
	/* And j survives a failed replace too. */
	ASSERT_EQ(-E2BIG, set_len(self->fd, "j", max - ov, 'x'));
	ASSERT_EQ(0, check_value(self->fd, "j", max - ov - 1, 'j'));
}

/*
 * Ten entries nearly fill the cache; the least recent one is replaced by
 * a bigger value, which must evict the next least recent ones and keep
 * the key. Then a big new key, a shrinking replace and a growing replace
 * of the most recent key to the whole cache (2 KiB, a kmalloc size).
 */
TEST_F(mem, replace_with_bigger_value_evicts_lru_not_the_key)
{
	const uint64_t ov = self->overhead, c = entry_charge(ov, 3, 100);
	const uint64_t max = 2048;
	static struct model m;
	uint64_t extra;
	char key[16];
	int i;

	memset(&m, 0, sizeof(m));
	CREATE(&self->fd, self->name, 100, max);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		ASSERT_EQ(0, set_len(self->fd, key, 100, 'a' + i));
		ASSERT_EQ(0, model_set(&m, key, c, max));
	}
	ASSERT_MODEL(&m, self->fd, 0);

	ASSERT_GT(max, 10 * c);

	/* k00 is the least recent: 1.5 c more needs others evicted. */
	extra = c + c / 2;
	ASSERT_EQ(0, set_len(self->fd, "k00", 100 + extra, 'Z'));
	ASSERT_EQ(0, model_set(&m, "k00", entry_charge(ov, 3, 100 + extra),
			       max));
	ASSERT_LT(0U, m.evictions);
	ASSERT_MODEL(&m, self->fd, 0);
	ASSERT_EQ(0, check_value(self->fd, "k00", 100 + extra, 'Z'));
	/* The GET made k00 most recent, as the set had already. */

	/* A new key of 2.5 c. */
	ASSERT_EQ(0, set_len(self->fd, "big", 2 * c + c / 2 - ov - 3, 'B'));
	ASSERT_EQ(0, model_set(&m, "big",
			       entry_charge(ov, 3, 2 * c + c / 2 - ov - 3),
			       max));
	ASSERT_MODEL(&m, self->fd, 0);

	/* Shrinking evicts nothing. */
	ASSERT_EQ(0, set_len(self->fd, "big", 1, 'b'));
	ASSERT_EQ(0, model_set(&m, "big", entry_charge(ov, 3, 1), max));
	ASSERT_MODEL(&m, self->fd, 0);

	/* The most recent key grows to the whole cache: everyone else goes. */
	ASSERT_EQ(0, set_len(self->fd, "big", max - ov - 3, 'G'));
	ASSERT_EQ(0, model_set(&m, "big", max, max));
	ASSERT_MODEL(&m, self->fd, 0);
	ASSERT_EQ(1, m.n);
	ASSERT_EQ(0, check_value(self->fd, "big", max - ov - 3, 'G'));
}

TEST_F(mem, max_bytes_eviction_follows_lru_order)
{
	const uint64_t ov = self->overhead;
	static struct model m;
	uint64_t max = 0;
	char key[16], out[256];
	int i;

	/* Entries of different sizes, gets reordering them. */
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 20; i++)
		max += entry_charge(ov, 3, 10 * i + 1);
	max /= 2;
	CREATE(&self->fd, self->name, 1000, max);
	for (i = 0; i < 40; i++) {
		int k = (i * 7) % 20;

		snprintf(key, sizeof(key), "k%02d", k);
		if (i % 3 == 2 && model_find(&m, key) >= 0) {
			/* A GET moves it to the most recent end. */
			int at = model_find(&m, key);
			uint64_t ch = m.charge[at];

			ASSERT_LE(0, str_get(self->fd, key, out));
			model_remove(&m, at);
			snprintf(m.key[m.n], sizeof(m.key[0]), "%s", key);
			m.charge[m.n++] = ch;
			m.bytes += ch;
		} else {
			ASSERT_EQ(0, set_len(self->fd, key, 10 * k + 1, 'v'));
			ASSERT_EQ(0, model_set(&m, key,
					       entry_charge(ov, 3, 10 * k + 1),
					       max));
		}
		ASSERT_MODEL(&m, self->fd, 0);
	}
	ASSERT_LT(0U, m.evictions);
}

/* --- the global limit ---------------------------------------------------- */

/*
 * Fill cache A (fd) with entries of @vlen-byte values and keys "a00000"..
 * until the next one would cross the global limit: the number set.
 */
static int fill_to_limit(int fd, struct model *m, uint64_t ov, size_t vlen,
			 uint64_t limit)
{
	uint64_t c = entry_charge(ov, 6, vlen), g = global_bytes();
	char key[16];
	int i, err;

	for (i = 0; g + c <= limit && i < MODEL_MAX; i++) {
		snprintf(key, sizeof(key), "a%05d", i);
		err = set_len(fd, key, vlen, 'a');
		if (err)
			return err;
		model_set(m, key, c, UINT64_MAX);
		g += c;
	}
	return i;
}

TEST_F(mem, global_limit_enospc_in_a_cache_with_nothing_to_evict)
{
	const uint64_t ov = self->overhead, c = entry_charge(ov, 6, 1000);
	static struct model a;
	struct lrucache_stats sa, sb;
	uint64_t room, others;
	int n;

	LOWER_TOTAL_LIMIT();
	memset(&a, 0, sizeof(a));
	CREATE(&self->fd, self->name, 10000, 1 << 20);
	CREATE(&self->fd2, self->other, 10000, 0);
	others = global_bytes();

	n = fill_to_limit(self->fd, &a, ov, 1000, LIMIT);
	ASSERT_LT(10, n);
	ASSERT_MODEL(&a, self->fd, 0);
	room = LIMIT - global_bytes();
	ASSERT_GT(c, room);
	ASSERT_EQ(others + a.bytes, global_bytes());

	/* B is empty: a set that does not fit cannot evict anything. */
	ASSERT_EQ(-ENOSPC, set_len(self->fd2, "b0000",
				   room + 1 > ov + 5 ? room + 1 - ov - 5 : 1,
				   'b')) {
		TH_LOG("room %llu", (unsigned long long)room);
	}
	ASSERT_EQ(-ENOSPC, set_len(self->fd2, "b0001", 1000, 'b'));
	ASSERT_EQ(-ENOSPC, set_len(self->fd2, "b0002", LIMIT, 'b'));
	ASSERT_EQ(0, cache_stats(self->fd2, &sb));
	EXPECT_EQ(0U, sb.entries);
	EXPECT_EQ(0U, sb.bytes);
	EXPECT_EQ(0U, sb.sets);
	EXPECT_EQ(0U, sb.evictions);
	/* A lost nothing to B's attempts. */
	ASSERT_MODEL(&a, self->fd, 0);

	/* A new key in A: A evicts its own least recent entry. */
	ASSERT_EQ(0, set_len(self->fd, "a-new", 1000 + 1, 'n'));
	ASSERT_EQ(0, model_set(&a, "a-new", entry_charge(ov, 5, 1001),
			       LIMIT - others));
	ASSERT_EQ(1U, a.evictions);
	ASSERT_MODEL(&a, self->fd, 0);

	/* A replace growing by 2 c, of A's least recent key: it stays. */
	ASSERT_EQ(0, set_len(self->fd, "a00001", 1000 + 2 * c, 'r'));
	ASSERT_EQ(0, model_set(&a, "a00001", entry_charge(ov, 6, 1000 + 2 * c),
			       LIMIT - others));
	ASSERT_MODEL(&a, self->fd, 0);
	ASSERT_EQ(0, check_value(self->fd, "a00001", 1000 + 2 * c, 'r'));

	ASSERT_EQ(0, cache_stats(self->fd, &sa));
	ASSERT_EQ(0, cache_stats(self->fd2, &sb));
	EXPECT_GE(LIMIT, others + sa.bytes + sb.bytes);
	EXPECT_GE(LIMIT, global_bytes());
	/* A's own max_bytes (1 MiB) never bound: only the global limit did. */
	EXPECT_GT(1U << 20, sa.bytes);
}

TEST_F(mem, global_limit_evicts_the_inserting_caches_own_entries)
{
	const uint64_t ov = self->overhead;
	static struct model a, b;
	uint64_t room, others, cb, vb;
	int n;

	LOWER_TOTAL_LIMIT();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CREATE(&self->fd, self->name, 10000, 1 << 20);
	CREATE(&self->fd2, self->other, 10000, 0);
	others = global_bytes();
	n = fill_to_limit(self->fd, &a, ov, 1000, LIMIT);
	ASSERT_LT(10, n);

	/* Make room for one B entry of c and a bit. */
	ASSERT_EQ(0, kv_delete(self->fd, "a00005", 6));
	model_delete(&a, "a00005");
	ASSERT_EQ(0, kv_delete(self->fd, "a00006", 6));
	model_delete(&a, "a00006");
	ASSERT_EQ(0, set_len(self->fd2, "b0000", 1000 + 1, 'b'));
	ASSERT_EQ(0, model_set(&b, "b0000", entry_charge(ov, 5, 1001),
			       UINT64_MAX));
	ASSERT_MODEL(&b, self->fd2, 0);

	/*
	 * The largest B entry that fits with b0000 gone, too big for the
	 * room left beside it: b0000 goes.
	 */
	room = LIMIT - global_bytes();
	vb = value_within(ov, 5, room + b.bytes);
	cb = entry_charge(ov, 5, vb);
	ASSERT_LT(room, cb);
	ASSERT_EQ(0, set_len(self->fd2, "b0001", vb, 'c'));
	ASSERT_EQ(0, model_set(&b, "b0001", cb, LIMIT - others - a.bytes));
	ASSERT_EQ(1U, b.evictions);
	ASSERT_MODEL(&b, self->fd2, 0);
	ASSERT_MODEL(&a, self->fd, 0);

	/*
	 * b0001 alone in B: growing it beyond what emptying B could free is
	 * -ENOSPC and keeps the old value; growing it to the most that fits
	 * works.
	 */
	room = LIMIT - global_bytes();
	ASSERT_EQ(-ENOSPC, set_len(self->fd2, "b0001",
				   cb + room + 1 - ov - 5, 'x'));
	ASSERT_EQ(0, check_value(self->fd2, "b0001", vb, 'c'));
	ASSERT_MODEL(&b, self->fd2, 0);
	ASSERT_MODEL(&a, self->fd, 0);
	vb = value_within(ov, 5, cb + room);
	ASSERT_EQ(0, set_len(self->fd2, "b0001", vb, 'y'));
	ASSERT_EQ(0, model_set(&b, "b0001", entry_charge(ov, 5, vb),
			       LIMIT - others - a.bytes));
	ASSERT_MODEL(&b, self->fd2, 0);
	ASSERT_MODEL(&a, self->fd, 0);
	EXPECT_GE(LIMIT, global_bytes());
}

TEST_F(mem, lowering_the_limit_evicts_nothing_at_once)
{
	const uint64_t ov = self->overhead;
	static struct model a;
	uint64_t others;
	int n;

	LOWER_TOTAL_LIMIT();
	memset(&a, 0, sizeof(a));
	CREATE(&self->fd, self->name, 10000, 1 << 20);
	others = global_bytes();
	n = fill_to_limit(self->fd, &a, ov, 1000, LIMIT);
	ASSERT_LT(10, n);

	ASSERT_EQ(0, set_total(self, LIMIT / 2));
	ASSERT_MODEL(&a, self->fd, 0);
	sleep_ms(200);
	ASSERT_MODEL(&a, self->fd, 0);
	EXPECT_LT(LIMIT / 2, global_bytes());

	/* The next set brings A within the new limit, alone. */
	ASSERT_EQ(0, set_len(self->fd, "a-new", 1000 + 1, 'n'));
	ASSERT_EQ(0, model_set(&a, "a-new", entry_charge(ov, 5, 1001),
			       LIMIT / 2 - others));
	ASSERT_MODEL(&a, self->fd, 0);
	EXPECT_GE(LIMIT / 2, global_bytes());
	EXPECT_LE((uint64_t)n / 2 - 1, a.evictions);
}

TEST_HARNESS_MAIN
