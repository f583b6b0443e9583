// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache key-value operations: kcache_set/add/replace/get/exists/
 * delete/clear and kcache_batch_raw(), their results and their errors, all
 * as negative errno values.
 */
#include "kselftest_harness.h"
#include "lib.h"

FIXTURE(ops) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(ops)
{
	KCACHE_OPTS(opts, .max_size = 100);
	int err;

	self->c = NULL;
	unique_name(self->name, "ops");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
}

FIXTURE_TEARDOWN(ops)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F(ops, set_then_get_returns_value)
{
	char out[256];

	ASSERT_EQ(0, sset(self->c, "hello", "world"));
	ASSERT_EQ(5, sget(self->c, "hello", out));
	ASSERT_STREQ("world", out);
}

TEST_F(ops, binary_key_and_value_round_trip)
{
	unsigned char key[] = { 0, 1, 0, 255 }, val[256], out[256];
	int i;

	for (i = 0; i < 256; i++)
		val[i] = (unsigned char)(255 - i);
	ASSERT_EQ(0, kcache_set(self->c, key, sizeof(key), val, sizeof(val),
				KCACHE_TTL_NONE));
	ASSERT_EQ(256, kcache_get(self->c, key, sizeof(key), out,
				  sizeof(out)));
	ASSERT_EQ(0, memcmp(val, out, sizeof(val)));
	/* A prefix of the key is another key. */
	ASSERT_EQ(-ENOENT, kcache_get(self->c, key, 3, out, sizeof(out)));
}

TEST_F(ops, get_of_absent_key_is_enoent)
{
	char out[256];

	ASSERT_EQ(-ENOENT, sget(self->c, "absent", out));
}

TEST_F(ops, get_into_short_buffer_returns_length_and_copies_nothing)
{
	char buf[8];

	ASSERT_EQ(0, sset(self->c, "k", "0123456789"));
	memset(buf, '#', sizeof(buf));
	ASSERT_EQ(10, kcache_get(self->c, "k", 1, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "########", sizeof(buf)));
}

TEST_F(ops, get_with_no_buffer_probes_the_size)
{
	ASSERT_EQ(0, sset(self->c, "k", "0123456789"));
	ASSERT_EQ(10, kcache_get(self->c, "k", 1, NULL, 0));
}

TEST_F(ops, get_with_huge_buffer_size_copies_value)
{
	char buf[16];

	/* Sizes beyond 4 GiB are fine: no value is that long. */
	ASSERT_EQ(0, sset(self->c, "k", "value"));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kcache_get(self->c, "k", 1, buf, SIZE_MAX));
	ASSERT_STREQ("value", buf);
}

TEST_F(ops, empty_value_round_trips)
{
	char buf[4] = "abc";

	ASSERT_EQ(0, kcache_set(self->c, "k", 1, NULL, 0, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get(self->c, "k", 1, buf, sizeof(buf)));
	ASSERT_STREQ("abc", buf);
	ASSERT_EQ(1, sexists(self->c, "k"));
}

TEST_F(ops, set_replaces_existing_value)
{
	char out[256];

	ASSERT_EQ(0, sset(self->c, "k", "one"));
	ASSERT_EQ(0, sset(self->c, "k", "three"));
	ASSERT_EQ(5, sget(self->c, "k", out));
	ASSERT_STREQ("three", out);
}

TEST_F(ops, add_stores_only_absent_keys)
{
	char out[256];

	ASSERT_EQ(0, kcache_add(self->c, "k", 1, "one", 3, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EEXIST, kcache_add(self->c, "k", 1, "two", 3,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(3, sget(self->c, "k", out));
	ASSERT_STREQ("one", out);
}

TEST_F(ops, replace_stores_only_present_keys)
{
	char out[256];

	ASSERT_EQ(-ENOENT, kcache_replace(self->c, "k", 1, "one", 3,
					  KCACHE_TTL_DEFAULT));
	ASSERT_EQ(0, sexists(self->c, "k"));
	ASSERT_EQ(0, sset(self->c, "k", "one"));
	ASSERT_EQ(0, kcache_replace(self->c, "k", 1, "two", 3,
				    KCACHE_TTL_DEFAULT));
	ASSERT_EQ(3, sget(self->c, "k", out));
	ASSERT_STREQ("two", out);
}

TEST_F(ops, exists_and_delete_follow_the_key)
{
	ASSERT_EQ(0, sexists(self->c, "k"));
	ASSERT_EQ(-ENOENT, kcache_delete(self->c, "k", 1));
	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(1, sexists(self->c, "k"));
	ASSERT_EQ(0, kcache_delete(self->c, "k", 1));
	ASSERT_EQ(0, sexists(self->c, "k"));
}

TEST_F(ops, clear_removes_every_entry)
{
	struct kcache_metrics m;

	ASSERT_EQ(0, sset(self->c, "a", "1"));
	ASSERT_EQ(0, sset(self->c, "b", "2"));
	ASSERT_EQ(0, kcache_clear(self->c));
	ASSERT_EQ(0, sexists(self->c, "a"));
	ASSERT_EQ(0, sexists(self->c, "b"));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(0U, m.entries);
	ASSERT_EQ(0U, m.deletes);
}

TEST_F(ops, short_ttl_expires)
{
	char out[256];
	int tries;

	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, 1));
	for (tries = 0; tries < 200; tries++) {
		sleep_ms(10);
		if (sget(self->c, "k", out) == -ENOENT)
			break;
	}
	ASSERT_GT(200, tries);
}

TEST_F(ops, invalid_ttls_are_einval)
{
	ASSERT_EQ(-EINVAL, kcache_set(self->c, "k", 1, "v", 1, 0));
	ASSERT_EQ(-EINVAL, kcache_set(self->c, "k", 1, "v", 1,
				      KCACHE_TTL_MAX_MS + 1));
	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, KCACHE_TTL_MAX_MS));
	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_set(self->c, "k", 1, "v", 1, KCACHE_TTL_DEFAULT));
}

TEST_F(ops, zero_length_key_is_einval)
{
	char out[8];

	ASSERT_EQ(-EINVAL, kcache_set(self->c, "k", 0, "v", 1,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EINVAL, kcache_get(self->c, "k", 0, out, sizeof(out)));
	ASSERT_EQ(-EINVAL, kcache_exists(self->c, "k", 0));
	ASSERT_EQ(-EINVAL, kcache_delete(self->c, "k", 0));
}

TEST_F(ops, oversized_key_or_value_is_e2big)
{
	size_t klen = module_param("max_key_len", 250) + 1;
	size_t vlen = module_param("max_value_len", 1 << 20) + 1;
	char *big = calloc(1, vlen), out[8];

	ASSERT_NE(NULL, big);
	ASSERT_EQ(-E2BIG, kcache_set(self->c, big, klen, "v", 1,
				     KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-E2BIG, kcache_get(self->c, big, klen, out, sizeof(out)));
	ASSERT_EQ(-E2BIG, kcache_set(self->c, "k", 1, big, vlen,
				     KCACHE_TTL_DEFAULT));
	free(big);
}

TEST_F(ops, lengths_beyond_32_bits_are_e2big)
{
	char out[8];

	if (sizeof(size_t) <= sizeof(uint32_t))
		SKIP(return, "size_t has 32 bits");
	/* Never dereferenced: the library refuses the lengths first. */
	ASSERT_EQ(-E2BIG, kcache_set(self->c, "k", (size_t)UINT32_MAX + 2,
				     "v", 1, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-E2BIG, kcache_set(self->c, "k", 1, "v",
				     (size_t)UINT32_MAX + 1,
				     KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-E2BIG, kcache_get(self->c, "k", (size_t)UINT32_MAX + 1,
				     out, sizeof(out)));
	ASSERT_EQ(-E2BIG, kcache_exists(self->c, "k", (size_t)UINT32_MAX + 1));
	ASSERT_EQ(-E2BIG, kcache_delete(self->c, "k", (size_t)UINT32_MAX + 1));
}

TEST_F(ops, bad_pointers_are_efault)
{
	char out[8];

	ASSERT_EQ(-EFAULT, kcache_set(self->c, (void *)1, 1, "v", 1,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EFAULT, kcache_set(self->c, "k", 1, (void *)1, 1,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(0, sexists(self->c, "k"));
	ASSERT_EQ(-EFAULT, kcache_get(self->c, (void *)1, 1, out, sizeof(out)));
	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(-EFAULT, kcache_get(self->c, "k", 1, (void *)1, 8));
}

TEST_F(ops, null_handle_is_einval_everywhere)
{
	struct lrucache_op op = { 0 };
	struct kcache_metrics m;
	char out[8];

	ASSERT_EQ(-EINVAL, kcache_set(NULL, "k", 1, "v", 1,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EINVAL, kcache_add(NULL, "k", 1, "v", 1,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EINVAL, kcache_replace(NULL, "k", 1, "v", 1,
					  KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EINVAL, kcache_get(NULL, "k", 1, out, sizeof(out)));
	ASSERT_EQ(-EINVAL, kcache_exists(NULL, "k", 1));
	ASSERT_EQ(-EINVAL, kcache_delete(NULL, "k", 1));
	ASSERT_EQ(-EINVAL, kcache_clear(NULL));
	ASSERT_EQ(-EINVAL, kcache_get_metrics(NULL, &m));
	ASSERT_EQ(-EINVAL, kcache_get_metrics(self->c, NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_raw(NULL, &op, 1));
}

TEST_F(ops, batch_runs_ops_in_order)
{
	char buf[16], small[2] = "##";
	struct lrucache_op ops[] = {
		{ .opcode = LRUCACHE_OP_SET, .key = (uintptr_t)"a",
		  .key_len = 1, .value = (uintptr_t)"alpha", .value_len = 5,
		  .ttl_ms = KCACHE_TTL_DEFAULT },
		{ .opcode = LRUCACHE_OP_GET, .key = (uintptr_t)"a",
		  .key_len = 1, .value = (uintptr_t)buf,
		  .value_len = sizeof(buf) },
		{ .opcode = LRUCACHE_OP_GET, .key = (uintptr_t)"a",
		  .key_len = 1, .value = (uintptr_t)small,
		  .value_len = sizeof(small) },
		{ .opcode = LRUCACHE_OP_EXISTS, .key = (uintptr_t)"b",
		  .key_len = 1 },
		{ .opcode = LRUCACHE_OP_DELETE, .key = (uintptr_t)"a",
		  .key_len = 1 },
		{ .opcode = LRUCACHE_OP_GET, .key = (uintptr_t)"a",
		  .key_len = 1, .value = (uintptr_t)buf,
		  .value_len = sizeof(buf) },
		{ .opcode = 77, .key = (uintptr_t)"a", .key_len = 1 },
	};

	ASSERT_EQ(7, kcache_batch_raw(self->c, ops, 7));
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(5, ops[1].result);
	ASSERT_EQ(0, memcmp(buf, "alpha", 5));
	ASSERT_EQ(5, ops[2].result);
	ASSERT_EQ(5U, ops[2].value_len);
	ASSERT_EQ(0, memcmp(small, "##", 2));
	ASSERT_EQ(0, ops[3].result);
	ASSERT_EQ(0, ops[4].result);
	ASSERT_EQ(-ENOENT, ops[5].result);
	ASSERT_EQ(-EINVAL, ops[6].result);
}

TEST_F(ops, batch_limits_are_the_kernel_ones)
{
	static struct lrucache_op ops[LRUCACHE_BATCH_MAX + 1];

	ASSERT_EQ(0, kcache_batch_raw(self->c, ops, 0));
	ASSERT_EQ(0, kcache_batch_raw(self->c, NULL, 0));
	ASSERT_EQ(-E2BIG, kcache_batch_raw(self->c, ops,
					   LRUCACHE_BATCH_MAX + 1));
	ASSERT_EQ(-EFAULT, kcache_batch_raw(self->c, (void *)8, 1));
}

TEST_HARNESS_MAIN
