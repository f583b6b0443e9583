// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to the key-value ioctls, each with its exact errno: faulting
 * pointers, lengths out of range, unknown flags, nonzero reserved fields,
 * invalid TTLs and unknown commands. A rejected SET must change nothing.
 */
#include "kselftest_harness.h"
#include "abi.h"
#include "nl.h"

#define BAD_PTR		((void *)1)

FIXTURE(err) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	uint64_t max_key_len;
	uint64_t max_value_len;
};

FIXTURE_SETUP(err)
{
	self->fd = -1;
	unique_name(self->name, "err");
	self->max_key_len = module_param("max_key_len", DEFAULT_MAX_KEY_LEN);
	self->max_value_len = module_param("max_value_len",
					   DEFAULT_MAX_VALUE_LEN);
	self->fd = cache_create(self->name, 0, 0, 0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(err)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

/* Nothing was stored: no sets, no entries. */
#define ASSERT_UNCHANGED() do {						\
	struct lrucache_stats __st;					\
	ASSERT_EQ(0, cache_stats(self->fd, &__st));			\
	ASSERT_EQ(0U, __st.sets);					\
	ASSERT_EQ(0U, __st.entries);					\
	ASSERT_EQ(0U, __st.bytes);					\
} while (0)

static int kv_ioctl(int fd, unsigned long cmd, struct lrucache_kv kv)
{
	return xioctl(fd, cmd, &kv);
}

/* ---- faulting pointers ---- */

TEST_F(err, set_with_bad_key_pointer_is_efault)
{
	void *none = fault_page();

	ASSERT_NE(NULL, none);
	ASSERT_EQ(-EFAULT, kv_set(self->fd, BAD_PTR, 3, "v", 1,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-EFAULT, kv_set(self->fd, none, 3, "v", 1,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_UNCHANGED();
}

TEST_F(err, set_with_bad_value_pointer_changes_nothing)
{
	void *none = fault_page();
	char out[256];

	ASSERT_NE(NULL, none);
	ASSERT_EQ(-EFAULT, kv_set(self->fd, "new", 3, BAD_PTR, 5,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-EFAULT, kv_set(self->fd, "new", 3, none, 5,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_UNCHANGED();

	ASSERT_EQ(0, str_set(self->fd, "old", "value"));
	ASSERT_EQ(-EFAULT, kv_set(self->fd, "old", 3, none, 8,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(5, str_get(self->fd, "old", out));
	ASSERT_STREQ("value", out);
}

TEST_F(err, set_with_value_straddling_a_fault_changes_nothing)
{
	struct lrucache_stats st;
	char *edge = fault_boundary(), out[256];

	ASSERT_NE(NULL, edge);
	memset(edge - 16, 'x', 16);
	ASSERT_EQ(0, str_set(self->fd, "old", "value"));
	/* 16 readable bytes, then a fault. */
	ASSERT_EQ(-EFAULT, kv_set(self->fd, "old", 3, edge - 16, 32,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(5, str_get(self->fd, "old", out));
	ASSERT_STREQ("value", out);
	ASSERT_EQ(-EFAULT, kv_set(self->fd, "new", 3, edge - 16, 32,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, str_exists(self->fd, "new"));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1U, st.sets);
	ASSERT_EQ(1U, st.entries);
}

TEST_F(err, key_straddling_a_fault_is_efault)
{
	char *edge = fault_boundary();
	uint32_t len = 0;

	ASSERT_NE(NULL, edge);
	memset(edge - 4, 'k', 4);
	ASSERT_EQ(-EFAULT, kv_set(self->fd, edge - 4, 8, "v", 1,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-EFAULT, kv_get(self->fd, edge - 4, 8, NULL, &len));
	ASSERT_EQ(-EFAULT, kv_exists(self->fd, edge - 4, 8));
	ASSERT_EQ(-EFAULT, kv_delete(self->fd, edge - 4, 8));
	ASSERT_UNCHANGED();
}

TEST_F(err, lookups_with_bad_key_pointer_are_efault)
{
	void *none = fault_page();
	uint32_t len = 0;

	ASSERT_NE(NULL, none);
	ASSERT_EQ(-EFAULT, kv_get(self->fd, BAD_PTR, 1, NULL, &len));
	ASSERT_EQ(-EFAULT, kv_get(self->fd, none, 1, NULL, &len));
	ASSERT_EQ(-EFAULT, kv_exists(self->fd, BAD_PTR, 1));
	ASSERT_EQ(-EFAULT, kv_exists(self->fd, none, 1));
	ASSERT_EQ(-EFAULT, kv_delete(self->fd, BAD_PTR, 1));
	ASSERT_EQ(-EFAULT, kv_delete(self->fd, none, 1));
}

TEST_F(err, get_into_bad_buffer_is_efault)
{
	void *none = fault_page();
	uint32_t len = 64;
	char out[256];

	ASSERT_NE(NULL, none);
	ASSERT_EQ(0, str_set(self->fd, "k", "value"));
	ASSERT_EQ(-EFAULT, kv_get(self->fd, "k", 1, none, &len));
	len = 64;
	ASSERT_EQ(-EFAULT, kv_get(self->fd, "k", 1, BAD_PTR, &len));
	/* The entry is still there and intact. */
	ASSERT_EQ(5, str_get(self->fd, "k", out));
	ASSERT_STREQ("value", out);
}

/*
 * A GET that fails with -EFAULT changes nothing: no hit is counted, the
 * entry keeps its place in the LRU order and no hit event is sent. The
 * copy fails on a read-only buffer (values copied word by word and by
 * copy_to_user()), on a buffer running into a fault, and on an argument
 * the kernel cannot write value_len back into; a batched GET likewise.
 * Then a GET that succeeds moves the entry, counts and reports its hit.
 */
TEST_F(err, failed_get_changes_nothing)
{
	static const uint32_t vlens[] = { 5, 300 };
	char name[LRUCACHE_NAME_MAX], *ro, *edge, val[300];
	struct lrucache_kv *rokv;
	struct lrucache_stats st;
	struct lrucache_op op;
	struct nl_event ev;
	struct nl_sock s;
	unsigned int i;
	uint32_t len;
	int fd, ret;

	ro = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	edge = fault_boundary();
	ASSERT_NE(NULL, edge);
	memset(val, 'v', sizeof(val));
	unique_name(name, "efault");
	fd = cache_create(name, 2, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nl_open(&s));
	ASSERT_EQ(0, nl_request(&s, s.family, LRUCACHE_CMD_SUBSCRIBE, 2, name,
				LRUCACHE_EVENT_BIT(LRUCACHE_EVENT_HIT)));
	ASSERT_EQ(0, nl_answer(&s, 2, NULL));

	for (i = 0; i < sizeof(vlens) / sizeof(vlens[0]); i++) {
		ASSERT_EQ(0, cache_clear(fd));
		ASSERT_EQ(0, kv_set(fd, "a", 1, val, vlens[i],
				    LRUCACHE_TTL_NONE, 0));
		ASSERT_EQ(0, kv_set(fd, "b", 1, val, vlens[i],
				    LRUCACHE_TTL_NONE, 0));
		ASSERT_EQ(0, xioctl(fd, LRUCACHE_IOC_RESET_STATS, NULL));

		/* "a" is the least recent; each GET of it fails. */
		rokv = (struct lrucache_kv *)ro;
		memset(rokv, 0, sizeof(*rokv));
		rokv->key = (uintptr_t)"a";
		rokv->key_len = 1;
		rokv->value = (uintptr_t)val;
		rokv->value_len = sizeof(val);
		ASSERT_EQ(0, mprotect(ro, getpagesize(), PROT_READ));
		len = 1024;
		ASSERT_EQ(-EFAULT, kv_get(fd, "a", 1, ro + 1024, &len));
		len = vlens[i];
		ASSERT_EQ(-EFAULT, kv_get(fd, "a", 1, edge - vlens[i] / 2,
					  &len));
		/* The value fits a writable buffer; value_len cannot be written. */
		ASSERT_EQ(-EFAULT, xioctl(fd, LRUCACHE_IOC_GET, rokv));
		memset(&op, 0, sizeof(op));
		op.opcode = LRUCACHE_OP_GET;
		op.key = (uintptr_t)"a";
		op.key_len = 1;
		op.value = (uintptr_t)(ro + 1024);
		op.value_len = 1024;
		ASSERT_EQ(1, batch_run(fd, &op, 1));
		ASSERT_EQ(-EFAULT, op.result);
		ASSERT_EQ(0, mprotect(ro, getpagesize(), PROT_READ | PROT_WRITE));

		ASSERT_EQ(0, cache_stats(fd, &st));
		EXPECT_EQ(0U, st.hits);
		EXPECT_EQ(0U, st.misses);
		ret = nl_next_event(&s, &ev, 0);
		EXPECT_EQ(-ETIMEDOUT, ret) {
			TH_LOG("an event of type %u for key %s", ev.type,
			       ev.key);
		}
		/* "a" is still the least recent: a third key evicts it. */
		ASSERT_EQ(0, kv_set(fd, "c", 1, val, 1, LRUCACHE_TTL_NONE, 0));
		EXPECT_EQ(0, str_exists(fd, "a"));
		EXPECT_EQ(1, str_exists(fd, "b"));

		/* A GET that works: counted, reported, moved. */
		len = sizeof(val);
		ASSERT_EQ((int)vlens[i], kv_get(fd, "b", 1, val, &len));
		ASSERT_EQ(0, cache_stats(fd, &st));
		EXPECT_EQ(1U, st.hits);
		ASSERT_EQ(0, nl_next_event(&s, &ev, NL_WAIT_MS));
		EXPECT_EQ((uint32_t)LRUCACHE_EVENT_HIT, ev.type);
		EXPECT_STREQ("b", ev.key);
		ASSERT_EQ(0, kv_set(fd, "d", 1, val, 1, LRUCACHE_TTL_NONE, 0));
		EXPECT_EQ(1, str_exists(fd, "b"));
		EXPECT_EQ(0, str_exists(fd, "c"));
	}
	close(s.fd);
	close(fd);
	cache_destroy(name);
}

TEST_F(err, bad_argument_struct_pointer_is_efault)
{
	void *none = fault_page();
	int fd;

	ASSERT_NE(NULL, none);
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_SET, BAD_PTR));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_SET, none));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_GET, none));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_EXISTS, none));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_DELETE, none));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_STATS, none));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_STATS, BAD_PTR));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_BATCH, none));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_DESTROY, none));

	fd = dev_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EFAULT, xioctl(fd, LRUCACHE_IOC_OPEN, none));
	ASSERT_EQ(-EFAULT, xioctl(fd, LRUCACHE_IOC_OPEN, BAD_PTR));
	ASSERT_EQ(-EFAULT, xioctl(fd, LRUCACHE_IOC_DESTROY, BAD_PTR));
	close(fd);
	ASSERT_UNCHANGED();
}

/* ---- lengths ---- */

TEST_F(err, zero_length_key_is_einval)
{
	uint32_t len = 0;

	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 0, "v", 1,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-EINVAL, kv_get(self->fd, "k", 0, NULL, &len));
	ASSERT_EQ(-EINVAL, kv_exists(self->fd, "k", 0));
	ASSERT_EQ(-EINVAL, kv_delete(self->fd, "k", 0));
	ASSERT_UNCHANGED();
}

TEST_F(err, key_longer_than_max_key_len_is_e2big)
{
	uint32_t klen = self->max_key_len + 1, len = 0;
	char *key = malloc(klen);

	ASSERT_NE(NULL, key);
	memset(key, 'k', klen);
	ASSERT_EQ(-E2BIG, kv_set(self->fd, key, klen, "v", 1,
				 LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-E2BIG, kv_get(self->fd, key, klen, NULL, &len));
	ASSERT_EQ(-E2BIG, kv_exists(self->fd, key, klen));
	ASSERT_EQ(-E2BIG, kv_delete(self->fd, key, klen));
	ASSERT_UNCHANGED();
	free(key);
}

TEST_F(err, value_longer_than_max_value_len_is_e2big)
{
	uint32_t vlen = self->max_value_len + 1;
	char *val = calloc(1, vlen), out[256];

	ASSERT_NE(NULL, val);
	ASSERT_EQ(-E2BIG, kv_set(self->fd, "k", 1, val, vlen,
				 LRUCACHE_TTL_NONE, 0));
	ASSERT_UNCHANGED();

	/* An existing value survives an oversized replacement. */
	ASSERT_EQ(0, str_set(self->fd, "k", "old"));
	ASSERT_EQ(-E2BIG, kv_set(self->fd, "k", 1, val, vlen,
				 LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(3, str_get(self->fd, "k", out));
	ASSERT_STREQ("old", out);
	free(val);
}

TEST_F(err, huge_lengths_are_e2big_before_any_copy)
{
	/* The pointers are valid for a few bytes only: length is checked first. */
	ASSERT_EQ(-E2BIG, kv_set(self->fd, "k", UINT32_MAX, "v", 1,
				 LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(-E2BIG, kv_set(self->fd, "k", 1, "v", UINT32_MAX,
				 LRUCACHE_TTL_NONE, 0));
	ASSERT_UNCHANGED();
}

/* ---- flags, reserved fields, TTLs ---- */

TEST_F(err, set_with_unknown_flags_is_einval)
{
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1,
				  LRUCACHE_TTL_NONE, 1U << 4));
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1,
				  LRUCACHE_TTL_NONE, 1U << 31));
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1,
				  LRUCACHE_TTL_NONE,
				  LRUCACHE_SET_NX | LRUCACHE_SET_XX));
	ASSERT_UNCHANGED();
}

TEST_F(err, nonzero_reserved_is_einval)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)"k",
		.key_len = 1,
		.value = (uintptr_t)"v",
		.value_len = 1,
		.ttl_ms = LRUCACHE_TTL_NONE,
		.reserved = 1,
	};

	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_SET, kv));
	kv.reserved = 1U << 31;
	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_SET, kv));
	ASSERT_UNCHANGED();

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	kv = (struct lrucache_kv){
		.key = (uintptr_t)"k", .key_len = 1, .reserved = 1,
	};
	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_EXISTS, kv));
	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_DELETE, kv));
	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_GET, kv));
	ASSERT_EQ(1, str_exists(self->fd, "k"));
}

TEST_F(err, set_with_zero_ttl_is_einval)
{
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1, 0, 0));
	ASSERT_UNCHANGED();
}

TEST_F(err, set_with_ttl_beyond_max_is_einval)
{
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1,
				  LRUCACHE_TTL_MAX_MS + 1, 0));
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1,
				  LRUCACHE_TTL_NONE - 1, 0));
	ASSERT_EQ(-EINVAL, kv_set(self->fd, "k", 1, "v", 1, 1ULL << 63, 0));
	ASSERT_UNCHANGED();
	/* The limits themselves are valid. */
	ASSERT_EQ(0, kv_set(self->fd, "a", 1, "v", 1, LRUCACHE_TTL_MAX_MS, 0));
	ASSERT_EQ(0, kv_set(self->fd, "b", 1, "v", 1, LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, kv_set(self->fd, "c", 1, "v", 1, LRUCACHE_TTL_DEFAULT, 0));
	ASSERT_EQ(0, kv_set(self->fd, "d", 1, "v", 1, 1, 0));
}

TEST_F(err, get_with_ttl_or_flags_is_einval)
{
	struct lrucache_kv kv = { .key = (uintptr_t)"k", .key_len = 1 };

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	kv.ttl_ms = 1;
	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_GET, kv));
	kv.ttl_ms = LRUCACHE_TTL_DEFAULT;
	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_GET, kv));
	kv.ttl_ms = 0;
	kv.flags = LRUCACHE_SET_NX;
	ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, LRUCACHE_IOC_GET, kv));
}

TEST_F(err, exists_and_delete_with_extra_fields_are_einval)
{
	static const unsigned long cmds[] = {
		LRUCACHE_IOC_EXISTS, LRUCACHE_IOC_DELETE,
	};
	struct lrucache_kv base = { .key = (uintptr_t)"k", .key_len = 1 };
	struct lrucache_kv kv;
	char buf[8];
	unsigned int i;

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	for (i = 0; i < 2; i++) {
		kv = base;
		kv.value = (uintptr_t)buf;
		ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, cmds[i], kv));
		kv = base;
		kv.value_len = 1;
		ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, cmds[i], kv));
		kv = base;
		kv.ttl_ms = 1;
		ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, cmds[i], kv));
		kv = base;
		kv.flags = LRUCACHE_SET_XX;
		ASSERT_EQ(-EINVAL, kv_ioctl(self->fd, cmds[i], kv));
	}
	/* None of the rejected DELETEs removed the key. */
	ASSERT_EQ(1, str_exists(self->fd, "k"));
}

/* ---- commands ---- */

TEST_F(err, unknown_command_is_enotty)
{
	struct lrucache_kv kv;
	char buf[64];

	memset(&kv, 0, sizeof(kv));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(LRUCACHE_IOC_MAGIC, 0x00),
				  NULL));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(LRUCACHE_IOC_MAGIC, 0x3f),
				  NULL));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(LRUCACHE_IOC_MAGIC, 0x4c),
				  NULL));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IOWR(LRUCACHE_IOC_MAGIC, 0x4f,
						  struct lrucache_kv), &kv));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(LRUCACHE_IOC_MAGIC, 0xff),
				  NULL));
	/* Just past the last command, with CHECK's direction and size. */
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IOR(LRUCACHE_IOC_MAGIC, 0x50,
						 struct lrucache_check), buf));
	/* Another driver's magic with this driver's numbers. */
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IOW('x', 0x42,
						 struct lrucache_kv), &kv));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO('x', 0x46), NULL));
	/* A terminal ioctl. */
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, TCGETS, buf));
	ASSERT_UNCHANGED();
}

TEST_HARNESS_MAIN
