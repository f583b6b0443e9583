// SPDX-License-Identifier: GPL-2.0
/*
 * LRUCACHE_IOC_BATCH: operations run in order, one by one, each with the
 * result the single ioctl would have returned; a bad operation fails alone.
 * The batch header itself is checked as a whole (-E2BIG, -EINVAL, -EFAULT).
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
	EXPECT_EQ(1 + 1 + st.entry_overhead, st.bytes);
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

TEST_F(batch, op_size_smaller_than_op_is_einval)
{
	struct lrucache_op op = op_set("k", "v", 0);
	uint64_t p = (uintptr_t)&op;

	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, sizeof(op) - 1, 0, 0));
	ASSERT_EQ(-EINVAL, batch_raw(self->fd, p, 1, sizeof(op) - 8, 0, 0));
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
 * An operation array that runs into an unreadable page: the operations
 * before the one that straddles it run and report their result, and the
 * call returns how many ran. The kernel may read several operations at
 * once, but stops exactly where one read per operation would: within the
 * first operations read, and after them.
 */
TEST_F(batch, array_cut_by_a_fault_runs_the_readable_ops)
{
	static const unsigned int readable[] = { 5, 11 };
	static char keys[2][16][32];
	struct lrucache_op *ops;
	unsigned int t, i, n;
	char *end;

	for (t = 0; t < NOPS(readable); t++) {
		n = readable[t];
		end = fault_boundary();
		ASSERT_NE(NULL, end);
		/* n whole operations, then half of one, then the fault. */
		ops = (struct lrucache_op *)(end - n * sizeof(*ops) -
					     sizeof(*ops) / 2);
		for (i = 0; i < n; i++) {
			snprintf(keys[t][i], sizeof(keys[t][i]), "c%u-%u", t,
				 i);
			ops[i] = op_set(keys[t][i], "v", 0);
			ops[i].result = 1;
		}
		memset(&ops[n], 0, sizeof(*ops) / 2);
		ASSERT_EQ((int)n, batch_raw(self->fd, (uintptr_t)ops, n + 4,
					    sizeof(*ops), 0, 0));
		for (i = 0; i < n; i++) {
			EXPECT_EQ(0, ops[i].result);
			EXPECT_EQ(1, str_exists(self->fd, keys[t][i]));
		}
	}
}

TEST_HARNESS_MAIN
