// SPDX-License-Identifier: GPL-2.0
/*
 * LRUCACHE_IOC_BATCH: operations run in order, one by one, each with the
 * result the single ioctl would have returned; a bad operation fails alone.
 * The batch itself is checked as a whole before anything runs: its header
 * (-E2BIG, -EINVAL, -EFAULT), and that every operation can be read and
 * its result written back (-EFAULT, nothing run).
 */
#include "kselftest_harness.h"
#include "abi.h"

FIXTURE(batch) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(batch)
{
	self->fd = -1;
	unique_name(self->name, "batch");
	self->fd = cache_create(self->name, 2000, 0, 0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(batch)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

static struct lrucache_op op_set(const char *key, const char *val,
				 uint32_t flags)
{
	return (struct lrucache_op){
		.opcode = LRUCACHE_OP_SET,
		.key = (uintptr_t)key, .key_len = strlen(key),
		.value = (uintptr_t)val, .value_len = strlen(val),
		.ttl_ms = LRUCACHE_TTL_NONE, .flags = flags,
	};
}

static struct lrucache_op op_get(const char *key, void *buf, uint32_t len)
{
	return (struct lrucache_op){
		.opcode = LRUCACHE_OP_GET,
		.key = (uintptr_t)key, .key_len = strlen(key),
		.value = (uintptr_t)buf, .value_len = len,
	};
}

static struct lrucache_op op_key(uint32_t opcode, const char *key)
{
	return (struct lrucache_op){
		.opcode = opcode,
		.key = (uintptr_t)key, .key_len = strlen(key),
	};
}

static int batch_raw(int fd, uint64_t ops, uint32_t count, uint32_t op_size,
		     uint32_t flags, uint32_t reserved)
{
	struct lrucache_batch b = {
		.ops = ops, .count = count, .op_size = op_size,
		.flags = flags, .reserved = reserved,
	};

	return xioctl(fd, LRUCACHE_IOC_BATCH, &b);
}

#define NOPS(a)	((uint32_t)(sizeof(a) / sizeof((a)[0])))

TEST_F(batch, ops_run_in_order_with_single_op_results)
{
	char b1[16], b2[16], b3[16];
	struct lrucache_op ops[] = {
		op_set("a", "1", 0),			/* 0 */
		op_set("b", "22", 0),			/* 0 */
		op_get("a", b1, sizeof(b1)),		/* 1 */
		op_get("c", b2, sizeof(b2)),		/* -ENOENT */
		op_key(LRUCACHE_OP_EXISTS, "b"),	/* 1 */
		op_key(LRUCACHE_OP_DELETE, "a"),	/* 0 */
		op_key(LRUCACHE_OP_EXISTS, "a"),	/* 0 */
		op_get("a", b2, sizeof(b2)),		/* -ENOENT */
		op_set("a", "333", 0),			/* 0 */
		op_get("a", b3, sizeof(b3)),		/* 3 */
		op_key(LRUCACHE_OP_DELETE, "zz"),	/* -ENOENT */
	};
	static const int expect[] = {
		0, 0, 1, -ENOENT, 1, 0, 0, -ENOENT, 0, 3, -ENOENT,
	};
	unsigned int i;

	for (i = 0; i < NOPS(ops); i++)
		ops[i].result = 12345;
	memset(b2, 0x5a, sizeof(b2));
	ASSERT_EQ((int)NOPS(ops), batch_run(self->fd, ops, NOPS(ops)));
	for (i = 0; i < NOPS(ops); i++) {
		EXPECT_EQ(expect[i], ops[i].result) {
			TH_LOG("op %u", i);
		}
	}
	ASSERT_EQ(1U, ops[2].value_len);
	ASSERT_EQ('1', b1[0]);
	ASSERT_EQ(3U, ops[9].value_len);
	ASSERT_EQ(0, memcmp(b3, "333", 3));
	/* The misses wrote nothing into their buffer. */
	ASSERT_EQ(0U, bytes_not(b2, sizeof(b2), 0x5a));
	/* The cache holds what the single ops would have left. */
	ASSERT_EQ(1, str_exists(self->fd, "a"));
	ASSERT_EQ(1, str_exists(self->fd, "b"));
	ASSERT_EQ(0, str_exists(self->fd, "c"));
}

TEST_F(batch, duplicate_keys_see_earlier_ops)
{
	char buf[16];
	struct lrucache_op ops[] = {
		op_set("k", "one", 0),
		op_set("k", "two", 0),
		op_get("k", buf, sizeof(buf)),
		op_set("k", "three", LRUCACHE_SET_NX),
		op_set("new", "x", LRUCACHE_SET_XX),
		op_set("k", "four", LRUCACHE_SET_XX),
	};
	char out[256];

	ASSERT_EQ((int)NOPS(ops), batch_run(self->fd, ops, NOPS(ops)));
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(0, ops[1].result);
	ASSERT_EQ(3, ops[2].result);
	ASSERT_EQ(0, memcmp(buf, "two", 3));
	ASSERT_EQ(-EEXIST, ops[3].result);
	ASSERT_EQ(-ENOENT, ops[4].result);
	ASSERT_EQ(0, ops[5].result);
	ASSERT_EQ(4, str_get(self->fd, "k", out));
	ASSERT_STREQ("four", out);
	ASSERT_EQ(0, str_exists(self->fd, "new"));
}

TEST_F(batch, counters_match_single_ops)
{
	char buf[16];
	struct lrucache_op ops[] = {
		op_set("a", "1", 0),			/* sets 1 */
		op_set("b", "2", 0),			/* sets 2 */
		op_get("a", buf, sizeof(buf)),		/* hits 1 */
		op_get("a", NULL, 0),			/* hits 2 (probe) */
		op_get("x", buf, sizeof(buf)),		/* misses 1 */
		op_key(LRUCACHE_OP_EXISTS, "b"),	/* nothing */
		op_key(LRUCACHE_OP_DELETE, "b"),	/* deletes 1 */
		op_key(LRUCACHE_OP_DELETE, "b"),	/* nothing */
	};
	struct lrucache_stats st;

	ASSERT_EQ((int)NOPS(ops), batch_run(self->fd, ops, NOPS(ops)));
	ASSERT_EQ(1, ops[3].result);
	ASSERT_EQ(1U, ops[3].value_len);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(2U, st.sets);
	EXPECT_EQ(2U, st.hits);
	EXPECT_EQ(1U, st.misses);
	EXPECT_EQ(1U, st.deletes);
	EXPECT_EQ(1U, st.entries);
	EXPECT_EQ(entry_charge(st.entry_overhead, 1, 1), st.bytes);
}

TEST_F(batch, get_into_short_buffer_copies_nothing)
{
	char buf[8];
	struct lrucache_op ops[] = {
		op_set("k", "0123456789", 0),
		op_get("k", buf, 4),
	};

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(2, batch_run(self->fd, ops, 2));
	ASSERT_EQ(10, ops[1].result);
	ASSERT_EQ(10U, ops[1].value_len);
	ASSERT_EQ(0U, bytes_not(buf, sizeof(buf), 0xa5));
}

TEST_F(batch, get_makes_entry_most_recent)
{
	struct lrucache_op ops[] = {
		op_get("a", NULL, 0),
		op_set("d", "4", 0),
	};
	int fd;

	/* A small cache of its own: max_entries 3. */
	cache_destroy(self->name);
	close(self->fd);
	self->fd = fd = cache_create(self->name, 3, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, str_set(fd, "a", "1"));
	ASSERT_EQ(0, str_set(fd, "b", "2"));
	ASSERT_EQ(0, str_set(fd, "c", "3"));
	ASSERT_EQ(2, batch_run(fd, ops, 2));
	ASSERT_EQ(1, ops[0].result);
	ASSERT_EQ(1, str_exists(fd, "a"));
	ASSERT_EQ(0, str_exists(fd, "b"));
	ASSERT_EQ(1, str_exists(fd, "c"));
	ASSERT_EQ(1, str_exists(fd, "d"));
}

TEST_F(batch, bad_op_fails_alone)
{
	struct lrucache_op ops[] = {
		op_set("a", "1", 0),
		op_set("b", "2", 0),			/* ttl 0 below */
		op_set("c", "3", 0),			/* opcode 99 below */
		op_set("d", "4", 0),			/* opcode 0 below */
		op_set("e", "5", 0),			/* reserved below */
		op_key(LRUCACHE_OP_GET, "f"),		/* bad key below */
		op_set("g", "6", LRUCACHE_SET_NX | LRUCACHE_SET_XX),
		op_key(LRUCACHE_OP_EXISTS, "a"),
		op_set("h", "7", 0),
	};
	static const int expect[] = {
		0, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EFAULT, -EINVAL, 1, 0,
	};
	unsigned int i;

	ops[1].ttl_ms = 0;
	ops[2].opcode = 99;
	ops[3].opcode = 0;
	ops[4].reserved = 1;
	ops[5].key = 1;
	ASSERT_EQ((int)NOPS(ops), batch_run(self->fd, ops, NOPS(ops)));
	for (i = 0; i < NOPS(ops); i++) {
		EXPECT_EQ(expect[i], ops[i].result) {
			TH_LOG("op %u", i);
		}
	}
	ASSERT_EQ(1, str_exists(self->fd, "a"));
	ASSERT_EQ(0, str_exists(self->fd, "b"));
	ASSERT_EQ(0, str_exists(self->fd, "c"));
	ASSERT_EQ(0, str_exists(self->fd, "d"));
	ASSERT_EQ(0, str_exists(self->fd, "e"));
	ASSERT_EQ(0, str_exists(self->fd, "g"));
	ASSERT_EQ(1, str_exists(self->fd, "h"));
}

TEST_F(batch, empty_batch_returns_zero)
{
	struct lrucache_op op = op_set("k", "v", 0);

	ASSERT_EQ(0, batch_run(self->fd, &op, 0));
	ASSERT_EQ(0, batch_raw(self->fd, 0, 0, sizeof(op), 0, 0));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
}

TEST_F(batch, largest_batch_runs_every_op)
{
	struct lrucache_op *ops = calloc(LRUCACHE_BATCH_MAX, sizeof(*ops));
	uint32_t *keys = calloc(LRUCACHE_BATCH_MAX, sizeof(*keys));
	struct lrucache_stats st;
	uint32_t i;

	ASSERT_NE(NULL, ops);
	ASSERT_NE(NULL, keys);
	for (i = 0; i < LRUCACHE_BATCH_MAX; i++) {
		keys[i] = i;
		ops[i] = (struct lrucache_op){
			.opcode = LRUCACHE_OP_SET,
			.key = (uintptr_t)&keys[i], .key_len = sizeof(keys[i]),
			.value = (uintptr_t)&keys[i],
			.value_len = sizeof(keys[i]),
			.ttl_ms = LRUCACHE_TTL_NONE,
			.result = 1,
		};
	}
	ASSERT_EQ(LRUCACHE_BATCH_MAX, batch_run(self->fd, ops,
						LRUCACHE_BATCH_MAX));
	for (i = 0; i < LRUCACHE_BATCH_MAX; i++) {
		ASSERT_EQ(0, ops[i].result);
	}
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ((uint64_t)LRUCACHE_BATCH_MAX, st.entries);
	ASSERT_EQ((uint64_t)LRUCACHE_BATCH_MAX, st.sets);
	free(ops);
	free(keys);
}

TEST_F(batch, count_above_max_is_e2big_and_runs_nothing)
{
	struct lrucache_op *ops = calloc(LRUCACHE_BATCH_MAX + 1, sizeof(*ops));
	struct lrucache_stats st;
	uint32_t i;

	ASSERT_NE(NULL, ops);
	for (i = 0; i <= LRUCACHE_BATCH_MAX; i++)
		ops[i] = op_set("k", "v", 0);
	ASSERT_EQ(-E2BIG, batch_run(self->fd, ops, LRUCACHE_BATCH_MAX + 1));
	ASSERT_EQ(-E2BIG, batch_run(self->fd, ops, UINT32_MAX));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.sets);
	free(ops);
}

TEST_F(batch, op_size_smaller_than_version_0_is_einval)
{
	struct lrucache_op op = op_set("k", "v", 0);
	uint64_t p = (uintptr_t)&op;

	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, LRUCACHE_OP_SIZE_VER0 - 1,
				     0, 0));
	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, LRUCACHE_OP_SIZE_VER0 - 8,
				     0, 0));
	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, 0, 0, 0));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
}

TEST_F(batch, op_size_over_a_page_is_e2big_and_runs_nothing)
{
	/* A zeroed 8 KiB op: a valid SET followed by a zero tail. */
	static union { struct lrucache_op op; char bytes[8192]; } big;
	uint64_t p = (uintptr_t)&big;

	big.op = op_set("k", "v", 0);
	ASSERT_EQ(-E2BIG, batch_raw(self->fd, p, 1, sizeof(big), 0, 0));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
	/* The same op with a one-page stride is accepted (zero tail). */
	ASSERT_EQ(1, batch_raw(self->fd, p, 1, 4096, 0, 0));
	ASSERT_EQ(0, big.op.result);
	ASSERT_EQ(1, str_exists(self->fd, "k"));
}

TEST_F(batch, nonzero_flags_or_reserved_is_einval)
{
	struct lrucache_op op = op_set("k", "v", 0);
	uint64_t p = (uintptr_t)&op;

	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, sizeof(op), 1, 0));
	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, sizeof(op), 1U << 31, 0));
	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, sizeof(op), 0, 1));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
}

TEST_F(batch, unreadable_ops_array_is_efault)
{
	void *none = fault_page();

	ASSERT_NE(NULL, none);
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, 1, 1,
				     sizeof(struct lrucache_op), 0, 0));
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)none, 4,
				     sizeof(struct lrucache_op), 0, 0));
}

/*
 * A batch checks, before its first operation runs, that it can read every
 * operation and write back every result (and value_len of each GET): if
 * not, it fails with -EFAULT and has run nothing, whichever operation it
 * is that cannot be read or written. Each case below is a batch of sets
 * (and gets) of fresh keys, of which none may appear.
 */

/* Fills @n set operations of keys "<tag><i>" at @ops; @keys holds them. */
static void fill_sets(struct lrucache_op *ops, unsigned int n,
		      char keys[][32], const char *tag)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		snprintf(keys[i], 32, "%s%u", tag, i);
		ops[i] = op_set(keys[i], "v", 0);
		ops[i].result = 1;
	}
}

/* None of the @n keys is in the cache, and nothing was counted. */
#define ASSERT_NONE_RAN(keys, n) do {					\
	struct lrucache_stats __st;					\
	unsigned int __i;						\
	for (__i = 0; __i < (n); __i++)					\
		EXPECT_EQ(0, str_exists(self->fd, (keys)[__i])) {	\
			TH_LOG("%s was stored", (keys)[__i]);		\
		}							\
	ASSERT_EQ(0, cache_stats(self->fd, &__st));			\
	EXPECT_EQ(0U, __st.sets);					\
	EXPECT_EQ(0U, __st.entries);					\
	EXPECT_EQ(0U, __st.hits);					\
} while (0)

/* An array that runs into an unreadable page, cut within an operation. */
TEST_F(batch, array_cut_by_a_fault_runs_nothing)
{
	static const unsigned int readable[] = { 0, 5, 11 };
	static char keys[16][32];
	struct lrucache_op *ops;
	unsigned int t, n;
	char *end;

	for (t = 0; t < NOPS(readable); t++) {
		n = readable[t];
		end = fault_boundary();
		ASSERT_NE(NULL, end);
		/* n whole operations, then half of one, then the fault. */
		ops = (struct lrucache_op *)(end - n * sizeof(*ops) -
					     sizeof(*ops) / 2);
		fill_sets(ops, n, keys, "cut");
		memset(&ops[n], 0, sizeof(*ops) / 2);
		ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)ops, n + 4,
					     sizeof(*ops), 0, 0));
		ASSERT_NONE_RAN(keys, n);
		/* The results were not written. */
		for (unsigned int i = 0; i < n; i++)
			EXPECT_EQ(1, ops[i].result);
	}
}

/* The last operation lies whole in an unreadable page. */
TEST_F(batch, unreadable_last_op_runs_nothing)
{
	static char keys[8][32];
	struct lrucache_op *ops;
	char *end = fault_boundary();

	ASSERT_NE(NULL, end);
	ops = (struct lrucache_op *)(end - 7 * sizeof(*ops));
	fill_sets(ops, 7, keys, "last");
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)ops, 8,
				     sizeof(*ops), 0, 0));
	ASSERT_NONE_RAN(keys, 7);
}

/* A read-only array: every operation readable, no result writable. */
TEST_F(batch, read_only_array_runs_nothing)
{
	static char keys[4][32];
	struct lrucache_op *ops;

	ops = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ops);
	fill_sets(ops, 4, keys, "ro");
	ASSERT_EQ(0, mprotect(ops, getpagesize(), PROT_READ));
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)ops, 4,
				     sizeof(*ops), 0, 0));
	ASSERT_NONE_RAN(keys, 4);
	munmap(ops, getpagesize());
}

/*
 * The array crosses from a writable page into a read-only one: the first
 * operations could run and report, the later could not report.
 */
TEST_F(batch, read_only_tail_of_the_array_runs_nothing)
{
	static char keys[8][32];
	struct lrucache_op *ops;
	long pg = getpagesize();
	char *p;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ops = (struct lrucache_op *)(p + pg - 5 * sizeof(*ops));
	fill_sets(ops, 8, keys, "tail");
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_READ));
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)ops, 8,
				     sizeof(*ops), 0, 0));
	ASSERT_NONE_RAN(keys, 8);
	EXPECT_EQ(1, ops[0].result);
	munmap(p, 2 * pg);
}

/*
 * An operation whose result lies in a writable page and the rest in a
 * read-only one: an EXISTS there runs (only its result is written), a GET
 * does not, nor anything before it, as its value_len cannot be written
 * (nor a SET, which writes back the version it gave).
 */
TEST_F(batch, get_whose_value_len_cannot_be_written_runs_nothing)
{
	static char keys[4][32];
	struct lrucache_op *ops;
	long pg = getpagesize();
	char buf[16], *p;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* ops[2] starts 16 bytes before the read-only page. */
	ops = (struct lrucache_op *)(p + pg - 2 * sizeof(*ops) - 16);
	fill_sets(ops, 3, keys, "vl");
	ops[2] = op_get("vl0", buf, sizeof(buf));
	ops[2].result = 1;
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_READ));
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)ops, 3,
				     sizeof(*ops), 0, 0));
	ASSERT_NONE_RAN(keys, 2);
	EXPECT_EQ(1, ops[0].result);

	/* A set there cannot report its version: it does not run either. */
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_READ | PROT_WRITE));
	fill_sets(ops, 3, keys, "vl");
	ops[2].result = 1;
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_READ));
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)ops, 3,
				     sizeof(*ops), 0, 0));
	ASSERT_NONE_RAN(keys, 3);

	/* The same array with an EXISTS of the first key there runs whole. */
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_READ | PROT_WRITE));
	fill_sets(ops, 2, keys, "vl");
	ops[2] = op_key(LRUCACHE_OP_EXISTS, keys[0]);
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_READ));
	ASSERT_EQ(3, batch_raw(self->fd, (uintptr_t)ops, 3, sizeof(*ops), 0,
			       0));
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(1, ops[2].result);
	EXPECT_EQ(1, str_exists(self->fd, keys[1]));
	munmap(p, 2 * pg);
}

/*
 * A newer, larger operation (op_size beyond ours) must be readable to its
 * last byte too: its unknown tail is checked for zeros before it runs.
 */
TEST_F(batch, larger_ops_are_checked_to_their_last_byte)
{
	static char keys[2][32];
	const size_t size = sizeof(struct lrucache_op) + 64;
	struct lrucache_op *op;
	char *end = fault_boundary();

	ASSERT_NE(NULL, end);
	/* Two operations; the second's tail is cut by the fault. */
	op = (struct lrucache_op *)(end - 2 * size + 8);
	memset(op, 0, 2 * size - 8);
	snprintf(keys[0], 32, "big0");
	snprintf(keys[1], 32, "big1");
	*op = op_set(keys[0], "v", 0);
	*(struct lrucache_op *)((char *)op + size) = op_set(keys[1], "v", 0);
	ASSERT_EQ(-EFAULT, batch_raw(self->fd, (uintptr_t)op, 2, size, 0, 0));
	ASSERT_NONE_RAN(keys, 2);
	ASSERT_EQ(1, batch_raw(self->fd, (uintptr_t)op, 1, size, 0, 0));
	EXPECT_EQ(0, op->result);
	EXPECT_EQ(1, str_exists(self->fd, keys[0]));
}

TEST_HARNESS_MAIN
